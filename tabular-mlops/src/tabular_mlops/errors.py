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
