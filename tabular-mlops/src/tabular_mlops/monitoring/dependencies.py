"""Dependency drift (monitor-1): is the model served with the library versions it was trained
with?

``train`` records ``environment.runtime_environment()`` in the model's metadata (Python's version
and every runtime dependency, followed transitively); the server writes the same record to
``serving-environment.json`` beside its prediction log when it starts. A pickled scikit-learn
model run under another scikit-learn, NumPy or SciPy may compute other numbers, or fail, so any
difference is reported. Retraining would not fix a server built from the wrong lock file:
it is investigated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tabular_mlops.monitoring.checks import Alert, CheckResult, result, skipped

ITEM = "monitor-1"
SERVING_ENVIRONMENT = "serving-environment.json"


def differences(training: dict[str, Any], serving: dict[str, Any]) -> dict[str, Any]:
    """What differs: Python's version, and each package as [training, serving] (None: absent)."""
    trained, served = training.get("packages", {}), serving.get("packages", {})
    packages = {
        name: [trained.get(name), served.get(name)]
        for name in sorted(set(trained) | set(served))
        if trained.get(name) != served.get(name)
    }
    found: dict[str, Any] = {"packages": packages}
    if training.get("python") != serving.get("python"):
        found["python"] = [training.get("python"), serving.get("python")]
    return found


def check_dependencies(metadata: dict[str, Any], log_dir: Path) -> CheckResult:
    training = metadata.get("environment")
    if not isinstance(training, dict):
        return skipped(
            "dependencies", ITEM, "the model's metadata has no training environment: retrain it"
        )
    path = log_dir / SERVING_ENVIRONMENT
    try:
        serving = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return skipped("dependencies", ITEM, f"no {path}: the server writes it when it starts")
    except ValueError:
        return skipped("dependencies", ITEM, f"{path} is not valid JSON")
    found = differences(training, serving)
    alerts = [
        Alert(
            "dependencies",
            name,
            f"{name} {trained or '(absent)'} at training, {served or '(absent)'} when serving",
            "investigate",
        )
        for name, (trained, served) in found["packages"].items()
    ]
    if "python" in found:
        trained, served = found["python"]
        alerts.insert(
            0,
            Alert(
                "dependencies",
                "python",
                f"Python {trained} at training, {served} when serving",
                "investigate",
            ),
        )
    summary = (
        f"{len(alerts)} difference(s) between the training and serving environments "
        f"({len(training.get('packages', {}))} packages compared)"
    )
    return result("dependencies", ITEM, summary, {"serving_file": str(path), **found}, alerts)
