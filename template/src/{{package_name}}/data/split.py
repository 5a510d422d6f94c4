"""Split the validated data into disjoint train, validation and test sets.

The test set is held out for the final evaluation only; model selection uses the
validation set. Splits are seeded and stratified for classification, so reruns agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..atomic import write_csv
from ..config import ProblemType

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


class SplitError(ValueError):
    """The data cannot be split as configured; the message says why and what to change."""


MIN_PER_CLASS = 3  # one example for each of train, validation and test


def _check_classes(labels: pd.Series, target: str) -> None:
    counts = labels.value_counts()
    if len(counts) < 2:
        raise SplitError(
            f"target '{target}' has a single class ({counts.index[0]!r}): a classifier needs "
            "at least two; check data.target or problem_type in params.yaml"
        )
    rare = counts[counts < MIN_PER_CLASS]
    if not rare.empty:
        shown = ", ".join(f"{label!r} ({count})" for label, count in rare.items())
        raise SplitError(
            f"target '{target}' has class(es) with fewer than {MIN_PER_CLASS} distinct "
            f"examples, too few to stratify: {shown}; merge or drop those rows"
        )


def split_frame(
    frame: pd.DataFrame,
    *,
    target: str,
    problem_type: ProblemType,
    test_size: float,
    val_size: float,
    seed: int,
) -> Splits:
    """Split labelled rows into train/val/test fractions.

    Exact duplicate rows always land in the same split, so a test row never has a copy in
    training (which would inflate the test metrics).
    """
    # Imported here: scikit-learn takes seconds to import, and the commands that only need
    # SplitError (adopt, the command line's error handling) should not pay for it.
    from sklearn.model_selection import train_test_split

    if target not in frame:
        raise SplitError(f"target column '{target}' is not in the data")
    labelled = frame.dropna(subset=[target]).reset_index(drop=True)
    row_key = pd.util.hash_pandas_object(labelled, index=False)
    unique = labelled[~row_key.duplicated()]
    if problem_type == "classification":
        _check_classes(unique[target].astype(str), target)

    def stratify(part: pd.DataFrame) -> pd.Series | None:
        return part[target].astype(str) if problem_type == "classification" else None

    try:
        rest, test = train_test_split(
            unique, test_size=test_size, random_state=seed, stratify=stratify(unique)
        )
        train, val = train_test_split(
            rest, test_size=val_size / (1 - test_size), random_state=seed, stratify=stratify(rest)
        )
    except ValueError as error:
        raise SplitError(
            f"{len(unique)} distinct labelled rows cannot be split with split.test_size="
            f"{test_size} and split.val_size={val_size}: {error}"
        ) from error
    side = pd.Series("train", index=row_key[train.index].to_numpy())
    side = pd.concat(
        [side, pd.Series("val", index=row_key[val.index].to_numpy()),
         pd.Series("test", index=row_key[test.index].to_numpy())]
    )  # fmt: skip
    assignment = row_key.map(side)
    return Splits(
        labelled[assignment == "train"],
        labelled[assignment == "val"],
        labelled[assignment == "test"],
    )


def write_splits(splits: Splits, output_dir: Path) -> None:
    """Write each split as ``<output_dir>/<name>.csv``."""
    for name in SPLIT_NAMES:
        write_csv(output_dir / f"{name}.csv", getattr(splits, name))


def read_split(output_dir: Path, name: str) -> pd.DataFrame:
    """Read one split written by :func:`write_splits`."""
    return pd.read_csv(output_dir / f"{name}.csv").copy()  # one block per dtype (read_raw)
