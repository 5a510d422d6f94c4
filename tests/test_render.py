"""Cheap structural checks on every named answer combination."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from .combinations import COMBINATIONS, EVERY_COMBINATION
from .helpers import (
    BASELINE_ANSWERS,
    COPIER_CONFIG,
    FIRST_TAG,
    QUESTIONS,
    check_answers_are_questions,
    read_answers,
    rendered_files,
)

# A Jinja expression or statement left behind: "{{ name", "{%- if", "{# note". GitHub
# Actions expressions ("${{ github.sha }}") are meant to be in the generated workflows.
UNRENDERED_JINJA = re.compile(r"(?<!\$)\{\{-?\s*[A-Za-z_]|\{%-?\s*[a-z]|\{#")
# Files whose own syntax legitimately contains Jinja-like braces, and binary files (the
# library's wheel, compressed bytes that can hold "{{" by chance).
JINJA_LIKE_ALLOWED = {"uv.lock"}
BINARY_SUFFIXES = {".whl"}


@EVERY_COMBINATION
def test_no_unrendered_jinja_in_contents_or_paths(rendered, name):
    project = rendered(name)
    for path in rendered_files(project):
        relative = path.relative_to(project)
        assert not UNRENDERED_JINJA.search(str(relative)), relative
        assert path.suffix != ".jinja", relative
        if path.name in JINJA_LIKE_ALLOWED or path.suffix in BINARY_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        match = UNRENDERED_JINJA.search(text)
        assert match is None, f"{relative}: {text[max(match.start() - 60, 0) : match.end() + 60]!r}"


@EVERY_COMBINATION
def test_no_quote_characters_in_paths(rendered, name):
    project = rendered(name)
    for path in rendered_files(project):
        assert '"' not in str(path.relative_to(project))
        assert "'" not in str(path.relative_to(project))


@EVERY_COMBINATION
def test_answers_file_records_every_answer(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
    assert answers["_commit"] == FIRST_TAG
    for key, value in {**BASELINE_ANSWERS, **COMBINATIONS[name]}.items():
        assert answers[key] == value, key
    assert set(answers) - {"_commit", "_src_path"} <= QUESTIONS


@EVERY_COMBINATION
def test_package_layout_and_metadata_agree(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
    package = answers["package_name"]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == answers["project_slug"]
    assert pyproject["project"]["scripts"][answers["project_slug"]] == f"{package}.cli:main"
    # The project's own code: its derived features and its candidates (the rest is tabular-mlops).
    for folder in ("features", "modeling"):
        assert (project / "src" / package / folder / "__init__.py").is_file()
    assert not (project / "src" / package / "data").exists()
    # models/ is absent on purpose: the train stage creates it (one DVC output).
    for folder in ("data/raw", "data/processed", "notebooks", "tests", "deploy", "docs"):
        assert (project / folder).is_dir(), folder
    # The interpreter pin agrees everywhere it appears.
    version = answers["python_version"]
    assert (project / ".python-version").read_text().strip() == version
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert pyproject["tool"]["ruff"]["target-version"] == "py311"  # the supported floor
    assert pyproject["tool"]["mypy"]["python_version"] == version
    assert f"Programming Language :: Python :: {version}" in pyproject["project"]["classifiers"]
    assert (project / "uv.lock").is_file()


@EVERY_COMBINATION
def test_licence_matches_the_answer(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
    licence_text = (project / "LICENSE").read_text()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    expected_heading = {
        "MIT": "MIT License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Apache-2.0": "Apache License, Version 2.0",
        "proprietary": "All rights reserved",
    }[answers["license"]]
    assert expected_heading in licence_text
    assert answers["author_name"] in licence_text
    if answers["license"] == "proprietary":
        assert "license" not in pyproject["project"]
        assert "Private :: Do Not Upload" in pyproject["project"]["classifiers"]
    else:
        assert pyproject["project"]["license"] == answers["license"]


@EVERY_COMBINATION
def test_dvc_remote_and_plugin_match_the_answer(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
    config = (project / ".dvc" / "config").read_text()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    pipeline = pyproject["dependency-groups"]["pipeline"]
    remote = answers["dvc_remote"]
    plugin = {
        "none": "dvc>",
        "local": "dvc>",
        "s3": "dvc[s3]",
        "gcs": "dvc[gs]",
        "azure": "dvc[azure]",
    }
    assert any(dependency.startswith(plugin[remote]) for dependency in pipeline), pipeline
    if remote == "none":
        assert "remote" not in config
        return
    assert "remote = storage" in config
    assert f"url = {answers['dvc_remote_url']}" in config
    expected_extra = {
        "local": None,
        "s3": f"region = {answers.get('dvc_remote_s3_region')}",
        "gcs": f"projectname = {answers.get('dvc_remote_gcs_project')}",
        "azure": f"account_name = {answers.get('dvc_remote_azure_account')}",
    }[remote]
    if expected_extra:
        assert expected_extra in config
    lock = (project / "uv.lock").read_text()
    if remote in {"s3", "gcs", "azure"}:
        assert f'name = "dvc-{ {"s3": "s3", "gcs": "gs", "azure": "azure"}[remote] }"' in lock


@EVERY_COMBINATION
def test_params_select_the_problem_type(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    if answers["dataset"] == "own":
        # Not adopted yet (the source does not exist): the answers are recorded, no features.
        assert params["data"]["source"] == answers["data_source"]
        assert params["data"]["target"] == answers["target_column"]
        assert not any(params["data"]["features"][kind] for kind in ("numeric", "categorical"))
        assert not (project / "schemas" / "raw.schema.yaml").exists()
    else:
        assert params["problem_type"] == answers["problem_type"]
        expected_target = {"classification": "species", "regression": "body_mass_g"}
        assert params["data"]["target"] == expected_target[answers["problem_type"]]
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text())
    stages = pipeline["stages"]
    assert " ".join(stages) == (
        "ingest validate split tune train evaluate gate canary staleness-impact"
    )
    # The registry's model (its path cannot use ${...}: DVC does not expand artifacts).
    assert pipeline["artifacts"]["model"] == {
        "path": f"{params['train']['model_dir']}/model.pkl",
        "type": "model",
        "desc": "The model served by the API",
    }
    for stage in stages.values():
        assert stage["cmd"].startswith(answers["project_slug"] + " ")


@EVERY_COMBINATION
def test_the_test_helper_refuses_unknown_answer_keys(name):
    check_answers_are_questions(COMBINATIONS[name])
    with pytest.raises(AssertionError, match="pakage_name"):
        check_answers_are_questions({"pakage_name": "typo"})


def test_the_baseline_answers_are_copier_defaults():
    """So the "defaults" combination renders what `copier copy --defaults` does."""
    check_answers_are_questions(BASELINE_ANSWERS)
    defaults = {key: COPIER_CONFIG[key]["default"] for key in BASELINE_ANSWERS}
    assert defaults == BASELINE_ANSWERS
    assert COMBINATIONS["defaults"] == {}
