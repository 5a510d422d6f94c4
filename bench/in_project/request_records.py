"""A generated project's test-set rows as the JSON records a client sends to ``/predict``.

Run by bench.serving with the project's interpreter, in the project's folder:

    uv run --frozen python PATH/request_records.py PACKAGE

Prints one JSON list.
"""

from __future__ import annotations

import importlib
import json
import sys

import pandas as pd


def main(package: str) -> None:
    config = importlib.import_module("tabular_mlops.config")
    frames = importlib.import_module("tabular_mlops.serving.frames")
    params = config.load_params("params.yaml")
    test = pd.read_csv(params.split.output_dir / "test.csv")[params.data.features.input_columns]
    print(json.dumps(frames.frame_to_records(test)))


if __name__ == "__main__":
    main(sys.argv[1])
