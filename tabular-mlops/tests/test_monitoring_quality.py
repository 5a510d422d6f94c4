"""The statistics behind monitor's quality check (``monitoring.quality``) on synthetic data:
a window's metric is judged against chance, not against the test split's value as if it
were exact. (The check on a project's own model and traffic is the standard check
``checks/monitoring/test_retraining.py``.)"""

from __future__ import annotations

import numpy as np

from tabular_mlops.monitoring.quality import chance_values, fast_metric, p_regression_by_chance


def test_a_window_that_misses_its_few_rare_rows_is_within_chance() -> None:
    """A class 3% of rows belong to: a window of 100 rows holds about 3, and a model that
    finds half of them on the test split misses all 3 in some healthy windows. Its macro F1
    then falls to about 0.5 against 0.75 on the test split; the window's own resamples miss
    them in every resample (a p-value of 0), while windows dealt from the pooled rows show
    that a miss this large happens by chance. Every prediction wrong is beyond chance."""
    rng = np.random.default_rng(0)
    actual = np.where(rng.random(3000) < 0.03, "rare", "common").astype(object)
    found = rng.random(3000) < 0.5
    predicted = np.where((actual == "rare") & ~found, "common", actual).astype(object)
    test_value = fast_metric("f1_macro", actual, predicted)
    assert test_value is not None  # None only for a metric that needs probabilities
    window_actual = np.array(["rare"] * 3 + ["common"] * 97, dtype=object)
    missed = np.array(["common"] * 100, dtype=object)
    value = fast_metric("f1_macro", window_actual, missed)
    assert value is not None
    chance = chance_values("f1_macro", (window_actual, missed), (actual, predicted))
    assert value < 0.7 * test_value
    assert p_regression_by_chance("f1_macro", value, chance, test_value, 0.1) > 0.05
    wrong = np.where(window_actual == "rare", "common", "rare").astype(object)
    value = fast_metric("f1_macro", window_actual, wrong)
    assert value is not None
    chance = chance_values("f1_macro", (window_actual, wrong), (actual, predicted))
    assert p_regression_by_chance("f1_macro", value, chance, test_value, 0.1) < 0.05


def _p_rmse(served: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]) -> float:
    value, test_value = fast_metric("rmse", *served), fast_metric("rmse", *test)
    assert value is not None
    assert test_value is not None
    chance = chance_values("rmse", served, test)
    return p_regression_by_chance("rmse", value, chance, test_value, 0.1)


def test_a_small_test_split_is_no_exact_yardstick() -> None:
    """A test split of 24 rows of a heavy-tailed target (Student's t errors, 3 degrees of
    freedom): its RMSE is luck as much as the window's. Over 100 healthy windows of 47 rows
    from the same population, the rule accepts alarms in 5% (alpha); holding the window to
    the 24-row RMSE as if it were exact raised them in 29% of such windows. Errors three times as
    large are still caught."""
    rng = np.random.default_rng(0)
    alarms, caught = 0, 0
    for _ in range(100):
        test = (np.zeros(24), rng.standard_t(3, 24))
        actual, errors = np.zeros(47), rng.standard_t(3, 47)
        alarms += _p_rmse((actual, errors), test) < 0.05
        caught += _p_rmse((actual, 3 * errors), test) < 0.05
    assert alarms <= 10, f"{alarms} of 100 healthy windows alarmed, where 5% is accepted"
    assert caught >= 80, f"errors three times as large caught in only {caught} of 100 windows"
