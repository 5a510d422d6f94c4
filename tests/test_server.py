"""tests/server.py's running_server, on Python's own HTTP server: it waits for readiness,
reports a server that dies or never gets ready with its output, and stops the server."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

import pytest

from .server import free_port, running_server


def _http_server(port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]


def test_the_server_answers_inside_the_block_and_is_stopped_after(tmp_path):
    (tmp_path / "ready").write_text("yes")
    port = free_port()
    log = tmp_path / "server.log"
    with running_server(_http_server(port), tmp_path, dict(os.environ), port, log=log) as url:
        assert url == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{url}/ready", timeout=5) as response:  # noqa: S310
            assert response.read() == b"yes"
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        urllib.request.urlopen(f"{url}/ready", timeout=5)  # noqa: S310
    assert "GET /ready" in log.read_text()


def test_a_server_that_exits_fails_with_its_output(tmp_path):
    command = [sys.executable, "-c", "import sys; print('no model here'); sys.exit(3)"]
    port = free_port()
    with (
        pytest.raises(RuntimeError, match=r"exited with code 3(.|\n)*no model here"),
        running_server(command, tmp_path, dict(os.environ), port),
    ):
        pass


def test_a_server_that_is_never_ready_fails_after_the_timeout(tmp_path):
    port = free_port()  # nothing in tmp_path: /ready answers 404
    with (
        pytest.raises(RuntimeError, match=r"/ready did not answer 200 within 1 s"),
        running_server(_http_server(port), tmp_path, dict(os.environ), port, timeout=1),
    ):
        pass
