"""A category's levels as text: read per distinct value, as each value alone reads."""

import numpy as np
import pandas as pd
import pytest

from tabular_mlops.data.levels import as_levels, level_text

COLUMNS = {
    "text with gaps": pd.Series(["a", None, "b", "a", " 4", "4.0"], dtype="str"),
    "whole floats with gaps": pd.Series([4.0, np.nan, 3.0, 4.0, 8.0, 3.5]),
    "integers": pd.Series([3, 4, 5, 6, 8, 3]),
    "booleans": pd.Series([True, False, True, True, False, False]),
    "nullable booleans": pd.Series([True, pd.NA, False, True, False, pd.NA], dtype="boolean"),
    "nullable integers": pd.Series([1, pd.NA, 2, 2, 1, 3], dtype="Int64"),
    "a pandas category": pd.Series(["x", "y", None, "x", "z", "y"], dtype="category"),
    # True, 1 and 1.0 are one key to a hash table, and three levels' texts.
    "mixed objects": pd.Series([True, 1, 1.0, "1", None, "rotary"], dtype=object),
}


@pytest.mark.parametrize("name", COLUMNS)
def test_each_cell_reads_as_its_value_alone(name: str) -> None:
    column = COLUMNS[name]
    expected = [level_text(value) for value in column]
    read = as_levels(pd.DataFrame({"c": column}))["c"]
    assert [None if pd.isna(text) else text for text in read] == expected
    assert read.dtype == object
