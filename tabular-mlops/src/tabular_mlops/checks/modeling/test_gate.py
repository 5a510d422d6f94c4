"""A model is only promoted when it beats the baseline and production (ML Test Score infra-4)."""

from __future__ import annotations

import json

import pytest

from tabular_mlops.config import load_params
from tabular_mlops.modeling.gate import ProductionReference, check_gate
from tabular_mlops.modeling.metrics import LOWER_IS_BETTER

from ..support import copy_configuration, run_stage

pytestmark = pytest.mark.ml_test_score("infra-4")


@pytest.fixture
def gate_params(params, tmp_path):
    """The project's params with every gate file redirected into ``tmp_path``."""
    return params.model_copy(
        update={
            "evaluate": params.evaluate.model_copy(update={"metrics_path": tmp_path / "test.json"}),
            "gate": params.gate.model_copy(update={"report_path": tmp_path / "gate.json"}),
        }
    )


def _write(path, model, baseline, metric):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"model": {metric: model}, "baseline": {metric: baseline}}))


def _production(model, baseline, metric):
    metrics = {"model": {metric: model}, "baseline": {metric: baseline}}
    return ProductionReference("v1.0.0", metrics, "the production version's metrics")


def _values(gate, good):
    """A (model, baseline) pair where the model is better or worse by twice the margin."""
    gap = 2 * gate.min_improvement_over_baseline + 0.1
    better, worse = (1.0, 1.0 + gap) if gate.metric in LOWER_IS_BETTER else (0.5 + gap, 0.5)
    return (better, worse) if good else (worse, better)


def test_model_that_beats_the_baseline_passes(gate_params):
    metric = gate_params.gate.metric
    model, baseline = _values(gate_params.gate, good=True)
    _write(gate_params.evaluate.metrics_path, model, baseline, metric)
    result = check_gate(gate_params, None)
    assert result.passed, result.reasons
    assert json.loads(gate_params.gate.report_path.read_text())["passed"] is True


def test_model_worse_than_the_baseline_fails_naming_metric_and_threshold(gate_params):
    metric = gate_params.gate.metric
    model, baseline = _values(gate_params.gate, good=False)
    _write(gate_params.evaluate.metrics_path, model, baseline, metric)
    result = check_gate(gate_params, None)
    assert not result.passed
    (reason,) = result.reasons
    assert metric in reason
    assert "min_improvement_over_baseline" in reason


def test_model_that_regresses_against_production_fails(gate_params):
    metric = gate_params.gate.metric
    model, baseline = _values(gate_params.gate, good=True)
    _write(gate_params.evaluate.metrics_path, model, baseline, metric)
    margin = gate_params.gate.max_regression_vs_production * 2 + 0.01
    production = model - margin if metric in LOWER_IS_BETTER else model + margin
    result = check_gate(gate_params, _production(production, baseline, metric))
    assert not result.passed
    assert "max_regression_vs_production" in result.reasons[0]
    assert "v1.0.0" in result.reasons[0]  # the production version is named


def test_a_small_regression_within_the_margin_passes(gate_params):
    metric = gate_params.gate.metric
    model, baseline = _values(gate_params.gate, good=True)
    _write(gate_params.evaluate.metrics_path, model, baseline, metric)
    slack = gate_params.gate.max_regression_vs_production / 2
    production = model - slack if metric in LOWER_IS_BETTER else model + slack
    result = check_gate(gate_params, _production(production, baseline, metric))
    assert result.passed, result.reasons
    assert result.production == pytest.approx(production)


def test_a_metric_the_evaluation_did_not_compute_is_named(gate_params):
    _write(gate_params.evaluate.metrics_path, 0.9, 0.1, "some_metric")
    unknown = gate_params.model_copy(
        update={"gate": gate_params.gate.model_copy(update={"metric": "no_such_metric"})}
    )
    with pytest.raises(KeyError, match=r"'model.no_such_metric'.*gate.metric"):
        check_gate(unknown, None)


@pytest.mark.parametrize("command", ["gate", "register"])
def test_the_commands_name_a_missing_evaluation_or_metric(tmp_path, monkeypatch, command):
    copy_configuration(tmp_path)
    monkeypatch.chdir(tmp_path)
    missing = run_stage(command)
    assert missing.exit_code == 1
    assert missing.output.startswith("error: ")
    assert "run the pipeline up to 'evaluate'" in missing.output
    params = load_params("params.yaml")
    _write(params.evaluate.metrics_path, 0.9, 0.1, "some_metric")
    unknown = run_stage(command)
    assert unknown.exit_code == 1
    assert f"no 'model.{params.gate.metric}'" in unknown.output
