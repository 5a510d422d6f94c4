"""The prediction API: FastAPI over the trained pipeline.

``create_app`` reads ``params.yaml`` and the data schema, builds the request models from
them, and loads the verified model when the server starts. Endpoints:

- ``POST /predict``: one record; concurrent calls share one model call (see batching.py).
- ``POST /predict/batch``: a list of records, at most ``serving.max_batch_size`` (else 413).
- ``GET /health``: the process is alive. ``GET /ready``: a verified model is loaded and warmed.
- ``GET /metadata``: model version and hashes, metrics, git commit, template version.
- ``GET /metrics``: Prometheus metrics.

This module does not use ``from __future__ import annotations``: FastAPI reads the
endpoint annotations at run time, and the request models are built at run time.
"""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from .. import __doc__ as package_doc
from .. import __version__
from ..config import DEFAULT_PARAMS_PATH, load_params
from ..data.schema import load_schema
from .batching import MicroBatcher
from .frames import records_to_frame
from .loading import ModelHolder
from .metadata import build_metadata
from .metrics import MetricsMiddleware, ServingMetrics
from .schemas import build_api_models

logger = logging.getLogger(__name__)

# Bytes allowed per record of a batch request before the body is refused unread (413).
BYTES_PER_RECORD = 4096


def _json(payload: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"detail": {"type": "string"}},
                    "required": ["detail"],
                }
            }
        },
    }


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: _error("No verified model is loaded; the detail says why")
}
# FastAPI answers 400 for a body that is not UTF-8; schema violations get 422.
UNREADABLE: dict[int | str, dict[str, Any]] = {
    400: _error("The body could not be read as UTF-8 JSON")
}


def create_app(params_path: Path = DEFAULT_PARAMS_PATH, root: Path | None = None) -> FastAPI:
    """Build the API for the project whose ``params.yaml`` is ``params_path``.

    Relative paths in the parameters are resolved against ``root`` (by default the folder
    that holds ``params_path``).
    """
    params_path = Path(params_path)
    root = Path(root) if root is not None else params_path.resolve().parent
    params = load_params(params_path)
    api = build_api_models(load_schema(root / params.schema_.path), params)
    serving = params.serving
    metrics = ServingMetrics(labels=api.labels, target_range=api.target_range)
    holder = ModelHolder(root / params.train.model_path)
    metadata: dict[str, Any] = {}

    def predict_records(records: list[BaseModel]) -> list[Any]:
        predictions = holder.predict(records_to_frame(records, api.columns))
        metrics.observe_predictions(predictions)
        return predictions

    batcher = MicroBatcher(
        predict_records,
        max_rows=serving.micro_batch.max_rows,
        window_s=serving.micro_batch.window_ms / 1000,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warmup = records_to_frame([api.record.model_validate(api.example)], api.columns)
        if await asyncio.to_thread(holder.load, warmup):
            metadata.update(build_metadata(params, root, holder.metadata))
        metrics.ready.set(1 if holder.ready else 0)
        # The fitted pipeline is many thousands of long-lived objects: move them out of the
        # garbage collector's sight, or every full collection walks them all and shows up as
        # tens of milliseconds of tail latency.
        gc.collect()
        gc.freeze()
        await batcher.start()
        try:
            yield
        finally:
            await batcher.stop()

    app = FastAPI(
        title=__name__.split(".")[0].replace("_", " ").title() + " API",
        version=__version__,
        summary=(package_doc or "").strip(),
        description=f"Predicts '{params.data.target}' ({params.problem_type}) with the "
        "model trained by this project's pipeline.",
        lifespan=lifespan,
    )
    app.add_middleware(
        MetricsMiddleware,
        metrics=metrics,
        paths=("/predict", "/predict/batch", "/health", "/ready", "/metadata", "/metrics"),
    )

    @app.exception_handler(RequestValidationError)
    async def refuse_invalid_request(_: Request, error: RequestValidationError) -> Response:
        problems = error.errors()
        if any(p["type"] == "too_long" and tuple(p["loc"]) == ("body",) for p in problems):
            return _json(
                {"detail": f"too many records: at most {serving.max_batch_size} per request"},
                status_code=413,
            )
        detail = [{"loc": list(p["loc"]), "msg": p["msg"], "type": p["type"]} for p in problems]
        return _json({"detail": detail}, status_code=422)

    def require_model() -> None:
        if not holder.ready:
            raise HTTPException(503, detail=f"no model is being served: {holder.error}")

    record_model: Any = api.record
    max_body = serving.max_batch_size * BYTES_PER_RECORD

    @app.post(
        "/predict",
        response_model=api.prediction,
        responses={**UNREADABLE, **NOT_READY},
        summary="Predict for one record",
    )
    async def predict(record: record_model) -> Response:
        require_model()
        prediction = await batcher.submit(record)
        return _json({"prediction": prediction, "model_version": holder.version})

    @app.post(
        "/predict/batch",
        response_model=api.batch_prediction,
        responses={
            **UNREADABLE,
            413: _error(f"More than {serving.max_batch_size} records, or a body that is too large"),
            **NOT_READY,
        },
        summary=f"Predict for a list of at most {serving.max_batch_size} records",
        max_body_size=max_body,
    )
    async def predict_batch(
        records: Annotated[
            list[record_model],
            Body(min_length=1, max_length=serving.max_batch_size),
        ],
    ) -> Response:
        require_model()
        predictions = await asyncio.to_thread(predict_records, records)
        return _json({"predictions": predictions, "model_version": holder.version})

    @app.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", responses=NOT_READY, summary="Readiness: a verified model is loaded")
    async def ready() -> dict[str, Any]:
        require_model()
        return {"ready": True, "model_version": holder.version}

    @app.get("/metadata", responses=NOT_READY, summary="The served model and the code around it")
    async def get_metadata() -> dict[str, Any]:
        require_model()
        return metadata

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app.state.holder = holder
    app.state.metrics = metrics
    app.state.api_models = api
    return app
