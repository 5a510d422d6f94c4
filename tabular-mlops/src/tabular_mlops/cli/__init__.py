"""One command line over the whole project, installed under the project's name (its slug);
``<slug> --help`` lists the commands.

Each DVC stage in ``dvc.yaml`` calls one of these commands, so running a stage by hand and
running it through ``dvc repro`` do exactly the same thing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from tabular_mlops.atomic import write_json
from tabular_mlops.modeling.registry import load_model

from . import DEFAULT_PARAMS_PATH
from .errors import ProjectError

# Each command imports what it uses in its body: pydantic, pandas, pandera and scikit-learn
# take seconds to import, which `--help` need not spend and each stage spends only on what
# it uses (checks/commands/test_startup.py checks that importing this module loads none).
if TYPE_CHECKING:
    import pandas as pd

    from tabular_mlops.config import Params
    from tabular_mlops.modeling.gate import GateResult


class _Commands(TyperGroup):
    """The commands, with their errors reported in one place: a :class:`ProjectError` (a
    problem the user can fix) becomes one ``error:`` line and its exit status; anything
    else is a bug and keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:  # click's Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except ProjectError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from error


# The help text is the project's: its cli module sets app.info.help to its docstring.
app = typer.Typer(
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    # plain help and errors: Rich's formatting takes longer to import than the rest of --help
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

ParamsOption = Annotated[
    Path, typer.Option("--params", help="Path of the parameters file.", show_default=True)
]


def _params(path: Path) -> Params:
    from tabular_mlops.config import load_params

    return load_params(path)  # a ParamsError exits 2 (ProjectError.exit_code)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command("adopt")
def adopt_command(
    source: Annotated[
        str | None,
        typer.Argument(
            help="CSV or Parquet file, http(s) URL, database URL or packaged dataset "
            "[default: data.source]."
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Column to predict [default: data.target].")
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="SQL query, for a database URL [default: data.query].")
    ] = None,
    problem_type: Annotated[
        str,
        typer.Option(help="classification, regression, or infer it from the target."),
    ] = "infer",
    exclude: Annotated[
        list[str] | None, typer.Option(help="Never use this column as a feature (repeatable).")
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(help="Use this column even if a rule (a suspected leak...) leaves it out."),
    ] = None,
    categorical: Annotated[
        list[str] | None, typer.Option(help="Treat this column as categories, even numbers.")
    ] = None,
    numeric: Annotated[
        list[str] | None, typer.Option(help="Treat this column of numbers as numbers.")
    ] = None,
    date: Annotated[
        list[str] | None,
        typer.Option(help="Dates or times: calendar features; the first is the time column."),
    ] = None,
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Point the project at a data set: ingest, profile, write params.yaml and the schema.

    --exclude, --keep, --categorical, --numeric and --date are kept in params.yaml
    (data.overrides): every later adopt applies them again.
    """
    from tabular_mlops.config import ParamsError

    from .adopt import adopt

    if problem_type not in ("infer", "classification", "regression"):
        _fail(f"--problem-type '{problem_type}' is not one of infer, classification, regression")
    try:
        adoption = adopt(
            params_path,
            source=source,
            target=target,
            query=query,
            problem_type=None if problem_type == "infer" else problem_type,  # type: ignore[arg-type]
            overrides={
                "exclude": exclude or [],
                "keep": keep or [],
                "categorical": categorical or [],
                "numeric": numeric or [],
                "date": date or [],
            },
        )
    except ParamsError as error:  # adopt reports a params.yaml it cannot edit with status 1
        _fail(str(error))
    profile = adoption.profile
    typer.echo(
        f"adopted {adoption.source}: {profile.rows} rows, target '{profile.target}', "
        f"{profile.problem_type} ({profile.problem_type_reason})"
    )
    for kind in ("numeric", "categorical", "boolean", "datetime"):
        typer.echo(f"  {kind} features: {', '.join(profile.features(kind)) or '-'}")
    typer.echo(f"  derived features: {', '.join(adoption.derived) or '-'}")
    for column in profile.excluded:
        typer.echo(f"  excluded '{column.name}': {column.reason}")
    typer.echo(f"  strongest single column: {adoption.strongest}")
    typer.echo(
        f"  gate: {adoption.gate['metric']} must beat the baseline by "
        f"{adoption.gate['min_improvement_over_baseline']}"
    )
    typer.echo(
        f"wrote {params_path}, the schema and {adoption.report_path}: review them, then run "
        "`dvc repro` (or `make all`)"
    )


@app.command("check-params")
def check_params_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Check every key and value of the parameters file, and change nothing.

    The make targets run this before `dvc repro`: DVC reads dvc.yaml's ${...} paths before
    any stage runs, so without it a misspelt section would get DVC's message, not its name.
    """
    _params(params_path)
    typer.echo(f"{params_path}: ok")


@app.command("params")
def params_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    show: Annotated[
        bool,
        typer.Option(
            "--show",
            help="Print every setting in force: the file's values over the library's defaults.",
        ),
    ] = False,
) -> None:
    """Check the parameters file; with --show, print the merged settings as YAML."""
    import yaml

    params = _params(params_path)
    if not show:
        typer.echo(f"{params_path}: ok (--show prints every setting in force)")
        return
    merged = params.model_dump(mode="json", by_alias=True)
    typer.echo(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), nl=False)


@app.command("ingest")
def ingest_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Read the configured data source into data.raw_path and record what was read."""
    from tabular_mlops.data.ingest import ingest

    params = _params(params_path)
    record = ingest(params.data, params.ingest.report_path)
    typer.echo(f"ingested {record.rows} rows from {record.source} into {params.data.raw_path}")


def _read_raw(path: Path) -> pd.DataFrame:
    from tabular_mlops.data.ingest import read_raw

    return read_raw(path)


@app.command("infer-schema")
def infer_schema_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Infer the data schema from the raw data and write it (review and commit the result)."""
    from tabular_mlops.data.schema import infer_for_params, model_columns, save_schema
    from tabular_mlops.data.validation import missing_columns

    params = _params(params_path)
    frame = _read_raw(params.data.raw_path)
    absent = missing_columns(model_columns(params), frame.columns)
    if absent:
        _fail(f"{params.data.raw_path} lacks column(s) named in params.yaml: {', '.join(absent)}")
    schema = infer_for_params(frame, params)
    save_schema(schema, params.schema_.path)
    typer.echo(f"wrote schema for {len(schema.columns.columns)} columns to {params.schema_.path}")


def _require_allowed_inputs(params: Params, report_path: Path) -> list[str]:
    """Stop before any model sees a column that the column metadata forbids (data/columns.py).

    Returns a message per model input it does not declare, for a warning: the tests fail on
    them (ML Test Score data-4), a review adds them; what the file declares is enforced.
    """
    from tabular_mlops.data.columns import (
        ColumnsError,
        forbidden_inputs,
        load_columns,
        undeclared_inputs,
    )

    try:
        catalog = load_columns(params.schema_.columns_path)
        forbidden = forbidden_inputs(params, catalog)
        if forbidden:
            raise ColumnsError("the column metadata forbids:\n  - " + "\n  - ".join(forbidden))
    except ColumnsError as error:
        report_path.unlink(missing_ok=True)  # no earlier verdict may let 'split' go on
        _fail(str(error))
    return undeclared_inputs(params, catalog)


@app.command("validate")
def validate_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    data: Annotated[Path | None, typer.Option(help="CSV to check (default: the raw data).")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Where to write the JSON report [default: validate.report_path]."),
    ] = None,
) -> None:
    """Check data against the committed schema; exit 1 with a report if any rule is broken."""
    from tabular_mlops.data.schema import load_data_schema, model_columns
    from tabular_mlops.data.validation import check_frame, missing_columns

    params = _params(params_path)
    report_path = report or params.validate_.report_path
    frame = _read_raw(data or params.data.raw_path)
    try:
        schema = load_data_schema(params.schema_.path)
    except FileNotFoundError as error:
        _fail(str(error))
    for where, columns in (
        (f"{data or params.data.raw_path}", frame.columns),
        (f"the schema {params.schema_.path}", schema.columns.columns),
    ):
        absent = missing_columns(model_columns(params), columns)
        if absent:
            _fail(
                f"params.yaml names column(s) that {where} lacks: {', '.join(absent)}; fix "
                "data.target and data.features, or run 'adopt' again"
            )
    undeclared = _require_allowed_inputs(params, report_path)
    result = check_frame(frame, schema)
    write_json(report_path, result.to_dict())
    if not result.valid:
        _fail(f"data validation failed, see {report_path}\n{result.describe()}")
    typer.echo(result.describe())
    for problem in undeclared:
        typer.echo(f"warning: {problem}", err=True)


@app.command("split")
def split_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Split the validated raw data into train, validation and test sets."""
    from .data.split import describe_left_out, split_frame, write_splits

    params = _params(params_path)
    report_path = params.validate_.report_path
    try:
        validation = json.loads(report_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{report_path} not found: run the 'validate' stage first")
    if not validation.get("valid"):
        _fail(f"{report_path} says the raw data is invalid: fix it before splitting")
    splits = split_frame(
        _read_raw(params.data.raw_path),
        target=params.data.target,
        problem_type=params.problem_type,
        test_size=params.split.test_size,
        val_size=params.split.val_size,
        seed=params.seed,
        min_class_rows=params.split.min_class_rows,
    )
    if splits.left_out:
        typer.echo(f"note: {describe_left_out(splits.left_out, params.split.min_class_rows)}")
    write_splits(splits, params.split.output_dir)
    typer.echo(f"train={len(splits.train)} val={len(splits.val)} test={len(splits.test)} rows")


@app.command("tune")
def tune_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Choose the hyperparameters by cross-validation on the training split only."""
    params = _params(params_path)
    from .modeling.tune import tune

    result = tune(params)
    typer.echo(json.dumps(result, indent=2, sort_keys=True))


@app.command("train")
def train_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Train the model and the baseline with the tuned hyperparameters; write validation metrics."""
    params = _params(params_path)  # before the slow import: a bad setting fails at once

    from .modeling.train import train

    metrics = train(params)
    typer.echo(json.dumps(metrics, indent=2))


@app.command("evaluate")
def evaluate_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Evaluate the model and the baseline on the held-out test set."""
    params = _params(params_path)

    from .modeling.evaluate import evaluate

    metrics = evaluate(params)  # a GroupSettingError: evaluate.slices or .inclusion cannot apply
    typer.echo(json.dumps(metrics, indent=2))


def _check_gate(params: Params) -> GateResult:
    from tabular_mlops.lifecycle.actions import gate

    try:
        return gate(params, Path.cwd())
    except FileNotFoundError as error:
        _fail(f"{error.filename} not found: run the pipeline up to 'evaluate' (dvc repro evaluate)")
    except KeyError as error:  # gate.metric names a metric that evaluate does not compute
        _fail(str(error.args[0]))


@app.command("gate")
def gate_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Fail unless the model beats the baseline and does not regress against production."""
    result = _check_gate(_params(params_path))
    if not result.passed:
        _fail("model gate failed:\n  - " + "\n  - ".join(result.reasons))
    against = f", production {result.production_version}" if result.production_version else ""
    typer.echo(
        f"model gate passed: {result.metric}={result.model:.4f} "
        f"(baseline {result.baseline:.4f}{against})"
    )


VersionOption = Annotated[
    str | None, typer.Option("--version", help="A registered version, e.g. v1.2.0.")
]


@app.command("register")
def register_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    version: VersionOption = None,
    bump: Annotated[
        str, typer.Option(help="Without --version: which part to raise (major, minor, patch).")
    ] = "minor",
) -> None:
    """Register the committed model as a new version in the registry (it must pass the gate)."""
    params = _params(params_path)
    if bump not in ("major", "minor", "patch"):
        _fail(f"--bump {bump}: use major, minor or patch")
    from tabular_mlops.lifecycle.actions import register

    checked = _check_gate(params)  # first, for its messages about missing metrics
    if not checked.passed:
        _fail("the model does not pass the gate:\n  - " + "\n  - ".join(checked.reasons))
    registered = register(params, Path.cwd(), version, bump)
    name, found = registered.name, registered.version
    typer.echo(
        f"registered {name} {found.version} (commit {found.commit[:12]}, "
        f"{registered.gate.metric}={registered.gate.model:.4f}); push the tag: "
        f"git push origin {name}@{found.version}"
    )


@app.command("promote")
def promote_command(
    stage: Annotated[str, typer.Option("--stage", help="staging or prod.")] = "prod",
    version: VersionOption = None,
) -> None:
    """Assign a stage to a registered version (default: the latest); prod is what CD deploys."""
    from tabular_mlops.lifecycle.actions import promote
    from tabular_mlops.lifecycle.registry import artifact_name

    assigned = promote(Path.cwd(), stage, version)
    typer.echo(
        f"{artifact_name(Path.cwd())} {assigned.version} is now in {stage} ({assigned.tag}); "
        f"push the tag to deploy it: git push origin '{assigned.tag}'"
    )


@app.command("registry")
def registry_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the registered versions and which stage each holds."""
    from tabular_mlops.lifecycle.registry import (
        STAGES,
        artifact_name,
        current,
        versions,
    )

    root = Path.cwd()
    name = artifact_name(root)
    found = versions(root, name)
    stages = {stage: current(root, name, stage) for stage in STAGES}
    rows = [
        {
            "version": key,
            "commit": version.commit,
            "registered": version.created_at.isoformat(),
            "sha256": version.sha256,
            "stages": [stage for stage, held in stages.items() if held and held.version == key],
        }
        for key, version in found.items()
    ]
    if as_json:
        typer.echo(json.dumps({"artifact": name, "versions": rows}, indent=2))
        return
    if not rows:
        typer.echo(f"no version of {name} is registered yet: see `register --help`")
    for key, version in found.items():
        held = ", ".join(s for s, a in stages.items() if a and a.version == key) or "-"
        registered = version.created_at.isoformat()
        typer.echo(f"{name} {key:<10} {version.commit[:12]}  {registered}  {held}")


@app.command("restore")
def restore_command(
    version: Annotated[str, typer.Argument(help="A registered version, e.g. v1.2.0.")],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Bring back a version's model from DVC into registry.restore_dir and verify it."""
    params = _params(params_path)
    from tabular_mlops.lifecycle.actions import restore_version

    model_path = restore_version(params, Path.cwd(), version)
    typer.echo(f"restored and verified {model_path}; serve it: {_serve_hint()} {model_path.parent}")


def _serve_hint() -> str:
    from .project import command_name

    return f"{command_name()} serve --model-dir"


@app.command("rollback")
def rollback_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    to: Annotated[
        str | None, typer.Option("--to", help="The version to return to [default: the previous].")
    ] = None,
) -> None:
    """Put the previous production version back in prod (CD deploys it once the tag is pushed)."""
    params = _params(params_path)
    from tabular_mlops.lifecycle.actions import rollback
    from tabular_mlops.lifecycle.registry import artifact_name

    assigned, model_path = rollback(params, Path.cwd(), to)
    typer.echo(
        f"{artifact_name(Path.cwd())} {assigned.version} is in prod again ({assigned.tag}); "
        f"its model is verified in {model_path.parent}.\n"
        f"Deploy it: git push origin '{assigned.tag}'. Serve it here: "
        f"{_serve_hint()} {model_path.parent}"
    )


@app.command("predict")
def predict_command(
    data: Annotated[Path, typer.Argument(help="CSV with the model's input columns.")],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Predict for each row of a CSV file and print the rows with a 'prediction' column."""
    params = _params(params_path)
    if not data.is_file():
        _fail(f"{data} not found: give the path of a CSV file with the model's input columns")
    frame = _read_raw(data)
    missing = [name for name in params.data.features.input_columns if name not in frame]
    if missing:
        _fail(f"{data} lacks the model's input column(s) {missing}")
    model = load_model(params.train.model_path)
    try:
        frame["prediction"] = model.predict(frame[params.data.features.input_columns])
    except (ValueError, TypeError) as error:
        # e.g. text in a numeric column: the preprocessing cannot convert it
        _fail(f"cannot predict for {data}: {str(error).strip().splitlines()[0]}")
    frame.to_csv(sys.stdout, index=False)


@app.command("serve")
def serve_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    host: Annotated[
        str | None,
        typer.Option(envvar="SERVING_HOST", help="Address to listen on [default: serving.host]."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(envvar="SERVING_PORT", help="Port to listen on [default: serving.port]."),
    ] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option(help="Serve the model in this folder [default: train.model_dir]."),
    ] = None,
    no_record: Annotated[
        bool,
        typer.Option("--no-record", help="Record no predictions, whatever monitoring.log says."),
    ] = False,
) -> None:
    """Serve the trained model over HTTP (see docs/deployment.md)."""
    params = _params(params_path)
    from .serving.server import serve  # imported here: the pipeline commands do not need it

    host, port = host or params.serving.host, port or params.serving.port
    serve(params_path, host, port, model_dir, record=not no_record)


@app.command("canary")
def canary_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Start the real server on loopback and check its answers on the test set."""
    params = _params(params_path)
    from .serving.canary import CanaryError, run_canary

    try:
        report = run_canary(params, params_path.resolve(), Path.cwd())
    except CanaryError as error:
        _fail(f"canary failed: {error}")
    if not report.passed:
        _fail(
            f"canary failed, see {params.canary.report_path}:\n  - "
            + "\n  - ".join(report.problems)
        )
    typer.echo(
        f"canary passed: the server answered {report.rows} test rows "
        f"({report.single_requests} also one by one) exactly as the pipeline does"
    )


@app.command("delivery-metrics")
def delivery_metrics_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="Measure from this date (YYYY-MM-DD, or ISO 8601 with a time; UTC unless "
            "it has an offset) [default: the first production assignment]."
        ),
    ] = None,
) -> None:
    """Deployment frequency, lead time, change failure rate and time to restore (DORA)."""
    from datetime import UTC, datetime

    from tabular_mlops.lifecycle.delivery import delivery_metrics, format_table
    from tabular_mlops.lifecycle.registry import artifact_name

    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            _fail(f"--since '{since}' is not a date: use YYYY-MM-DD or e.g. 2024-05-01T12:00+02:00")
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    root = Path.cwd()
    report = delivery_metrics(root, artifact_name(root), since=start)
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_table(report))


@app.command("monitor")
def monitor_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    since: Annotated[
        str | None,
        typer.Option(help="Check records from this time: ISO 8601, or 24h, 7d ... before now."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="... up to this time (same forms) [default: now].")
    ] = None,
    last: Annotated[
        int | None,
        typer.Option(min=1, help="Check the newest N records [default: monitoring.window.last]."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="CSV or JSON Lines of request_id and the true target, to score the "
            "predictions [default: monitoring.quality.labels_path]."
        ),
    ] = None,
    log_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of the prediction records [default: monitoring.log.dir]."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Where to write the HTML report [default: monitoring.report_path]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check recorded traffic against the training reference; exit 10 if retraining is needed.

    Exit codes: 0 healthy, 10 retrain needed, 11 attention needed that retraining would not
    fix (latency, NaN values, library versions), 1 bad input, 2 bad parameters.
    """
    from datetime import UTC, datetime

    params = _params(params_path)
    from tabular_mlops.monitoring.records import parse_time

    from .monitoring.monitor import MonitorOptions, format_summary, run_monitor
    from .monitoring.report import write_report

    root = Path.cwd()
    now = datetime.now(UTC)
    options = MonitorOptions(
        log_dir=log_dir,
        since=parse_time(since, now) if since else None,
        until=parse_time(until, now) if until else None,
        last=last,
        labels=labels,
        now=now,
    )
    outcome, reference, window = run_monitor(params, root, options)
    path = write_report(report or root / params.monitoring.report_path, outcome, reference, window)
    if as_json:
        typer.echo(json.dumps({**outcome.to_dict(), "report": str(path)}, indent=2, default=str))
    else:
        typer.echo(f"{format_summary(outcome)}\nreport: {path}")
    raise typer.Exit(outcome.exit_code)


@app.command("ml-test-score")
def ml_test_score_command(
    pytest_args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PYTEST_ARGS",
            help="Arguments for pytest, after --, e.g. -- -x tests/test_api.py.",
        ),
    ] = None,
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Score these results files (pytest --ml-test-score-results PATH; repeat to "
            "merge runs) instead of running the tests; refused if the code changed since.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown (for a CI job summary).")
    ] = False,
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Run the tests and compute the ML Test Score from their outcomes (docs/ml_test_score.md).

    Exit codes: 0 the score reaches ml_test_score.min_score, 3 it does not, 1 the score
    cannot be computed (stale or bad results file, bad manual records, pytest did not
    complete), 2 bad parameters.
    """
    from datetime import date

    params = _params(params_path)
    from tabular_mlops.ml_test_score.manual import load_records
    from tabular_mlops.ml_test_score.report import format_markdown, format_table
    from tabular_mlops.ml_test_score.results import DEFAULT_RESULTS_PATH, read_results
    from tabular_mlops.ml_test_score.scoring import compute_score
    from tabular_mlops.ml_test_score.suite import run_suite

    if as_json and markdown:
        _fail("--json and --markdown exclude each other: choose one")
    if results and pytest_args:
        _fail("pytest arguments apply only when the tests are run: drop them or --from")
    root, settings = Path.cwd(), params.ml_test_score
    if not results:
        run_suite(root, DEFAULT_RESULTS_PATH, pytest_args or [])
        results = [DEFAULT_RESULTS_PATH]
    outcomes = read_results(results, root)
    records = load_records(settings.manual_path)
    score = compute_score(
        outcomes,
        records,
        min_score=settings.min_score,
        max_age_days=settings.manual_max_age_days,
        today=date.today(),
    )
    if as_json:
        typer.echo(json.dumps(score.to_dict(), indent=2))
    else:
        typer.echo(format_markdown(score) if markdown else format_table(score))
    if not score.passed:
        typer.echo(
            f"ML Test Score {score.score:g} is below ml_test_score.min_score "
            f"{settings.min_score:g}",
            err=True,
        )
        raise typer.Exit(3)


@app.command("trace")
def trace_command(
    row: Annotated[
        str,
        typer.Argument(
            help="SPLIT:POSITION (e.g. test:0; splits train, val, test), a JSON object of "
            "column values, or a .json file holding one."
        ),
    ] = "test:0",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Show one row's journey: raw, validated, each feature step, model input, prediction."""
    params = _params(params_path)
    from .tracing.journey import trace_row
    from .tracing.report import format_trace

    try:
        trace = trace_row(params, row)
    except FileNotFoundError as error:
        _fail(str(error))
    typer.echo(json.dumps(trace.to_dict(), indent=2) if as_json else format_trace(trace))


@app.command("staleness-impact")
def staleness_impact_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Train on the oldest part of the data and score each newer part (model staleness)."""
    params = _params(params_path)
    from .modeling.staleness_impact import staleness_impact

    summary = staleness_impact(params)
    if summary["reason"]:
        typer.echo(f"no staleness curve: {summary['reason']}")
        return
    typer.echo(
        f"{summary['metric']}: {summary['in_time']:g} in time, {summary['newest']:g} on the "
        f"newest of {summary['points'] - 1} newer part(s), {summary['drop_per_part']:g} lost per "
        f"part of age ({summary['order']}); curve in {params.staleness_impact.plot_path}"
    )


@app.command("feature-report")
def feature_report_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Check each feature of the trained model: is it beneficial, is it noise, what it costs.

    Writes features_check.report_path and exits 1 when a feature is pure noise or over its
    share of the prediction time (docs/ml_test_score.md, data-2 and data-3).
    """
    params = _params(params_path)
    from .features_check.report import feature_report, format_table, write_report

    try:
        report = feature_report(params)
    except FileNotFoundError as error:
        _fail(f"{error.filename} not found: run the pipeline up to 'train' (dvc repro train)")
    write_report(params, report)
    typer.echo(format_table(report))
    typer.echo(f"wrote {params.features_check.report_path}")
    if report.problems:
        _fail("; ".join(report.problems))


@app.command("summary")
def summary_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """A few lines: model vs baseline, gate, canary, ML Test Score, where plots and reports are.

    Reads what the pipeline and `make test` wrote; `make all` ends with it.
    """
    from datetime import date

    params = _params(params_path)
    from tabular_mlops.summary import summary_lines

    typer.echo("\n".join(summary_lines(params, Path.cwd(), date.today())))


def main() -> None:
    """Console-script entry point."""
    app()
