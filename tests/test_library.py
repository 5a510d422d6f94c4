"""tabular-mlops, the library every generated project pins: one version stated once per side,
its own checks green, and a rendered project that installs exactly the wheel built from it."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from .helpers import COPIER_CONFIG, TEMPLATE_ROOT, run

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
