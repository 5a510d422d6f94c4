"""An HTTP/1.1 keep-alive load generator on raw asyncio streams, run as a process of its own.

Each of N clients keeps one connection open and sends the next request as soon as the
previous answer is read, cycling through the given bodies, until the time or the request
budget runs out. The per-request cost is far below that of the servers it measures, so on
a small machine the client takes few of the cores it shares with them. Only 127.0.0.1.

    python bench/_loadgen.py < SPEC.json    # prints one JSON line: requests, errors, rps,
                                            # p50_ms, p99_ms
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

MAX_REQUESTS = 200_000  # per run, whatever the duration
WARM_UP_SECONDS = 1.0  # at most, and a quarter of the run when that is shorter


def run_load(port: int, path: str, bodies: list[str], clients: int, seconds: float) -> dict:
    """Drive 127.0.0.1:``port`` with ``clients`` connections for ``seconds`` after a warm-up.

    A body of "" is a GET, any other body is POSTed as JSON.
    """
    spec = {"port": port, "path": path, "bodies": bodies, "clients": clients, "seconds": seconds}
    output = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds * 4 + 60,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def http_request(path: str, body: bytes) -> bytes:
    if not body:
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _client(
    port: int, requests: list[bytes], deadline: float, budget: list[int], out: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = 0
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            status = await _read_response(reader)
            out["latencies"].append(time.perf_counter() - started)
            if status != 200:
                out["errors"] += 1
            index += 1
    finally:
        writer.close()


async def _run(port: int, requests: list[bytes], clients: int, seconds: float) -> dict[str, Any]:
    async def drive(until: float, budget: int) -> dict[str, Any]:
        out: dict[str, Any] = {"latencies": [], "errors": 0}
        shared = [budget]
        await asyncio.gather(*(_client(port, requests, until, shared, out) for _ in range(clients)))
        return out

    await drive(time.perf_counter() + min(WARM_UP_SECONDS, seconds / 4), 10_000)
    started = time.perf_counter()
    out = await drive(started + seconds, MAX_REQUESTS)
    elapsed = time.perf_counter() - started
    latencies = sorted(out["latencies"])
    count = len(latencies)
    return {
        "requests": count,
        "errors": out["errors"],
        "rps": count / elapsed,
        "p50_ms": 1000 * latencies[count // 2] if count else float("nan"),
        "p99_ms": 1000 * latencies[min(count - 1, int(count * 0.99))] if count else float("nan"),
    }


def main() -> None:
    spec = json.load(sys.stdin)
    requests = [http_request(spec["path"], body.encode()) for body in spec["bodies"]]
    result = asyncio.run(_run(spec["port"], requests, spec["clients"], spec["seconds"]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
