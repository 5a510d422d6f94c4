"""Split the validated data into disjoint train, validation and test sets.

The test set is held out for the final evaluation only; model selection uses the
validation set. Splits are seeded and stratified for classification, so reruns agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from ..atomic import write_csv
from ..config import ProblemType

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


def split_frame(
    frame: pd.DataFrame,
    *,
    target: str,
    problem_type: ProblemType,
    test_size: float,
    val_size: float,
    seed: int,
) -> Splits:
    """Drop rows without a label, then split into train/val/test fractions."""
    labelled = frame.dropna(subset=[target]).reset_index(drop=True)

    def stratify(part: pd.DataFrame) -> pd.Series | None:
        return part[target] if problem_type == "classification" else None

    rest, test = train_test_split(
        labelled, test_size=test_size, random_state=seed, stratify=stratify(labelled)
    )
    train, val = train_test_split(
        rest, test_size=val_size / (1 - test_size), random_state=seed, stratify=stratify(rest)
    )
    return Splits(train.sort_index(), val.sort_index(), test.sort_index())


def write_splits(splits: Splits, output_dir: Path) -> None:
    """Write each split as ``<output_dir>/<name>.csv``."""
    for name in SPLIT_NAMES:
        write_csv(output_dir / f"{name}.csv", getattr(splits, name))


def read_split(output_dir: Path, name: str) -> pd.DataFrame:
    """Read one split written by :func:`write_splits`."""
    return pd.read_csv(output_dir / f"{name}.csv")
