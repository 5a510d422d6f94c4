"""In-process ``model.predict`` latency of a generated project's trained model, one thread.

Run by bench.serving with the project's interpreter, in the project's folder:

    uv run --frozen python PATH/predict_rate.py PACKAGE ROWS

Prints one JSON line: p50, p99 and calls per second for one test-set row and for a batch
of ROWS rows sampled from the test set.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

MAX_CALLS = 2000


def rate(predict: Any, frame: pd.DataFrame, seconds: float = 3.0) -> dict[str, float]:
    predict(frame)
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and len(times) < MAX_CALLS:
        start = time.perf_counter()
        predict(frame)
        times.append(time.perf_counter() - start)
    times.sort()
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    return {"calls_per_s": 1 / p50, "p50_ms": 1000 * p50, "p99_ms": 1000 * p99}


def main(package: str, rows: int) -> None:
    config = importlib.import_module("tabular_mlops.config")
    registry = importlib.import_module("tabular_mlops.modeling.registry")
    params = config.load_params("params.yaml")
    model = registry.load_model(params.train.model_path)
    threadpool_limits(1)  # one native thread once the model is loaded, as the server does
    test = pd.read_csv(params.split.output_dir / "test.csv")[params.data.features.input_columns]
    batch = test.sample(rows, replace=True, random_state=0).reset_index(drop=True)
    one_row = rate(model.predict, test.iloc[:1])
    print(json.dumps({"one_row": one_row, "batch": rate(model.predict, batch)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
