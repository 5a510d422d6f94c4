"""Typed access to ``params.yaml``, the one file that configures the pipeline.

Pydantic turns a typo or a wrong value in ``params.yaml`` into an error that names the key
and the rule, before any stage does work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ProblemType = Literal["classification", "regression"]
DEFAULT_PARAMS_PATH = Path("params.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureParams(_Strict):
    numeric: list[str] = Field(min_length=0)
    categorical: list[str] = Field(min_length=0)
    derived: list[str] = Field(default_factory=list)

    @property
    def input_columns(self) -> list[str]:
        """Raw columns the model reads, in a fixed order (numeric first, then categorical)."""
        return [*self.numeric, *self.categorical]


class DataParams(_Strict):
    source: str
    raw_path: Path
    target: str
    features: FeatureParams

    @model_validator(mode="after")
    def _target_is_not_a_feature(self) -> DataParams:
        if self.target in self.features.input_columns:
            raise ValueError(f"target '{self.target}' must not also be listed as a feature")
        if not self.features.input_columns:
            raise ValueError("list at least one numeric or categorical feature")
        return self


class SchemaParams(_Strict):
    path: Path
    range_margin: float = Field(ge=0, le=1)
    max_categories: int = Field(ge=1)


class SplitParams(_Strict):
    test_size: float = Field(gt=0, lt=0.5)
    val_size: float = Field(gt=0, lt=0.5)
    output_dir: Path


class TrainParams(_Strict):
    estimator: Literal["hist_gradient_boosting", "random_forest", "linear"]
    hyperparameters: dict[str, dict[str, bool | int | float | str | None]]
    model_path: Path
    baseline_path: Path
    metrics_path: Path


class EvaluateParams(_Strict):
    metrics_path: Path
    plots_dir: Path


class GateParams(_Strict):
    metric: str
    min_improvement_over_baseline: float = Field(ge=0)
    max_regression_vs_production: float = Field(ge=0)
    production_metrics_path: Path
    report_path: Path


class MicroBatchParams(_Strict):
    max_rows: int = Field(ge=1)
    window_ms: float = Field(ge=0, le=100)


class ServingParams(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    max_batch_size: int = Field(ge=1)
    micro_batch: MicroBatchParams


class CanaryParams(_Strict):
    report_path: Path
    single_requests: int = Field(ge=0)
    startup_timeout_s: float = Field(gt=0)


class Params(_Strict):
    seed: int
    problem_type: ProblemType
    data: DataParams
    schema_: SchemaParams = Field(alias="schema")
    split: SplitParams
    train: TrainParams
    evaluate: EvaluateParams
    gate: GateParams
    serving: ServingParams
    canary: CanaryParams


class ParamsError(ValueError):
    """``params.yaml`` is missing, unreadable or breaks a rule."""


def load_params(path: str | Path = DEFAULT_PARAMS_PATH) -> Params:
    """Read and validate the pipeline parameters."""
    params_path = Path(path)
    try:
        raw = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ParamsError(f"{params_path} not found: run from the project root") from error
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        raise ParamsError(f"{params_path} is invalid: {problems}") from error
