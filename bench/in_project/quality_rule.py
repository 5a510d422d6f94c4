"""The quality rule's false alarms on simulated healthy windows, and how often it catches a
worse model, with the project's own monitoring/quality.py. Run by bench.quality_rule:

    uv run --frozen python PATH/quality_rule.py PACKAGE

A test split and a window are drawn from one population of prediction errors (normal,
Student's t with 3 degrees of freedom, or log-normal with a random sign), for a small and a
large test split. Each window is judged twice: by the rule as it stands (the window and the
test split pooled and dealt again) and by holding the window to the test split's metric as if
exact (windows drawn from the test split's rows alone, the rule before it). The same window
with its errors doubled is a worse model. Prints one JSON line.
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np

ALPHA, MAX_REGRESSION, DRAWS = 0.05, 0.1, 300


def _errors(kind: str, rng: np.random.Generator, size: int) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=size)
    if kind == "t3":
        return rng.standard_t(3, size)
    return rng.lognormal(0.0, 1.0, size) * rng.choice([-1.0, 1.0], size)


def _as_if_exact(quality, served, test) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Windows of the window's size drawn from the test split's rows, each held to the test
    split's own value: pairs in the shape chance_values returns."""
    rng = np.random.default_rng(quality.SEED)
    value = quality.fast_metric("rmse", *test)
    drawn = (rng.integers(0, len(test[0]), len(served[0])) for _ in range(quality.RESAMPLES))
    return np.asarray([(quality.fast_metric("rmse", *(side[rows] for side in test)), value)
                       for rows in drawn])  # fmt: skip


def main() -> None:
    quality = importlib.import_module(f"{sys.argv[1]}.monitoring.quality")
    rng = np.random.default_rng(0)
    figures = []
    for kind in ("normal", "t3", "lognormal"):
        for test_rows, window_rows in ((24, 47), (300, 100), (3000, 100)):
            counts = {"permutation": 0, "as_if_exact": 0, "caught_doubled": 0}
            for _ in range(DRAWS):
                test = (np.zeros(test_rows), _errors(kind, rng, test_rows))
                errors = _errors(kind, rng, window_rows)
                test_value = quality.fast_metric("rmse", *test)
                for name, served, chance in (
                    ("permutation", (np.zeros(window_rows), errors), quality.chance_values),
                    ("as_if_exact", (np.zeros(window_rows), errors),
                     lambda _m, served, test: _as_if_exact(quality, served, test)),
                    ("caught_doubled", (np.zeros(window_rows), 2 * errors), quality.chance_values),
                ):  # fmt: skip
                    p_value = quality.p_regression_by_chance(
                        "rmse",
                        quality.fast_metric("rmse", *served),
                        chance("rmse", served, test),
                        test_value,
                        MAX_REGRESSION,
                    )
                    counts[name] += p_value < ALPHA
            figures.append(
                {
                    "errors": kind,
                    "test_rows": test_rows,
                    "window_rows": window_rows,
                    "draws": DRAWS,
                    **{name: round(count / DRAWS, 3) for name, count in counts.items()},
                }
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
