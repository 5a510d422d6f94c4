"""Suspected target leaks: a single column that predicts the target almost perfectly.

A column that is nearly the target (the departure delay when the target is the arrival
delay, a refund date when it is whether the order was returned) makes the offline metrics
shine and is not known when a prediction is asked for. No rule can tell that from the data
alone, but a column that predicts the target *by itself* almost perfectly is rare in honest
data, so ``adopt`` leaves it out and says why; ``adopt --keep COLUMN`` takes it back.

The rule: each candidate feature alone is fitted on the training split and scored on the
validation split (the rows ``adopt`` also screens for unrelated columns; the test split is
never read). A numeric column is fitted with a decision tree of depth ``MAX_DEPTH`` (a step
function: it follows any relation) and, for a regression, the best increasing and
decreasing curves (isotonic regression: a noisy copy of the target is monotone, and a tree
on a few hundred rows has too few steps to follow it) and a straight line (which reaches
beyond the training range); the best of them counts. A category
or a true/false column predicts, for each of its values, the training rows' mean target (or
most frequent class). The column is a suspected leak when it reaches ``R2_LEAK``
(regression: R^2) or ``BALANCED_ACCURACY_LEAK`` (classification: balanced accuracy, so that
a rare class must be found too). Fewer than ``MIN_VALIDATION_ROWS`` validation rows make any
score luck: the rule then judges nothing.

Measured on 38 real data sets (the template's tests' wine, diabetes, digits, job training
and penguins, the penguins for two targets, and the 32 of bench/sweep), no honest column
reaches 0.97: the highest are a country code predicting its freedom score across years (R^2
= 0.952, a stable property of each country), the state predicting daily births (0.947) and
iris' petal width (balanced accuracy 0.933). Columns that are the answer in disguise score
above it: a log wage's own wage (1.0), a coded copy of the target (1.0), a loan's sub-grade
set from its rate (0.993), card spending for whether the card was granted (0.988), a rank of
the target (0.985), city mpg for combined mpg (0.979), the week of re-arrest for whether
there was one (0.978), a league title for the World Series title (0.972). A copy of the
target with noise of a tenth of its spread scores R^2 >= 0.99, a class code with noise 1.0,
a copy of the labels with 1% of them wrong >= 0.976. A column that is only *nearly* the
target is not excluded: the departure delay predicting the arrival delay (nycflights13)
scores R^2 = 0.79 to 0.83, as the penguins' honest flipper length does their body mass
(0.79). So the report always names the strongest single column and its score, for a person
to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from tabular_mlops.config import ProblemType

MAX_DEPTH = 6  # up to 64 steps: enough for ten class codes in one numeric column
MIN_LEAF_ROWS = 5  # a step fitted to fewer rows only memorises them
R2_LEAK = 0.97
BALANCED_ACCURACY_LEAK = 0.97
MIN_VALIDATION_ROWS = 20

ColumnKind = Literal["numeric", "categorical", "boolean"]


@dataclass(frozen=True)
class LeakScore:
    """How well one column alone predicts the target on the validation rows."""

    column: str
    metric: Literal["R^2", "balanced accuracy"]
    score: float
    threshold: float

    @property
    def suspected(self) -> bool:
        return self.score >= self.threshold

    def describe(self) -> str:
        verdict = "a suspected target leak" if self.suspected else "not a suspected leak"
        return (
            f"alone predicts the target on the validation rows with {self.metric} = "
            f"{self.score:.3f} ({verdict}: the rule is >= {self.threshold})"
        )


def _numeric_predictions(
    train: pd.Series, target: pd.Series, val: pd.Series, problem_type: ProblemType
) -> list[pd.Series]:
    """A tree's predictions for ``val``; for a regression also the best monotone curves' and a
    straight line's (a copy of the target with noise is monotone, and a tree fitted to a few
    hundred rows has too few steps to follow it closely)."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LinearRegression
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    # Missing values get the training median: the models treat them as typical rows.
    fill = float(pd.to_numeric(train, errors="coerce").median())
    x_train = pd.to_numeric(train, errors="coerce").fillna(fill).to_numpy()
    x_val = pd.to_numeric(val, errors="coerce").fillna(fill).to_numpy()
    y = target.to_numpy()
    tree = (DecisionTreeRegressor if problem_type == "regression" else DecisionTreeClassifier)(
        max_depth=MAX_DEPTH, min_samples_leaf=MIN_LEAF_ROWS, random_state=0
    )
    tree.fit(x_train.reshape(-1, 1), y)
    predictions = [pd.Series(tree.predict(x_val.reshape(-1, 1)), index=val.index)]
    if problem_type == "regression":
        for increasing in (True, False):  # both ways: "auto" warns when the sign is unclear
            curve = IsotonicRegression(increasing=increasing, out_of_bounds="clip")
            curve.fit(x_train, y)
            predictions.append(pd.Series(curve.predict(x_val), index=val.index))
        # A straight line also reaches beyond the training range, where the curves stop.
        line = LinearRegression().fit(x_train.reshape(-1, 1), y)
        predictions.append(pd.Series(line.predict(x_val.reshape(-1, 1)), index=val.index))
    return predictions


def _level_predictions(
    train: pd.Series, target: pd.Series, val: pd.Series, problem_type: ProblemType
) -> pd.Series:
    """One prediction per value (missing is a value too): the training rows' mean target or
    most frequent class; a value unseen in training gets the overall one."""
    levels = train.astype(str).to_numpy()
    if problem_type == "regression":
        lookup, fallback = target.groupby(levels).mean(), target.mean()
    else:
        lookup = pd.crosstab(levels, target.to_numpy()).idxmax(axis=1)
        fallback = target.mode().iloc[0]
    return val.astype(str).map(lookup).fillna(fallback)


def leak_scores(
    train: pd.DataFrame,
    val: pd.DataFrame,
    *,
    target: str,
    kinds: Mapping[str, ColumnKind],
    problem_type: ProblemType,
) -> dict[str, LeakScore]:
    """Each column of ``kinds`` scored alone; empty when validation has too few rows."""
    from sklearn.metrics import balanced_accuracy_score, r2_score

    train = train[train[target].notna()]
    val = val[val[target].notna()]
    if len(val) < MIN_VALIDATION_ROWS or train.empty:
        return {}
    scores = {}
    for name, kind in kinds.items():
        args = (train[name], train[target], val[name], problem_type)
        if kind == "numeric":
            predictions = _numeric_predictions(*args)
        else:
            predictions = [_level_predictions(*args)]
        if problem_type == "regression":
            best = max(float(r2_score(val[target], guess)) for guess in predictions)
            scores[name] = LeakScore(name, "R^2", best, R2_LEAK)
        else:
            actual = val[target].astype(str)
            best = max(
                float(balanced_accuracy_score(actual, guess.astype(str))) for guess in predictions
            )
            scores[name] = LeakScore(name, "balanced accuracy", best, BALANCED_ACCURACY_LEAK)
    return scores
