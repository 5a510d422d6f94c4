"""The slice and inclusion checks' failure rates on real datasets with no planted defect.

Run by bench.group_checks with a generated project's interpreter, in the project's folder:

    uv run --frozen python PATH/group_checks.py PACKAGE SPEC.json

SPEC lists datasets (a CSV, its target, problem type and inclusion attribute or null). Each
is split 80/20 with a seed; a histogram gradient-boosting model fitted on the 80% predicts
the 20%, and the project's ``modeling.calibration.false_alarms`` runs both checks on 100
permuted and 100 resampled copies of that test split, with the project's params.yaml
settings. Prints one JSON line: the figures per dataset.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split

RESAMPLES = 100


def _features(frame: pd.DataFrame, target: str) -> dict[str, list[str]]:
    numeric = [c for c in frame if c != target and pd.api.types.is_numeric_dtype(frame[c])]
    boolean = [c for c in numeric if pd.api.types.is_bool_dtype(frame[c])]
    categorical = [c for c in frame if c != target and c not in numeric]
    numeric = [c for c in numeric if c not in boolean]
    return {"numeric": numeric, "categorical": categorical, "boolean": boolean}


def _held_out(frame: pd.DataFrame, target: str, problem_type: str, seed: int) -> Any:
    columns = [c for c in frame if c != target]
    encoded = frame[columns].copy()
    categorical = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c])]
    for column in categorical:
        encoded[column] = encoded[column].astype("category").cat.codes.replace(-1, np.nan)
    stratify = frame[target] if problem_type == "classification" else None
    train, test = train_test_split(frame.index, test_size=0.2, random_state=seed, stratify=stratify)
    mask = [c in categorical for c in columns]
    kind = (
        HistGradientBoostingClassifier
        if problem_type == "classification"
        else HistGradientBoostingRegressor
    )
    model = kind(categorical_features=mask, random_state=seed)
    model.fit(encoded.loc[train], frame.loc[train, target])
    return frame.loc[test].reset_index(drop=True), model.predict(encoded.loc[test])


def _adapted(config: Any, params: Any, spec: dict[str, Any], frame: pd.DataFrame) -> Any:
    """The project's params, pointed at this dataset's target, features and attribute."""
    regression = spec["problem_type"] == "regression"
    features = config.FeatureParams(**_features(frame, spec["target"]))
    evaluate = params.evaluate
    slices = evaluate.slices.model_copy(update={"max_gap": spec["max_gap"]})
    inclusion = evaluate.inclusion.model_copy(
        update={
            "attribute": spec["attribute"],
            "reason": "none in these data",
            "max_metric_gap": spec["max_gap"],
        }
    )
    return params.model_copy(
        update={
            "problem_type": spec["problem_type"],
            "data": params.data.model_copy(update={"target": spec["target"], "features": features}),
            "gate": params.gate.model_copy(update={"metric": "rmse" if regression else "f1_macro"}),
            "evaluate": evaluate.model_copy(update={"slices": slices, "inclusion": inclusion}),
        }
    )


def main(package: str, spec_path: str) -> None:
    config = importlib.import_module("tabular_mlops.config")
    calibration = importlib.import_module("tabular_mlops.modeling.calibration")
    params = config.load_params()
    results = {}
    with open(spec_path, encoding="utf-8") as file:
        specs = json.load(file)
    for spec in specs:
        frame = pd.read_csv(spec["csv"]).dropna(subset=[spec["target"]])
        problem_type = spec["problem_type"]
        test, predicted = _held_out(frame, spec["target"], problem_type, params.seed)
        regression = problem_type == "regression"
        truth = test[spec["target"]].to_numpy(dtype=float if regression else object)
        if not regression:
            truth, predicted = truth.astype(str), np.asarray(predicted).astype(str)
        adapted = _adapted(config, params, spec, frame)
        start = time.perf_counter()
        figures = calibration.false_alarms(test, truth, predicted, adapted, RESAMPLES)
        figures["seconds"] = round(time.perf_counter() - start, 1)
        results[spec["name"]] = figures
        print(spec["name"], figures, file=sys.stderr, flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
