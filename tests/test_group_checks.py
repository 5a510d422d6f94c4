"""The slice and inclusion checks (model-6, model-7) and the staleness check (model-4)
measured on the demo data of both problem types, in the projects test_project_runs.py built
(`make all`).

One run of ``python -m tabular_mlops.modeling.calibration`` per project draws 100 test splits
of the real one's size from its rows: permuted (features independent of the errors, so any
failure is a false alarm) and resampled (the data as they are), and 100 resampled curves
for the staleness check. Each check must fail at most ``evaluate.slices.alpha`` of them, as
Holm's procedure promises for the permuted ones, and docs/model_selection.md must quote
exactly what was measured. (The planted scrambled slice that the slice check must still
catch is in tests/test_ml_test_score.py.)
"""

from __future__ import annotations

import json
import re

import pytest

from .helpers import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["defaults", "regression"])
def calibration(request, built):
    project, _ = built(request.param)
    printed = run(
        ["uv", "run", "--frozen", "python", "-m", "tabular_mlops.modeling.calibration"], project
    ).stdout
    return project, json.loads(printed)


def test_each_check_fails_at_most_alpha_of_the_splits_of_healthy_data(calibration):
    _, figures = calibration
    assert figures["resamples"] >= 100
    # the demo data has a sensitive attribute and a time column
    assert set(figures["checks"]) == {"slices", "inclusion", "staleness"}
    for check, kinds in figures["checks"].items():
        for kind, counted in kinds.items():
            assert counted["rate"] <= figures["alpha"], (check, kind, figures)


def test_the_docs_quote_the_measured_figures(calibration):
    project, figures = calibration
    doc = (project / "docs" / "model_selection.md").read_text()
    quoted = {
        check: (permuted, resampled)
        for check, permuted, resampled in re.findall(
            r"^\| (slices|inclusion|staleness) \| (\d+ of \d+|-) \| (\d+ of \d+) \|$",
            doc,
            re.MULTILINE,
        )
    }
    measured = {
        check: tuple(
            f"{kinds[kind]['failed']} of {figures['resamples']}" if kind in kinds else "-"
            for kind in ("permuted", "resampled")
        )
        for check, kinds in figures["checks"].items()
    }
    assert quoted == measured
