"""The slice check screens every group on the setting's resamples and draws the many
resamples that Holm's procedure needs only for a group that could fail."""

from typing import Any

import numpy as np
import pandas as pd

from tabular_mlops.modeling.resampling import holm, regression_table
from tabular_mlops.modeling.slices import ABSOLUTE, Scorer, compare_groups, metric_rule

GROUPS, ROWS_EACH = 150, 40


def _many_groups(bad: int | None) -> tuple[Scorer, dict[str, pd.Series]]:
    """150 groups of rows predicted alike; ``bad``, if set, with ten times the error."""
    rng = np.random.default_rng(0)
    names = pd.Series(np.repeat([f"g{i:03d}" for i in range(GROUPS)], ROWS_EACH))
    truth = rng.normal(100, 10, len(names))
    noise = rng.normal(0, 1, len(names))
    if bad is not None:
        noise[(names == f"g{bad:03d}").to_numpy()] *= 10
    table = regression_table(truth, truth + noise, np.zeros(len(names)))
    return Scorer("rmse", table, ABSOLUTE, 5), {"code": names}


def _failed(entries: dict[str, dict[str, Any]], alpha: float = 0.05) -> set[str]:
    judged = [name for name, entry in entries.items() if entry["judged"]]
    rejected = holm(np.array([entries[name]["p_gap"] for name in judged]), alpha)
    return {name for name, no in zip(judged, rejected, strict=True) if no}


def test_only_a_group_that_could_fail_is_drawn_again_and_the_verdict_is_unchanged() -> None:
    one, columns = _many_groups(bad=7)
    rule = {"gap": metric_rule("rmse", 0.5, None)}
    full = compare_groups(one, columns, 15, rule, 6000, 0)["code"]
    screened = compare_groups(one, columns, 15, rule, 6000, 0, screen=(1000, 0.05))["code"]
    assert _failed(full) == _failed(screened) == {"g007"}
    assert [name for name, entry in screened.items() if "resamples" in entry] == ["g007"]
    assert screened["g007"]["p_gap"] < 0.05 / GROUPS  # as small as Holm's first threshold needs
    # The others keep the screening p-value: on 1,000 resamples, never below 1/1001.
    assert min(e["p_gap"] for name, e in screened.items() if name != "g007") > 2 * 0.05


def test_healthy_groups_are_screened_only() -> None:
    one, columns = _many_groups(bad=None)
    rule = {"gap": metric_rule("rmse", 0.5, None)}
    screened = compare_groups(one, columns, 15, rule, 6000, 0, screen=(1000, 0.05))["code"]
    assert not _failed(screened)
    assert not any("resamples" in entry for entry in screened.values())
