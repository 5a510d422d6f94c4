"""The one base class of the errors that the project's command reports as one line.

A :class:`ProjectError` is a problem the user can fix (a missing file, a bad setting, data
that fails a rule), and its message says what is wrong and what would be right. The
command line catches it in one place (``cli``): ``error: <message>`` on stderr, exit status
``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ProjectError(Exception):
    """A problem the user can fix; ``str(error)`` names it and the fix."""

    exit_code = 1


class StageError(ProjectError):
    """A stage or command lacks an input it needs, or its input breaks a rule: a file not
    made yet, data without a column that ``params.yaml`` names, a model that fails the gate.
    The message names what is missing or wrong and how to make it right."""
