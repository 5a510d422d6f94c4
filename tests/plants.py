"""Defects planted in a rendered project, one per ML Test Score item they must cost.

Each ``plant_*`` function edits a rendered (default, classification) project the way a real
mistake would: tests/test_ml_test_score.py runs the project's covering tests afterwards and
checks that exactly the items in ``PLANTS`` drop to 0. A plant changes only what its
docstring says, so that any other item that drops is a finding, not noise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml


def _library(project: Path) -> Path:
    """The copy of tabular-mlops installed in the project's environment: a plant in the
    machinery edits it there, as a bug in the pinned version would be."""
    (library,) = project.glob(".venv/lib/python3*/site-packages/tabular_mlops")
    return library


def _replace(path: Path, old: str, new: str, count: int) -> None:
    """Replace ``old`` exactly ``count`` times in ``path``: the plant must hit real code."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{path}: expected {count} x {old!r}, found {text.count(old)}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _edit_params(project: Path, edit: Callable[[dict], None]) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(params)
    path.write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")


def plant_unseeded_split(project: Path) -> None:
    """infra-1: the split ignores the seed, so two runs of the pipeline split differently."""
    _replace(_library(project) / "data" / "split.py", "random_state=seed", "random_state=None", 2)


def plant_model_no_better_than_baseline(project: Path) -> None:
    """model-5: a linear model regularised so hard that it predicts the most frequent class,
    exactly as the trivial baseline does.

    The search is switched off so that train uses exactly this setting.
    """

    def edit(params: dict) -> None:
        params["tune"]["enabled"] = False
        params["train"]["estimator"] = "linear"
        params["train"]["hyperparameters"]["linear"]["C"] = 1e-9

    _edit_params(project, edit)


def plant_serving_skew(project: Path) -> None:
    """monitor-3: the server reads decimal inputs from another zero point (10 units off).

    The pipeline sees the values as trained, so served predictions differ from training's.
    """
    _replace(
        _library(project) / "serving" / "frames.py",
        "return np.array(values, dtype=np.float64)  # None becomes NaN",
        "return np.array(values, dtype=np.float64) + 10  # None becomes NaN",
        1,
    )


def plant_bad_slice(project: Path) -> None:
    """model-6: the labels of one slice were scrambled when the data was recorded.

    Every row of one value of a categorical feature gets a class drawn at random from the
    classes of that value's rows (the value whose rows are most evenly split between two
    classes: Dream in the demo, where a coin now decides between Adelie and Chinstrap), and
    ``data.source`` points at that copy of the data. Every value stays one the schema
    accepts, the model still beats the baseline on the whole, and the scrambled column is
    never the inclusion attribute (``evaluate.inclusion.attribute``), so only that slice
    falls below its floor.
    """
    import csv
    import random
    from collections import Counter

    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    raw = project / params["data"]["raw_path"]
    assert raw.is_file(), f"{raw} is missing: run the pipeline (make all) before planting"
    with raw.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        fields, rows = list(reader.fieldnames or []), list(reader)
    target = params["data"]["target"]
    attribute = params["evaluate"]["inclusion"]["attribute"]
    column = next(c for c in params["data"]["features"]["categorical"] if c != attribute)

    def minority(value: str) -> int:
        classes = Counter(row[target] for row in rows if row[column] == value).most_common()
        return classes[1][1] if len(classes) > 1 else 0

    chosen = max(sorted({row[column] for row in rows if row[column]}), key=minority)
    assert minority(chosen) > 0, f"no value of '{column}' holds two classes of '{target}'"
    classes = sorted({row[target] for row in rows if row[column] == chosen and row[target]})
    scramble = random.Random(1)  # noqa: S311 (a reproducible draw, no secret)
    for row in rows:
        if row[column] == chosen and row[target]:
            row[target] = scramble.choice(classes)
    planted = project / "data" / "external" / "relabelled.csv"
    planted.parent.mkdir(parents=True, exist_ok=True)
    with planted.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    def edit(params: dict) -> None:
        params["data"]["source"] = str(planted.relative_to(project))

    _edit_params(project, edit)


def plant_personal_feature(project: Path) -> None:
    """data-4 and data-5: an e-mail address, personal data nobody declared, feeds the model.

    The data gains a column ``email``: the (made-up) address of the field worker who measured
    each row, one per value of a categorical feature (island in the demo: one worker per
    island). It becomes a categorical model input and the schema records its values, so the
    data stays valid and the column carries real information (no noise for data-2, no slice
    of its own worse than the others'); but ``schemas/columns.yaml`` is not told about it.
    The pipeline only warns about an undeclared input, so it still trains: what fails are
    the tests that every input is declared (data-4) and that no undeclared personal data
    reaches the model (data-5).
    """
    import copy
    import csv

    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    raw = project / params["data"]["raw_path"]
    assert raw.is_file(), f"{raw} is missing: run the pipeline (make all) before planting"
    with raw.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        fields, rows = list(reader.fieldnames or []), list(reader)
    attribute = params["evaluate"].get("inclusion", {}).get("attribute")
    column = next(c for c in params["data"]["features"]["categorical"] if c != attribute)
    workers = ["ana.lima", "ben.okafor", "chen.wei", "dara.nolan", "eli.haddad", "fay.moreau"]
    values = sorted({row[column] for row in rows if row[column]})
    assert len(values) <= len(workers), f"'{column}' has more values than made-up workers"
    address = {value: f"{workers[i]}@field-station.example" for i, value in enumerate(values)}
    for row in rows:
        row["email"] = address.get(row[column], "")
    planted = project / "data" / "external" / "with_email.csv"
    planted.parent.mkdir(parents=True, exist_ok=True)
    with planted.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=[*fields, "email"])
        writer.writeheader()
        writer.writerows(rows)

    def edit(params: dict) -> None:
        params["data"]["source"] = str(planted.relative_to(project))
        params["data"]["features"]["categorical"].append("email")

    _edit_params(project, edit)
    schema_path = project / params["schema"]["path"]
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    entry = copy.deepcopy(schema["columns"][column])  # a categorical column's entry
    entry["isin"] = sorted(address.values())
    entry["nullable"] = any(not row[column] for row in rows)
    schema["columns"]["email"] = entry
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False), encoding="utf-8")


def plant_noise_feature(project: Path) -> None:
    """data-2: a column of seeded random numbers becomes a declared, valid model input.

    The data gains a numeric column ``probe_reading`` drawn from a normal distribution with
    a fixed seed, unrelated to anything: as if a sensor that was never connected had been
    logged with the data. ``data.source`` points at that copy of the data, the column is
    listed under ``data.features.numeric``, the schema gets its range (as ``adopt`` infers
    it: the observed span widened by ``schema.range_margin``) and ``schema.columns_path``
    declares it (owner, source, allowed in production, not personal). So the data stays
    valid and every input is declared; only the test that no feature is pure noise fails.
    """
    import copy
    import csv
    import random

    column = "probe_reading"
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    raw = project / params["data"]["raw_path"]
    assert raw.is_file(), f"{raw} is missing: run the pipeline (make all) before planting"
    with raw.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        fields, rows = list(reader.fieldnames or []), list(reader)
    generator = random.Random(20261130)  # noqa: S311 (reproducible noise, no secret)
    values = [round(generator.gauss(0.0, 1.0), 4) for _ in rows]
    for row, value in zip(rows, values, strict=True):
        row[column] = str(value)
    planted = project / "data" / "external" / "with_probe.csv"
    planted.parent.mkdir(parents=True, exist_ok=True)
    with planted.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=[*fields, column])
        writer.writeheader()
        writer.writerows(rows)

    def edit(params: dict) -> None:
        params["data"]["source"] = str(planted.relative_to(project))
        params["data"]["features"]["numeric"].append(column)

    _edit_params(project, edit)
    schema_path = project / params["schema"]["path"]
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    margin = float(params["schema"]["range_margin"]) * (max(values) - min(values))
    schema["columns"][column] = {
        "dtype": "float64",
        "nullable": False,
        "coerce": True,
        "in_range": {
            "min_value": round(min(values) - margin, 4),
            "max_value": round(max(values) + margin, 4),
            "include_min": True,
            "include_max": True,
        },
    }
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False), encoding="utf-8")
    columns_path = params["schema"].get("columns_path")
    if columns_path:  # the column metadata sidecar (data-4): declare the new input
        path = project / columns_path
        catalog = yaml.safe_load(path.read_text(encoding="utf-8"))
        entry = copy.deepcopy(next(iter(catalog["columns"].values())))
        entry.update(source="probe logger (seeded random numbers)", production=True)
        entry["personal"] = False
        catalog["columns"][column] = entry
        path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
