"""Load the model for serving: verified, warmed, or refused with a clear reason.

Loading goes through :func:`load_verified_model`, which unpickles the file only when its SHA-256
matches the digest that training recorded. A missing, corrupt or tampered model (or one
that fails its warm-up prediction) leaves the service up but not ready: ``/ready`` and the
prediction endpoints answer 503 with the reason, and the reason is logged once.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from ..modeling.registry import load_verified_model, model_version

logger = logging.getLogger(__name__)
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
            model.predict(warmup)  # the first call pays one-off costs; not a client's request
        except Exception as error:  # any failure means: serve nothing, say why
            self.model, self.metadata = None, {}
            self.error = f"{type(error).__name__}: {error}"
            logger.error(
                "model not loaded, /ready answers 503 and no prediction is served: %s", self.error
            )
            return False
        self.model, self.metadata, self.error = model, metadata, None
        logger.info("model %s loaded from %s and warmed", self.version, self.model_path)
        return True

    def predict(self, frame: pd.DataFrame) -> list[Any]:
        """The pipeline's predictions for ``frame`` as plain Python values."""
        if self.model is None:
            raise RuntimeError(f"no model is loaded: {self.error}")
        single_threaded_native_code()
        predictions: list[Any] = self.model.predict(frame).tolist()
        return predictions
