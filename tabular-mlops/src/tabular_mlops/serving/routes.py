"""The API's endpoints, and the bodies of its errors.

The request and response models come from the data schema at run time (see schemas.py), so
:func:`build_router` defines the endpoints for one :class:`~.service.Service`. Every
endpoint that needs the model takes the ``LoadedModel`` dependency, which answers 503 with
the reason when no verified model is loaded. Error bodies are pydantic models, so the
OpenAPI document describes them.

This module does not use ``from __future__ import annotations``: FastAPI reads the
endpoint annotations at run time, and the request models are built at run time.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from tabular_mlops.serving.loading import ModelHolder

from .recording import SERVED_KEY, Served, ServedPrediction
from .service import Service

# Bytes allowed per record of a batch request before the body is refused unread (413).
BYTES_PER_RECORD = 4096
# The paths /metrics names; it counts every other path as "other".
PATHS = ("/predict", "/predict/batch", "/health", "/ready", "/metadata", "/metrics")


class ErrorMessage(BaseModel):
    """Why the request was not answered."""

    detail: str


class FieldError(BaseModel):
    """One broken rule: ``loc`` ends with the field, ``type`` names the rule."""

    loc: list[str | int]
    msg: str
    type: str


class InvalidRequest(BaseModel):
    """Every rule of the request models that the request broke."""

    detail: list[FieldError]


def _json(payload: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")


def _documented(status_code: int, model: type[BaseModel], description: str) -> dict[int | str, Any]:
    return {status_code: {"model": model, "description": description}}


NOT_READY = _documented(503, ErrorMessage, "No verified model is loaded; the detail says why")
REFUSED_BODY = {
    # FastAPI answers 400 for a body that is not UTF-8; everything else it refuses is a 422.
    **_documented(400, ErrorMessage, "The body could not be read as UTF-8 JSON"),
    **_documented(
        422,
        InvalidRequest,
        "The body is not JSON of the expected shape, or breaks a rule of the data schema; "
        "each problem names the field and the rule",
    ),
}


def invalid_request_handler(
    max_batch_size: int,
) -> Callable[[Request, RequestValidationError], Awaitable[Response]]:
    """The handler of refused requests: 413 for too many records, else 422 naming each rule."""

    async def refuse_invalid_request(_: Request, error: RequestValidationError) -> Response:
        problems = error.errors()
        if any(p["type"] == "too_long" and tuple(p["loc"]) == ("body",) for p in problems):
            detail = f"too many records: at most {max_batch_size} per request"
            return _json(ErrorMessage(detail=detail).model_dump(), status_code=413)
        body = InvalidRequest(
            detail=[FieldError(loc=p["loc"], msg=p["msg"], type=p["type"]) for p in problems]
        )
        return _json(body.model_dump(), status_code=422)

    return refuse_invalid_request


def build_router(service: Service) -> APIRouter:
    """The endpoints over ``service``'s model."""
    api = service.api
    max_batch_size = service.params.serving.max_batch_size
    record_model: Any = api.record
    recorder = service.recorder
    loaded_model = Annotated[ModelHolder, Depends(service.loaded_model)]
    router = APIRouter()

    @router.post(
        "/predict",
        response_model=api.prediction,
        responses={**REFUSED_BODY, **NOT_READY},
        summary="Predict for one record",
    )
    async def predict(record: record_model, model: loaded_model, request: Request) -> Response:
        recorded = recorder.sample()
        prediction, probabilities = await service.batcher.submit((record, recorded))
        if recorded:
            one = ServedPrediction(None, record, prediction, probabilities)
            served = Served("/predict", model.version, model.classes, [one])
            setattr(request.state, SERVED_KEY, served)
        return _json({"prediction": prediction, "model_version": model.version})

    @router.post(
        "/predict/batch",
        response_model=api.batch_prediction,
        responses={
            **REFUSED_BODY,
            **_documented(
                413,
                ErrorMessage,
                f"More than {max_batch_size} records, or a body that is too large",
            ),
            **NOT_READY,
        },
        summary=f"Predict for a list of at most {max_batch_size} records",
        max_body_size=max_batch_size * BYTES_PER_RECORD,
    )
    async def predict_batch(
        records: Annotated[list[record_model], Body(min_length=1, max_length=max_batch_size)],
        model: loaded_model,
        request: Request,
    ) -> Response:
        recorded = recorder.sample_indices(len(records))
        predictions, probabilities = await asyncio.to_thread(service.predict, records, recorded)
        if recorded:
            rows: list[list[float] | None] = [*probabilities] if probabilities else []
            rows += [None] * (len(recorded) - len(rows))
            answers = [
                ServedPrediction(index, records[index], predictions[index], row)
                for index, row in zip(recorded, rows, strict=True)
            ]
            served = Served("/predict/batch", model.version, model.classes, answers)
            setattr(request.state, SERVED_KEY, served)
        return _json({"predictions": predictions, "model_version": model.version})

    @router.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready", responses=NOT_READY, summary="Readiness: a verified model is loaded")
    async def ready(model: loaded_model) -> dict[str, Any]:
        return {"ready": True, "model_version": model.version}

    @router.get("/metadata", responses=NOT_READY, summary="The served model and the code around it")
    async def get_metadata(_: loaded_model) -> dict[str, Any]:
        return service.metadata

    @router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def prometheus_metrics() -> Response:
        return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
