"""What every check returns: a status, figures for the report, and the alerts it raised.

An alert says what to do about it: ``retrain`` when a model trained on newer data is the
remedy (drift, new categories, staleness, lower quality), ``investigate`` when retraining
would not help (a slower server, NaN inputs, other library versions): the exit code of
``monitor`` tells the two apart, so a scheduled job retrains only when that can help.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import ProjectError

Action = Literal["retrain", "investigate"]
Status = Literal["ok", "alert", "skipped"]


class MonitorInputError(ProjectError, ValueError):
    """An input of the monitor is missing or unreadable; the message names it and the fix."""


# The name alerts about the model's output use in place of a feature name.
PREDICTION = "<prediction>"


@dataclass(frozen=True)
class Alert:
    check: str
    subject: str  # the feature, "<prediction>", or what else is wrong (model, latency ...)
    message: str
    action: Action


@dataclass(frozen=True)
class CheckResult:
    name: str
    item: str  # the ML Test Score item the check serves (monitor-N)
    status: Status
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def result(
    name: str, item: str, summary: str, details: dict[str, Any], alerts: list[Alert]
) -> CheckResult:
    """A check's result whose status follows from its alerts."""
    return CheckResult(name, item, "alert" if alerts else "ok", summary, details, alerts)


def skipped(
    name: str, item: str, reason: str, details: dict[str, Any] | None = None
) -> CheckResult:
    """A check that could not run on this window; the reason says what it needs."""
    return CheckResult(name, item, "skipped", reason, details or {})
