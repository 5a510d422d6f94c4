"""The prediction API: FastAPI over the trained pipeline.

``create_app`` reads ``params.yaml`` and the data schema, builds the request models from
them, and loads the verified model when the server starts. Endpoints:

- ``POST /predict``: one record; concurrent calls share one model call (see batching.py).
- ``POST /predict/batch``: a list of records, at most ``serving.max_batch_size`` (else 413).
- ``GET /health``: the process is alive. ``GET /ready``: a verified model is loaded and warmed.
- ``GET /metadata``: model version and hashes, metrics, git commit, template version.
- ``GET /metrics``: Prometheus metrics.

Every response carries an ``X-Request-ID`` header, and a sample of the predictions is
recorded for the monitor (see recording.py).

The endpoints are in routes.py, the model and its lifecycle in service.py.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from tabular_mlops.config import load_params
from tabular_mlops.serving.metrics import MetricsMiddleware

from .. import DEFAULT_PARAMS_PATH
from ..project import project_package, version_and_summary
from .recording import RecordingMiddleware
from .routes import PATHS, build_router, invalid_request_handler
from .service import Service


def create_app(
    params_path: Path = DEFAULT_PARAMS_PATH,
    root: Path | None = None,
    model_dir: Path | None = None,
    *,
    record: bool = True,
) -> FastAPI:
    """Build the API for the project whose ``params.yaml`` is ``params_path``.

    Relative paths in the parameters are resolved against ``root`` (by default the folder
    that holds ``params_path``); ``model_dir`` replaces ``train.model_dir``; ``record=False``
    turns the prediction log off whatever ``monitoring.log.enabled`` says (the canary's test
    traffic is not traffic to monitor).
    """
    params_path = Path(params_path)
    root = Path(root) if root is not None else params_path.resolve().parent
    params = load_params(params_path)
    if model_dir is not None:
        train = params.train.model_copy(update={"model_dir": Path(model_dir).resolve()})
        params = params.model_copy(update={"train": train})
    if not record:
        log = params.monitoring.log.model_copy(update={"enabled": False})
        monitoring = params.monitoring.model_copy(update={"log": log})
        params = params.model_copy(update={"monitoring": monitoring})
    service = Service(params, root)
    version, summary = version_and_summary()
    app = FastAPI(
        title=project_package().replace("_", " ").title() + " API",
        version=version,
        summary=summary,
        description=f"Predicts '{params.data.target}' ({params.problem_type}) with the "
        "model trained by this project's pipeline.",
        lifespan=service.lifespan,
    )
    app.add_middleware(MetricsMiddleware, metrics=service.metrics, paths=PATHS)
    app.add_middleware(RecordingMiddleware, recorder=service.recorder)
    app.exception_handler(RequestValidationError)(
        invalid_request_handler(params.serving.max_batch_size)
    )
    app.include_router(build_router(service))
    app.state.service = service
    return app
