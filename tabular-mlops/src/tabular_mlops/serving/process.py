"""The API in a child process on a free loopback port: ready inside ``with``, stopped after.

The canary uses it to check the real server, and tests can use it to reach the API over
HTTP::

    with ServerProcess(params_path, cwd=root, startup_timeout_s=60) as server:
        status, body = call(f"{server.base_url}/predict", record)

Entering starts ``python -m <package> serve`` and waits until ``/ready`` answers 200 (or
raises :class:`ServerStartError` with the end of the server's log); leaving stops it.
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
from pathlib import Path
from typing import IO, Any

from ..errors import ProjectError
from ..project import project_package


class ServerStartError(ProjectError, RuntimeError):
    """The server exited, or did not answer ``/ready`` with 200 in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(url: str, payload: Any = None, timeout: float = 30) -> tuple[int, Any]:
    """GET (or POST ``payload`` as JSON) ``url``; return the status and the decoded body."""
    data = None if payload is None else json.dumps(payload, allow_nan=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the callers pass loopback URLs
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
    """``python -m <project package> serve --params <params_path>`` on a free loopback port."""

    def __init__(
        self, params_path: Path, cwd: Path, startup_timeout_s: float, *, record: bool = True
    ) -> None:
        self.params_path = params_path
        self.record = record
        self.cwd = cwd
        self.startup_timeout_s = startup_timeout_s
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", project_package(), "serve"]
        command += ["--params", str(self.params_path)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += [] if self.record else ["--no-record"]
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and package
            command, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT
        )

    def log_tail(self, characters: int = 3000) -> str:
        """The end of what the server printed so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()[-characters:]

    def wait_until_ready(self) -> None:
        """Return once ``/ready`` answers 200; raise :class:`ServerStartError` otherwise."""
        if self._process is None:
            raise ServerStartError("the server was not started")
        deadline = time.monotonic() + self.startup_timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerStartError(
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
        raise ServerStartError(
            f"the server was not ready after {self.startup_timeout_s}s ({last}):\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 15 s) and close its log."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServerProcess:
        self.start()
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
