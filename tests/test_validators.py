"""Every bad answer is refused before anything is written.

A free-text answer is refused by its validator in copier.yml, with a message naming the rule
and a valid example. A value outside a question's choices is refused by copier itself,
before any validator runs, so choice questions have no validator restating their choices.
"""

from __future__ import annotations

import subprocess

import pytest

from .helpers import COPIER_CONFIG, copier_copy_command, copy_project, read_answers

# (question, bad answer, words the error must contain: the rule and a valid example)
BAD_ANSWERS = [
    ("project_name", "   ", ["must not be empty", "Penguin Classifier"]),
    ("project_slug", "My Project", ["lowercase", "penguin-classifier"]),
    ("project_slug", "Penguins", ["lowercase", "penguin-classifier"]),
    ("project_slug", "-penguins", ["starting with a letter", "penguin-classifier"]),
    ("package_name", "penguin-model", ["no dashes", "penguin_classifier"]),
    ("package_name", "2penguins", ["not starting with a digit", "penguin_classifier"]),
    ("package_name", "class", ["Python keyword", "penguin_classifier"]),
    ("package_name", "Penguins", ["lowercase", "penguin_classifier"]),
    ("project_description", "", ["must not be empty", "Classify penguin species"]),
    ("project_description", 'Says "hi"', ["double quotes", "Classify penguin species"]),
    ("author_name", " ", ["must not be empty", "Jane Doe"]),
    ("author_email", "jane.doe", ["not a valid email", "jane.doe@example.com"]),
    ("author_email", "jane@doe", ["not a valid email", "jane.doe@example.com"]),
    ("author_email", "jane doe@example.com", ["not a valid email", "jane.doe@example.com"]),
    ("github_owner", "jane_doe", ["not a valid GitHub owner", "jane-doe"]),
    ("github_owner", "-jane", ["not a valid GitHub owner", "jane-doe"]),
    ("copyright_year", "26", ["four-digit year", "2026"]),
]

# (question with choices, a value that is not one of them)
BAD_CHOICES = [
    ("license", "GPL-3.0"),
    ("python_version", "3.10"),
    ("dataset", "mine"),
    ("problem_type", "clustering"),
    ("dvc_remote", "ftp"),
    ("experiment_tracking", "wandb"),
    ("library_source", "git"),
]

# Remote-specific answers are only asked for their remote.
BAD_REMOTE_ANSWERS = [
    (
        {"dvc_remote": "local", "dvc_remote_url": "relative/path"},
        ["absolute path", "/srv/dvc-storage/"],
    ),
    (
        {"dvc_remote": "s3", "dvc_remote_url": "gs://bucket/x"},
        ["s3://bucket-name/prefix", "s3://my-bucket/"],
    ),
    ({"dvc_remote": "s3", "dvc_remote_s3_region": "Europe"}, ["not an AWS region", "eu-west-1"]),
    (
        {"dvc_remote": "s3", "dvc_remote_s3_endpoint_url": "minio:9000"},
        ["http(s) URL", "https://minio.example.com"],
    ),
    (
        {"dvc_remote": "gcs", "dvc_remote_url": "s3://bucket"},
        ["gs://bucket-name/prefix", "gs://my-bucket/"],
    ),
    (
        {"dvc_remote": "gcs", "dvc_remote_gcs_project": "X"},
        ["Google Cloud project ID", "my-ml-project"],
    ),
    (
        {"dvc_remote": "azure", "dvc_remote_url": "azure://A_B"},
        ["azure://container-name", "azure://my-container/"],
    ),
    (
        {"dvc_remote": "azure", "dvc_remote_azure_account": "My-Store"},
        ["storage account", "mlprojectstorage"],
    ),
]

# Own-data answers are only asked when the user brings their own data.
BAD_DATA_ANSWERS = [
    ({"dataset": "own", "data_source": "  "}, ["must not be empty", "data/external/wine.csv"]),
    ({"dataset": "own", "data_source": " data.csv"}, ["surrounding spaces"]),
    (
        {"dataset": "own", "data_source": "postgresql://analyst:hunter2@db.example.com/sales"},
        ["contains a password", "${DB_PASSWORD}"],
    ),
    (
        {"dataset": "own", "data_source": "sqlite:///data/app.db", "data_query": " "},
        ["needs a query", "SELECT * FROM"],
    ),
    (
        {"dataset": "own", "data_source": "data/wine.csv", "target_column": ""},
        ["must not be empty", "species"],
    ),
    ({"dataset": "demo", "problem_type": "infer"}, ["demo data", "classification", "regression"]),
]


def _assert_refused(template_clone, tmp_path, answers, expected_words):
    destination = tmp_path / "project"
    # Copier names the question: "Validation error for question 'x'" or "Invalid choice for 'x'".
    question = next(reversed(answers))
    with pytest.raises(ValueError, match=f"for (question )?'{question}'") as refused:
        copy_project(template_clone, destination, skip_tasks=True, **answers)
    message = str(refused.value)
    for word in expected_words:
        assert word in message, message
    assert not destination.exists() or not any(destination.iterdir())


@pytest.mark.parametrize(
    ("question", "answer", "expected_words"),
    BAD_ANSWERS,
    ids=[f"{question}={answer!r}" for question, answer, _ in BAD_ANSWERS],
)
def test_bad_answer_is_refused_and_nothing_is_written(
    template_clone, tmp_path, question, answer, expected_words
):
    _assert_refused(template_clone, tmp_path, {question: answer}, expected_words)


def _choices(question: str) -> list[str]:
    choices = COPIER_CONFIG[question]["choices"]
    return [str(value) for value in (choices.values() if isinstance(choices, dict) else choices)]


@pytest.mark.parametrize(
    ("question", "answer"), BAD_CHOICES, ids=[f"{q}={a!r}" for q, a in BAD_CHOICES]
)
def test_a_value_outside_the_choices_is_refused_by_copier(
    template_clone, tmp_path, question, answer
):
    """Copier's own refusal (not a validator's) names the question and the valid choices."""
    expected = [f"Invalid choice for '{question}'", repr(answer), *map(repr, _choices(question))]
    _assert_refused(template_clone, tmp_path, {question: answer}, expected)


def test_every_question_with_choices_has_a_bad_choice_case():
    with_choices = {
        key for key, spec in COPIER_CONFIG.items() if isinstance(spec, dict) and "choices" in spec
    }
    assert with_choices == {question for question, _ in BAD_CHOICES}


def test_names_are_derived_without_accents_and_soft_keywords_are_allowed(template_clone, tmp_path):
    """The slug and the GitHub owner keep the letters of accented names (slugify in
    extensions/questions.py); a soft keyword such as `match` is a valid package name."""
    project = copy_project(
        template_clone,
        tmp_path / "project",
        skip_tasks=True,
        project_name="Café Übersicht 2",
        author_name="José Núñez",
    )
    answers = read_answers(project)
    assert answers["project_slug"] == "cafe-ubersicht-2"
    assert answers["package_name"] == "cafe_ubersicht_2"
    assert answers["github_owner"] == "jose-nunez"
    soft = copy_project(template_clone, tmp_path / "soft", skip_tasks=True, package_name="match")
    assert (soft / "src" / "match" / "__init__.py").is_file()


@pytest.mark.parametrize(
    ("answers", "expected_words"),
    BAD_REMOTE_ANSWERS,
    ids=[
        next(reversed(answers.items()))[0] + "-" + answers["dvc_remote"]
        for answers, _ in BAD_REMOTE_ANSWERS
    ],
)
def test_bad_remote_answer_is_refused(template_clone, tmp_path, answers, expected_words):
    _assert_refused(template_clone, tmp_path, answers, expected_words)


@pytest.mark.parametrize(
    ("answers", "expected_words"),
    BAD_DATA_ANSWERS,
    ids=[
        f"{next(reversed(answers.items()))[0]}={next(reversed(answers.values()))!r}"
        for answers, _ in BAD_DATA_ANSWERS
    ],
)
def test_bad_data_answer_is_refused(template_clone, tmp_path, answers, expected_words):
    _assert_refused(template_clone, tmp_path, answers, expected_words)


def test_every_question_with_free_text_has_a_validator_test():
    """A new free-text question must come with a bad-answer case above."""
    from .helpers import COPIER_CONFIG

    covered = {question for question, _, _ in BAD_ANSWERS}
    covered |= {key for answers, _ in BAD_REMOTE_ANSWERS + BAD_DATA_ANSWERS for key in answers}
    with_validator = {
        key for key, spec in COPIER_CONFIG.items() if isinstance(spec, dict) and "validator" in spec
    }
    assert with_validator <= covered, sorted(with_validator - covered)


def test_command_line_refuses_bad_answer_and_writes_nothing(template_clone, tmp_path):
    destination = tmp_path / "project"
    result = subprocess.run(
        copier_copy_command(template_clone, destination, "--data", "package_name=my-package"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "no dashes" in result.stdout + result.stderr
    assert not destination.exists() or not any(destination.iterdir())
