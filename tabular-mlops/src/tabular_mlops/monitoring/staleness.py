"""Staleness (monitor-4): how old the model and its training data are, against limits.

Neither age may be stored in a pipeline output: a wall-clock time in ``model.meta.json`` would
change the file on every run, and a fresh clone's ``dvc repro`` must reproduce every output
byte for byte. Git already knows both moments. ``dvc.lock`` records the hash of each stage's
outputs, and is committed after each pipeline run, so:

- the model's age counts from the first commit whose ``dvc.lock`` holds the current hash of
  the train stage's output (``train.model_dir``): when this exact model was first recorded;
- the training data's age counts from the newest value of ``monitoring.staleness.time_column``
  in the training split when that is set (the reference records it), else from the first
  commit whose ``dvc.lock`` holds the current hash of ``data.raw_path``: since when the data
  has not changed.

A model trained but not committed yet has no age: the check says so and raises nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tabular_mlops.config import Params
from tabular_mlops.lifecycle.git import GitError, git
from tabular_mlops.monitoring.checks import Alert, CheckResult, result

from .. import safe_yaml
from .reference import Reference

ITEM = "monitor-4"
LOCK_FILE = "dvc.lock"


def locked_hash(root: Path, stage: str, output: Path) -> str | None:
    """The hash ``dvc.lock`` records for ``output`` of ``stage``, if it records one."""
    try:
        lock = safe_yaml.safe_load((root / LOCK_FILE).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return None
    for entry in (lock.get("stages", {}).get(stage) or {}).get("outs", []):
        if Path(entry.get("path", "")) == output:
            return str(entry.get("md5") or "") or None
    return None


def first_committed(root: Path, text: str) -> datetime | None:
    """The committer time of the first commit whose ``dvc.lock`` added ``text``."""
    try:
        log = git(root, "log", "--reverse", "--format=%cI", f"-S{text}", "--", LOCK_FILE)
    except GitError:
        return None  # not a Git repository, or no git
    lines = log.split()
    return datetime.fromisoformat(lines[0]) if lines else None


def model_trained_at(root: Path, params: Params) -> datetime | None:
    """When the current model was first committed (None: not committed yet, or no Git)."""
    digest = locked_hash(root, "train", params.train.model_dir)
    return first_committed(root, digest) if digest else None


def data_time(root: Path, params: Params, reference: Reference) -> tuple[datetime | None, str]:
    """How recent the training data is, and where that figure comes from."""
    column = params.monitoring.staleness.time_column
    if column is not None:
        if reference.newest_data_time is None:
            return None, f"no value in time column '{column}' of the training split"
        return datetime.fromisoformat(reference.newest_data_time), f"newest '{column}' value"
    digest = locked_hash(root, "ingest", params.data.raw_path)
    moment = first_committed(root, digest) if digest else None
    return moment, f"first commit of {params.data.raw_path}'s current content"


def _age(
    name: str, moment: datetime | None, limit: float, now: datetime
) -> tuple[dict[str, Any], Alert | None]:
    if moment is None:
        return {"since": None, "age_days": None, "limit_days": limit}, None
    age = (now - moment).total_seconds() / 86400
    figures = {"since": moment.isoformat(), "age_days": round(age, 2), "limit_days": limit}
    if age <= limit:
        return figures, None
    subject = "model" if name == "model" else "training data"
    return figures, Alert(
        "staleness",
        subject,
        f"the {subject} is {age:.0f} days old (since {moment.date()}), over the limit of "
        f"{limit:g} days",
        "retrain",
    )


def _days(figures: dict[str, Any]) -> str:
    return "unknown" if figures["age_days"] is None else f"{figures['age_days']:g} days"


def check_staleness(reference: Reference, root: Path, params: Params, now: datetime) -> CheckResult:
    settings = params.monitoring.staleness
    model, model_alert = _age(
        "model", model_trained_at(root, params), settings.max_model_age_days, now
    )
    moment, source = data_time(root, params, reference)
    data, data_alert = _age("data", moment, settings.max_data_age_days, now)
    data["source"] = source
    alerts = [alert for alert in (model_alert, data_alert) if alert is not None]
    unknown = [
        name for name, figures in (("model", model), ("data", data)) if figures["since"] is None
    ]
    summary = (
        f"age of the model: {_days(model)} (limit {settings.max_model_age_days:g}), "
        f"of the training data: {_days(data)} (limit {settings.max_data_age_days:g})"
    )
    if unknown:
        summary += f"; {' and '.join(unknown)}: not in a committed dvc.lock yet"
    return result("staleness", ITEM, summary, {"model": model, "data": data}, alerts)
