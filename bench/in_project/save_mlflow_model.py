"""Save a generated project's trained model as an MLflow model, for `mlflow models serve`.

Run by bench.serving in an overlay of the project's environment that adds MLflow:

    uv run --frozen --with mlflow python PATH/save_mlflow_model.py PACKAGE DESTINATION

Prints MLflow's version as a JSON string.
"""

from __future__ import annotations

import importlib
import json
import sys

import mlflow.sklearn


def main(package: str, destination: str) -> None:
    config = importlib.import_module("tabular_mlops.config")
    registry = importlib.import_module("tabular_mlops.modeling.registry")
    model = registry.load_model(config.load_params("params.yaml").train.model_path)
    mlflow.sklearn.save_model(model, destination, serialization_format="cloudpickle")
    print(json.dumps(mlflow.__version__))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
