"""`copier update` brings template changes into a project without losing the user's edits.

The template is tagged v1.0.0 in a private clone, a project is generated and edited by its
"user", then the template changes (a Makefile target, a changed default, a new dependency)
and is tagged v2.0.0, and the project is updated. The update locks again: uv.lock then holds
the new dependency, and a lock left stale is refused by `make setup` in one line.
"""

from __future__ import annotations

import shutil
import tomllib

import copier
import pytest
from plumbum import local

from .helpers import commit_all, copy_project, git, project_env, read_answers, run

SECOND_TAG = "v2.0.0"
NEW_MAKE_TARGET = "docs-check: ## Added by template v2\n\t@echo docs ok\n"
# Already in the lock as a dependency of DVC: locking again needs no download, yet the
# project's own requirements change, so the v1 lock no longer matches pyproject.toml.
NEW_DEPENDENCY = "tabulate"


def _derived(project):
    return project / "src" / read_answers(project)["package_name"] / "features" / "derived.py"


def _user_edits(project):
    """Edit code, params and a doc, and add a file of the user's own; commit."""
    derived = _derived(project)
    derived.write_text(derived.read_text() + "\n\nUSER_NOTE = 'kept by update'\n")
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("max_iter: 200", "max_iter: 150"))
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our team notes\n\nAsk Ana before retraining.\n")
    (project / "docs" / "field_notes.md").write_text("# Field notes\n\nOur own file.\n")
    commit_all(project, "User edits")


def _template_change(template):
    """v2: a new Makefile target (no conflict), a new default that the user also edited, and
    a new dependency (the user did not touch pyproject.toml)."""
    makefile = template / "template" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\n" + NEW_MAKE_TARGET)
    params = template / "template" / "params.yaml.jinja"
    params.write_text(params.read_text().replace("max_iter: 200", "max_iter: 250"))
    pyproject = template / "template" / "pyproject.toml.jinja"
    anchor = '    "typer>=0.12",\n'
    assert anchor in pyproject.read_text()
    pyproject.write_text(
        pyproject.read_text().replace(anchor, f'{anchor}    "{NEW_DEPENDENCY}>=0.9",\n')
    )
    commit_all(template, "Template v2")
    git(template, "tag", SECOND_TAG)


@pytest.fixture(scope="module")
def updated_project(template_clone, tmp_path_factory):
    """Updated once for the module: the tests only read the result."""
    folder = tmp_path_factory.mktemp("update")
    template = folder / "template"
    shutil.copytree(template_clone, template, symlinks=True)  # a copy that may be tagged again
    project = copy_project(template, folder / "project", commit=True)
    _user_edits(project)
    _template_change(template)
    with local.env(**project_env()):
        copier.run_update(
            project, defaults=True, overwrite=True, unsafe=True, quiet=True, conflict="inline"
        )
    return project


def test_update_moves_the_recorded_template_version(updated_project):
    assert read_answers(updated_project)["_commit"] == SECOND_TAG


def test_template_change_arrives(updated_project):
    assert NEW_MAKE_TARGET in (updated_project / "Makefile").read_text()


def test_user_edits_and_files_survive(updated_project):
    derived = _derived(updated_project)
    assert "USER_NOTE = 'kept by update'" in derived.read_text()
    assert "Ask Ana before retraining." in (updated_project / "README.md").read_text()
    assert (
        updated_project / "docs" / "field_notes.md"
    ).read_text() == "# Field notes\n\nOur own file.\n"


def test_conflicting_change_is_shown_inline_not_lost(updated_project):
    params = (updated_project / "params.yaml").read_text()
    assert "<<<<<<<" in params
    assert ">>>>>>>" in params
    assert "max_iter: 150" in params  # the user's value
    assert "max_iter: 250" in params  # the template's new value


def test_update_is_left_for_review_not_committed(updated_project):
    status = git(updated_project, "status", "--porcelain")
    assert "Makefile" in status
    assert git(updated_project, "log", "-1", "--format=%s") == "User edits"


def _locked_requirements(project, lock_text):
    """The names of the project's own dependencies as the lock ``lock_text`` records them."""
    slug = read_answers(project)["project_slug"]
    (own,) = [p for p in tomllib.loads(lock_text)["package"] if p["name"] == slug]
    return {dependency["name"] for dependency in own["dependencies"]}


def test_update_locks_the_new_dependency_and_the_lock_matches(updated_project, tmp_path):
    assert f'"{NEW_DEPENDENCY}>=0.9"' in (updated_project / "pyproject.toml").read_text()
    lock = (updated_project / "uv.lock").read_text()
    assert NEW_DEPENDENCY in _locked_requirements(updated_project, lock)
    # The user's committed lock, made by v1, did not have it: the update locked again.
    committed = git(updated_project, "show", "HEAD:uv.lock")
    assert NEW_DEPENDENCY not in _locked_requirements(updated_project, committed)
    project = tmp_path / "project"  # a copy: the module's tests share the updated project
    shutil.copytree(updated_project, project, symlinks=True)
    run(["uv", "sync", "--locked"], project)


def test_make_setup_refuses_a_stale_lock_in_one_line(updated_project, tmp_path):
    """What the update fixed: v1's lock beside v2's pyproject.toml, with its new dependency."""
    project = tmp_path / "project"
    shutil.copytree(updated_project, project, symlinks=True)
    (project / "uv.lock").write_text(git(project, "show", "HEAD:uv.lock") + "\n")
    setup = run(["make", "setup"], project, check=False)
    assert setup.returncode != 0
    errors = [line for line in setup.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, setup.stderr
    assert "uv.lock" in errors[0], setup.stderr
    assert "run `uv lock`" in setup.stderr, setup.stderr
