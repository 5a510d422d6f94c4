"""Bad data and bad settings stop the generated project with one clear line (issue 7).

Each case gives the demo project a corrupted copy of its data as ``data.source`` (or a bad
setting, or a bad command line) and runs what a user would: the stage commands
(``uv run --frozen <slug> ingest``, ``validate``, ``split``) or ``dvc repro``. The last
command must exit non-zero with exactly one line starting with ``error:`` that names the
file, column, key or rule, and no traceback; the trained model and the metrics must be
byte for byte what they were. Parquet and a ``;``-delimited Latin-1 CSV must work.

All cases share the project that ``built("defaults")`` trained; after each case every file
of it (outside .venv, .git and DVC's cache) is put back as it was.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .helpers import project_files, run
from .own_data import free_port, http_server, write_sqlite

pytestmark = pytest.mark.slow

# What a failed run must never touch.
PRODUCED = ("models/", "metrics/")
RAW = "data/raw/dataset.csv"


def _restore(project: Path, saved: dict[str, bytes]) -> None:
    current = project_files(project)
    for name in current.keys() - saved.keys():
        (project / name).unlink()
    for name, content in saved.items():
        if current.get(name) != content:
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_bytes(content)


@dataclass
class Workspace:
    """The trained demo project, its files as they were, and ways to break it."""

    path: Path
    slug: str
    saved: dict[str, bytes]
    reference: pd.DataFrame  # the demo data as ingested

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(["uv", "run", "--frozen", self.slug, *args], self.path, check=False)

    def dvc_repro(self) -> subprocess.CompletedProcess[str]:
        return run(["uv", "run", "--frozen", "dvc", "repro"], self.path, check=False)

    def params(self) -> dict:
        return yaml.safe_load((self.path / "params.yaml").read_text(encoding="utf-8"))

    def set_params(self, **changes: object) -> None:
        """Set dotted keys, e.g. ``set_params(**{"data.source": "x.csv"})``."""
        params = self.params()
        for dotted, value in changes.items():
            *sections, key = dotted.split(".")
            section = params
            for name in sections:
                section = section[name]
            section[key] = value
        (self.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    def changed(self) -> list[str]:
        now = project_files(self.path)
        return sorted(
            name for name in now.keys() | self.saved.keys() if now.get(name) != self.saved.get(name)
        )

    def assert_refused(self, result: subprocess.CompletedProcess[str], *names: str) -> str:
        """One `error:` line (plus detail) naming each of ``names``; models and metrics kept."""
        output = f"{result.stdout}\n{result.stderr}"
        shown = (
            f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
        assert result.returncode != 0, shown
        assert "Traceback" not in output, shown
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, shown
        message = result.stderr[result.stderr.index("error:") :]
        for name in names:
            assert name in message, f"{name!r} not named\n{shown}"
        lost = [name for name in self.changed() if name.startswith(PRODUCED)]
        assert lost == [], f"a failed run changed {lost}\n{shown}"
        return message


@pytest.fixture(scope="module")
def demo(built) -> Workspace:
    project, _ = built("defaults")
    scripts = tomllib.loads((project / "pyproject.toml").read_text())["project"]["scripts"]
    (slug,) = scripts
    saved = project_files(project)
    assert any(name.startswith("models/") for name in saved), "the demo project has no model"
    return Workspace(project, slug, saved, pd.read_csv(project / RAW))


@pytest.fixture
def workspace(demo: Workspace) -> Iterator[Workspace]:
    yield demo
    _restore(demo.path, demo.saved)
    assert demo.changed() == []


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


# ---------------------------------------------------------------------------------------
# Bad data given as data.source


def _copy(reference: pd.DataFrame) -> pd.DataFrame:
    return reference.copy()


def _empty_numeric(frame: pd.DataFrame) -> pd.DataFrame:
    frame["bill_depth_mm"] = float("nan")
    return frame


def _text_in_numeric(frame: pd.DataFrame) -> pd.DataFrame:
    frame["bill_length_mm"] = frame["bill_length_mm"].astype(object)
    frame.loc[[3, 10, 20], "bill_length_mm"] = "n/a?"
    return frame


def _out_of_range(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[5, "flipper_length_mm"] = 9999.0
    return frame


def _unseen_category(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[5, "island"] = "Atlantis"
    return frame


def _one_class(frame: pd.DataFrame) -> pd.DataFrame:
    frame["species"] = "Adelie"
    return frame


def _rare_classes(frame: pd.DataFrame) -> pd.DataFrame:
    """Two examples each of two species: split.min_class_rows leaves them out, and one
    species is not enough to classify."""
    common = frame["species"] == "Adelie"
    rare = [frame[frame["species"] == name].head(2) for name in ("Chinstrap", "Gentoo")]
    return pd.concat([frame[common], *rare])


@dataclass(frozen=True)
class BadData:
    """Corrupt the demo data, give it as the source, run ``commands``: the last one fails."""

    corrupt: Callable[[pd.DataFrame], pd.DataFrame]
    commands: tuple[str, ...]
    names: tuple[str, ...]  # what the error must name; {source} is the file's path
    not_named: tuple[str, ...] = ()  # what it must not say


BAD_DATA = {
    "numeric-feature-entirely-empty": BadData(
        _empty_numeric,
        ("ingest", "validate"),
        ("bill_depth_mm", "100.0% missing", "quality.max_missing_fraction"),
    ),
    "every-row-five-times": BadData(
        lambda frame: pd.concat([frame] * 5, ignore_index=True),
        ("ingest", "validate"),
        ("quality.max_duplicate_fraction", "80.0% of rows repeat an earlier row"),
    ),
    "header-only": BadData(lambda frame: frame.head(0), ("ingest",), ("{source}", "no rows")),
    "out-of-range": BadData(
        _out_of_range,
        ("ingest", "validate"),
        ("flipper_length_mm", "in_range", "1 row(s)", "9999"),
    ),
    "unseen-category": BadData(
        _unseen_category, ("ingest", "validate"), ("island", "isin", "1 row(s)", "'Atlantis'")
    ),
    "feature-column-missing": BadData(
        lambda frame: frame.drop(columns=["flipper_length_mm"]),
        ("ingest", "validate"),
        (RAW, "'flipper_length_mm'", "data.features"),
        ("did you mean",),  # the close names are columns the model already reads
    ),
    "target-with-one-class": BadData(
        _one_class, ("ingest", "validate", "split"), ("'species'", "single class")
    ),
    "one-class-left-after-the-rare-ones": BadData(
        _rare_classes,
        ("ingest", "validate", "split"),
        ("single class", "'Chinstrap' (2)", "'Gentoo' (2)", "split.min_class_rows=10"),
    ),
    "too-few-rows": BadData(
        lambda frame: frame.groupby("species").head(4),
        ("ingest", "validate"),
        ("at least 30 rows", "quality.min_rows", "12 rows"),
    ),
}


@pytest.mark.parametrize("case", BAD_DATA.values(), ids=BAD_DATA.keys())
def test_bad_data_is_refused_with_one_line(workspace, tmp_path, case):
    source = tmp_path / "corrupted.csv"
    case.corrupt(_copy(workspace.reference)).to_csv(source, index=False)
    workspace.set_params(**{"data.source": str(source)})
    *before, last = case.commands
    for command in before:
        _ok(workspace.command(command))
    names = [name.format(source=source) for name in case.names]
    message = workspace.assert_refused(workspace.command(last), *names)
    for wrong in case.not_named:
        assert wrong not in message, message


BAD_FILES: dict[str, tuple[Callable[[pd.DataFrame], bytes], str]] = {
    "zero-bytes": (lambda frame: b"", "is empty (0 bytes)"),
    "binary": (lambda frame: bytes(range(256)) * 64, "is a binary file"),
    "json-named-csv": (
        lambda frame: frame.to_json(orient="records").encode(),
        "looks like JSON, not CSV",
    ),
}


@pytest.mark.parametrize(("content", "problem"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_unreadable_file_fails_ingest_and_keeps_the_raw_data(
    workspace, tmp_path, content, problem
):
    source = tmp_path / "dataset.csv"
    source.write_bytes(content(workspace.reference))
    workspace.set_params(**{"data.source": str(source)})
    workspace.assert_refused(workspace.command("ingest"), str(source), problem)
    assert workspace.changed() == ["params.yaml"]  # the raw data and its report are kept


def test_text_in_a_numeric_column_is_reported_once_with_its_row_count(workspace, tmp_path):
    source = tmp_path / "text.csv"
    _text_in_numeric(_copy(workspace.reference)).to_csv(source, index=False)
    workspace.set_params(**{"data.source": str(source)})
    _ok(workspace.command("ingest"))
    message = workspace.assert_refused(
        workspace.command("validate"), "bill_length_mm", "3 row(s)", "'n/a?'"
    )
    assert message.count("bill_length_mm") == 1, message
    report = yaml.safe_load((workspace.path / "reports/validation.json").read_text())
    (violation,) = report["violations"]
    assert (violation["column"], violation["failing_rows"]) == ("bill_length_mm", 3)
    assert violation["examples"] == ["'n/a?'"]


def test_unreachable_url_and_http_error_are_one_line(workspace, tmp_path):
    closed = f"http://127.0.0.1:{free_port()}/penguins.csv"
    workspace.set_params(**{"data.source": closed})
    workspace.assert_refused(workspace.command("ingest"), closed, "cannot reach")
    with http_server(tmp_path) as base:
        missing = f"{base}/no-such-file.csv"
        workspace.set_params(**{"data.source": missing})
        workspace.assert_refused(workspace.command("ingest"), missing, "HTTP 404")
    assert workspace.changed() == ["params.yaml"]


def test_a_parquet_file_is_read_like_the_csv(workspace, tmp_path):
    source = tmp_path / "penguins.parquet"
    workspace.reference.to_parquet(source, index=False)
    workspace.set_params(**{"data.source": str(source)})
    _ok(workspace.command("ingest"))
    # The same rows as the demo's own raw file, so they pass validation as those did.
    pd.testing.assert_frame_equal(pd.read_csv(workspace.path / RAW), workspace.reference)


def test_a_semicolon_latin1_csv_is_adopted(workspace, tmp_path):
    source = tmp_path / "penguins-latin1.csv"
    frame = _copy(workspace.reference)
    observers = ["Zoë Müller", "Jürgen Ærø", "Gaëlle Côté"]
    frame["observer"] = [observers[row % 3] for row in range(len(frame))]
    frame.to_csv(source, sep=";", index=False, encoding="latin-1")
    _ok(workspace.command("adopt", str(source), "--target", "species"))  # ingests it too
    raw = pd.read_csv(workspace.path / RAW)
    assert list(raw.columns) == list(frame.columns)
    assert sorted(raw["observer"].unique()) == sorted(observers)


def test_exact_duplicates_never_straddle_train_and_test(workspace, tmp_path):
    source = tmp_path / "repeated.csv"
    repeated = pd.concat([workspace.reference] * 5, ignore_index=True)
    repeated.to_csv(source, index=False)
    workspace.set_params(**{"data.source": str(source)})
    # A user who knows the data repeats rows raises the schema's limit to accept them.
    schema = workspace.path / "schemas/raw.schema.yaml"
    text = schema.read_text()
    assert "max_duplicate_fraction: 0.05" in text
    schema.write_text(text.replace("max_duplicate_fraction: 0.05", "max_duplicate_fraction: 0.9"))
    _ok(workspace.command("ingest"))
    assert "1376 exact duplicate rows" in _ok(workspace.command("validate"))
    _ok(workspace.command("split"))
    splits = {
        name: pd.read_csv(workspace.path / "data/processed" / f"{name}.csv")
        for name in ("train", "val", "test")
    }
    assert sum(len(split) for split in splits.values()) == len(repeated.dropna(subset=["species"]))
    keys = {
        name: set(pd.util.hash_pandas_object(split, index=False)) for name, split in splits.items()
    }
    assert keys["test"].isdisjoint(keys["train"] | keys["val"])
    assert keys["val"].isdisjoint(keys["train"])


# ---------------------------------------------------------------------------------------
# Bad settings and bad command lines


def _misspell_train_section(workspace: Workspace) -> None:
    params = workspace.path / "params.yaml"
    text = params.read_text()
    assert "\ntrain:\n" in text
    params.write_text(text.replace("\ntrain:\n", "\ntrian:\n"))


def test_misspelt_section_under_dvc_repro_stops_before_any_stage(workspace):
    """DVC reads dvc.yaml's ${train.model_dir} before any stage can run, and stops there.

    No project code runs first, so this message is DVC's: it names the key dvc.yaml needs
    (train.model_dir), not the typo; any project command names the typo (next test).
    """
    _misspell_train_section(workspace)
    result = workspace.dvc_repro()
    shown = f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode != 0, shown
    assert "Traceback" not in shown
    assert "Running stage" not in shown
    (line,) = [line for line in shown.splitlines() if line.startswith("ERROR:")]
    assert "Could not find 'train.model_dir'" in line, shown
    assert workspace.changed() == ["params.yaml"], shown


def test_misspelt_section_under_make_pipeline_is_named_before_dvc_reads_it(workspace):
    _misspell_train_section(workspace)
    result = run(["make", "pipeline"], workspace.path, check=False)
    workspace.assert_refused(
        result, "params.yaml", "trian: unknown key", "allowed:", "did you mean 'train'?"
    )
    # make stopped at the check: DVC neither ran a stage nor printed its own parse error.
    assert "Running stage" not in result.stdout
    assert "Could not find" not in result.stderr
    assert workspace.changed() == ["params.yaml"]


def test_misspelt_section_under_a_stage_command_names_it_and_the_allowed_keys(workspace):
    _misspell_train_section(workspace)
    result = workspace.command("validate")
    workspace.assert_refused(
        result, "params.yaml", "trian: unknown key", "allowed:", "did you mean 'train'?"
    )
    assert result.returncode == 2


def test_unsupported_estimator_stops_dvc_repro_at_the_first_stage(workspace):
    workspace.set_params(**{"train.estimator": "xgboost"})
    result = workspace.dvc_repro()
    workspace.assert_refused(
        result, "train.estimator", "'hist_gradient_boosting', 'linear', 'random_forest'"
    )
    assert "Running stage 'train'" not in result.stdout
    # ingest checks params.yaml before it reads anything, and DVC keeps its outputs.
    assert workspace.changed() == ["params.yaml"]


def test_a_feature_not_in_the_data_is_caught_by_validate_with_a_suggestion(workspace):
    numeric = workspace.params()["data"]["features"]["numeric"]
    misspelt = [name.replace("flipper_length_mm", "flipper_lenght_mm") for name in numeric]
    assert misspelt != numeric
    workspace.set_params(**{"data.features.numeric": misspelt})
    workspace.assert_refused(
        workspace.command("validate"), "'flipper_lenght_mm'", "did you mean 'flipper_length_mm'?"
    )


def test_a_params_file_that_is_not_yaml(workspace, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("data:\n  source: [unclosed\n")
    workspace.assert_refused(
        workspace.command("train", "--params", str(broken)), str(broken), "not valid YAML"
    )


def test_predict_on_a_missing_file(workspace, tmp_path):
    missing = tmp_path / "rows.csv"
    result = workspace.command("predict", str(missing))
    workspace.assert_refused(result, str(missing), "not found", "the model's input columns")


def test_adopt_with_a_missing_target_suggests_the_closest_column(workspace):
    result = workspace.command("adopt", "palmerpenguins", "--target", "specis")
    workspace.assert_refused(result, "'specis'", "did you mean 'species'?")
    assert workspace.changed() == []


def test_adopt_refuses_data_too_small_to_split(workspace, tmp_path):
    small = tmp_path / "small.csv"
    small.write_text("checks,colour,released\n3,White,Yes\nabc,Black,No\n")
    result = workspace.command("adopt", str(small), "--target", "released")
    workspace.assert_refused(result, str(small), "has 2 rows", "schema.min_rows=30")
    # adopt reads the data through ingest, which wrote its raw copy before the refusal (as for
    # adopt's other refusals of the data); params.yaml, the schema, models and metrics stand.
    assert workspace.changed() == ["data/raw/dataset.csv", "reports/ingest.json"]


def test_adopt_with_an_unknown_problem_type(workspace):
    result = workspace.command("adopt", "--problem-type", "nonsense")
    workspace.assert_refused(result, "'nonsense'", "infer, classification, regression")
    assert workspace.changed() == []


BAD_DATABASE_URLS = {
    "port-not-a-number": (
        "postgresql://analyst@db.example.com:port/sales",
        "is not a valid database URL",
    ),
    "unknown-dialect": ("nosuchdb://analyst@db.example.com/sales", "no SQLAlchemy dialect"),
}


@pytest.mark.parametrize(("url", "problem"), BAD_DATABASE_URLS.values(), ids=BAD_DATABASE_URLS)
def test_a_bad_database_url(workspace, url, problem):
    result = workspace.command("adopt", url, "--target", "species", "--query", "SELECT 1")
    workspace.assert_refused(result, url, problem)
    assert workspace.changed() == []


def test_a_failing_database_query(workspace, tmp_path):
    url = write_sqlite(workspace.reference, tmp_path / "penguins.sqlite", "penguins")
    workspace.set_params(**{"data.source": url, "data.query": "SELECT * FROM pengiuns"})
    workspace.assert_refused(workspace.command("ingest"), url, "no such table: pengiuns")
    assert workspace.changed() == ["params.yaml"]
