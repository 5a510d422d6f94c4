"""One self-contained HTML report of a monitor run, with plots.

Plotly draws them, with its JavaScript written into the page once: the file opens offline, from
a CI artifact or an e-mail, with nothing fetched from a network. It shows the verdict and the
alerts first, then each check's figures, the distribution of each input and of the predictions
(training reference against the window), the quality metric over time when labels arrived, and
the served latency over time against the benchmark of the model version.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from tabular_mlops.atomic import write_text
from tabular_mlops.config import Params
from tabular_mlops.monitoring.checks import CheckResult
from tabular_mlops.monitoring.drift import categories, numbers
from tabular_mlops.monitoring.records import Window
from tabular_mlops.monitoring.reference import Reference

from .monitor import MonitorOptions, MonitorReport, run_monitor

REFERENCE_COLOUR, WINDOW_COLOUR = "#4c78a8", "#f58518"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: .3rem .7rem;
border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td:nth-child(-n+3) { white-space: nowrap; }
.ok { color: #1b7f3b; } .alert { color: #b3261e; font-weight: bold; } .skipped { color: #777; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1rem; }
pre { background: #f6f6f6; padding: .5rem; overflow-x: auto; font-size: .8rem; }
"""


def _figure_html(figure: go.Figure) -> str:
    figure.update_layout(margin={"l": 40, "r": 10, "t": 40, "b": 40}, height=300)
    text: str = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        config={"displayModeBar": False, "responsive": True},
    )
    return text


def distribution_figure(
    name: str, kind: str, reference: list[Any], current: list[Any]
) -> go.Figure:
    """Reference against window: overlaid histograms of numbers, grouped shares of categories."""
    figure = go.Figure()
    if kind in ("numeric", "regression"):
        for label, values, colour in (
            ("training", numbers(reference), REFERENCE_COLOUR),
            ("window", numbers(current), WINDOW_COLOUR),
        ):
            figure.add_histogram(
                x=values, name=label, histnorm="probability", opacity=0.6, marker_color=colour
            )
        figure.update_layout(barmode="overlay")
    else:
        for label, texts, colour in (
            ("training", categories(reference), REFERENCE_COLOUR),
            ("window", categories(current), WINDOW_COLOUR),
        ):
            shares = pd.Series(texts, dtype=object).value_counts(normalize=True).sort_index()
            figure.add_bar(
                x=shares.index.tolist(), y=shares.tolist(), name=label, marker_color=colour
            )
        figure.update_layout(barmode="group")
    figure.update_layout(title=name, yaxis_title="share")
    return figure


def _check(report: MonitorReport, name: str) -> CheckResult | None:
    return next((check for check in report.checks if check.name == name), None)


def quality_figure(check: CheckResult | None) -> go.Figure | None:
    if check is None or not check.details.get("periods"):
        return None
    metric = check.details["metric"]
    periods = [p for p in check.details["periods"] if "metrics" in p]
    figure = go.Figure()
    figure.add_scatter(
        x=[p["start"] for p in periods],
        y=[p["metrics"][metric] for p in periods],
        mode="lines+markers",
        name=f"{metric} (served)",
    )
    figure.add_hline(
        y=check.details["offline"][metric], line_dash="dash", annotation_text="test set"
    )
    figure.update_layout(title=f"{metric} over time", yaxis_title=metric)
    return figure


def latency_figure(window: Window, check: CheckResult | None) -> go.Figure:
    frame = window.frame
    figure = go.Figure()
    figure.add_scatter(
        x=frame["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None),
        y=frame["latency_ms"],
        mode="markers",
        name="request latency",
        marker={"size": 4, "color": WINDOW_COLOUR},
    )
    bench = (check.details.get("benchmark") if check else None) or {}
    if bench.get("latency_ms", {}).get("p95"):
        figure.add_hline(
            y=bench["latency_ms"]["p95"], line_dash="dash", annotation_text="benchmark p95"
        )
    figure.update_layout(title="Latency over time (UTC)", yaxis_title="ms")
    return figure


def _checks_table(report: MonitorReport) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c.name)}</td><td>{c.item}</td>"
        f"<td class='{c.status}'>{c.status}</td><td>{html.escape(c.summary)}</td></tr>"
        for c in report.checks
    )
    return (
        f"<table><tr><th>Check</th><th>Item</th><th>Status</th><th>Summary</th></tr>{rows}</table>"
    )


def render_html(report: MonitorReport, reference: Reference, window: Window) -> str:
    kinds = {
        column: reference.kind(column) for column in reference.columns if column in window.inputs
    }
    distributions = [
        distribution_figure(
            column, kind, reference.sample[column].tolist(), window.inputs[column].tolist()
        )
        for column, kind in kinds.items()
    ]
    prediction_kind = "regression" if reference.problem_type == "regression" else "prediction"
    distributions.append(
        distribution_figure(
            "predictions",
            prediction_kind,
            reference.predictions,
            window.frame["prediction"].tolist(),
        )
    )
    quality = quality_figure(_check(report, "quality"))
    alerts = "".join(
        f"<li><b>{html.escape(a.action)}</b> {html.escape(a.check)}: {html.escape(a.message)}</li>"
        for a in report.alerts
    )
    w = report.window
    sections = [
        f"<h1>Monitoring report: <span class='{'ok' if report.exit_code == 0 else 'alert'}'>"
        f"{report.status}</span></h1>",
        f"<p>Model {html.escape(report.model_version)}; {w['records']} records from "
        f"{html.escape(str(w['start']))} to {html.escape(str(w['end']))}; generated "
        f"{report.generated_at.isoformat(timespec='seconds')}; exit code {report.exit_code}.</p>",
        f"<h2>Alerts</h2><ul>{alerts or '<li>none</li>'}</ul>",
        "<h2>Checks</h2>",
        _checks_table(report),
        "<h2>Distributions: training reference and window</h2>",
        "<div class='grid'>" + "".join(_figure_html(f) for f in distributions) + "</div>",
        "<h2>Quality over time</h2>",
        _figure_html(quality) if quality else "<p>No labelled period to plot.</p>",
        "<h2>Latency over time</h2>",
        _figure_html(latency_figure(window, _check(report, "performance"))),
        "<h2>Everything, as JSON</h2>",
        f"<pre>{html.escape(json.dumps(report.to_dict(), indent=2, default=str))}</pre>",
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Monitoring report {html.escape(report.model_version)}</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>"
        + "".join(sections)
        + "</body></html>\n"
    )


def write_report(path: Path, report: MonitorReport, reference: Reference, window: Window) -> Path:
    write_text(path, render_html(report, reference, window))
    return path


def monitor_and_report(
    params: Params, root: Path, options: MonitorOptions, report_path: Path | None
) -> tuple[MonitorReport, Path]:
    """The ``monitor`` command: check the window, then write the HTML report (by default to
    ``monitoring.report_path``) and return the outcome and where the report is."""
    outcome, reference, window = run_monitor(params, root, options)
    path = report_path or root / params.monitoring.report_path
    return outcome, write_report(path, outcome, reference, window)
