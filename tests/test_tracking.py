"""Experiment tracking in a generated project, for each answer to `experiment_tracking`.

dvc: after the pipeline has run, DVC experiments run (one at a time and from the queue), are
listed, compared, plotted and applied, with the commands docs/model_selection.md gives.
mlflow: the same training run is also in the project's MLflow store, with the params and
metrics that DVCLive recorded. One project per answer, rendered and run once for the module.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import commit_all, copy_installed, copy_project, run

pytestmark = pytest.mark.slow

DVC = ("uv", "run", "--frozen", "dvc")
MAX_ITER = "train.hyperparameters.hist_gradient_boosting.max_iter"
EXPERIMENT = "two-iterations"
QUEUED = {"queued-three": 3, "queued-five": 5}
VALIDATION = "metrics/train/metrics.json"  # train.live_dir in params.yaml, + metrics.json
RUN_PARAMS = "metrics/train/params.yaml"


@pytest.fixture(scope="module")
def project(
    built: Callable[[str], tuple[Path, str]],
    template_clone: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], Path]:
    """Per answer: the rendered project, committed after its pipeline has run.

    dvc is the default answer: a copy of the default project that `make all` built (the
    whole pipeline ran; the plots come from evaluate). mlflow is rendered here and stops
    after train, which is what logs to MLflow.
    """

    @functools.cache
    def get(choice: str) -> Path:
        destination = tmp_path_factory.mktemp(f"tracking-{choice}") / "project"
        if choice == "dvc":
            # A copy of its own: `dvc exp` and the commit below change it.
            copy_installed(built("defaults")[0], destination)
        else:
            copy_project(template_clone, destination, commit=True, experiment_tracking=choice)
            run(["uv", "sync", "--frozen"], destination)
            run([*DVC, "repro", "train"], destination, timeout=900)
        commit_all(destination, "Run the pipeline")
        return destination

    return get


def settings(max_iter: int) -> tuple[str, ...]:
    """`-S` options for an experiment with the search off.

    train then uses max_iter as written (2 gives a visibly worse model), and the tune stage
    does not search, which keeps each experiment quick.
    """
    return ("-S", "tune.enabled=false", "-S", f"{MAX_ITER}={max_iter}")


def experiments(project: Path) -> dict[str, dict[str, Any]]:
    """`dvc exp show --json` as row name (workspace, main, each experiment) -> its metrics
    and params files."""
    shown = json.loads(run([*DVC, "exp", "show", "--json"], project).stdout)

    def files(data: dict[str, Any]) -> dict[str, Any]:
        return {
            kind: {path: entry["data"] for path, entry in (data.get(kind) or {}).items()}
            for kind in ("metrics", "params")
        }

    found = {}
    for baseline in shown:
        found[baseline["name"] or baseline["rev"]] = files(baseline["data"])
        for experiment in baseline.get("experiments") or []:
            found[experiment["name"]] = files(experiment["revs"][0]["data"])
    return found


@pytest.fixture(scope="module")
def experiment(project: Callable[[str], Path]) -> Path:
    """The dvc project after `dvc exp run` of one experiment that changes max_iter."""
    dvc_project = project("dvc")
    run([*DVC, "exp", "run", "--name", EXPERIMENT, *settings(2)], dvc_project)
    return dvc_project


def test_dvc_exp_show_lists_the_experiment_with_its_params_and_metrics(experiment):
    shown = experiments(experiment)
    found = shown[EXPERIMENT]
    hyperparameters = found["params"]["params.yaml"]["train"]["hyperparameters"]
    assert hyperparameters["hist_gradient_boosting"]["max_iter"] == 2
    # the values train really used, as DVCLive recorded them
    assert found["params"][RUN_PARAMS]["hyperparameters"]["max_iter"] == 2
    assert found["params"][RUN_PARAMS]["tuned"] is False
    baseline = shown["main"]["metrics"][VALIDATION]["model"]["f1_macro"]
    assert found["metrics"][VALIDATION]["model"]["f1_macro"] < baseline
    table = run(["make", "experiments"], experiment).stdout
    assert EXPERIMENT in table, table


def test_dvc_exp_diff_shows_the_changed_param_and_metrics(experiment):
    diff = json.loads(run([*DVC, "exp", "diff", "HEAD", EXPERIMENT, "--json"], experiment).stdout)
    max_iter = diff["params"]["params.yaml"][MAX_ITER]
    assert (max_iter["old"], max_iter["new"]) == (200, 2)
    f1 = diff["metrics"][VALIDATION]["model.f1_macro"]
    assert f1["new"] < f1["old"], f1
    assert "model.f1_macro" in diff["metrics"]["metrics/test.json"]


def test_dvc_plots_diff_renders_both_revisions(experiment, tmp_path):
    plots = json.loads(
        run([*DVC, "plots", "diff", "HEAD", EXPERIMENT, "--json"], experiment).stdout
    )
    assert "errors" not in plots, plots
    for path in ("metrics/train/plots/custom/predictions.json", "plots/predictions.csv"):
        assert plots["data"][path][0]["revisions"] == ["HEAD", EXPERIMENT], plots["data"].keys()
    run([*DVC, "plots", "diff", "HEAD", EXPERIMENT, "--out", str(tmp_path / "html")], experiment)
    assert (tmp_path / "html" / "index.html").stat().st_size > 0


def test_dvc_queue_runs_two_experiments_side_by_side(experiment):
    for name, max_iter in QUEUED.items():
        queue = ["exp", "run", "--queue", "--name", name, *settings(max_iter)]
        run([*DVC, *queue, "train"], experiment)
    run([*DVC, "queue", "start", "-j", "2"], experiment)
    deadline = time.monotonic() + 600
    while True:
        status = run([*DVC, "queue", "status"], experiment).stdout
        if not any(word in status for word in ("Queued", "Running")):
            break
        assert time.monotonic() < deadline, status
        time.sleep(5)
    assert status.count("Success") == len(QUEUED), status
    found = experiments(experiment)
    for name, max_iter in QUEUED.items():
        assert found[name]["params"][RUN_PARAMS]["hyperparameters"]["max_iter"] == max_iter
        assert "f1_macro" in found[name]["metrics"][VALIDATION]["model"]


def test_dvc_exp_apply_brings_the_experiment_into_the_workspace(experiment):
    # Runs last in this module: it changes the workspace the tests above compare against.
    run([*DVC, "exp", "apply", EXPERIMENT], experiment)
    params = yaml.safe_load((experiment / "params.yaml").read_text())
    assert params["train"]["hyperparameters"]["hist_gradient_boosting"]["max_iter"] == 2
    applied = json.loads((experiment / VALIDATION).read_text())
    assert applied == experiments(experiment)[EXPERIMENT]["metrics"][VALIDATION]


# Reads the newest run back from the project's MLflow store with the MLflow client.
_READ_RUN = """
import json, yaml
from mlflow.tracking import MlflowClient
settings = yaml.safe_load(open("params.yaml"))["mlflow"]
client = MlflowClient(f"sqlite:///{settings['store']}")
experiment = client.get_experiment_by_name(settings["experiment"])
runs = client.search_runs([experiment.experiment_id], order_by=["start_time DESC"])
print(json.dumps({"runs": len(runs), "params": runs[0].data.params,
                  "metrics": runs[0].data.metrics, "tags": runs[0].data.tags}))
"""


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_mlflow_store_holds_the_run_with_the_params_and_metrics_dvclive_recorded(project):
    mlflow_project = project("mlflow")
    logged = json.loads(
        run(["uv", "run", "--frozen", "python", "-c", _READ_RUN], mlflow_project).stdout
    )
    assert logged["runs"] == 1
    validation = json.loads((mlflow_project / VALIDATION).read_text())
    assert logged["metrics"] == _flat(validation)
    run_params = yaml.safe_load((mlflow_project / RUN_PARAMS).read_text())
    assert logged["params"] == {key: str(value) for key, value in _flat(run_params).items()}
    assert len(logged["tags"]["model_sha256"]) == 64
    # `make mlflow-ui` serves this store with the full MLflow of the locked version (started
    # by hand here: `uv tool run` downloads MLflow, too slow for every run of this suite)
    version = run(
        ["uv", "run", "--frozen", "python", "-c",
         "import importlib.metadata as m; print(m.version('mlflow-skinny'))"],
        mlflow_project,
    ).stdout.strip()  # fmt: skip
    ui = run(["make", "--dry-run", "mlflow-ui"], mlflow_project).stdout
    assert f'--from "mlflow=={version}" mlflow ui' in ui, ui
    assert "sqlite:///mlflow.db" in ui, ui
    # the store is local and ignored by Git
    ignored = run(["git", "check-ignore", "mlflow.db"], mlflow_project).stdout
    assert ignored.strip() == "mlflow.db"
