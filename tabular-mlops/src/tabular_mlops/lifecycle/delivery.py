"""Delivery metrics: the four "Accelerate" (DORA) measures of how models reach production.

Everything is read from the registry's Git tags and the Git history, nothing else, so the
numbers can be recomputed from any clone at any time:

- deployment frequency: production assignments per week, from the first one (or ``since``)
  until ``now``;
- lead time for changes: for each assignment that puts a version into production for the
  first time, the time from each new commit (reachable from that version's commit but not
  from the commit of the version it replaces) to the assignment; the median over all commits;
- change failure rate: the share of production assignments that were rolled back, that is,
  replaced by a version that was in production before and is older (lower SemVer);
- time to restore: for each rolled-back assignment, the time until the rollback; the median.

A metric that cannot be computed yet is None with the reason, never a made-up zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tabular_mlops.lifecycle.git import GitError, git

from ..errors import ProjectError
from .registry import PRODUCTION, Assignment, assignments, semver_key

# A rate over a shorter window says more about chance than about the team's pace.
MIN_WINDOW = timedelta(days=7)
HOUR = 3600.0


class DeliveryError(ProjectError, RuntimeError):
    """The metrics cannot be read; the message says why and what to do."""


@dataclass(frozen=True)
class Metric:
    """One delivery metric: its value, or None and the reason it has none."""

    value: float | None
    unit: str
    count: int  # how many observations the value is computed from
    reason: str | None = None


@dataclass(frozen=True)
class Deployment:
    """One assignment of the production stage, as the metrics see it."""

    version: str
    commit: str
    assigned_at: datetime
    first_time: bool  # the version had never been in production before
    rollback: bool  # it returned to an older version that was in production before
    rolled_back_at: datetime | None  # when the next assignment rolled it back, if one did


@dataclass(frozen=True)
class DeliveryReport:
    """The four metrics over the window ``start`` .. ``now``."""

    artifact: str
    stage: str
    now: datetime
    start: datetime | None  # None when nothing was ever deployed
    deployments: list[Deployment]  # those in the window
    deployment_frequency: Metric
    lead_time: Metric
    change_failure_rate: Metric
    time_to_restore: Metric
    message: str | None = None  # set when there is nothing to measure at all

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: times in ISO 8601 (UTC), durations in hours."""

        def metric(value: Metric) -> dict[str, Any]:
            return {
                "value": value.value,
                "unit": value.unit,
                "count": value.count,
                "reason": value.reason,
            }

        return {
            "artifact": self.artifact,
            "stage": self.stage,
            "window": {
                "start": _iso(self.start) if self.start else None,
                "end": _iso(self.now),
            },
            "message": self.message,
            "deployment_frequency": metric(self.deployment_frequency),
            "lead_time_for_changes": metric(self.lead_time),
            "change_failure_rate": metric(self.change_failure_rate),
            "time_to_restore": metric(self.time_to_restore),
            "deployments": [
                {
                    "version": made.version,
                    "commit": made.commit,
                    "assigned_at": _iso(made.assigned_at),
                    "first_time": made.first_time,
                    "rollback": made.rollback,
                    "rolled_back_at": _iso(made.rolled_back_at) if made.rolled_back_at else None,
                }
                for made in self.deployments
            ],
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def new_commit_times(root: Path, commit: str, previous: str | None) -> list[datetime]:
    """Committer times of the commits reachable from ``commit`` and not from ``previous``."""
    exclude = ["--not", previous] if previous else []
    listing = git(root, "log", "--format=%ct", commit, *exclude)
    return [datetime.fromtimestamp(int(line), UTC) for line in listing.split()]


def is_rollback(version: str, replaced: str, earlier: set[str]) -> bool:
    """Whether assigning ``version`` in place of ``replaced`` returns to an older version.

    Older means a lower SemVer (GTO's versions are ``v`` and a SemVer); a version that is
    not SemVer cannot be compared, so it is never counted as a rollback.
    """
    if version not in earlier:
        return False
    try:
        return bool(semver_key(version) < semver_key(replaced))
    except ValueError:
        return False


def deployments_of(history: Sequence[Assignment]) -> list[Deployment]:
    """Each assignment with what it was: a first deployment, a rollback, rolled back."""
    found: list[Deployment] = []
    seen: set[str] = set()
    for index, made in enumerate(history):
        rollback = index > 0 and is_rollback(made.version, history[index - 1].version, seen)
        first_time = made.version not in seen
        found.append(
            Deployment(made.version, made.commit, made.created_at, first_time, rollback, None)
        )
        seen.add(made.version)
        if rollback:  # the assignment it replaces failed
            found[index - 1] = replace(found[index - 1], rolled_back_at=made.created_at)
    return found


def _median_hours(durations: list[timedelta]) -> float:
    return statistics.median(duration.total_seconds() / HOUR for duration in durations)


def measure(
    history: Sequence[Assignment],
    commit_times: Callable[[str, str | None], list[datetime]],
    *,
    artifact: str,
    stage: str,
    now: datetime,
    since: datetime | None = None,
) -> DeliveryReport:
    """The four metrics from the stage's assignments, oldest first.

    ``commit_times(commit, previous)`` gives the committer times of the commits that
    ``commit`` adds to ``previous`` (None: all of its history). Assignments after ``now``
    are ignored; those before ``since`` only tell what was deployed before the window.
    """
    if now.tzinfo is None or (since is not None and since.tzinfo is None):
        raise ValueError("now and since must be timezone-aware datetimes")
    if since is not None and since > now:
        raise DeliveryError(f"--since {_iso(since)} is after the end of the window {_iso(now)}")
    history = [made for made in history if made.created_at <= now]
    if not history:
        none = f"no version of '{artifact}' has been assigned to '{stage}' yet"
        return DeliveryReport(
            artifact,
            stage,
            now,
            None,
            [],
            Metric(None, "per week", 0, none),
            Metric(None, "hours", 0, none),
            Metric(None, "share", 0, none),
            Metric(None, "hours", 0, none),
            message=(
                f"{none}: the delivery metrics start with the first production assignment "
                "(the `register` and `promote` commands; see docs/deployment.md)"
            ),
        )
    # The weeks before the first deployment say nothing about the pace of deployments.
    start = max(since or history[0].created_at, history[0].created_at)
    everything = deployments_of(history)
    window = [made for made in everything if made.assigned_at >= start]
    return DeliveryReport(
        artifact,
        stage,
        now,
        start,
        window,
        _frequency(window, start, now),
        _lead_time(everything, start, commit_times),
        _failure_rate(window),
        _time_to_restore(window),
    )


def _frequency(window: list[Deployment], start: datetime, now: datetime) -> Metric:
    span = now - start
    if span < MIN_WINDOW:
        return Metric(
            None,
            "per week",
            len(window),
            f"the window is {span.total_seconds() / 86400:.1f} days long; a weekly rate "
            f"needs at least {MIN_WINDOW.days} days",
        )
    return Metric(len(window) / (span / timedelta(weeks=1)), "per week", len(window))


def _lead_time(
    everything: list[Deployment],
    start: datetime,
    commit_times: Callable[[str, str | None], list[datetime]],
) -> Metric:
    durations: list[timedelta] = []
    for index, made in enumerate(everything):
        if made.assigned_at < start or not made.first_time:
            continue
        previous = everything[index - 1].commit if index > 0 else None
        durations += [made.assigned_at - moment for moment in commit_times(made.commit, previous)]
    if not durations:
        return Metric(
            None,
            "hours",
            0,
            "no assignment in the window put a version with new commits into production",
        )
    return Metric(_median_hours(durations), "hours", len(durations))


def _failure_rate(window: list[Deployment]) -> Metric:
    if not window:
        return Metric(None, "share", 0, "no production assignment in the window")
    failed = sum(made.rolled_back_at is not None for made in window)
    return Metric(failed / len(window), "share", len(window))


def _time_to_restore(window: list[Deployment]) -> Metric:
    restored = [made.rolled_back_at - made.assigned_at for made in window if made.rolled_back_at]
    if not restored:
        return Metric(None, "hours", 0, "no production assignment in the window was rolled back")
    return Metric(_median_hours(restored), "hours", len(restored))


def delivery_metrics(
    root: Path,
    artifact: str,
    *,
    stage: str = PRODUCTION,
    since: datetime | None = None,
    now: datetime | None = None,
) -> DeliveryReport:
    """The delivery metrics of the Git repository at ``root`` (``now``: the current time)."""
    try:
        git(root, "rev-parse", "--git-dir")
    except GitError as error:
        raise DeliveryError(
            f"{root} is not in a Git repository: the delivery metrics are read from the "
            f"registry's Git tags ({error})"
        ) from error
    try:
        return measure(
            assignments(root, artifact, stage),
            lambda commit, previous: new_commit_times(root, commit, previous),
            artifact=artifact,
            stage=stage,
            now=now or datetime.now(UTC),
            since=since,
        )
    except GitError as error:  # e.g. a tag whose commit is missing from a shallow clone
        raise DeliveryError(str(error)) from error


def _duration(hours: float) -> str:
    return f"{hours:.1f} h" if hours < 24 else f"{hours / 24:.1f} d"


def format_table(report: DeliveryReport) -> str:
    """The report as a few readable lines."""
    if report.message:
        return report.message
    assert report.start is not None
    start, end = report.start.astimezone(UTC), report.now.astimezone(UTC)
    lines = [
        f"Delivery metrics of '{report.artifact}' (stage '{report.stage}'), "
        f"{start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC "
        f"({(end - start).total_seconds() / 86400:.1f} days)"
    ]
    rows = [
        ("deployment frequency", report.deployment_frequency, "assignments"),
        ("lead time for changes", report.lead_time, "commits"),
        ("change failure rate", report.change_failure_rate, "assignments"),
        ("time to restore", report.time_to_restore, "rollbacks"),
    ]
    for name, metric, counted in rows:
        if metric.value is None:
            counts = f"; {counted}: {metric.count}" if metric.count else ""
            lines.append(f"  {name:<22} -  ({metric.reason}{counts})")
        else:
            lines.append(f"  {name:<22} {_show(metric):<20} {counted}: {metric.count}")
    return "\n".join(lines)


def _show(metric: Metric) -> str:
    value = metric.value or 0.0
    if metric.unit == "per week":
        return f"{value:.2f} per week"
    if metric.unit == "share":
        return f"{value:.0%}"
    return f"{_duration(value)} (median)"
