"""Load the model for serving: verified, warmed, or refused with a clear reason.

Loading goes through :func:`load_verified_model`, which unpickles the file only when its SHA-256
matches the digest that training recorded. A missing, corrupt or tampered model (or one
that fails its warm-up prediction) leaves the service up but not ready: ``/ready`` and the
prediction endpoints answer 503 with the reason, and the reason is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ..modeling.registry import load_verified_model, model_version

logger = logging.getLogger(__name__)

# Classifiers whose predict() is the class of the largest predict_proba(), ties apart (see
# _argmax_classes); checks/serving/test_recording.py checks each against its predict().
ARGMAX_CLASSIFIERS = (
    HistGradientBoostingClassifier,
    LogisticRegression,
    RandomForestClassifier,
)
_limited = threading.local()


def single_threaded_native_code() -> None:
    """Run OpenMP and BLAS code on one thread in the calling thread (once per thread).

    The server calls the model on small micro-batches, where extra threads gain nothing,
    and a spinning OpenMP team that shares its cores with other work (a CPU-limited pod, a
    busy machine) turns a millisecond call into a second. OpenMP's thread count is a
    per-thread setting, so each worker thread sets it before its first model call.
    """
    if not getattr(_limited, "done", False):
        threadpool_limits(limits=1)  # acts on the libraries loaded so far: call it after loading
        _limited.done = True


class ModelHolder:
    """The served model, or the reason there is none."""

    def __init__(self, model_path: Path) -> None:
        self.model_path = model_path
        self.model: Any = None
        self.metadata: dict[str, Any] = {}
        self.error: str | None = "the model has not been loaded yet"
        self.classes: list[str] | None = None  # a classifier's classes, its probabilities' order
        self._transform: Any = None  # the pipeline's steps before its estimator, if any
        self._estimator: Any = None

    @property
    def ready(self) -> bool:
        return self.model is not None

    @property
    def version(self) -> str:
        """The loaded model's version (see :func:`model_version`), "" when none is loaded."""
        return model_version(self.metadata)

    def load(self, warmup: pd.DataFrame) -> bool:
        """Load, verify and warm the model; on failure, log why and stay not ready."""
        try:
            model, metadata = load_verified_model(self.model_path)
            single_threaded_native_code()  # after unpickling, which loads the native libraries
            # The first calls pay one-off costs: make them here, not in a client's request.
            transform, estimator = _split(model)
            features = warmup if transform is None else transform.transform(warmup)
            estimator.predict(features)
            if hasattr(estimator, "predict_proba"):  # recorded predictions ask for these too
                estimator.predict_proba(features)
        except Exception as error:  # any failure means: serve nothing, say why
            self.model, self.metadata = None, {}
            self.error = f"{type(error).__name__}: {error}"
            logger.error(
                "model not loaded, /ready answers 503 and no prediction is served: %s", self.error
            )
            return False
        self.model, self.metadata, self.error = model, metadata, None
        self._transform, self._estimator = transform, estimator
        has_probabilities = hasattr(self._estimator, "predict_proba")
        classes = getattr(self._estimator, "classes_", None) if has_probabilities else None
        self.classes = None if classes is None else [str(label) for label in classes]
        logger.info("model %s loaded from %s and warmed", self.version, self.model_path)
        return True

    def predict(
        self, frame: pd.DataFrame, probabilities_for: Sequence[int] = ()
    ) -> tuple[list[Any], list[list[float]] | None]:
        """The pipeline's predictions for ``frame`` as plain Python values, and a classifier's
        class probabilities for the rows ``probabilities_for`` (None when it has none).

        The features are computed once for both, as the pipeline's own ``predict`` computes
        them before calling its estimator. The predictions equal the pipeline's exactly.
        """
        if self.model is None:
            raise RuntimeError(f"no model is loaded: {self.error}")
        single_threaded_native_code()
        features = frame if self._transform is None else self._transform.transform(frame)
        if not probabilities_for or self.classes is None:
            return self._estimator.predict(features).tolist(), None
        if isinstance(self._estimator, ARGMAX_CLASSIFIERS):
            probabilities = self._estimator.predict_proba(features)
            predictions = _argmax_classes(self._estimator, features, probabilities)
        else:
            predictions = self._estimator.predict(features).tolist()
            probabilities = self._estimator.predict_proba(_rows(features, probabilities_for))
            probabilities_for = range(len(probabilities_for))
        return predictions, probabilities[list(probabilities_for)].tolist()


def _rows(features: Any, rows: Sequence[int]) -> Any:
    return features.iloc[list(rows)] if isinstance(features, pd.DataFrame) else features[rows]


def _argmax_classes(estimator: Any, features: Any, probabilities: np.ndarray) -> list[Any]:
    """What ``estimator.predict`` answers, from its probabilities: one pass over the trees
    instead of two when the served predictions are recorded with their probabilities.

    The estimators in ARGMAX_CLASSIFIERS predict the class of their largest raw score (a
    binary one: score > 0), and their probabilities are a softmax (a sigmoid) of that score,
    which keeps the order of the scores. Rounding can only turn two different scores into
    equal probabilities, never reverse them; so a row whose largest probability is unique
    has the class ``predict`` gives, and the rows with a tie at the top ask ``predict``.
    """
    best = probabilities.argmax(axis=1)
    top = probabilities[np.arange(len(best)), best]
    tied: list[int] = np.flatnonzero((probabilities == top[:, None]).sum(axis=1) > 1).tolist()
    predictions: list[Any] = estimator.classes_.take(best).tolist()
    if tied:
        for row, value in zip(tied, estimator.predict(_rows(features, tied)).tolist(), strict=True):
            predictions[row] = value
    return predictions


def _split(model: Any) -> tuple[Any, Any]:
    """(the steps before the final estimator or None, the final estimator) of ``model``."""
    if isinstance(model, Pipeline) and len(model.steps) > 1:
        return model[:-1], model[-1]
    return None, model
