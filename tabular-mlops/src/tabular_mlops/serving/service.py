"""What the API serves: the verified model, its micro-batcher, its metrics, its metadata and
the recorder of its predictions.

One :class:`Service` per app. Its ``lifespan`` loads and warms the model when the server
starts; its ``loaded_model`` method is the FastAPI dependency of every endpoint that needs
the model: it answers 503 with the reason when no verified model is loaded.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from tabular_mlops.config import Params
from tabular_mlops.data.schema import load_schema
from tabular_mlops.serving.batching import MicroBatcher
from tabular_mlops.serving.loading import ModelHolder
from tabular_mlops.serving.metrics import ServingMetrics
from tabular_mlops.serving.schemas import build_api_models
from tabular_mlops.serving.sinks import build_sink

from .frames import records_to_frame
from .metadata import build_metadata, trained_at
from .recording import PredictionRecorder


class Service:
    """The model and everything around it, for the project whose parameters are ``params``.

    Relative paths in the parameters are resolved against ``root``.
    """

    def __init__(self, params: Params, root: Path) -> None:
        self.params = params
        self.root = root
        self.api = build_api_models(load_schema(root / params.schema_.path), params)
        self.holder = ModelHolder(root / params.train.model_path)
        self.metrics = ServingMetrics(
            labels=self.api.labels,
            target_range=self.api.target_range,
            features=[column.name for column in self.api.columns],
        )
        log = params.monitoring.log
        self.recorder = PredictionRecorder(
            log, build_sink(log, root), self.api.columns, self.metrics
        )
        self.batcher = MicroBatcher(
            self._predict_items,
            max_rows=params.serving.micro_batch.max_rows,
            window_s=params.serving.micro_batch.window_ms / 1000,
        )
        self.metadata: dict[str, Any] = {}  # filled once the model is loaded

    def predict(
        self, records: list[BaseModel], probabilities_for: Sequence[int] = ()
    ) -> tuple[list[Any], list[list[float]] | None]:
        """The model's predictions for validated records, and a classifier's probabilities for
        the records at ``probabilities_for`` (called in a worker thread)."""
        self.metrics.observe_missing(records, self.api.columns)
        frame = records_to_frame(records, self.api.columns)
        predictions, probabilities = self.holder.predict(frame, probabilities_for)
        self.metrics.observe_predictions(predictions)
        return predictions, probabilities

    def _predict_items(
        self, items: list[tuple[BaseModel, bool]]
    ) -> list[tuple[Any, list[float] | None]]:
        """The micro-batcher's call: (record, recorded?) -> (prediction, probabilities)."""
        wanted = [index for index, (_, recorded) in enumerate(items) if recorded]
        predictions, probabilities = self.predict([record for record, _ in items], wanted)
        by_index = dict(zip(wanted, probabilities or [], strict=False))
        return [(value, by_index.get(index)) for index, value in enumerate(predictions)]

    async def loaded_model(self) -> ModelHolder:
        """The loaded model; a FastAPI dependency that answers 503 when there is none."""
        if not self.holder.ready:
            raise HTTPException(503, detail=f"no model is being served: {self.holder.error}")
        return self.holder

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """Load, verify and warm the model, run the micro-batcher, stop it on shutdown."""
        example = self.api.record.model_validate(self.api.example)
        warmup = records_to_frame([example], self.api.columns)
        if await asyncio.to_thread(self.holder.load, warmup):
            self.metadata.update(build_metadata(self.params, self.root, self.holder.metadata))
            trained = trained_at(self.holder.model_path)
            if trained is not None:
                self.metrics.trained.set(trained.timestamp())
        self.metrics.ready.set(1 if self.holder.ready else 0)
        # The fitted pipeline is many thousands of long-lived objects: move them out of the
        # garbage collector's sight, or every full collection walks them all and shows up as
        # tens of milliseconds of tail latency.
        gc.collect()
        gc.freeze()
        self.recorder.start()
        await self.batcher.start()
        try:
            yield
        finally:
            await self.batcher.stop()
            await asyncio.to_thread(self.recorder.stop)
