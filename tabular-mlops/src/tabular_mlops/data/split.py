"""Split the validated data into disjoint train, validation and test sets.

The test set is held out for the final evaluation only; model selection uses the
validation set. Splits are seeded and stratified for classification, so reruns agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tabular_mlops.atomic import write_csv
from tabular_mlops.config import Params, ProblemType

from ..errors import ProjectError, StageError
from .ingest import read_raw

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    # Classes too rare to learn or judge (split.min_class_rows), with their labelled rows.
    left_out: dict[str, int] = field(default_factory=dict)


class SplitError(ProjectError, ValueError):
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


def rare_classes(labelled: pd.DataFrame, target: str, min_class_rows: int) -> list[str]:
    """The classes of ``target`` with fewer than ``min_class_rows`` distinct labelled rows
    (copies of a row do not count: they all land in one split), most frequent first."""
    unique = labelled[~pd.util.hash_pandas_object(labelled, index=False).duplicated()]
    counts = unique[target].astype(str).value_counts()
    return [str(label) for label in counts[counts < min_class_rows].index]


def learnable_rows(
    frame: pd.DataFrame, target: str, problem_type: ProblemType, min_class_rows: int
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The labelled rows a model learns from and is judged on, and the rows per class left
    out as too rare: a species caught once cannot be learnt, nor its predictions judged."""
    labelled = frame.dropna(subset=[target]).reset_index(drop=True)
    if problem_type != "classification":
        return labelled, {}
    rare = rare_classes(labelled, target, min_class_rows)
    labels = labelled[target].astype(str)
    left_out = {label: int((labels == label).sum()) for label in rare}
    return labelled[~labels.isin(rare)].reset_index(drop=True), left_out


def describe_left_out(left_out: dict[str, int], min_class_rows: int) -> str:
    """One line naming the classes left out and why."""
    shown = ", ".join(f"{label!r} ({rows})" for label, rows in left_out.items())
    return (
        f"{sum(left_out.values())} labelled row(s) of {len(left_out)} class(es) with fewer "
        f"than split.min_class_rows={min_class_rows} distinct rows left out (too rare to "
        f"learn or judge): {shown}"
    )


def split_frame(
    frame: pd.DataFrame,
    *,
    target: str,
    problem_type: ProblemType,
    test_size: float,
    val_size: float,
    seed: int,
    min_class_rows: int | None = None,
) -> Splits:
    """Split labelled rows into train/val/test fractions.

    Exact duplicate rows always land in the same split, so a test row never has a copy in
    training (which would inflate the test metrics). With ``min_class_rows`` (the pipeline's
    split.min_class_rows) the rows of rarer classes are left out (:func:`learnable_rows`);
    without it a class too rare to stratify is refused.
    """
    # Imported here: scikit-learn takes seconds to import, and the commands that only need
    # SplitError (adopt, the command line's error handling) should not pay for it.
    from sklearn.model_selection import train_test_split

    if target not in frame:
        raise SplitError(f"target column '{target}' is not in the data")
    left_out: dict[str, int] = {}
    if min_class_rows is None:
        labelled = frame.dropna(subset=[target]).reset_index(drop=True)
    else:
        labelled, left_out = learnable_rows(frame, target, problem_type, min_class_rows)
    row_key = pd.util.hash_pandas_object(labelled, index=False)
    unique = labelled[~row_key.duplicated()]
    if problem_type == "classification":
        try:
            _check_classes(unique[target].astype(str), target)
        except SplitError as error:
            if not left_out or min_class_rows is None:
                raise
            raise SplitError(f"{error}; {describe_left_out(left_out, min_class_rows)}") from None

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
        left_out,
    )


def write_splits(splits: Splits, output_dir: Path) -> None:
    """Write each split as ``<output_dir>/<name>.csv``."""
    for name in SPLIT_NAMES:
        write_csv(output_dir / f"{name}.csv", getattr(splits, name))


def require_valid_data(report_path: Path) -> None:
    """Refuse to split unless the ``validate`` stage's report says the raw data is valid."""
    try:
        validation = json.loads(report_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StageError(f"{report_path} not found: run the 'validate' stage first") from None
    if not validation.get("valid"):
        raise StageError(f"{report_path} says the raw data is invalid: fix it before splitting")


def split_as_configured(frame: pd.DataFrame, params: Params) -> Splits:
    """Split ``frame`` with the target, problem type, sizes and seed of ``params``."""
    return split_frame(
        frame,
        target=params.data.target,
        problem_type=params.problem_type,
        test_size=params.split.test_size,
        val_size=params.split.val_size,
        seed=params.seed,
        min_class_rows=params.split.min_class_rows,
    )


def split_validated_data(params: Params) -> Splits:
    """The ``split`` stage: split the raw data that ``validate`` passed, write the splits."""
    require_valid_data(params.validate_.report_path)
    splits = split_as_configured(read_raw(params.data.raw_path), params)
    write_splits(splits, params.split.output_dir)
    return splits


def read_split(output_dir: Path, name: str) -> pd.DataFrame:
    """Read one split written by :func:`write_splits`."""
    return pd.read_csv(output_dir / f"{name}.csv").copy()  # one block per dtype (read_raw)
