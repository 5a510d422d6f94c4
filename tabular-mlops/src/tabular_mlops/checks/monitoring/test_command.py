"""The ``monitor`` command: JSON on stdout, the exit code, the HTML report, and a clear one-line
error for each bad input."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from tabular_mlops.cli import app
from tabular_mlops.monitoring.monitor import EXIT_RETRAIN

from .conftest import records_for, skip_unless_drift_testable, write_records

pytestmark = pytest.mark.ml_test_score("monitor-2")


@pytest.fixture
def in_workspace(trained_workspace, monkeypatch):
    monkeypatch.chdir(trained_workspace)  # the command reads params.yaml from where it runs
    return trained_workspace


def _invoke(*args: str):
    return CliRunner().invoke(app, ["monitor", *args])


def test_drifted_traffic_prints_json_exits_10_and_writes_a_self_contained_report(
    in_workspace, reference_rows, monitored_params, trained_model, tmp_path
):
    skip_unless_drift_testable(reference_rows, monitored_params)
    column = monitored_params.data.features.input_columns[0]
    values = reference_rows[column]
    changed = reference_rows.assign(
        **{column: values.max() if values.dtype.kind in "fi" else values.iloc[0]}
    )
    logs = write_records(tmp_path / "logs", records_for(changed, monitored_params, *trained_model))
    report = tmp_path / "report.html"
    result = _invoke("--log-dir", str(logs), "--report", str(report), "--json")
    assert result.exit_code == EXIT_RETRAIN, result.output
    printed = json.loads(result.stdout)
    assert printed["status"] == "retrain needed"
    assert printed["report"] == str(report)
    assert column in {alert["subject"] for alert in printed["alerts"]}
    page = report.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page
    assert page.count("<script") > 1
    # nothing is fetched: no script, stylesheet, image or frame names a source
    assert not re.search(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=", page), "external"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--log-dir", "{tmp}/nowhere"], "nowhere"),
        (["--log-dir", "{logs}", "--labels", "{tmp}/absent.csv"], "absent.csv"),
        (["--log-dir", "{logs}", "--labels", "{tmp}/no_target.csv"], "lacks the column"),
        (["--log-dir", "{logs}", "--labels", "{tmp}/binary.jsonl"], "binary.jsonl"),
        (["--log-dir", "{logs}", "--since", "last tuesday"], "last tuesday"),
        (["--log-dir", "{logs}", "--since", "2999-01-01"], "no prediction record"),
    ],
    ids=["missing-log-dir", "missing-labels", "labels-without-target", "unreadable-labels",
         "bad-time", "empty-window"],
)  # fmt: skip
def test_bad_input_is_one_clear_error_line(
    in_workspace, reference_rows, monitored_params, trained_model, tmp_path, args, named
):
    logs = write_records(
        tmp_path / "logs", records_for(reference_rows, monitored_params, *trained_model)
    )
    (tmp_path / "no_target.csv").write_text("request_id,other\nreq-0,1\n")
    (tmp_path / "binary.jsonl").write_bytes(b"\x00\xff{not json\n")
    filled = [arg.format(tmp=tmp_path, logs=logs) for arg in args]
    result = _invoke(*filled, "--report", str(tmp_path / "report.html"))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert named in lines[0], result.stderr
    assert not (tmp_path / "report.html").exists()
