"""Typed access to ``params.yaml``, the one file that configures the pipeline.

Pydantic turns a typo or a wrong value in ``params.yaml`` into an error that names the key
and the rule, before any stage does work.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from . import (
    DEFAULT_PARAMS_PATH,  # defined in __init__ so that `--help` need not import this
    safe_yaml,
)
from .errors import ProjectError
from .project import declared_estimators

ProblemType = Literal["classification", "regression"]
HyperparameterValue = bool | int | float | str | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureParams(_Strict):
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    boolean: list[str] = Field(default_factory=list)
    # dates or times as text: the model reads their calendar parts (features/calendar.py)
    datetime: list[str] = Field(default_factory=list)
    derived: list[str] = Field(default_factory=list)

    @property
    def input_columns(self) -> list[str]:
        """Raw columns the model reads, in a fixed order: numeric, categorical, boolean,
        datetime."""
        return [*self.numeric, *self.categorical, *self.boolean, *self.datetime]


class CsvParams(_Strict):
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None


# adopt's flags that later runs keep (adopt.py applies them; docs/data_sources.md lists them)
OVERRIDE_FLAGS = ("exclude", "keep", "categorical", "numeric", "date")
# A column may be retyped once and kept, but excluding it contradicts every other flag.
_OVERRIDE_TYPES = ("categorical", "numeric", "date")


class OverrideParams(_Strict):
    """A person's decisions about columns, over adopt's rules (``adopt --exclude COL`` ...)."""

    exclude: list[str] = Field(default_factory=list)  # never a feature
    keep: list[str] = Field(default_factory=list)  # a feature even if a rule would leave it out
    categorical: list[str] = Field(default_factory=list)  # a category, even of numbers
    numeric: list[str] = Field(default_factory=list)  # a number, however many values
    date: list[str] = Field(default_factory=list)  # dates: the first is the time column

    @model_validator(mode="after")
    def _not_contradictory(self) -> OverrideParams:
        for name in dict.fromkeys(name for flag in OVERRIDE_FLAGS for name in getattr(self, flag)):
            flags = [flag for flag in OVERRIDE_FLAGS if name in getattr(self, flag)]
            types = [flag for flag in flags if flag in _OVERRIDE_TYPES]
            if ("exclude" in flags and len(flags) > 1) or len(types) > 1:
                raise ValueError(
                    f"column '{name}' is under {' and '.join(flags)}: a column is excluded "
                    "or used, with at most one of categorical, numeric, date"
                )
        return self


class DataParams(_Strict):
    source: str = Field(min_length=1)
    query: str | None = None
    csv: CsvParams = CsvParams()
    raw_path: Path
    target: str = Field(min_length=1)
    features: FeatureParams
    overrides: OverrideParams = OverrideParams()  # written by adopt's --exclude, --keep...

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
    # owner, source, production and personal of every column (data/columns.py)
    columns_path: Path = Path("schemas/columns.yaml")
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
    # A class with fewer distinct labelled rows is left out: too rare to learn or judge (3 is
    # the least that stratifies: one row for each split).
    min_class_rows: int = Field(default=10, ge=3)


class TrainParams(_Strict):
    estimator: str  # one of the candidates the project declares (modeling/estimators.py)
    hyperparameters: dict[str, dict[str, HyperparameterValue]]
    model_dir: Path
    live_dir: Path  # DVCLive's record of the run (modeling/tracking.py)

    @field_validator("estimator")
    @classmethod
    def _a_declared_candidate(cls, name: str) -> str:
        names = sorted({candidate for _, candidate in declared_estimators()})
        if name not in names:
            raise ValueError(
                f"'{name}' is not a candidate estimator; the project declares "
                f"{', '.join(repr(n) for n in names)} (add one in modeling/estimators.py)"
            )
        return name

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
    max_rows: int = Field(default=20_000, ge=100)  # a larger training split is sampled
    # Processes for the search: -1, one per core (each fit on one thread); 1, in the stage's
    # own process on one thread, which costs less CPU where other work uses the other cores.
    n_jobs: int = Field(default=-1, ge=-1)
    output_path: Path
    # estimator -> hyperparameter -> candidate values
    space: dict[str, dict[str, list[HyperparameterValue]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _candidates_are_listed(self) -> TuneParams:
        if self.n_jobs == 0:
            raise ValueError("tune.n_jobs is 0: give -1 (one process per core) or 1 or more")
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


class SlicesParams(_Strict):
    """model-6: the metric on each slice of the test split (modeling/slices.py)."""

    metrics_path: Path = Path("metrics/slices.json")
    metric: str | None = None  # None: the gate metric (also used for evaluate.inclusion)
    numeric_bins: int = Field(default=3, ge=2)  # quantile bins of each numeric feature, at most
    min_rows: int = Field(default=15, ge=1)  # a smaller slice is reported, not judged
    min_class_rows: int = Field(default=5, ge=1)  # fewer: the class is out of a macro average
    max_gap: float = Field(default=0.1, ge=0)  # worse than the other rows (modeling/slices.py)
    floor: float | None = None  # also the metric's worst acceptable value on any slice
    # A regression error below this share of the test rows' target standard deviation is
    # no error: a near-perfect model's slices are not compared by the ratio of two zeros.
    negligible_error: float = Field(default=0.05, ge=0, lt=1)
    # Shared by evaluate.inclusion: the chance that a model as good on every group as on the
    # rest fails any (Holm), the bootstrap resamples, and the test rows judged (a seeded
    # sample of more), so that the check costs the same on any size of data.
    alpha: float = Field(default=0.05, gt=0, lt=1)
    resamples: int = Field(default=1000, ge=100)
    max_rows: int = Field(default=20_000, ge=100)


class InclusionParams(_Strict):
    """model-7: quality and error-rate parity across a sensitive attribute's groups."""

    metrics_path: Path = Path("metrics/inclusion.json")
    attribute: str | None = None  # a column of the data, used by the model or not
    reason: str | None = None  # why no attribute is set (required when attribute is null)
    bins: int = Field(default=3, ge=2)  # quantile bins when the attribute is a number
    min_rows: int = Field(default=20, ge=1)  # a smaller group is reported, not judged
    max_metric_gap: float = Field(default=0.1, ge=0)  # worse than the other rows, as max_gap
    max_error_rate_gap: float = Field(default=0.1, ge=0, le=1)  # above the other rows' rate
    large_error_factor: float = Field(default=3.0, gt=0)  # regression: x the median error

    @model_validator(mode="after")
    def _unset_attribute_says_why(self) -> InclusionParams:
        if self.attribute is None and not (self.reason or "").strip():
            raise ValueError(
                "attribute is null, so reason must say why no column can be used (e.g. 'no "
                "column of the data looks like a sensitive attribute'), or set attribute"
            )
        return self


class EvaluateParams(_Strict):
    metrics_path: Path
    plots_dir: Path
    plots: EvaluatePlotsParams
    slices: SlicesParams = SlicesParams()
    inclusion: InclusionParams = InclusionParams(reason="not configured in params.yaml")


class StalenessImpactParams(_Strict):
    """The age-vs-quality curve (modeling/staleness_impact.py, ML Test Score model-4)."""

    # when each row was observed; null: monitoring.staleness.time_column (see Params.time_column)
    time_column: str | None = None
    train_share: float = Field(default=0.6, gt=0, lt=1)  # the oldest rows: the training part
    parts: int = Field(default=3, ge=1)  # at most this many newer parts, each scored
    in_time_share: float = Field(default=0.2, gt=0, lt=1)  # of the training part: scored, not fit
    in_time_tolerance: float = Field(default=0.5, ge=0, le=1)  # of the test margin over baseline
    max_rows: int = Field(default=100_000, ge=30)  # a seeded sample of more rows, in their order
    metrics_path: Path = Path("metrics/staleness.json")
    plot_path: Path = Path("plots/staleness.csv")
    # How `dvc plots show` draws the curve (x is the age, y the gate metric: dvc.yaml)
    plot_template: str = "linear"
    plot_title: str = "Gate metric by the model's age (in parts of the data)"


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
    # model-2: how far the gate metric of served predictions may be from the offline one,
    # as a share of the offline value (tabular_mlops/checks/serving/test_online_metrics.py)
    metric_tolerance: float = Field(default=0.01, ge=0, lt=1)


class PredictionLogParams(_Strict):
    """Which served predictions the API records, and where (serving/recording.py)."""

    enabled: bool = True
    dir: Path = Path("logs/predictions")
    sample_rate: float = Field(default=1.0, ge=0, le=1)  # share of predicted records kept
    max_bytes: int = Field(default=50_000_000, ge=1024)  # size at which the file is rotated
    backup_count: int = Field(default=10, ge=1)  # rotated files kept: predictions.jsonl.1 ...
    queue_size: int = Field(default=10_000, ge=1)  # records waiting to be written; more are dropped
    # "package.module:factory" called as factory(params, root) to build the sink; None: the
    # rotating files in `dir` (serving/sinks.py)
    sink: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class MonitorWindowParams(_Strict):
    last: int = Field(default=100, ge=1)  # records checked when no --since/--until is given


class MonitorReferenceParams(_Strict):
    max_rows: int = Field(default=5000, ge=10)  # training rows kept in the reference


class DriftParams(_Strict):
    alpha: float = Field(default=0.05, gt=0, lt=1)  # family-wise false-alarm rate per window
    min_values: int = Field(default=30, ge=5)  # fewer values on a side: the test is not run
    max_discrete_values: int = Field(default=10, ge=1)  # fewer distinct numbers: chi-square


class StabilityParams(_Strict):
    probability_tolerance: float = Field(default=1e-3, gt=0, lt=1)


class StalenessParams(_Strict):
    max_model_age_days: float = Field(default=90, gt=0)
    max_data_age_days: float = Field(default=365, gt=0)
    time_column: str | None = None  # a date/time (or year) column: the data's age comes from it


class PerformanceParams(_Strict):
    bench_path: Path = Path("metrics/serving.json")  # written by the canary's benchmark
    bench_requests: int = Field(default=50, ge=1)
    max_latency_ratio: float = Field(default=3.0, gt=1)  # served p95 / benchmark p95
    max_jump: float = Field(default=1.5, gt=1)  # latest version / previous one
    max_creep: float = Field(default=1.3, gt=1)  # latest version / best of the recent ones
    creep_versions: int = Field(default=5, ge=2)


class QualityParams(_Strict):
    labels_path: Path | None = None  # CSV or JSON Lines: request_id and the target column
    period: str = Field(default="1D", min_length=1)  # pandas frequency of the metric over time
    min_labels: int = Field(default=30, ge=1)
    max_regression: float = Field(default=0.1, ge=0)  # share of the test metric
    floor: float | None = None  # the gate metric's worst acceptable value on served data
    alpha: float = Field(default=0.05, gt=0, lt=1)  # false-alarm rate of a bootstrap rule


class MonitoringParams(_Strict):
    log: PredictionLogParams = PredictionLogParams()
    window: MonitorWindowParams = MonitorWindowParams()
    reference: MonitorReferenceParams = MonitorReferenceParams()
    drift: DriftParams = DriftParams()
    stability: StabilityParams = StabilityParams()
    staleness: StalenessParams = StalenessParams()
    performance: PerformanceParams = PerformanceParams()
    quality: QualityParams = QualityParams()
    report_path: Path = Path("reports/monitoring.html")


class ImportanceCheckParams(_Strict):
    """data-2: is each feature beneficial, and is a useless one pure noise (features_check/)?"""

    n_repeats: int = Field(default=10, ge=1)  # shuffles of each feature on the validation split
    resamples: int = Field(default=200, ge=0)  # bootstrap resamples of the validation rows
    max_rows: int = Field(default=5000, ge=10)  # validation rows used (a seeded sample beyond)
    tolerance: float = Field(default=0.01, ge=0, lt=1)  # share of the model's lead over baseline
    alpha: float = Field(default=0.05, gt=0, lt=1)  # association test level, Holm over features


class CostCheckParams(_Strict):
    """data-3: what each feature costs at prediction time (features_check/cost.py)."""

    batch_rows: int = Field(default=1000, ge=1)  # rows predicted at once, as in a batch request
    repeats: int = Field(default=5, ge=1)  # each timing is the fastest of these runs
    max_share: float = Field(default=0.5, gt=0, le=1)  # of a batch's end-to-end prediction time


class FeaturesCheckParams(_Strict):
    report_path: Path = Path("reports/features.json")  # written by `feature-report`
    importance: ImportanceCheckParams = ImportanceCheckParams()
    cost: CostCheckParams = CostCheckParams()


class MlTestScoreParams(_Strict):
    """What `ml-test-score` requires (ml_test_score/ in the package; docs/ml_test_score.md)."""

    min_score: float = Field(default=0, ge=0, le=7)  # below it the command exits 3
    manual_path: Path = Path("docs/ml_test_score_manual.yaml")  # items done by hand
    manual_max_age_days: int = Field(default=365, ge=1)  # an older record no longer counts


class TestsParams(_Strict):
    """What the project's own tests (tests/) run on."""

    # A larger data set is tested on a seeded sample of this many rows (tests/conftest.py), so
    # that the suite takes about as long on any size of data; the pipeline uses every row.
    max_rows: int = Field(default=20_000, ge=100)


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
    staleness_impact: StalenessImpactParams = StalenessImpactParams()
    gate: GateParams
    registry: RegistryParams
    serving: ServingParams
    canary: CanaryParams
    monitoring: MonitoringParams
    ml_test_score: MlTestScoreParams = MlTestScoreParams()
    features_check: FeaturesCheckParams = FeaturesCheckParams()
    tests: TestsParams = TestsParams()
    mlflow: MlflowParams | None = None  # only in projects made with experiment_tracking=mlflow

    @property
    def time_column(self) -> str | None:
        """The column that says when each row was observed, if one does (model-4's curve;
        the monitor reads only its own setting, so that an old data set alerts only if asked)."""
        return self.staleness_impact.time_column or self.monitoring.staleness.time_column


class ParamsError(ProjectError, ValueError):
    """``params.yaml`` is missing, unreadable or breaks a rule."""

    exit_code = 2  # as for a usage error: the command could not even start


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
        raw = safe_yaml.safe_load(params_path.read_text(encoding="utf-8"))
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
