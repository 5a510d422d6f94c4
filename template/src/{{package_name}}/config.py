"""Typed access to ``params.yaml``, the one file that configures the pipeline.

Pydantic turns a typo or a wrong value in ``params.yaml`` into an error that names the key
and the rule, before any stage does work.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import DEFAULT_PARAMS_PATH  # defined in __init__ so that `--help` need not import this

ProblemType = Literal["classification", "regression"]
HyperparameterValue = bool | int | float | str | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureParams(_Strict):
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    boolean: list[str] = Field(default_factory=list)
    derived: list[str] = Field(default_factory=list)

    @property
    def input_columns(self) -> list[str]:
        """Raw columns the model reads, in a fixed order: numeric, categorical, boolean."""
        return [*self.numeric, *self.categorical, *self.boolean]


class CsvParams(_Strict):
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None


class DataParams(_Strict):
    source: str = Field(min_length=1)
    query: str | None = None
    csv: CsvParams = CsvParams()
    raw_path: Path
    target: str = Field(min_length=1)
    features: FeatureParams

    @model_validator(mode="after")
    def _features_are_usable(self) -> DataParams:
        columns = self.features.input_columns
        if self.target in columns:
            raise ValueError(f"target '{self.target}' must not also be listed as a feature")
        if not columns:
            raise ValueError(
                "no feature columns are listed: run the 'adopt' command to choose them "
                "from the data, or list them under data.features"
            )
        repeated = sorted({name for name in columns if columns.count(name) > 1})
        if repeated:
            raise ValueError(f"feature(s) {repeated} are listed more than once")
        return self


class SchemaParams(_Strict):
    path: Path
    range_margin: float = Field(ge=0, le=1)
    max_categories: int = Field(ge=1)
    missing_margin: float = Field(ge=0, le=1)
    duplicate_margin: float = Field(ge=0, le=1)
    min_rows: int = Field(ge=3)


class ReportParams(_Strict):
    report_path: Path


class SplitParams(_Strict):
    test_size: float = Field(gt=0, lt=0.5)
    val_size: float = Field(gt=0, lt=0.5)
    output_dir: Path


class TrainParams(_Strict):
    estimator: Literal["hist_gradient_boosting", "random_forest", "linear"]
    hyperparameters: dict[str, dict[str, HyperparameterValue]]
    model_dir: Path
    live_dir: Path  # DVCLive's record of the run (modeling/tracking.py)

    @property
    def metrics_path(self) -> Path:
        """The validation metrics of the model and the baseline, written by DVCLive."""
        return self.live_dir / "metrics.json"

    @property
    def model_path(self) -> Path:
        """The candidate model (its metadata is ``model.meta.json`` beside it)."""
        return self.model_dir / "model.pkl"

    @property
    def baseline_path(self) -> Path:
        """The trivial baseline the gate compares the model with."""
        return self.model_dir / "baseline.pkl"


class TuneParams(_Strict):
    enabled: bool
    budget: int = Field(ge=1)  # candidates sampled from the estimator's space
    cv_folds: int = Field(ge=2)
    output_path: Path
    # estimator -> hyperparameter -> candidate values
    space: dict[str, dict[str, list[HyperparameterValue]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _candidates_are_listed(self) -> TuneParams:
        empty = [
            f"{estimator}.{name}"
            for estimator, grid in self.space.items()
            for name, values in grid.items()
            if not values
        ]
        if empty:
            raise ValueError(f"tune.space lists no candidate for {empty}")
        return self


class PlotParams(_Strict):
    template: str
    x: str
    y: str
    title: str


class EvaluatePlotsParams(_Strict):
    predictions: PlotParams
    curve: PlotParams


class EvaluateParams(_Strict):
    metrics_path: Path
    plots_dir: Path
    plots: EvaluatePlotsParams


class GateParams(_Strict):
    metric: str
    min_improvement_over_baseline: float = Field(ge=0)
    max_regression_vs_production: float = Field(ge=0)
    report_path: Path


class RegistryParams(_Strict):
    restore_dir: Path  # where `restore` and `rollback` put a version's verified model


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
    max_rows: int = Field(gt=0)
    single_requests: int = Field(ge=0)
    startup_timeout_s: float = Field(gt=0)


class MlflowParams(_Strict):
    """Where ``train`` also logs each run when the project was made with MLflow."""

    store: Path  # the local SQLite store; MLFLOW_TRACKING_URI, when set, wins
    experiment: str = Field(min_length=1)


class Params(_Strict):
    seed: int
    problem_type: ProblemType
    data: DataParams
    schema_: SchemaParams = Field(alias="schema")
    ingest: ReportParams
    validate_: ReportParams = Field(alias="validate")
    adopt: ReportParams
    split: SplitParams
    train: TrainParams
    tune: TuneParams
    evaluate: EvaluateParams
    gate: GateParams
    registry: RegistryParams
    serving: ServingParams
    canary: CanaryParams
    mlflow: MlflowParams | None = None  # only in projects made with experiment_tracking=mlflow


class ParamsError(ValueError):
    """``params.yaml`` is missing, unreadable or breaks a rule."""


def _describe(item: Any, raw: Any) -> str:
    """One pydantic error as 'key.path: rule', with the allowed keys for an unknown key."""
    location = [str(part) for part in item["loc"]]
    where = ".".join(location)
    if item["type"] != "extra_forbidden":
        return f"{where}: {item['msg']}"
    section = raw
    for part in location[:-1]:
        section = section.get(part, {}) if isinstance(section, dict) else {}
    model: Any = Params
    for part in location[:-1]:
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = getattr(field, "annotation", None) if field else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            model = None
            break
    if model is None:
        return f"{where}: unknown key"
    allowed = sorted(field.alias or name for name, field in model.model_fields.items())
    known = [name for name in allowed if name not in section]
    close = difflib.get_close_matches(location[-1], known or allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{where}: unknown key (allowed: {', '.join(allowed)}){hint}"


def load_params(path: str | Path = DEFAULT_PARAMS_PATH) -> Params:
    """Read and validate the pipeline parameters."""
    params_path = Path(path)
    try:
        raw = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ParamsError(f"{params_path} not found: run from the project root") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ParamsError(f"{params_path} is not valid YAML{where}: {problem}") from error
    if not isinstance(raw, dict):
        raise ParamsError(f"{params_path} must be a mapping of sections such as data:, train:")
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(_describe(item, raw) for item in error.errors())
        raise ParamsError(f"{params_path} is invalid: {problems}") from error
