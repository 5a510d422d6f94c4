"""Adopting real data works end to end, with no hand edits (issue 7's proof).

Five real datasets that ship inside packages are adopted six times (the raw penguins table
twice, with two targets), each by a freshly rendered project, one per kind of source: a CSV
file inside the project (relative path), a Parquet file, a SQLite table with a query, a URL
on a local HTTP server, a PostgreSQL table with a query and a password read from the
environment, and a CSV given to `copier copy` (the copy task runs `adopt`). Between them:
missing values, categorical and true/false columns, column names with spaces, slashes and
parentheses, ten classes, two numeric targets, dates, free text, constant and identifier
columns. For each: `make all` is green with zero edits, the model beats its baseline, the
gate passed, the served model answers a row of the data, and adopting again changes
nothing. The demo goes through the same `adopt` path. The raw penguins, with a date column
and the birds' sex, are the data on which every ML Test Score item applies, for each
problem type.

The projects are built two at a time (a thread pool), so one build's waits (uv, servers,
process start-up) overlap the other's work, and their `make all` runs share one mypy cache:
mypy checks each file's hash against the cache, so the result is the same as a cold run,
but the third-party packages that every project imports are analysed once.
"""

from __future__ import annotations

import difflib
import json
import re
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from .helpers import LOWER_IS_BETTER, copy_project, git, project_env, read_answers, run
from .own_data import (
    DATASETS,
    Dataset,
    http_server,
    is_finite_number,
    json_row,
    postgres_bin_dir,
    postgres_server,
    predict_with_server,
    write_sqlite,
)
from .server import free_port

pytestmark = pytest.mark.slow

PASSWORD_VARIABLE = "OWN_DATA_TEST_PG_PASSWORD"  # noqa: S105 (a variable name)
# The project adopts the demo before its own data, to show both take the same path.
DEMO_CHECKED_IN = "wine"
# What adopt must decide for columns that make each dataset awkward.
EXPECTED_DECISIONS: dict[str, dict[str, list[str]]] = {
    "wine": {"numeric": ["od280/od315_of_diluted_wines", "alcohol"]},
    "diabetes": {"numeric": ["age", "bmi", "s1"]},
    "penguin-species": {
        "numeric": ["Culmen Length (mm)", "Body Mass (g)"],
        "categorical": ["Island", "Sex"],
        "datetime": ["Date Egg"],  # 11/11/07: its year, month and day of the week
        "excluded": ["Region", "Stage", "Individual ID"],
    },
    "digits": {"numeric": ["pixel_3_4"], "excluded": ["pixel_0_0"]},
    "job-training": {
        "boolean": ["married", "u74", "u75"],
        "categorical": ["ethn"],
        "numeric": ["re75"],
        "excluded": ["rownames"],
    },
    "penguins-raw": {
        "numeric": ["Culmen Length (mm)", "Delta 15 N (o/oo)"],
        "categorical": ["Island", "Sex"],
        "datetime": ["Date Egg"],
        "excluded": ["Region", "Stage", "Individual ID"],
    },
}


# The tests that use one dataset without being parametrized.
DATASET_OF_TEST = {
    "test_the_database_password_never_reaches_a_file": "job-training",
    "test_the_demo_is_adopted_through_the_same_path": DEMO_CHECKED_IN,
}


@dataclass(frozen=True)
class Source:
    """How a dataset is adopted: the SOURCE argument, the query, the env it needs."""

    argument: str
    query: str | None = None
    copy_from: Path | None = None  # a file the user puts into the project at `argument`
    secret: str | None = None  # a password that must never reach a file
    skip_reason: str | None = None


@dataclass(frozen=True)
class Adopted:
    """A project after `adopt` and `make all`."""

    dataset: Dataset
    source: Source
    project: Path
    slug: str
    adopt_output: str
    params_after_adopt: bytes
    schema_after_adopt: bytes
    make_output: str
    demo_params: tuple[bytes, bytes] | None  # params.yaml before and after adopting the demo
    demo_schema: tuple[bytes, bytes] | None


def _adopt_command(slug: str, source: Source, target: str) -> list[str]:
    command = ["uv", "run", "--frozen", slug, "adopt", source.argument, "--target", target]
    return command + (["--query", source.query] if source.query else [])


@pytest.fixture(scope="session")
def own_sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Source]]:
    """Each dataset written as its kind of source; the servers run until the session ends."""
    folder = tmp_path_factory.mktemp("own-data-sources")
    frames = {name: dataset.load() for name, dataset in DATASETS.items()}
    sources: dict[str, Source] = {}
    # The wine CSV is copied into the project and adopted by a relative path.
    frames["wine"].to_csv(folder / "wine.csv", index=False)
    sources["wine"] = Source("data/external/wine.csv", copy_from=folder / "wine.csv")
    frames["diabetes"].to_parquet(folder / "diabetes.parquet", index=False)
    sources["diabetes"] = Source(str(folder / "diabetes.parquet"))
    url = write_sqlite(frames["penguin-species"], folder / "penguins.sqlite", "penguins")
    # A query that quotes a column name holding spaces and parentheses.
    query = 'SELECT * FROM penguins WHERE "Body Mass (g)" IS NOT NULL'
    sources["penguin-species"] = Source(url, query=query)
    frames["penguins-raw"].to_csv(folder / "penguins_raw.csv", index=False)
    sources["penguins-raw"] = Source(str(folder / "penguins_raw.csv"))
    (folder / "web").mkdir()
    frames["digits"].to_csv(folder / "web" / "digits.csv", index=False)

    bin_dir = postgres_bin_dir()
    with http_server(folder / "web") as base_url, pytest.MonkeyPatch.context() as patch:
        sources["digits"] = Source(f"{base_url}/digits.csv")
        if bin_dir is None:
            reason = "no PostgreSQL server (initdb, pg_ctl) on PATH or in /usr/lib/postgresql"
            sources["job-training"] = Source("", skip_reason=reason)
            yield sources
            return
        password = secrets.token_hex(16)
        # The generated project reads the password from this variable, as a user's would.
        patch.setenv(PASSWORD_VARIABLE, password)
        with postgres_server(bin_dir, password) as server:
            server.load(frames["job-training"], "job_training")
            sources["job-training"] = Source(
                server.url(password=f"${{{PASSWORD_VARIABLE}}}"),
                query='SELECT * FROM job_training ORDER BY "rownames"',
                secret=password,
            )
            yield sources


def _make_all(project: Path) -> str:
    result = subprocess.run(
        ["make", "all"], cwd=project, env=project_env(), capture_output=True, text=True,
        timeout=1500, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"make all exited {result.returncode} in {project}\n"
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )
    return result.stdout


def _build(
    dataset: Dataset, source: Source, template: Path, folder: Path, render_lock: threading.Lock
) -> Adopted:
    project = folder / "project"
    answers: dict[str, Any] = {"project_name": dataset.project_name}
    if dataset.source_kind == "copy":
        answers.update(dataset="own", data_source=source.argument, target_column=dataset.target)
    with render_lock:  # copier's tasks run in plumbum's process-wide environment
        copy_project(template, project, commit=True, **answers)
    slug = read_answers(project)["project_slug"]
    params_path, schema_path = project / "params.yaml", project / "schemas" / "raw.schema.yaml"

    demo_params = demo_schema = None
    adopt_output = ""
    if dataset.name == DEMO_CHECKED_IN:
        before = params_path.read_bytes(), schema_path.read_bytes()
        run(["uv", "run", "--frozen", slug, "adopt", "palmerpenguins", "--target", "species"],
            project)  # fmt: skip
        demo_params = before[0], params_path.read_bytes()
        demo_schema = before[1], schema_path.read_bytes()
    if dataset.source_kind == "copy":
        report = project / "reports" / "adoption.md"
        assert report.is_file(), "copier's task did not adopt the data (no reports/adoption.md)"
        adopt_output = report.read_text(encoding="utf-8")
    else:
        if source.copy_from is not None:
            (project / source.argument).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source.copy_from, project / source.argument)
        adopt_output = run(_adopt_command(slug, source, dataset.target), project).stdout
    params_after, schema_after = params_path.read_bytes(), schema_path.read_bytes()
    make_output = _make_all(project)
    return Adopted(
        dataset, source, project, slug, adopt_output, params_after, schema_after, make_output,
        demo_params, demo_schema,
    )  # fmt: skip


@pytest.fixture(scope="session")
def adopted(
    request: pytest.FixtureRequest,
    template_clone: Path,
    tmp_path_factory: pytest.TempPathFactory,
    own_sources: dict[str, Source],
) -> Iterator[Any]:
    """Build every dataset this session's selected tests need, two at a time."""
    root = tmp_path_factory.mktemp("own-data")
    wanted = _datasets_needed(request.session.items)
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="own-data")
    lock = threading.Lock()
    builds: dict[str, Future[Adopted]] = {}

    def get(name: str) -> Adopted:
        source = own_sources[name]
        if source.skip_reason:
            pytest.skip(source.skip_reason)
        # In DATASETS order, so the build the first test waits for starts first.
        for each in [each for each in DATASETS if each in wanted] + [name]:
            if each not in builds and not own_sources[each].skip_reason:
                builds[each] = pool.submit(
                    _build, DATASETS[each], own_sources[each], template_clone, root / each, lock
                )
        return builds[name].result()

    yield get
    pool.shutdown(wait=True, cancel_futures=True)


def _datasets_needed(items: list[pytest.Item]) -> set[str]:
    """The datasets that this session's selected tests of this module use."""
    needed = set()
    for item in items:
        if item.path != Path(__file__):
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            needed.add(callspec.params["name"])
        elif item.name in DATASET_OF_TEST:
            needed.add(DATASET_OF_TEST[item.name])
    return needed


def _diff(before: bytes, after: bytes, name: str) -> str:
    lines = difflib.unified_diff(
        before.decode().splitlines(), after.decode().splitlines(), name, name, lineterm=""
    )
    return "\n".join(lines)


def _params(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", DATASETS)
def test_adopt_infers_the_problem_type_and_the_columns(adopted, name):
    result = adopted(name)
    params = _params(result.project)
    assert params["problem_type"] == result.dataset.problem_type, result.adopt_output
    data = params["data"]
    assert data["target"] == result.dataset.target
    assert data["source"] == result.source.argument
    assert data["query"] == result.source.query
    features = data["features"]
    used = {*features["numeric"], *features["categorical"], *features["boolean"],
            *features["datetime"]}  # fmt: skip
    assert result.dataset.target not in used
    for kind, columns in EXPECTED_DECISIONS[name].items():
        for column in columns:
            if kind == "excluded":
                assert column not in used, (column, features, result.adopt_output)
            else:
                assert column in features[kind], (column, kind, features, result.adopt_output)
    # The decisions are written where the user reviews them.
    report = (result.project / params["adopt"]["report_path"]).read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if "| `" in line}
    for column in EXPECTED_DECISIONS[name].get("excluded", []):
        assert "| excluded |" in rows[f"`{column}`"], report
    # No honest column is a suspected leak (data/leakage.py: the best scores R^2 = 0.79 and
    # balanced accuracy = 0.80 here, against a threshold of 0.97 for either).
    assert "suspected target leak" not in report, report


@pytest.mark.parametrize("name", DATASETS)
def test_make_all_is_green_with_no_edits(adopted, name):
    result = adopted(name)  # `make all` ran, and exited 0, while building
    assert re.search(r"^=+ \d+ passed", result.make_output, re.MULTILINE), result.make_output
    # Nothing the generator or `adopt` wrote was changed by the run (ruff format --check,
    # DVC): the project came out of `adopt` ready.
    changed = git(result.project, "status", "--porcelain", "--untracked-files=no", "--", "src",
                  "tests")  # fmt: skip
    assert changed == "", changed
    assert (result.project / "params.yaml").read_bytes() == result.params_after_adopt
    # The data and the model the pipeline wrote are not offered to Git.
    params = _params(result.project)
    outputs = (
        params["data"]["raw_path"],
        params["split"]["output_dir"],
        params["train"]["model_dir"],
    )
    offered = git(result.project, "status", "--porcelain", "--untracked-files=all")
    leaked = [line for line in offered.splitlines() if line[3:].startswith(outputs)]
    assert leaked == [], offered


@pytest.mark.parametrize("name", DATASETS)
def test_model_beats_its_baseline_and_passes_the_gate(adopted, name):
    result = adopted(name)
    params = _params(result.project)
    gate = params["gate"]
    metric = gate["metric"]
    metrics = json.loads((result.project / params["evaluate"]["metrics_path"]).read_text())
    model, baseline = metrics["model"][metric], metrics["baseline"][metric]
    margin = gate["min_improvement_over_baseline"]
    if metric in LOWER_IS_BETTER:
        assert model <= baseline - margin, metrics
    else:
        assert model >= baseline + margin, metrics
    report = json.loads((result.project / gate["report_path"]).read_text())
    assert report["passed"] is True, report


@pytest.mark.parametrize("name", DATASETS)
def test_the_served_model_answers_a_row_of_the_data(adopted, name):
    result = adopted(name)
    params = _params(result.project)
    data = params["data"]
    features = data["features"]
    columns = [*features["numeric"], *features["categorical"], *features["boolean"],
               *features["datetime"]]  # fmt: skip
    raw = pd.read_csv(result.project / data["raw_path"])
    complete = raw.dropna(subset=[*columns, data["target"]])
    assert not complete.empty, "no row of the data has every feature"
    row = complete.iloc[len(complete) // 2]
    port = free_port()
    command = [str(result.project / ".venv" / "bin" / result.slug), "serve", "--port", str(port)]
    status, body = predict_with_server(
        command, result.project, project_env(), port, json_row(row[columns])
    )
    assert status == 200, body
    prediction = body["prediction"]
    if params["problem_type"] == "classification":
        assert prediction in {str(label) for label in raw[data["target"]].dropna()}, body
    else:
        assert is_finite_number(prediction), body


@pytest.mark.parametrize("name", DATASETS)
def test_adopting_again_changes_nothing(adopted, name):
    result = adopted(name)
    paths = [result.project / "params.yaml", result.project / "schemas" / "raw.schema.yaml"]
    report = result.project / _params(result.project)["adopt"]["report_path"]
    before = [path.read_bytes() for path in [*paths, report]]
    if result.dataset.source_kind == "copy":  # the source is the one in params.yaml
        command = ["uv", "run", "--frozen", result.slug, "adopt"]
    else:
        command = _adopt_command(result.slug, result.source, result.dataset.target)
    run(command, result.project)
    for path, old in zip([*paths, report], before, strict=True):
        assert path.read_bytes() == old, _diff(old, path.read_bytes(), path.name)
    assert before[:2] == [result.params_after_adopt, result.schema_after_adopt]


def test_the_database_password_never_reaches_a_file(adopted):
    result = adopted("job-training")
    assert result.source.secret
    params = _params(result.project)
    assert f"${{{PASSWORD_VARIABLE}}}" in params["data"]["source"]
    project = result.project
    # Every file Git would take, plus the reports and the DVC lock file whatever Git ignores.
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    files = {project / name for name in listed.split("\0") if name}
    files |= {path for path in (project / "reports").rglob("*") if path.is_file()}
    files |= {project / "params.yaml", project / "dvc.lock"}
    leaked = [
        str(path.relative_to(project))
        for path in sorted(files)
        if path.is_file() and result.source.secret.encode() in path.read_bytes()
    ]
    assert leaked == [], f"the password was written to {leaked}"
    # Nor printed: adopt and every stage show the source with the password masked.
    assert result.source.secret not in result.adopt_output + result.make_output


def test_the_demo_is_adopted_through_the_same_path(adopted):
    """In a default render, adopting the demo data rewrites params.yaml and the schema exactly."""
    result = adopted(DEMO_CHECKED_IN)
    assert result.demo_params is not None
    assert result.demo_schema is not None
    before, after = result.demo_params
    assert after == before, _diff(before, after, "params.yaml")
    before, after = result.demo_schema
    assert after == before, _diff(before, after, "schemas/raw.schema.yaml")


# The rubric's sections and the least each must score on adopted data. An item the data
# cannot support is "not applicable" and scores 0: model-7 without a sensitive attribute,
# model-4 without a time column (a row order is not time).
# Such data can reach 6 in the model section only with those items done by hand.
MIN_SECTION_POINTS = 6


def _score(
    result: Adopted,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], dict[str, tuple[float, str]]]:
    """The ML Test Score computed from the outcomes `make all` recorded: the command's
    result, its JSON report, and each item's points and status."""
    scored = run(
        ["make", "-s", "ml-test-score", "FORMAT=json", "FROM=reports/ml_test_score/tests.json"],
        result.project, check=False,
    )  # fmt: skip
    report = json.loads(scored.stdout)
    table = {key: (item["points"], item["status"]) for key, item in report["details"].items()}
    return scored, report, table


@pytest.mark.parametrize("name", DATASETS)
def test_the_computed_ml_test_score_reaches_six_in_every_section(adopted, name):
    result = adopted(name)
    scored, report, table = _score(result)
    inapplicable = {key for key, (_, status) in table.items() if status == "not applicable"}
    assert inapplicable <= {"model-4", "model-7"}, table
    for section, points in report["sections"].items():
        excused = len(inapplicable) if section == "model" else 0
        assert points >= MIN_SECTION_POINTS - excused, (section, table)
    # adopt sets ml_test_score.min_score to what the data allows, so the project's CI is green.
    assert report["score"] == report["min_score"], table
    assert scored.returncode == 0, scored.stderr


# Adopted data with a time column and a sensitive attribute, one per problem type: nothing
# is excused for them.
EVERY_ITEM_APPLIES = ("penguin-species", "penguins-raw")


@pytest.mark.parametrize("name", EVERY_ITEM_APPLIES)
def test_data_of_each_problem_type_scores_six_with_no_item_excused(adopted, name):
    result = adopted(name)
    _, report, table = _score(result)
    assert [key for key, (_, status) in table.items() if status == "not applicable"] == []
    for section in ("data", "model", "infrastructure"):
        assert report["sections"][section] >= MIN_SECTION_POINTS, (section, table)
    assert report["score"] >= MIN_SECTION_POINTS, table
    assert report["min_score"] == MIN_SECTION_POINTS


def test_the_fully_scored_data_cover_both_problem_types():
    kinds = {DATASETS[name].problem_type for name in EVERY_ITEM_APPLIES}
    assert kinds == {"classification", "regression"}
