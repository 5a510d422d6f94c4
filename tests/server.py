"""Start a server process, wait until it answers, stop it: for the tests and the benchmarks."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

STOP_SECONDS = 20  # how long a server has to exit after SIGTERM before it is killed


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    port: int,
    *,
    ready_path: str = "/ready",
    timeout: float = 60.0,
    log: Path | None = None,
) -> Iterator[str]:
    """Run ``command`` (a server that listens on ``port``) until the block ends.

    Yields the base URL, ``http://127.0.0.1:{port}``, once ``GET {ready_path}`` answers 200.
    Raises RuntimeError with the server's output if it exits first or is not ready within
    ``timeout`` seconds. The server runs in a process group of its own, which is stopped
    whole at the end (a launcher such as `uv run` and the workers it starts): SIGTERM, then
    SIGKILL if it has not exited after STOP_SECONDS. Its output goes to ``log`` when given
    (kept, for a test to read), else to a temporary file.
    """
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_ready(process, f"{base_url}{ready_path}", timeout, log)
            yield base_url
        finally:
            _stop(process)


def _wait_until_ready(
    process: subprocess.Popen[bytes], url: str, timeout: float, log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with code {process.returncode} before {url} answered:\n"
                f"{_tail(log)}"
            )
        # Refused, reset and HTTP error statuses are OSErrors: not ready yet.
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=5) as response,  # noqa: S310 - loopback
        ):
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:g} s:\n{_tail(log)}")
        time.sleep(0.3)


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):  # the whole group has exited
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=STOP_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(log: Path, characters: int = 4000) -> str:
    return log.read_text(errors="replace")[-characters:]
