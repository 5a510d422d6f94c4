"""Run every check on one window of traffic and decide what the outcome asks for.

Exit codes (the ``monitor`` command and ``.github/workflows/monitor.yml`` use them):
- 0: healthy, no alert;
- 10: retraining is needed: an alert whose remedy is a model trained on newer data (drift,
  new categories, staleness, lower quality);
- 11: attention is needed, but retraining would not help (a slower server, NaN inputs,
  other library versions when serving): a person looks, nothing is retrained;
- 1 and 2 are errors (bad input, bad params.yaml), raised by the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tabular_mlops.config import Params
from tabular_mlops.data.schema import load_data_schema
from tabular_mlops.modeling.registry import ModelIntegrityError, load_metadata
from tabular_mlops.monitoring.checks import CheckResult, MonitorInputError
from tabular_mlops.monitoring.dependencies import check_dependencies
from tabular_mlops.monitoring.drift import check_drift
from tabular_mlops.monitoring.invariants import check_invariants
from tabular_mlops.monitoring.performance import check_performance
from tabular_mlops.monitoring.records import Window, read_window
from tabular_mlops.monitoring.reference import Reference, load_reference, reference_path
from tabular_mlops.monitoring.stability import check_stability
from tabular_mlops.monitoring.staleness import check_staleness

from .quality import check_quality, load_labels

EXIT_HEALTHY = 0
EXIT_RETRAIN = 10
EXIT_ATTENTION = 11


@dataclass(frozen=True)
class MonitorOptions:
    """What the command line may override; None means the value in params.yaml."""

    log_dir: Path | None = None
    since: datetime | None = None
    until: datetime | None = None
    last: int | None = None
    labels: Path | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class MonitorReport:
    generated_at: datetime
    window: dict[str, Any]
    model_version: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def alerts(self) -> list[Any]:
        return [alert for check in self.checks for alert in check.alerts]

    @property
    def exit_code(self) -> int:
        actions = {alert.action for alert in self.alerts}
        if "retrain" in actions:
            return EXIT_RETRAIN
        return EXIT_ATTENTION if actions else EXIT_HEALTHY

    @property
    def status(self) -> str:
        return {EXIT_HEALTHY: "healthy", EXIT_RETRAIN: "retrain needed"}.get(
            self.exit_code, "attention needed"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "generated_at": self.generated_at.isoformat(),
            "model_version": self.model_version,
            "window": self.window,
            "alerts": [alert.__dict__ for alert in self.alerts],
            "checks": {check.name: check.to_dict() for check in self.checks},
        }


def _served_by_reference_model(window: Window, reference: Reference) -> Window:
    """The window's records served by the model the reference belongs to."""
    served = window.frame["model_version"] == reference.model_version
    if served.all():
        return window
    if not served.any():
        versions = ", ".join(sorted(window.frame["model_version"].unique()))
        raise MonitorInputError(
            f"the window's records were served by model version(s) {versions}, but the reference "
            f"beside the model is for {reference.model_version}: monitor with the model that "
            "served them (`restore` its version, then pass --params with its model_dir)"
        )
    others = int((~served).sum())
    return Window(
        window.frame[served].reset_index(drop=True),
        window.inputs[served].reset_index(drop=True),
        window.log_dir,
        window.skipped_lines,
        [*window.problems, f"{others} record(s) of other model versions left out"],
        window.unrecorded,
    )


def load_window(params: Params, root: Path, options: MonitorOptions) -> Window:
    last = options.last
    if last is None and options.since is None and options.until is None:
        last = params.monitoring.window.last
    log_dir = options.log_dir or root / params.monitoring.log.dir
    return read_window(
        log_dir,
        params.data.features.input_columns,
        last=last,
        since=options.since,
        until=options.until,
    )


def run_checks(
    params: Params, root: Path, reference: Reference, window: Window, options: MonitorOptions
) -> list[CheckResult]:
    now = options.now or datetime.now(UTC)
    labels = load_labels(root, params, options.labels)
    try:
        schema = load_data_schema(root / params.schema_.path)
    except FileNotFoundError as error:
        raise MonitorInputError(str(error)) from error
    try:
        metadata = load_metadata(root / params.train.model_path)
    except ModelIntegrityError:
        metadata = {}
    return [
        check_drift(reference, window, params),
        check_invariants(reference, window, schema, params),
        check_stability(reference, window, params),
        check_staleness(reference, root, params, now),
        check_performance(window, root, params, reference.model_version),
        check_quality(reference, window, root, params, labels),
        check_dependencies(metadata, window.log_dir),
    ]


def run_monitor(
    params: Params, root: Path, options: MonitorOptions | None = None
) -> tuple[MonitorReport, Reference, Window]:
    """Check the window that ``options`` select; the reference and window come back too, for
    the HTML report."""
    options = options or MonitorOptions()
    reference = load_reference(root / reference_path(params))
    window = _served_by_reference_model(load_window(params, root, options), reference)
    checks = run_checks(params, root, reference, window, options)
    report = MonitorReport(
        options.now or datetime.now(UTC), window.describe(), reference.model_version, checks
    )
    return report, reference, window


def format_summary(report: MonitorReport) -> str:
    """The terminal summary: one line per check, then each alert."""
    window = report.window
    lines = [
        f"monitor: {report.status} (exit {report.exit_code}); model {report.model_version}, "
        f"{window['records']} records from {window['start']} to {window['end']}"
    ]
    if window["skipped_lines"]:
        lines.append(f"  ({window['skipped_lines']} unreadable log line(s) skipped)")
    for check in report.checks:
        lines.append(f"  {check.status:<7} {check.name:<12} {check.item:<9} {check.summary}")
    for alert in report.alerts:
        lines.append(f"  ! [{alert.action}] {alert.check}: {alert.message}")
    return "\n".join(lines)
