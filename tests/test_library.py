"""tabular-mlops, the library every generated project pins: one version stated once per side,
its own checks green, and a rendered project that installs exactly the wheel built from it."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from .helpers import (
    COPIER_CONFIG,
    TEMPLATE_ROOT,
    copier_copy_command,
    copy_project,
    project_env,
    read_answers,
    run,
)

LIBRARY = TEMPLATE_ROOT / "tabular-mlops"
VERSION = tomllib.loads((LIBRARY / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "version"
]


def test_the_template_pins_the_version_the_library_states_and_the_changelog_describes():
    assert COPIER_CONFIG["library_version"]["default"] == VERSION
    changelog = (LIBRARY / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(VERSION)}\b", changelog, re.MULTILINE), changelog[:300]


@pytest.mark.parametrize(
    "check",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff", "format", "mypy"],
)
def test_the_library_passes_its_linters(check):
    run(["uv", "run", "--locked", *check], LIBRARY)


def test_a_project_installs_the_wheel_built_from_the_library_pinned_by_hash(rendered, tmp_path):
    project = rendered("defaults")
    wheel = f"wheels/tabular_mlops-{VERSION}-py3-none-any.whl"
    assert (project / wheel).is_file()
    ignored = subprocess.run(["git", "check-ignore", "-v", wheel], cwd=project, check=False,
                             capture_output=True, text=True)  # fmt: skip
    assert ignored.returncode == 1, f"CI and clones need the wheel committed: {ignored.stdout}"
    assert not list((project / "src").glob("*/atomic.py"))  # the library's now
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    (entry,) = [p for p in lock["package"] if p["name"] == "tabular-mlops"]
    assert entry["version"] == VERSION
    assert entry["source"] == {"path": wheel}
    assert entry["wheels"][0]["hash"].startswith("sha256:")
    run(["uv", "build", "--wheel", "--quiet", "--out-dir", str(tmp_path), "."], LIBRARY)
    # the build is reproducible: the same version always has the hash uv.lock pinned
    assert (tmp_path / Path(wheel).name).read_bytes() == (project / wheel).read_bytes()


def test_library_source_pypi_installs_the_published_release(template_clone, tmp_path):
    project = copy_project(
        template_clone, tmp_path / "project", skip_tasks=True, library_source="pypi"
    )
    assert not (project / "wheels").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"tabular-mlops=={VERSION}" in pyproject["project"]["dependencies"]
    assert "sources" not in pyproject["tool"]["uv"]
    assert "wheels" not in (project / "Dockerfile").read_text(encoding="utf-8")
    # The index as it will serve the release: a folder holding the wheel built from the library.
    index = tmp_path / "index"
    run(["uv", "build", "--wheel", "--quiet", "--out-dir", str(index), "."], LIBRARY)
    run(["uv", "lock", "--quiet", "--find-links", str(index)], project)
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    (entry,) = [p for p in lock["package"] if p["name"] == "tabular-mlops"]
    assert entry["version"] == VERSION
    assert "registry" in entry["source"], entry["source"]  # from the index, not wheels/
    run(["uv", "sync", "--frozen", "--quiet", "--no-default-groups", "--find-links", str(index)],
        project)  # fmt: skip
    slug = read_answers(project)["project_slug"]
    assert "check-params" in run(["uv", "run", "--frozen", "--no-sync", slug, "--help"],
                                 project).stdout  # fmt: skip


def test_library_source_pypi_says_when_the_version_is_not_published(template_clone, tmp_path):
    # Offline, so that what the real index holds cannot change the outcome: the lock finds
    # no tabular-mlops and the copy stops with the task's one-line explanation.
    destination = tmp_path / "project"
    command = copier_copy_command(template_clone, destination, "--data", "library_source=pypi")
    result = subprocess.run(command, env={**project_env(), "UV_OFFLINE": "1"}, check=False,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode != 0
    explained = f"library_source=pypi installs tabular-mlops=={VERSION}"
    assert explained in result.stderr, result.stderr[-3000:]
    assert "answer library_source=bundled" in result.stderr
