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


def _package(project: Path) -> Path:
    """The project's package folder (src/<package_name>)."""
    (package,) = [path for path in (project / "src").iterdir() if (path / "cli.py").is_file()]
    return package


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
    _replace(_package(project) / "data" / "split.py", "random_state=seed", "random_state=None", 2)


def plant_model_worse_than_baseline(project: Path) -> None:
    """model-5: a linear model regularised so hard that it predicts the most frequent class.

    The search is switched off so that train uses exactly this setting.
    """

    def edit(params: dict) -> None:
        params["tune"]["enabled"] = False
        params["train"]["estimator"] = "linear"
        params["train"]["hyperparameters"]["linear"]["C"] = 1e-9

    _edit_params(project, edit)


def plant_serving_skew(project: Path) -> None:
    """monitor-3: the server rounds decimal inputs to whole numbers before predicting.

    The pipeline sees the exact values, so served predictions drift from training's.
    """
    _replace(
        _package(project) / "serving" / "frames.py",
        "return np.array(values, dtype=np.float64)  # None becomes NaN",
        "return np.round(np.array(values, dtype=np.float64))  # None becomes NaN",
        1,
    )


def plant_bad_slice(project: Path) -> None:
    """model-6: the labels of one slice were recorded in random order.

    The target is shuffled among the rows of one value of a categorical feature (the value
    whose rows are most evenly split between two classes: Dream in the demo, holding Adelie
    and Chinstrap penguins), and ``data.source`` points at that copy of the data. Every value
    stays one the schema accepts, the model still beats the baseline on the whole, and the
    inclusion attribute (``evaluate.inclusion.attribute``) is never the shuffled column, so
    only the slices of that value fall below their floor.
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
    members = [row for row in rows if row[column] == chosen]
    labels = [row[target] for row in members]
    random.Random(0).shuffle(labels)  # noqa: S311 (a reproducible shuffle, no secret)
    for row, label in zip(members, labels, strict=True):
        row[target] = label
    planted = project / "data" / "external" / "relabelled.csv"
    planted.parent.mkdir(parents=True, exist_ok=True)
    with planted.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    def edit(params: dict) -> None:
        params["data"]["source"] = str(planted.relative_to(project))

    _edit_params(project, edit)
