"""Telling "this check cannot apply to this data" apart from "this check did not run".

The suite is written for any data set, so some checks have nothing to check on some data
(no categorical column to put an unknown category in, no classes in a regression target).
Such a test calls :func:`not_applicable`: it is skipped with a reason that starts with
:data:`NOT_APPLICABLE`, the recorder writes its outcome as "not applicable", and scoring
leaves it out. Any other skip, an xfail or a deselected test costs its items the point.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

NOT_APPLICABLE = "not applicable to this data: "


def not_applicable(reason: str) -> NoReturn:
    """Skip the calling test because the data cannot raise the case; ``reason`` says why."""
    __tracebackhide__ = True  # pytest reports the caller's line, not this one
    pytest.skip(NOT_APPLICABLE + reason)


def is_not_applicable(skip_reason: str) -> bool:
    """Whether a skip's message (pytest writes "Skipped: <reason>") came from not_applicable."""
    return skip_reason.removeprefix("Skipped: ").startswith(NOT_APPLICABLE)
