"""Derived features: small, pure functions of the raw columns.

Adding a feature is one function in this module, under the :func:`register` decorator
that names it and the raw columns it reads; listing the name under
``data.features.derived`` in ``params.yaml`` switches it on. Nothing else changes: the
schema, the API's request model and the monitoring reference describe raw columns only,
and training and serving both compute the feature, since both call
:func:`add_derived_features` (the standard check
tabular_mlops/checks/features/test_adding_a_feature.py adds one this way and trains with
it). Write it here rather than in a notebook: a saved model looks its derived features up
by name when it computes them, and tabular-mlops (the library that holds the
registry, ``tabular_mlops.features.derived``) imports this module wherever a model runs,
because pyproject.toml declares it (``[project.entry-points."tabular_mlops.project"]``).

``adopt`` keeps a derived feature only when the adopted data has every column it reads,
so the example below (from the demo penguins data) drops out on other data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tabular_mlops.features.derived import register


@register("bill_ratio", requires=("bill_length_mm", "bill_depth_mm"))
def bill_ratio(frame: pd.DataFrame) -> pd.Series:
    """Demo data: bill length over bill depth, which separates species with similar bills."""
    depth = frame["bill_depth_mm"].astype(float).replace(0.0, np.nan)
    return frame["bill_length_mm"].astype(float) / depth
