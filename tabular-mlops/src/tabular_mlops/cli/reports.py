"""The commands that report on the project: its ML Test Score, one row's journey through the
model, what each feature is worth, and a summary of the latest run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tabular_mlops import DEFAULT_PARAMS_PATH
from tabular_mlops.errors import StageError

from .options import JsonOption, OptionError, ParamsOption, load_params


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
    as_json: JsonOption = False,
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
    params = load_params(params_path)
    from tabular_mlops.ml_test_score.report import format_markdown, format_table
    from tabular_mlops.ml_test_score.suite import score_tests

    if as_json and markdown:
        raise OptionError("--json and --markdown exclude each other: choose one")
    if results and pytest_args:
        raise OptionError("pytest arguments apply only when the tests are run: drop them or --from")
    settings = params.ml_test_score
    score = score_tests(Path.cwd(), settings, results or [], pytest_args or [])
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


def trace_command(
    row: Annotated[
        str,
        typer.Argument(
            help="SPLIT:POSITION (e.g. test:0; splits train, val, test), a JSON object of "
            "column values, or a .json file holding one."
        ),
    ] = "test:0",
    as_json: JsonOption = False,
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Show one row's journey: raw, validated, each feature step, model input, prediction."""
    params = load_params(params_path)
    from tabular_mlops.tracing.journey import trace_row
    from tabular_mlops.tracing.report import format_trace

    trace = trace_row(params, row)
    typer.echo(json.dumps(trace.to_dict(), indent=2) if as_json else format_trace(trace))


def feature_report_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Check each feature of the trained model: is it beneficial, is it noise, what it costs.

    Writes features_check.report_path and exits 1 when a feature is pure noise or over its
    share of the prediction time (docs/ml_test_score.md, data-2 and data-3).
    """
    params = load_params(params_path)
    from tabular_mlops.features_check.report import format_table, report_features

    report = report_features(params)
    typer.echo(format_table(report))
    typer.echo(f"wrote {params.features_check.report_path}")
    if report.problems:  # after the table: it shows which feature and why
        raise StageError("; ".join(report.problems))


def summary_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """A few lines: model vs baseline, gate, canary, ML Test Score, where plots and reports are.

    Reads what the pipeline and `make test` wrote; `make all` ends with it.
    """
    params = load_params(params_path)
    from tabular_mlops.summary import summary_lines

    typer.echo("\n".join(summary_lines(params, Path.cwd(), date.today())))
