"""The model lifecycle, for real in a rendered project: register, promote, roll back (slow).

One project goes through what a team does: train v1, register it and put it in prod; change
a hyperparameter, train v2, register it and put it in prod; then roll back. After that the
registry shows v1 in prod, v1's model restored by DVC verifies against the digest recorded
when it was registered, the server started on it reports v1 at /metadata, and the CD
workflow's first job, run here by the workflow runner on the rollback's tag, selects v1
(while a registration tag publishes nothing).
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .helpers import commit_all, copy_project, git, project_env, read_answers, run
from .server import free_port, running_server
from .workflow_runner import WorkflowRun

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Lifecycle:
    project: Path
    slug: str
    v1_sha256: str  # the digest of the model that v1's pipeline run trained
    v2_sha256: str
    rollback_output: str
    restore_and_serve: list[str]  # the documented commands, run by a test


def _cli(project: Path, slug: str, *args: str) -> str:
    return run(["uv", "run", "--frozen", slug, *args], project).stdout


def doc_commands(doc: Path, heading: str) -> list[list[str]]:
    """The shell lines of each ```bash block under ``## heading``, comments removed."""
    section = doc.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    assert blocks, f"no bash block under '## {heading}' in {doc}"
    return [
        [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.strip()]
        for block in blocks
    ]


def _shell(project: Path, lines: list[str]) -> str:
    """Run documented lines as a user would paste them; return what they printed."""
    return "".join(run(["bash", "-ec", line], project, timeout=900).stdout for line in lines)


def _model_sha256(project: Path) -> str:
    return str(json.loads((project / "models" / "model.meta.json").read_text())["sha256"])


@pytest.fixture(scope="module")
def lifecycle(template_clone, tmp_path_factory) -> Lifecycle:
    """v1 through the commands of docs/deployment.md, v2 through the make targets, then
    the documented rollback; every tag is pushed to a local bare repository."""
    folder = tmp_path_factory.mktemp("lifecycle")
    project = copy_project(template_clone, folder / "project", commit=True)
    git(folder, "init", "--quiet", "--bare", "origin.git")
    git(project, "remote", "add", "origin", str(folder / "origin.git"))
    slug = read_answers(project)["project_slug"]
    doc = project / "docs" / "deployment.md"
    (register_and_promote,) = doc_commands(doc, "The model registry: register, promote, deploy")
    rollback, restore_and_serve = doc_commands(doc, "Rollback")

    printed = _shell(project, register_and_promote)
    assert "registered model v1.0.0" in printed
    assert "model v1.0.0 is now in prod (model#prod#2)" in printed  # staging took #1
    v1 = _model_sha256(project)

    params_path = project / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    params["train"]["hyperparameters"]["hist_gradient_boosting"]["max_iter"] = 150
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    run(["make", "pipeline"], project, timeout=900)
    commit_all(project, "Train v2 with fewer boosting iterations")
    v2 = _model_sha256(project)
    assert v2 != v1
    assert "registered model v1.1.0" in run(["make", "register"], project).stdout
    assert "(model#prod#3)" in run(["make", "promote", "STAGE=prod"], project).stdout

    return Lifecycle(project, slug, v1, v2, _shell(project, rollback), restore_and_serve)


def _registry(lifecycle: Lifecycle) -> dict:
    return json.loads(_cli(lifecycle.project, lifecycle.slug, "registry", "--json"))


def test_after_the_rollback_the_registry_shows_v1_in_prod(lifecycle):
    versions = {row["version"]: row for row in _registry(lifecycle)["versions"]}
    assert list(versions) == ["v1.0.0", "v1.1.0"]
    assert versions["v1.0.0"]["stages"] == ["staging", "prod"]  # the documented flow
    assert versions["v1.1.0"]["stages"] == []  # v2 went straight to prod, and was rolled back
    # Each version recorded the digest of the model its commit's pipeline trained.
    assert versions["v1.0.0"]["sha256"] == lifecycle.v1_sha256
    assert versions["v1.1.0"]["sha256"] == lifecycle.v2_sha256
    assert "model v1.0.0 is in prod again (model#prod#4)" in lifecycle.rollback_output
    # The documented push sent every registry tag to the remote, where CD would see them.
    pushed = git(lifecycle.project, "ls-remote", "--tags", "origin")
    for tag in ("model@v1.0.0", "model@v1.1.0", "model#staging#1", "model#prod#4"):
        assert f"refs/tags/{tag}" in pushed


def test_the_restored_model_is_v1s_and_verifies(lifecycle):
    restored = lifecycle.project / "registry" / "v1.0.0"
    check = (
        "import sys; from pathlib import Path; "
        "from tabular_mlops.modeling.registry import "
        "load_verified_model; "
        "_, meta = load_verified_model(Path(sys.argv[1]) / 'model.pkl'); print(meta['sha256'])"
    )
    verified = run(
        ["uv", "run", "--frozen", "python", "-c", check, str(restored)], lifecycle.project
    )
    assert verified.stdout.strip() == lifecycle.v1_sha256
    entry = json.loads((restored / "registry.json").read_text())
    assert entry["version"] == "v1.0.0"
    # The workspace's own model (v2, what HEAD's dvc.lock holds) is left alone.
    meta = json.loads((lifecycle.project / "models" / "model.meta.json").read_text())
    assert meta["sha256"] == lifecycle.v2_sha256


def test_make_rollback_to_a_version_and_a_forged_digest_is_refused(lifecycle, tmp_path):
    """In a clone (tags included) that uses the project's DVC cache."""
    project = tmp_path / "project"
    git(lifecycle.project.parent, "clone", "--quiet", str(lifecycle.project), str(project))
    cache = lifecycle.project / ".dvc" / "cache"
    run(["uv", "run", "--frozen", "dvc", "cache", "dir", str(cache)], project)
    back = run(["make", "rollback", "TO=v1.1.0"], project).stdout
    assert "model v1.1.0 is in prod again (model#prod#5)" in back

    # The restore compares the bytes with the digest written in the registration tag.
    message = git(project, "tag", "--list", "--format=%(contents)", "model@v1.0.0")
    assert lifecycle.v1_sha256 in message
    forged = message.replace(lifecycle.v1_sha256, "f" * 64)
    target = "model@v1.0.0^{commit}"
    git(project, "tag", "--force", "--annotate", "model@v1.0.0", "-m", forged, target)
    command = ["uv", "run", "--frozen", lifecycle.slug, "restore", "v1.0.0"]
    refused = run(command, project, check=False)
    assert refused.returncode == 1
    assert "the registry recorded " + "f" * 64 in refused.stdout + refused.stderr
    assert not (project / "registry" / "v1.0.0").exists()  # nothing half-restored is left


def test_the_documented_restore_and_serve_report_v1(lifecycle):
    restore, serve, query = lifecycle.restore_and_serve
    assert "restored and verified" in _shell(lifecycle.project, [restore])
    assert serve.endswith("serve --model-dir registry/v1.0.0")
    assert query.startswith("curl -s http://127.0.0.1:8000/metadata")
    port = free_port()  # the documented command with another port, so tests can run side by side
    command = ["bash", "-ec", f"exec {serve} --port {port}"]
    with (
        running_server(command, lifecycle.project, project_env(), port) as base_url,
        urllib.request.urlopen(f"{base_url}/metadata", timeout=30) as response,  # noqa: S310
    ):
        metadata = json.loads(response.read())
    assert metadata["model_sha256"] == lifecycle.v1_sha256
    assert metadata["registry"]["version"] == "v1.0.0"


def _cd_workflow(lifecycle: Lifecycle, tag: str, work_dir: Path) -> WorkflowRun:
    """cd.yml as GitHub runs it when ``tag`` is pushed."""
    project = lifecycle.project
    answers = read_answers(project)
    return WorkflowRun(
        project,
        project / ".github" / "workflows" / "cd.yml",
        work_dir=work_dir,
        github={
            "event_name": "push",
            "ref": f"refs/tags/{tag}",
            "ref_name": tag,
            "ref_type": "tag",
            "sha": git(project, "rev-parse", f"{tag}^{{commit}}"),
            "repository": f"{answers['github_owner']}/{answers['project_slug']}",
            "event": {},
        },
    )


def test_cd_deploys_the_version_the_rollback_assigned(lifecycle, tmp_path):
    # Only the job that reads the tag: the image job needs Docker and a registry.
    cd = _cd_workflow(lifecycle, "model#prod#4", tmp_path)
    cd.run_job("release")
    assert cd.failures() == [], cd.report()
    assert cd.jobs["release"].outputs == {"deploy": "true", "registry_version": "v1.0.0"}
    # The job checked out v1's commit: the one whose dvc.lock holds v1's model.
    workspace = cd.jobs["release"].workspace
    assert git(workspace, "rev-parse", "HEAD") == git(
        lifecycle.project, "rev-parse", "model@v1.0.0^{commit}"
    )


def test_cd_publishes_nothing_for_a_registration(lifecycle, tmp_path):
    cd = _cd_workflow(lifecycle, "model@v1.1.0", tmp_path).run()
    assert cd.failures() == [], cd.report()
    assert cd.jobs["release"].outputs["deploy"] == "false"
    assert cd.job_results == {"release": "success", "image": "skipped"}
