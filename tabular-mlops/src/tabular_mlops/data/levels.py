"""A category's level as text: the one spelling that training, the schema, the API and the
monitor all use for it.

A column of codes such as ``3, 4, 5, rotary`` is a category whose levels are text, but the
same value reaches the code in several types: ``"4"`` in the raw CSV, the integer ``4`` in a
split whose rows happen to hold only numbers (pandas then reads the column as numbers),
``4.0`` when that split also has gaps, and the JSON number ``4`` from an API client. Each
is the level ``"4"``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

_WHOLE_NUMBER = re.compile(r"-?\d+\.0+")


def level_text(value: Any) -> str | None:
    """``value`` as a level's text (True -> "True"; 2, 2.0 and "2.0" -> "2"); None when
    missing. A whole number's text loses its ".0": the schema of a category read as numbers
    with gaps (a column named by ``adopt --categorical``) holds "4.0", which is the level 4."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text.split(".")[0] if _WHOLE_NUMBER.fullmatch(text) else text


def _column_levels(column: pd.Series) -> pd.Series:
    if column.dtype == object:  # mixed types: True, 1 and 1.0 are one key, yet two levels
        texts = np.array([level_text(value) for value in column], dtype=object)
    else:  # one type: each distinct value's text once (a 20,000-row split, 40 times faster)
        codes, distinct = pd.factorize(column)
        texts = np.array([*(level_text(value) for value in distinct), None], dtype=object)[codes]
    return pd.Series(texts, index=column.index, dtype=object).fillna(np.nan)


def as_levels(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``frame`` as its level's text, missing ones as NaN (for an imputer)."""
    texts: pd.DataFrame = frame.apply(_column_levels)
    return texts
