"""The slice check screens every group on the setting's resamples and draws the many
resamples that Holm's procedure needs only for a group that could fail."""

from typing import Any

import numpy as np
import pandas as pd

from tabular_mlops.modeling.resampling import regression_table
from tabular_mlops.modeling.slices import (
    ABSOLUTE,
    Scorer,
    compare_groups,
    decide,
    metric_rule,
    screen_bound,
)

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


def _failed(entries: dict[str, dict[str, Any]]) -> set[str]:
    decide(list(entries.values()), ["gap"], 0.05)  # Holm's procedure, as the reports run it
    return {name for name, entry in entries.items() if entry["passed"] is False}


def test_only_a_group_that_could_fail_is_drawn_again_and_the_verdict_is_unchanged() -> None:
    one, columns = _many_groups(bad=7)
    rule = {"gap": metric_rule("rmse", 0.5, None)}
    full = compare_groups(one, columns, 15, rule, 6000, 0)["code"]
    screened = compare_groups(one, columns, 15, rule, 6000, 0, screen=(1000, 0.05))["code"]
    assert _failed(full) == _failed(screened) == {"g007"}
    assert [name for name, entry in screened.items() if "resamples" in entry] == ["g007"]
    assert screened["g007"]["p_gap"] < 0.05 / GROUPS  # as small as Holm's first threshold needs
    # The others keep the screening p-value, above the bound (and so above alpha).
    bound = screen_bound(1000, 0.05)
    assert min(e["p_gap"] for name, e in screened.items() if name != "g007") > bound


def test_healthy_groups_are_screened_only() -> None:
    one, columns = _many_groups(bad=None)
    rule = {"gap": metric_rule("rmse", 0.5, None)}
    screened = compare_groups(one, columns, 15, rule, 6000, 0, screen=(1000, 0.05))["code"]
    assert not _failed(screened)
    assert not any("resamples" in entry for entry in screened.values())


def test_the_bound_misses_a_group_at_alpha_at_most_once_in_a_million() -> None:
    from scipy.stats import binom

    for alpha in (0.01, 0.05, 0.1):
        for resamples in (100, 1000):
            bound = screen_bound(resamples, alpha)
            assert bound > alpha
            # Passing in more than the bound's count of resamples, at a p-value of alpha:
            count = round(bound * (1 + resamples) - 1)
            assert binom.sf(count, resamples, alpha) < 1e-6
            assert binom.sf(count - 1, resamples, alpha) >= 1e-6  # the smallest such bound
