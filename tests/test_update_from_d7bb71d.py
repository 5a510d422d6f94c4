"""`copier update` from the last layout before tabular-mlops (d7bb71d) to this one.

A project generated at d7bb71d kept every generic module in its own ``src/`` (87 modules)
and the derived-feature registry in its ``features/derived.py``. Its "user" edits a
params value, the README and the derived-feature module (a feature of their own) and adds a
module of their own; the update must keep all four, remove the generic modules, leave no
conflict, and the updated project's ``make all`` must pass.

The two versions are tagged in a private repository: v1.0.0 holds the template as it was
at d7bb71d (from this repository's history), v2.0.0 the working tree.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile

import copier
import pytest
from plumbum import local

from .helpers import (
    TEMPLATE_ROOT,
    clone_working_tree,
    commit_all,
    copy_project,
    git,
    project_env,
    read_answers,
    run,
)

pytestmark = pytest.mark.slow

BEFORE_THE_LIBRARY = "d7bb71d"
USER_FEATURE = '''

@register("bill_area", requires=("bill_length_mm", "bill_depth_mm"))
def bill_area(frame: pd.DataFrame) -> pd.Series:
    """Ours: the bill's length times its depth."""
    return frame["bill_length_mm"].astype(float) * frame["bill_depth_mm"].astype(float)
'''
USER_MODULE = '''"""Ours: a helper the team added."""


def greeting(name: str) -> str:
    """Say hello."""
    return f"hello {name}"
'''
# What a project's src/<package>/ holds after the update: its own files only.
OWN_FILES = {
    "__init__.py",
    "__main__.py",
    "cli.py",
    "features/__init__.py",
    "features/derived.py",
    "modeling/__init__.py",
    "modeling/estimators.py",
    "team_helpers.py",
}


def _template_repository(folder):
    """v1.0.0: the template at d7bb71d; v2.0.0: the working tree."""
    template = folder / "template"
    template.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", BEFORE_THE_LIBRARY],
        cwd=TEMPLATE_ROOT, capture_output=True, check=False,
    )  # fmt: skip
    assert archive.returncode == 0, (
        f"this test needs commit {BEFORE_THE_LIBRARY} in the repository's history (a full "
        f"clone, not a shallow one): {archive.stderr.decode()}"
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(template, filter="data")
    git(template, "init", "--quiet", "--initial-branch=main")
    commit_all(template, f"The template at {BEFORE_THE_LIBRARY}")
    git(template, "tag", "v1.0.0")
    new = clone_working_tree(folder / "new")
    git(template, "rm", "-r", "--quiet", ".")
    shutil.copytree(new, template, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    commit_all(template, "The template now")
    git(template, "tag", "v2.0.0")
    return template


def _user_edits(project, package):
    params = project / "params.yaml"
    assert "seed: 42" in params.read_text()
    params.write_text(params.read_text().replace("seed: 42", "seed: 7", 1))
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our team notes\n\nAsk Ana before retraining.\n")
    derived = project / "src" / package / "features" / "derived.py"
    derived.write_text(derived.read_text() + USER_FEATURE)
    (project / "src" / package / "team_helpers.py").write_text(USER_MODULE)
    commit_all(project, "User edits")


@pytest.fixture(scope="module")
def updated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("update-from-d7bb71d")
    template = _template_repository(folder)
    project = copy_project(template, folder / "project", commit=True, vcs_ref="v1.0.0")
    package = read_answers(project)["package_name"]
    assert (project / "src" / package / "serving" / "app.py").is_file()  # the old layout
    _user_edits(project, package)
    with local.env(**project_env()):
        copier.run_update(
            project, vcs_ref="v2.0.0", defaults=True, overwrite=True, unsafe=True, quiet=True,
            conflict="inline",
        )  # fmt: skip
    return project, package


def test_the_generic_modules_leave_and_the_users_stay(updated):
    project, package = updated
    source = project / "src" / package
    files = {path.relative_to(source).as_posix() for path in source.rglob("*.py")}
    assert files == OWN_FILES
    assert (source / "team_helpers.py").read_text() == USER_MODULE


def test_the_users_edits_are_kept_without_a_conflict(updated):
    project, package = updated
    markers = ["git", "grep", "-l", "-e", "^<<<<<<< ", "-e", "^>>>>>>> "]
    conflicts = run(markers, project, check=False).stdout
    assert conflicts == "", f"conflict markers in: {conflicts}"
    assert "seed: 7" in (project / "params.yaml").read_text()
    assert "Ask Ana before retraining." in (project / "README.md").read_text()
    derived = (project / "src" / package / "features" / "derived.py").read_text()
    assert USER_FEATURE.strip() in derived
    assert "from tabular_mlops.features.derived import register" in derived
    assert "DERIVED_FEATURES" not in derived  # the registry is the library's now
    assert read_answers(project)["_commit"] == "v2.0.0"


def test_the_updated_project_passes_make_all(updated, tmp_path):
    project, _ = updated
    copy = tmp_path / "project"  # the module's tests share the updated project
    shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    run(["make", "all"], copy, timeout=1800)
    registered = run(
        ["uv", "run", "--frozen", "python", "-c",
         "from tabular_mlops.features.derived import derived_features; "
         "from tabular_mlops.project import load_derived_features; "
         "load_derived_features(); print(sorted(derived_features()))"],
        copy,
    ).stdout  # fmt: skip
    assert "'bill_area'" in registered  # the user's feature, registered from their module
