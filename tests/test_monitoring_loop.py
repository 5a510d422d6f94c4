"""The monitoring loop, end to end: served traffic, the monitor, monitor.yml, the retrain signal.

In the trained project that `make all` built (the shared `built` fixture, not changed here):
the API is served on loopback with prediction recording on, and receives the rows of the
project's own test split (clean traffic), then the same rows drifted: a numeric feature
shifted, one category made dominant, missing values injected into a column that allows them.
The recorded log is copied after each phase, as a log shipper would have left it.

The generated `.github/workflows/monitor.yml` then runs here step by step
(tests/workflow_runner.py) in a committed copy of that project whose model is registered and
in prod and pushed to a local DVC remote: on the clean log the monitor says healthy and
nothing is dispatched; on the drifted log it exits 10 naming exactly the drifted features,
and the dispatch job sends retrain.yml's repository_dispatch event to a fake GitHub API on
loopback. The HTML report the run kept as an artifact is opened in a real headless Chromium
(Debian's, driven by Playwright): no console error, and every plot drawn.

What cannot run here: GitHub itself (the real API, the scheduler, artifact storage, and
retrain.yml being started by the event; retrain.yml's own steps are run in test_workflows.py).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from .helpers import commit_all, copy_project, git, project_env, read_answers, run
from .server import free_port, running_server
from .workflow_runner import JobState, WorkflowRun

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium")
LOG_NAME = "predictions.jsonl"
TOKEN = "ghs_monitoring-loop-test-token"  # noqa: S105 - what the fake API must receive
FETCH_STEP, MONITOR_STEP = "Fetch the prediction logs and the labels", "Run the monitor"


# ---------------------------------------------------------------- traffic


@dataclass(frozen=True)
class Drift:
    """What the drifted traffic changed, chosen from the project's params and schema."""

    shifted: str  # a numeric feature, shifted by a third of its schema range
    dominant: str  # a categorical feature whose rarest category became every value
    missing: str  # a nullable numeric feature, missing in every third record

    @property
    def features(self) -> set[str]:
        return {self.shifted, self.dominant, self.missing}


@dataclass(frozen=True)
class Traffic:
    clean: Path  # the log folder after the clean traffic
    drifted: Path  # ... after the drifted traffic too
    labels: Path  # the true target of the clean records, by request id (CSV)
    drift: Drift
    rows: int  # records sent in each phase


def _choose_drift(params: dict[str, Any], schema: dict[str, Any], rows: pd.DataFrame) -> Drift:
    columns = schema["columns"]
    features = params["data"]["features"]
    floats = [name for name in features["numeric"] if columns[name]["dtype"].startswith("float")]
    ranged = [name for name in floats if "in_range" in columns[name]]
    nullable = [name for name in floats if columns[name].get("nullable")]
    assert ranged, "the test needs a float feature with a schema range"
    shifted = ranged[-1]
    missing = next(name for name in nullable if name != shifted)
    dominant = features["categorical"][0]
    assert rows[dominant].nunique() > 1
    return Drift(shifted, dominant, missing)


def _drifted(rows: pd.DataFrame, drift: Drift, schema: dict[str, Any]) -> pd.DataFrame:
    bounds = schema["columns"][drift.shifted]["in_range"]
    low, high = bounds["min_value"], bounds["max_value"]
    drifted = rows.copy()
    # Shifted, and kept inside the schema's range: the API refuses values outside it.
    drifted[drift.shifted] = (rows[drift.shifted] + (high - low) / 3).clip(upper=high)
    drifted[drift.dominant] = rows[drift.dominant].value_counts().index[-1]
    drifted.loc[drifted.index[::3], drift.missing] = None
    return drifted


def _send(base_url: str, rows: pd.DataFrame, prefix: str) -> None:
    """Each row to /predict on its own, as clients do; the request id names the phase."""
    records = json.loads(rows.to_json(orient="records"))  # NaN -> null, ints stay ints
    for number, record in enumerate(records):
        request = urllib.request.Request(  # noqa: S310 - loopback URL
            f"{base_url}/predict",
            data=json.dumps(record).encode(),
            headers={"Content-Type": "application/json", "X-Request-ID": f"{prefix}-{number}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            assert response.status == 200
            assert response.headers["X-Request-ID"] == f"{prefix}-{number}"


def _snapshot(log_dir: Path, records: int, destination: Path) -> Path:
    """A copy of the log folder once the recorder (a background thread) wrote ``records``."""
    log = log_dir / LOG_NAME
    deadline = time.monotonic() + 30
    while not log.exists() or len(log.read_text().splitlines()) < records:
        assert time.monotonic() < deadline, f"the API recorded fewer than {records} records"
        time.sleep(0.2)
    shutil.copytree(log_dir, destination)
    return destination


@pytest.fixture(scope="module")
def project(built) -> Path:
    project, _ = built("defaults")
    return project


@pytest.fixture(scope="module")
def traffic(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Traffic:
    """Serve the trained model, send clean then drifted traffic, keep the log after each."""
    root = tmp_path_factory.mktemp("traffic")
    params = yaml.safe_load((project / "params.yaml").read_text())
    schema = yaml.safe_load((project / params["schema"]["path"]).read_text())
    features = params["data"]["features"]
    inputs = [*features["numeric"], *features["categorical"], *features["boolean"]]
    test_split = pd.read_csv(project / params["split"]["output_dir"] / "test.csv")
    rows = test_split[inputs]
    drift = _choose_drift(params, schema, rows)
    labels = root / "labels.csv"
    target = params["data"]["target"]
    pd.DataFrame(
        {"request_id": [f"clean-{n}" for n in range(len(rows))], target: test_split[target]}
    ).to_csv(labels, index=False)

    # The project's own parameters, but the log goes to a folder of this test: the shared
    # project is left as it was.
    log_dir = root / "log"
    assert params["monitoring"]["log"]["enabled"] is True  # recording is on by default
    params["monitoring"]["log"]["dir"] = str(log_dir)
    params_path = root / "params.yaml"
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))

    package = read_answers(project)["package_name"]
    port = free_port()
    command = [str(project / ".venv" / "bin" / "python"), "-m", package, "serve"]
    command += ["--params", str(params_path), "--host", "127.0.0.1", "--port", str(port)]
    # No bytecode written into the shared project: DVC hashes its source folders.
    env = {**project_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    with running_server(
        command, project, env, port, timeout=120, log=root / "server.log"
    ) as base_url:
        _send(base_url, rows, "clean")
        clean = _snapshot(log_dir, len(rows), root / "clean")
        _send(base_url, _drifted(rows, drift, schema), "drifted")
        drifted = _snapshot(log_dir, 2 * len(rows), root / "drifted")
    return Traffic(clean, drifted, labels, drift, len(rows))


def test_the_api_recorded_every_request_with_its_id(traffic):
    lines = (traffic.drifted / LOG_NAME).read_text().splitlines()
    records = [json.loads(line) for line in lines]
    ids = [record["request_id"] for record in records]
    assert ids == [f"clean-{n}" for n in range(traffic.rows)] + [
        f"drifted-{n}" for n in range(traffic.rows)
    ]
    assert (traffic.drifted / "serving-environment.json").is_file()


# ---------------------------------------------------------------- the repository under monitor


@dataclass(frozen=True)
class Repository:
    path: Path
    prod_commit: str  # the commit of the version in prod; HEAD is one commit later
    github: dict[str, Any]  # the `github` context of a scheduled run


@pytest.fixture(scope="module")
def repository(
    project: Path, template_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> Repository:
    """A committed copy of the trained project with a local DVC remote, its model in prod.

    The shared project has no DVC remote, for which monitor.yml reproduces the model (minutes
    of training). Here it gets the local-remote variant of the rendered workflow and of
    .dvc/config, the model is pushed to that remote, and the job pulls it as it would in a
    repository with a remote.
    """
    root = tmp_path_factory.mktemp("monitored")
    repo = root / "repository"
    shutil.copytree(project, repo, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    remote = root / "dvc-remote"
    rendered = copy_project(
        template_clone,
        root / "rendered-local-remote",
        skip_tasks=True,
        dvc_remote="local",
        dvc_remote_url=str(remote),
    )
    for name in (".github/workflows/monitor.yml", ".dvc/config"):
        shutil.copy2(rendered / name, repo / name)
    # Latency on a shared two-core test machine is not what this test is about (the
    # monitor's own tests check the rule): allow any ratio to the recorded benchmark.
    params_path = repo / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    assert "max_latency_ratio" in params["monitoring"]["performance"]
    params["monitoring"]["performance"]["max_latency_ratio"] = 1000.0
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    # DVC is the shared project's (a tool, not the project's code): no environment to build.
    run([str(project / ".venv" / "bin" / "dvc"), "push", "train"], repo)
    commit_all(repo, "Pipeline run, with a DVC remote")
    # The tags `register` and `promote` write (GTO's formats; test_lifecycle.py runs those
    # commands for real): version v1.0.0 of the model, and the first assignment of prod.
    artifact = next(iter(yaml.safe_load((repo / "dvc.yaml").read_text())["artifacts"]))
    sha256 = json.loads((repo / "models" / "model.meta.json").read_text())["sha256"]
    registration = f"Register {artifact} v1.0.0: sha256={sha256}"
    git(repo, "tag", "-a", f"{artifact}@v1.0.0", "-m", registration)
    git(repo, "tag", "-a", f"{artifact}#prod#1", "-m", f"Assign prod to {artifact} v1.0.0")
    prod_commit = git(repo, "rev-parse", "HEAD")
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nA change after the release.\n")
    commit_all(repo, "A change after the release")
    answers = read_answers(repo)
    github = {
        "event_name": "schedule",
        "ref": "refs/heads/main",
        "ref_name": "main",
        "sha": git(repo, "rev-parse", "HEAD"),
        "repository": f"{answers['github_owner']}/{answers['project_slug']}",
        "run_id": "4242",
        "server_url": "https://github.com",
        "event": {},
        "token": TOKEN,
    }
    return Repository(repo, prod_commit, github)


# ---------------------------------------------------------------- a fake GitHub API


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@contextlib.contextmanager
def fake_github_api() -> Iterator[tuple[str, list[Received]]]:
    """An HTTP server on loopback that answers 204 to every request and keeps what it got."""
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def _keep(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(Received(self.command, self.path, dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        # http.server calls do_<METHOD>
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _keep  # noqa: N815

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class MonitorRun:
    workflow: WorkflowRun
    received: list[Received]  # what the fake GitHub API got

    @property
    def job(self) -> JobState:
        return self.workflow.jobs["monitor"]

    @property
    def result(self) -> dict[str, Any]:
        """What `monitor --json` printed."""
        return json.loads((self.job.temp / "monitor" / "result.json").read_text())


def _run_monitor_yml(
    repository: Repository, work_dir: Path, variables: dict[str, str]
) -> MonitorRun:
    with fake_github_api() as (api_url, received):
        workflow = WorkflowRun(
            repository.path,
            repository.path / ".github" / "workflows" / "monitor.yml",
            work_dir=work_dir,
            github={**repository.github, "api_url": api_url},
            inputs={},  # a scheduled run has none
            secrets={},  # a local DVC remote needs none
            variables=variables,
        ).run()
    return MonitorRun(workflow, received)


@pytest.fixture(scope="module")
def clean_run(repository, traffic, tmp_path_factory) -> MonitorRun:
    """The clean log given as a folder, with labels; the drifted run uses a URL."""
    variables = {"MONITORING_LOGS": str(traffic.clean), "MONITORING_LABELS": str(traffic.labels)}
    return _run_monitor_yml(repository, tmp_path_factory.mktemp("monitor-clean"), variables)


@pytest.fixture(scope="module")
def drifted_run(repository, traffic, tmp_path_factory) -> MonitorRun:
    """The drifted log given as an fsspec URL (file://: what s3:// or gs:// would be)."""
    variables = {"MONITORING_LOGS": traffic.drifted.as_uri()}
    return _run_monitor_yml(repository, tmp_path_factory.mktemp("monitor-drifted"), variables)


# ---------------------------------------------------------------- monitor.yml, step by step


def test_monitoring_is_skipped_until_the_logs_are_configured(repository, tmp_path):
    unconfigured = _run_monitor_yml(repository, tmp_path, {})
    assert unconfigured.workflow.job_results == {"monitor": "skipped", "dispatch": "skipped"}
    assert unconfigured.received == []


def test_clean_traffic_passes_and_dispatches_nothing(clean_run, repository, traffic):
    workflow = clean_run.workflow
    assert workflow.failures() == [], workflow.report()
    assert workflow.job_results == {"monitor": "success", "dispatch": "skipped"}
    assert clean_run.received == []
    assert clean_run.job.steps["monitor"]["outputs"]["exit_code"] == "0"
    # The job monitored the version in prod, not the later commit the run started on.
    assert git(clean_run.job.workspace, "rev-parse", "HEAD") == repository.prod_commit
    checked_out = next(
        r for r in workflow.results() if r.name == "Check out the version in production"
    )
    assert "Monitoring v1.0.0, the version in production" in checked_out.output
    result = clean_run.result
    assert (result["status"], result["alerts"]) == ("healthy", [])
    assert result["window"]["records"] == traffic.rows
    assert result["window"]["log_dir"] == str(traffic.clean)  # a folder is read where it is
    # The labels were joined on the request ids and scored.
    assert result["checks"]["quality"]["status"] == "ok", result["checks"]["quality"]
    assert "## Monitoring: healthy (exit 0)" in clean_run.job.summary
    assert (workflow.artifacts / "monitoring-report" / "monitoring.html").is_file()


def test_a_monitor_error_fails_the_job_with_its_message(clean_run, tmp_path):
    """Rerun in the clean run's workspace, on a log folder that holds no record."""
    workflow = clean_run.workflow
    workflow.variables["MONITORING_LOGS"] = str(tmp_path)
    assert workflow.rerun_step("monitor", FETCH_STEP).status == "passed"
    step = workflow.rerun_step("monitor", MONITOR_STEP)
    assert (step.status, step.returncode) == ("failed", 1), step.output
    assert f"{tmp_path} holds no {LOG_NAME}" in step.output
    assert "::error::the monitor exited with 1" in step.output
    assert "## Monitoring failed (exit 1)" in clean_run.job.summary


def test_drifted_traffic_dispatches_retraining(drifted_run, repository, traffic):
    workflow = drifted_run.workflow
    assert workflow.failures() == [], workflow.report()
    assert workflow.job_results == {"monitor": "success", "dispatch": "success"}
    assert drifted_run.job.steps["monitor"]["outputs"]["exit_code"] == "10"

    # The event retrain.yml listens to, sent once, with the job's token.
    assert len(drifted_run.received) == 1, drifted_run.received
    request = drifted_run.received[0]
    owner_and_name = repository.github["repository"]
    assert (request.method, request.path) == ("POST", f"/repos/{owner_and_name}/dispatches")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/vnd.github+json"
    event = json.loads(request.body)
    retrain = yaml.safe_load(
        (repository.path / ".github" / "workflows" / "retrain.yml").read_text()
    )
    triggers = retrain.get("on", retrain.get(True))  # YAML 1.1 reads the key `on` as true
    assert event["event_type"] in triggers["repository_dispatch"]["types"]
    assert event["event_type"] == "monitoring-alert"
    reason = event["client_payload"]["reason"]
    assert "https://github.com/" + owner_and_name + "/actions/runs/4242" in reason
    for feature in (traffic.drift.shifted, traffic.drift.dominant):
        assert f"'{feature}' drifted" in reason, reason
    assert "Retraining requested" in workflow.jobs["dispatch"].summary


def test_drift_alerts_name_exactly_the_drifted_features(drifted_run, traffic):
    result = drifted_run.result
    assert (result["status"], result["exit_code"]) == ("retrain needed", 10)
    # The URL was copied to the runner, and the monitor read the copy.
    fetched = drifted_run.job.temp / "monitor-input" / "logs"
    assert result["window"]["log_dir"] == str(fetched)
    assert (fetched / LOG_NAME).read_text() == (traffic.drifted / LOG_NAME).read_text()
    named = {(alert["check"], alert["subject"]) for alert in result["alerts"]}
    drift = traffic.drift
    expected = {("drift", drift.shifted), ("drift", drift.dominant), ("invariants", drift.missing)}
    assert expected <= named, result["alerts"]
    # The predictions may drift with their inputs; nothing else may be named.
    assert named - expected <= {("drift", "<prediction>")}, result["alerts"]
    summary = drifted_run.job.summary
    assert "## Monitoring: retrain needed (exit 10)" in summary
    assert f"'{drift.shifted}' drifted" in summary


# ---------------------------------------------------------------- the report, in a browser


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
def test_report_opens_in_headless_chromium_with_every_plot_drawn(drifted_run, traffic):
    from playwright.sync_api import sync_playwright

    report = drifted_run.workflow.artifacts / "monitoring-report" / "monitoring.html"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda message: (
                    problems.append(f"console {message.type}: {message.text}")
                    if message.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
            page.on("requestfailed", lambda request: problems.append(f"fetch: {request.url}"))
            page.goto(report.as_uri(), wait_until="load")
            plots = page.locator("div.plotly-graph-div")
            count = plots.count()
            drawn = page.locator("div.plotly-graph-div.js-plotly-plot")  # Plotly's mark
            with_traces = page.locator("div.js-plotly-plot:has(svg.main-svg g.trace)")
            titles = page.locator("div.js-plotly-plot .gtitle").all_text_contents()
            heading = page.locator("h1").inner_text()
            counts = (drawn.count(), with_traces.count())
        finally:
            browser.close()
    assert problems == []
    features = traffic.drift.features
    # One plot per input column, the predictions, and the latency over time, at least.
    assert count >= len(features) + 2, titles
    assert counts == (count, count), f"{count} plots, drawn and with data: {counts}"
    assert features <= set(titles), titles
    assert "retrain needed" in heading
