"""Adaptive micro-batching: concurrent single-record requests share one model call.

A scikit-learn pipeline costs milliseconds per call whatever the number of rows, so
calling it once per request caps a server at a few hundred requests per second. Here every
``/predict`` request puts its record on a queue; one consumer task takes what is queued
(waiting up to ``window_s`` for more, but only while requests are arriving concurrently, so
a lone client pays no wait), runs the model once in a worker thread and hands each request
its own prediction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)


class MicroBatcher:
    """Coalesce concurrent :meth:`submit` calls into calls of ``predict`` on lists of items."""

    def __init__(
        self,
        predict: Callable[[list[Any]], Sequence[Any]],
        *,
        max_rows: int,
        window_s: float,
    ) -> None:
        self._predict = predict
        self._max_rows = max_rows
        self._window_s = window_s
        self._queue: asyncio.Queue[tuple[Any, asyncio.Future[Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._last_batch_rows = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Stop the consumer; requests still queued fail instead of hanging."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(RuntimeError("the server is shutting down"))

    async def submit(self, item: Any) -> Any:
        """Return the prediction for ``item``, computed together with concurrent requests."""
        if self._task is None:
            raise RuntimeError("the micro-batcher is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    def _drain(self, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        while len(batch) < self._max_rows and not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            self._drain(batch)
            # Wait for more only under concurrent load, when the last call had company too.
            if self._window_s > 0 and len(batch) < self._max_rows and self._last_batch_rows > 1:
                await asyncio.sleep(self._window_s)
                self._drain(batch)
            self._last_batch_rows = len(batch)
            await self._answer(batch)

    async def _answer(self, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        pending = [(item, future) for item, future in batch if not future.done()]
        if not pending:
            return
        try:
            results = await asyncio.to_thread(self._predict, [item for item, _ in pending])
        except Exception as error:
            if len(pending) > 1:  # find the request that broke the call; answer the others
                for one in pending:
                    await self._answer([one])
                return
            logger.exception("prediction failed")
            _, future = pending[0]
            if not future.done():
                future.set_exception(error)
            return
        for (_, future), result in zip(pending, results, strict=True):
            if not future.done():
                future.set_result(result)
