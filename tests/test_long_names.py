"""A long package name renders code that still passes the project's own lint (`make lint`).

The name is written into the generated tests' imports; at 22 characters one line went over
ruff's 100 (found by the sweep, docs/sweep.md: resume-callbacks). The imports that could
are written one name a line, so the line length no longer grows with the name's.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .helpers import copy_project

LONG_NAME = "a_package_name_of_forty_characters_00000"
LONG_SLUG = "a-project-slug-of-forty-characters-00000"  # in docstrings and messages


@pytest.mark.parametrize(("package_name", "slug"), [(LONG_NAME, LONG_SLUG), ("p", "p")])
def test_a_long_or_short_package_name_passes_ruff(template_clone, tmp_path, package_name, slug):
    assert len(LONG_NAME) == len(LONG_SLUG) == 40
    project = copy_project(
        template_clone,
        tmp_path / "project",
        skip_tasks=True,
        package_name=package_name,
        project_slug=slug,
    )
    for command in (["check", "--output-format", "concise", "."], ["format", "--check", "."]):
        ruff = [sys.executable, "-m", "ruff", *command]
        result = subprocess.run(ruff, cwd=project, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"ruff {command[0]}:\n{result.stdout}{result.stderr}"
    assert (project / "src" / package_name).is_dir()
