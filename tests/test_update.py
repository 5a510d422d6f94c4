"""`copier update` brings template changes into a project without losing the user's edits.

The template is tagged v1.0.0 in a private clone, a project is generated and edited by its
"user", then the template changes and is tagged v2.0.0, and the project is updated.
"""

from __future__ import annotations

import shutil

import copier
import pytest
from plumbum import local

from .helpers import commit_all, copy_project, git, project_env, read_answers

SECOND_TAG = "v2.0.0"
NEW_MAKE_TARGET = "docs-check: ## Added by template v2\n\t@echo docs ok\n"


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
    """v2: a new Makefile target (no conflict) and a new default that the user also edited."""
    makefile = template / "template" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\n" + NEW_MAKE_TARGET)
    params = template / "template" / "params.yaml.jinja"
    params.write_text(params.read_text().replace("max_iter: 200", "max_iter: 250"))
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
