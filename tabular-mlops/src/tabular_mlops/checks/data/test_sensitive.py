"""``adopt`` finds the column to check inclusion across (ML Test Score model-7) by its name."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from tabular_mlops.adopt import adopt
from tabular_mlops.data.sensitive import (
    NO_ATTRIBUTE_REASON,
    sensitive_attribute,
)

from ..support import PROJECT_ROOT


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["Body Mass (g)", "Sex", "Island"], "Sex"),
        (["treat", "age", "educ", "ethn", "married"], "ethn"),  # ethnicity before age
        (["income", "Age (years)", "maritalStatus"], "Age (years)"),
        (["usage", "page_views", "stage"], None),  # words, not parts of words
        (["alcohol", "malic_acid", "proline"], None),
    ],
)
def test_the_attribute_is_found_by_the_words_of_a_column_name(columns, expected):
    attribute, reason = sensitive_attribute(columns)
    assert attribute == expected
    assert reason == NO_ATTRIBUTE_REASON if expected is None else f"'{expected}'" in reason


def _adopt(tmp_path, monkeypatch, frame):
    (tmp_path / "params.yaml").write_bytes((PROJECT_ROOT / "params.yaml").read_bytes())
    monkeypatch.chdir(tmp_path)
    frame.to_csv(tmp_path / "people.csv", index=False)
    adopt(tmp_path / "params.yaml", source="people.csv", target="spend")
    params = yaml.safe_load((tmp_path / "params.yaml").read_text(encoding="utf-8"))
    return params["evaluate"]["inclusion"]


def _people(rows=60):
    return pd.DataFrame(
        {
            "visits": [index % 7 for index in range(rows)],
            "gender": ["f", "m", "x"] * (rows // 3),
            "spend": [float(index % 11) * 2.5 for index in range(rows)],
        }
    )


def test_adopt_sets_the_attribute_and_keeps_it_on_a_second_run(tmp_path, monkeypatch):
    first = _adopt(tmp_path, monkeypatch, _people())
    assert first["attribute"] == "gender"
    assert first["reason"] is None
    text = (tmp_path / "params.yaml").read_text(encoding="utf-8")
    adopt(tmp_path / "params.yaml", source="people.csv", target="spend")
    assert (tmp_path / "params.yaml").read_text(encoding="utf-8") == text
    assert "`gender`" in (tmp_path / "reports" / "adoption.md").read_text(encoding="utf-8")


def test_adopt_without_such_a_column_writes_null_and_the_reason(tmp_path, monkeypatch):
    inclusion = _adopt(tmp_path, monkeypatch, _people().rename(columns={"gender": "colour"}))
    assert inclusion["attribute"] is None
    assert inclusion["reason"] == NO_ATTRIBUTE_REASON
