"""The command that watches the served model: its recorded traffic against training."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from tabular_mlops import DEFAULT_PARAMS_PATH

from .options import JsonOption, ParamsOption, load_params


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
    as_json: JsonOption = False,
) -> None:
    """Check recorded traffic against the training reference; exit 10 if retraining is needed.

    Exit codes: 0 healthy, 10 retrain needed, 11 attention needed that retraining would not
    fix (latency, NaN values, library versions), 1 bad input, 2 bad parameters.
    """
    params = load_params(params_path)
    from tabular_mlops.monitoring.monitor import MonitorOptions, format_summary
    from tabular_mlops.monitoring.records import parse_time
    from tabular_mlops.monitoring.report import monitor_and_report

    now = datetime.now(UTC)
    options = MonitorOptions(
        log_dir=log_dir,
        since=parse_time(since, now) if since else None,
        until=parse_time(until, now) if until else None,
        last=last,
        labels=labels,
        now=now,
    )
    outcome, path = monitor_and_report(params, Path.cwd(), options, report)
    if as_json:
        typer.echo(json.dumps({**outcome.to_dict(), "report": str(path)}, indent=2, default=str))
    else:
        typer.echo(f"{format_summary(outcome)}\nreport: {path}")
    raise typer.Exit(outcome.exit_code)
