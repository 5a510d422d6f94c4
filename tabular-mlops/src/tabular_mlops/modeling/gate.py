"""The model gate: a model is promoted only if it beats the baseline and the production model.

Two rules, both configured in ``params.yaml`` under ``gate``:
1. the model beats the trivial baseline on the test set by at least
   ``min_improvement_over_baseline`` on ``metric``;
2. when a version is in production (the registry's ``prod`` stage), the model is not worse
   than that version's recorded test metrics by more than ``max_regression_vs_production``.

The caller finds the production version and its metrics (see lifecycle/registry.py), so the
rules here stay pure and testable without Git.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from tabular_mlops.atomic import write_json
from tabular_mlops.config import Params

from .metrics import is_improvement, regression_of


@dataclass(frozen=True)
class GateResult:
    passed: bool
    metric: str
    model: float
    baseline: float
    production: float | None
    production_version: str | None
    reasons: list[str]


@dataclass(frozen=True)
class ProductionReference:
    """The version in production and the test metrics recorded with it."""

    version: str
    metrics: dict[str, dict[str, float]]
    source: str  # where the metrics were read, for error messages


def _metric(metrics: dict[str, dict[str, float]], who: str, metric: str, source: object) -> float:
    try:
        return float(metrics[who][metric])
    except KeyError as error:
        raise KeyError(
            f"{source} has no '{who}.{metric}': check gate.metric in params.yaml"
        ) from error


def check_gate(params: Params, reference: ProductionReference | None) -> GateResult:
    """Apply both gate rules to the test metrics and write the gate report.

    ``reference`` is the production version, None while no version is in production.
    """
    gate = params.gate
    test_metrics = json.loads(params.evaluate.metrics_path.read_text(encoding="utf-8"))
    model = _metric(test_metrics, "model", gate.metric, params.evaluate.metrics_path)
    baseline = _metric(test_metrics, "baseline", gate.metric, params.evaluate.metrics_path)
    reasons = []
    if not is_improvement(gate.metric, model, baseline, gate.min_improvement_over_baseline):
        reasons.append(
            f"{gate.metric}={model:.4f} does not beat the baseline's {baseline:.4f} by the "
            "required margin gate.min_improvement_over_baseline="
            f"{gate.min_improvement_over_baseline}"
        )
    production = None
    if reference is not None:
        production = _metric(reference.metrics, "model", gate.metric, reference.source)
        loss = regression_of(gate.metric, model, production)
        if loss > gate.max_regression_vs_production:
            reasons.append(
                f"{gate.metric}={model:.4f} is {loss:.4f} worse than the production model "
                f"{reference.version}'s {production:.4f}, more than "
                f"gate.max_regression_vs_production={gate.max_regression_vs_production}"
            )
    version = reference.version if reference else None
    result = GateResult(not reasons, gate.metric, model, baseline, production, version, reasons)
    write_json(gate.report_path, asdict(result))
    return result
