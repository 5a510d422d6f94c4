"""`monitor` in a generated, trained project: its drift check measured on the project's data.

One run of ``python -m tabular_mlops.monitoring.calibration`` in the project that
test_project_runs.py built (`make all`) partitions the demo data at random into a reference
and a disjoint window, many times: it counts the undrifted windows that raised any alert, and
finds the smallest shift of each numeric column that the check names in 80% of the windows.
The false-alarm rate must stay within the configured level, and docs/monitoring.md must quote
exactly what was measured (a figure in the docs comes from this test).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from .helpers import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calibration(built):
    project, _ = built("defaults")
    printed = run(
        ["uv", "run", "--frozen", "python", "-m", "tabular_mlops.monitoring.calibration"], project
    ).stdout
    return project, json.loads(printed)


def test_false_alarm_rate_over_undrifted_windows_stays_within_the_configured_level(calibration):
    project, figures = calibration
    params = yaml.safe_load((project / "params.yaml").read_text())["monitoring"]
    assert figures["windows"] >= 100
    assert figures["window_rows"] == params["window"]["last"], "measured at the default window"
    assert figures["alpha"] == params["drift"]["alpha"]
    assert figures["false_alarm_rate"] <= figures["alpha"], figures


def test_quality_false_alarm_rate_over_healthy_labelled_windows_stays_within_its_level(
    calibration,
):
    """Windows of held-out rows with their true labels: the bootstrap rule of monitor-7 raises
    an alert in at most quality.alpha of them (a window of 100 once alerted on noise alone)."""
    project, figures = calibration
    params = yaml.safe_load((project / "params.yaml").read_text())["monitoring"]["quality"]
    assert figures["quality_windows"] >= 100, figures
    assert figures["quality_window_rows"] >= params["min_labels"], figures
    assert figures["quality_alpha"] == params["alpha"]
    assert figures["quality_false_alarm_rate"] <= figures["quality_alpha"], figures


def test_every_continuous_feature_shifted_by_one_std_is_detected(calibration):
    _, figures = calibration
    shifts = figures["smallest_detected_shift_std"]
    assert shifts, "no numeric feature was shifted"
    assert all(shift is not None and shift <= 1.0 for shift in shifts.values()), shifts


def test_the_docs_quote_the_measured_figures(calibration):
    project, figures = calibration
    doc = (project / "docs" / "monitoring.md").read_text()
    alarms, windows = figures["false_alarms"], figures["windows"]
    assert f"{alarms} of {windows} undrifted windows ({alarms / windows:.1%})" in doc
    assert f"a reference of {figures['reference_rows']}, windows of {figures['window_rows']}" in doc
    alarms, windows = figures["quality_false_alarms"], figures["quality_windows"]
    assert f"{alarms} of {windows} healthy labelled windows ({alarms / windows:.1%})" in doc
    held_out = figures["quality_held_out_rows"]
    assert f"windows of {figures['quality_window_rows']} of its {held_out}" in doc
    quoted = dict(re.findall(r"^\| `(\w+)` \| ([\d.]+) \|$", doc, flags=re.MULTILINE))
    shifts = figures["smallest_detected_shift_std"]
    assert quoted == {column: str(shift) for column, shift in shifts.items()}


def test_make_monitor_runs_the_command_and_names_an_empty_window(built):
    """`make monitor` passes SINCE on; a window in the future is empty, and the one-line
    error names the log folder."""
    project, _ = built("defaults")
    result = run(["make", "monitor", "SINCE=2999-01-01"], project, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "logs/predictions" in errors[0], errors
