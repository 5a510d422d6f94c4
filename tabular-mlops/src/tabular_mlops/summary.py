"""The few lines `make all` ends with: the verdicts a person looks for after a run.

Did the model beat the baseline, did the gate and the canary pass, what the ML Test Score
is, and where the plots and reports are. Every figure is read from a file the pipeline or
the tests wrote (nothing is computed again); a file that is not there yet is named with the
command that makes it, so the summary of a half-run project still says what is missing.
The full tables are `make metrics` and `make ml-test-score`.

The summary reports and never decides: the stages that can fail (gate, canary) have already
failed the pipeline, and the ML Test Score fails CI through `ml-test-score`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tabular_mlops.config import Params

# Where `make plots` (dvc plots show --out dvc_plots) writes the page of every plot.
PLOTS_PAGE = Path("dvc_plots/index.html")
# The results file `make test` writes (ml_test_score/results.py DEFAULT_RESULTS_PATH).
RESULTS_PATH = Path("reports/ml_test_score/tests.json")
LABEL_WIDTH = 15


def _read(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing or not a JSON object."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _line(label: str, text: str) -> str:
    return f"  {label + ':':<{LABEL_WIDTH}}{text}"


def model_line(params: Params, root: Path) -> str:
    """The gate metric of the model and of the baseline on the test set."""
    path, metric = params.evaluate.metrics_path, params.gate.metric
    metrics = _read(root / path) or {}
    try:
        model, baseline = float(metrics["model"][metric]), float(metrics["baseline"][metric])
    except (KeyError, TypeError, ValueError):
        return _line("model", f"no {metric} in {path} yet: run `make pipeline`")
    rows = f" on {metrics['test_rows']} test rows" if "test_rows" in metrics else ""
    return _line("model", f"{metric} {model:.4f}, baseline {baseline:.4f}{rows}")


def gate_line(params: Params, root: Path) -> str:
    path, gate = params.gate.report_path, params.gate
    report = _read(root / path)
    if report is None or "passed" not in report:
        return _line("gate", f"not run yet ({path}): run `make pipeline`")
    if not report["passed"]:
        reasons = report.get("reasons") or ["no reason recorded"]
        more = f" (and {len(reasons) - 1} more, see {path})" if len(reasons) > 1 else ""
        return _line("gate", f"FAILED: {reasons[0]}{more}")
    versus = f"beats the baseline by at least {gate.min_improvement_over_baseline:g}"
    if report.get("production_version"):
        versus += (
            f", within {gate.max_regression_vs_production:g} of production "
            f"{report['production_version']}"
        )
    return _line("gate", f"passed ({versus})")


def canary_line(params: Params, root: Path) -> str:
    path = params.canary.report_path
    report = _read(root / path)
    if report is None or "passed" not in report:
        return _line("canary", f"not run yet ({path}): run `make pipeline`")
    if not report["passed"]:
        problems = len(report.get("problems") or [])
        return _line("canary", f"FAILED: {problems} problem(s), see {path}")
    return _line(
        "canary",
        f"passed (the server answered {report.get('rows', '?')} test rows as the pipeline does)",
    )


def ml_test_score_line(params: Params, root: Path, today: dt.date) -> str:
    """The score of the tests' last recorded run (`make test`), if it is still current."""
    from .ml_test_score.manual import ManualError, load_records
    from .ml_test_score.results import ResultsError, read_results
    from .ml_test_score.scoring import compute_score

    settings = params.ml_test_score
    if not (root / RESULTS_PATH).is_file():
        return _line("ML Test Score", f"no test results in {RESULTS_PATH}: run `make test`")
    try:
        results = read_results([root / RESULTS_PATH], root)
        records = load_records(root / settings.manual_path)
    except ResultsError:
        # The message lists every changed file: too long here, and `make test` is the fix.
        return _line("ML Test Score", f"{RESULTS_PATH} is older than the code: run `make test`")
    except ManualError as error:
        return _line("ML Test Score", f"not computed: {error}")
    score = compute_score(
        results,
        records,
        min_score=settings.min_score,
        max_age_days=settings.manual_max_age_days,
        today=today,
    )
    met = "met" if score.passed else "NOT met"
    return _line(
        "ML Test Score",
        f"{score.score:g} (ml_test_score.min_score {settings.min_score:g} {met}; "
        f"lowest section: {', '.join(score.lowest)})",
    )


def where_lines(params: Params, root: Path) -> list[str]:
    plots = PLOTS_PAGE if (root / PLOTS_PAGE).is_file() else f"`make plots` writes {PLOTS_PAGE}"
    folders = sorted({params.evaluate.metrics_path.parent, params.gate.report_path.parent})
    return [
        _line("plots", str(plots)),
        _line("reports", ", ".join(f"{folder}/" for folder in folders)),
        _line("tables", f"make metrics; make ml-test-score FROM={RESULTS_PATH}"),
    ]


def summary_lines(params: Params, root: Path, today: dt.date) -> list[str]:
    """A title and seven short lines, each naming its subject first."""
    return [
        "Summary",
        model_line(params, root),
        gate_line(params, root),
        canary_line(params, root),
        ml_test_score_line(params, root, today),
        *where_lines(params, root),
    ]
