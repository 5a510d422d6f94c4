"""Run the API with uvicorn: one process, one model, one micro-batcher.

Scale by running more processes (replicas in Kubernetes, see deploy/k8s), not workers in
one container: each worker would hold its own copy of the model and its own batcher.
"""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from .app import create_app

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def serve(
    params_path: Path, host: str, port: int, model_dir: Path | None = None, *, record: bool = True
) -> None:
    """Serve the model on ``host:port`` until interrupted.

    Paths in the parameters are relative to the working directory, as for every command;
    ``model_dir`` replaces ``train.model_dir`` (e.g. a version restored from the registry);
    ``record=False`` records no predictions.
    """
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    uvicorn.run(
        create_app(params_path, root=Path.cwd(), model_dir=model_dir, record=record),
        host=host,
        port=port,
        workers=1,
        access_log=False,  # per-request log lines cost throughput; /metrics counts requests
        server_header=False,
        timeout_graceful_shutdown=10,
        log_config=None,  # keep the format configured above
    )
