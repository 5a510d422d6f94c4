"""The impact of model staleness is known (ML Test Score model-4).

The staleness-impact stage trains one model on the oldest part of the data and scores it on
the rows of its own period it did not see (age 0) and on each newer part. The stage runs here,
through the command line as dvc.yaml runs it, on the trained workspace's data; the tests check
that its curve is whole and believable, and that a change planted in the newest rows shows.
"""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
import yaml

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.ingest import read_raw
from tabular_mlops.data.split import learnable_rows
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.metrics import LOWER_IS_BETTER, regression_of
from tabular_mlops.modeling.staleness_impact import (
    CURVE_COLUMNS,
    SIMULATED_ORDER,
    assign_parts,
    capped,
    staleness_curve,
    time_order,
)

from ..support import run_stage

pytestmark = pytest.mark.ml_test_score("model-4")

UNIT_METRICS = {"accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc"}


@pytest.fixture(scope="module")
def stage_run(trained_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The stage's outputs (written outside the shared workspace) and its parameters."""
    out = tmp_path_factory.mktemp("staleness")
    raw = yaml.safe_load((trained_workspace / "params.yaml").read_text(encoding="utf-8"))
    raw["staleness_impact"].update(
        metrics_path=str(out / "staleness.json"), plot_path=str(out / "staleness.csv")
    )
    params_path = out / "params.yaml"
    params_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with contextlib.chdir(trained_workspace):
        result = run_stage("staleness-impact", "--params", str(params_path))
    assert result.exit_code == 0, result.output
    params = load_params(params_path)
    summary = json.loads((out / "staleness.json").read_text(encoding="utf-8"))
    return {
        "params": params,
        "summary": summary,
        "curve": pd.read_csv(out / "staleness.csv"),
        "test": json.loads((trained_workspace / params.evaluate.metrics_path).read_text()),
        "raw": capped(read_raw(trained_workspace / params.data.raw_path), params),
        "workspace": trained_workspace,
    }


@pytest.fixture(scope="module")
def curve(stage_run: dict[str, Any]) -> pd.DataFrame:
    if stage_run["summary"]["reason"]:
        not_applicable(stage_run["summary"]["reason"])  # a single part, or a single class
    if stage_run["summary"]["order"].startswith(SIMULATED_ORDER):
        # No time column to age the model along: the row order (or a shuffle of a file sorted
        # by the target) is not time, and a curve over it measures sampling noise.
        not_applicable(
            f"{stage_run['summary']['order']}: set staleness_impact.time_column to measure ageing"
        )
    return cast(pd.DataFrame, stage_run["curve"])


def _as_time(values: pd.Series) -> pd.Series:
    """A time column's values, or the curve's first/last texts, as comparable times."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype(str)
    if text.str.startswith("row ").all():  # a simulated time: row numbers
        return text.str.removeprefix("row ").astype(float)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return numbers
    return pd.to_datetime(values, utc=True, errors="coerce", format="mixed")


def _margin(params: Params, test: dict[str, Any]) -> float:
    """How much better than the baseline the project's model scores on the test split."""
    metric = params.gate.metric
    return abs(regression_of(metric, test["baseline"][metric], test["model"][metric]))


def test_the_curve_has_a_point_for_every_part_in_age_order(curve, stage_run):
    params, summary, raw = stage_run["params"], stage_run["summary"], stage_run["raw"]
    metric = params.gate.metric
    # the columns dvc.yaml plots: x is the age, y the gate metric
    assert list(curve.columns) == [*CURVE_COLUMNS, metric]
    assert len(curve) == summary["points"] >= 2
    assert curve["age"].tolist() == list(range(len(curve)))
    assert (curve["rows"] > 0).all()
    # every usable row is in one place: trained on, scored in time, or in a newer part (a
    # labelled row of a class split.min_class_rows does not leave out)
    usable, _ = learnable_rows(
        raw, params.data.target, params.problem_type, params.split.min_class_rows
    )
    column = params.time_column
    if column is not None:
        usable = usable[_as_time(usable[column]).notna()]
    assert summary["train_rows"] + curve["rows"].sum() == len(usable)
    # each newer part starts after the one before it ends (rows sharing a time stay together)
    first, last = _as_time(curve["first"]), _as_time(curve["last"])
    assert (first <= last).all()
    assert (first.iloc[1:].to_numpy() > last.iloc[:-1].to_numpy()).all(), curve


def test_each_point_is_a_value_the_metric_can_take(curve, stage_run):
    metric = stage_run["params"].gate.metric
    values = curve[metric].to_numpy(dtype=float)
    assert np.isfinite(values).all(), curve
    if metric in UNIT_METRICS:
        assert ((values >= 0) & (values <= 1)).all(), curve
    elif metric in LOWER_IS_BETTER:
        assert (values >= 0).all(), curve
    else:  # r2
        assert (values <= 1).all(), curve
    summary = stage_run["summary"]
    assert summary["in_time"] == values[0]
    assert summary["newest"] == values[-1]
    assert math.isfinite(summary["drop_per_part"])


def test_the_in_time_point_is_close_to_what_the_model_scores_in_time(curve, stage_run):
    """Trained on fewer rows, the curve's model may score a little below the project's
    model on its test split, but it must keep most of its margin over the baseline. The
    in-time point is scored on few rows, so chance is allowed for: the test fails only when
    even its best value at 95% confidence (``in_time_best``) loses more than that."""
    params, test, summary = stage_run["params"], stage_run["test"], stage_run["summary"]
    metric = params.gate.metric
    assert summary["in_time"] == float(curve[metric].iloc[0])
    assert regression_of(metric, summary["in_time_best"], summary["in_time"]) <= 0
    loss = regression_of(metric, summary["in_time_best"], test["model"][metric])
    allowed = params.staleness_impact.in_time_tolerance * _margin(params, test)
    assert loss <= allowed, (
        f"{metric} in time {summary['in_time']} (at best {summary['in_time_best']} at 95% "
        f"confidence) vs {test['model'][metric]} for the model on its test split: "
        f"{loss:.4g} worse, more than staleness_impact.in_time_tolerance allows ({allowed:.4g})"
    )


def test_a_change_planted_in_the_newest_rows_shows_in_the_curve(curve, stage_run):
    """The labels of the newest part are shuffled, as if the world had changed: the curve's
    newest point must fall by most of the model's margin over the baseline."""
    params, test = stage_run["params"], stage_run["test"]
    metric = params.gate.metric
    ordered = time_order(stage_run["raw"], params)
    settings = params.staleness_impact
    parts = assign_parts(ordered.times, settings.train_share, settings.parts)
    changed = ordered.frame.copy()
    newest = parts == parts.max()
    target = changed[params.data.target]
    rng = np.random.default_rng(params.seed)
    changed.loc[newest, params.data.target] = rng.permutation(target[newest].to_numpy())
    # The rows the stage kept stay kept: shuffled labels make exact copies of a row differ,
    # and a class of 9 distinct rows could reach split.min_class_rows (health-breaches).
    split = params.split.model_copy(update={"min_class_rows": 1})
    with contextlib.chdir(stage_run["workspace"]):  # its tuned hyperparameters
        planted = staleness_curve(changed, params.model_copy(update={"split": split}))
    assert planted.reason is None, planted.reason
    values = planted.points[metric].to_numpy(dtype=float)
    drop = regression_of(metric, values[-1], values[0])
    assert drop > 0.5 * _margin(params, test), planted.points
    # the parts before the newest are as the stage found them
    assert np.allclose(values[:-1], curve[metric].to_numpy(dtype=float)[:-1])
