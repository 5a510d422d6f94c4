"""Canary: the model counts as deployable only once the real server has served it correctly.

The canary starts the API in its own process (uvicorn on 127.0.0.1, a free port), waits
until ``/ready``, sends every test-set row (a seeded sample of ``canary.max_rows`` rows of
a larger test set) through ``/predict/batch`` and the first few through ``/predict``, and
compares the answers with the pipeline's own in-process predictions, exactly. It writes a
report (no timings or ports, so reruns write the same bytes) and always stops the server.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import write_json
from ..config import Params
from ..data.split import read_split
from ..modeling.registry import load_verified_model
from .frames import frame_to_records

MAX_REPORTED_MISMATCHES = 10


@dataclass(frozen=True)
class CanaryReport:
    passed: bool
    model_sha256: str | None
    rows: int
    batch_matches: int
    single_requests: int
    single_matches: int
    problems: list[str] = field(default_factory=list)


class CanaryError(RuntimeError):
    """The server could not be started or did not answer."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(url: str, payload: Any = None, timeout: float = 30) -> tuple[int, Any]:
    """GET (or POST ``payload`` as JSON) ``url``; return the status and the decoded body."""
    data = None if payload is None else json.dumps(payload, allow_nan=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is built from 127.0.0.1 below
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"null")
        except ValueError:
            return error.code, body.decode(errors="replace")


class ServerProcess:
    """``python -m <package> serve`` on a free loopback port, stopped on exit."""

    def __init__(self, params_path: Path, cwd: Path, startup_timeout_s: float) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout_s = startup_timeout_s
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in __exit__
        package = __name__.split(".")[0]
        command = [sys.executable, "-m", package, "serve", "--params", str(params_path)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and package
            command, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT
        )

    def log_tail(self, characters: int = 3000) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read()[-characters:]

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise CanaryError(
                    f"the server exited with code {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                status, body = call(f"{self.base_url}/ready", timeout=5)
            except OSError as error:  # not listening yet
                last = str(error)
            else:
                if status == 200:
                    return
                last = f"{status} {body}"
            time.sleep(0.2)
        raise CanaryError(
            f"the server was not ready after {self.startup_timeout_s}s ({last}):\n{self.log_tail()}"
        )

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


def _compare(
    expected: list[Any], served: list[Any], where: str, problems: list[str], offset: int = 0
) -> int:
    matches = 0
    for index, (want, got) in enumerate(zip(expected, served, strict=True), start=offset):
        if want == got:
            matches += 1
        elif len(problems) < MAX_REPORTED_MISMATCHES:
            problems.append(
                f"{where}, test row {index}: the pipeline predicts {want!r}, the server {got!r}"
            )
    return matches


def run_canary(params: Params, params_path: Path, root: Path) -> CanaryReport:
    """Serve the model from a real server process and check its answers on the test set."""
    test_frame = read_split(root / params.split.output_dir, "test")
    if len(test_frame) > params.canary.max_rows:  # a sample proves as much, in seconds
        test_frame = test_frame.sample(params.canary.max_rows, random_state=params.seed)
        test_frame = test_frame.sort_index()
    features = test_frame[params.data.features.input_columns]
    model_path = root / params.train.model_path
    model, model_metadata = load_verified_model(model_path)
    expected = model.predict(features).tolist()
    records = frame_to_records(features)
    problems: list[str] = []
    batch_matches = single_matches = 0
    singles = min(params.canary.single_requests, len(records))
    with ServerProcess(params_path, root, params.canary.startup_timeout_s) as server:
        server.wait_until_ready()
        served: list[Any] = []
        size = params.serving.max_batch_size
        for start in range(0, len(records), size):
            status, body = call(f"{server.base_url}/predict/batch", records[start : start + size])
            if status != 200:
                problems.append(f"/predict/batch answered {status}: {body}")
                break
            served.extend(body["predictions"])
        if not problems and len(served) == len(expected):
            batch_matches = _compare(expected, served, "/predict/batch", problems)
        elif not problems:
            problems.append(
                f"/predict/batch returned {len(served)} predictions for {len(expected)} rows"
            )
        for index in range(singles):
            status, body = call(f"{server.base_url}/predict", records[index])
            if status != 200:
                problems.append(f"/predict answered {status} for test row {index}: {body}")
                break
            single_matches += _compare(
                [expected[index]], [body["prediction"]], "/predict", problems, offset=index
            )
    report = CanaryReport(
        passed=not problems and batch_matches == len(records),
        model_sha256=model_metadata.get("sha256"),
        rows=len(records),
        batch_matches=batch_matches,
        single_requests=singles,
        single_matches=single_matches,
        problems=problems,
    )
    write_json(root / params.canary.report_path, asdict(report))
    return report
