"""Micro-batching: concurrent requests share model calls, and one bad item fails alone.

And each model call runs its native code on one thread.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from threadpoolctl import threadpool_info

from tabular_mlops.serving.batching import MicroBatcher
from tabular_mlops.serving.frames import records_to_frame


@pytest.fixture
def anyio_backend():
    return "asyncio"  # the server runs on asyncio (uvloop in production)


@pytest.mark.anyio
async def test_concurrent_requests_are_answered_by_few_calls_in_order():
    calls: list[list[int]] = []

    def predict(items: list[int]) -> list[int]:
        calls.append(list(items))
        return [item * 10 for item in items]

    batcher = MicroBatcher(predict, max_rows=16, window_s=0.002)
    await batcher.start()
    try:
        results = await asyncio.gather(*(batcher.submit(i) for i in range(40)))
    finally:
        await batcher.stop()
    assert results == [i * 10 for i in range(40)]
    assert len(calls) < 40
    assert max(len(call) for call in calls) <= 16


@pytest.mark.anyio
async def test_a_failing_item_fails_only_its_own_request():
    def predict(items: list[int]) -> list[int]:
        if 3 in items:
            raise ValueError("cannot predict 3")
        return items

    batcher = MicroBatcher(predict, max_rows=8, window_s=0)
    await batcher.start()
    try:
        results = await asyncio.gather(
            *(batcher.submit(i) for i in range(6)), return_exceptions=True
        )
    finally:
        await batcher.stop()
    assert [r for i, r in enumerate(results) if i != 3] == [0, 1, 2, 4, 5]
    assert isinstance(results[3], ValueError)


@pytest.mark.anyio
async def test_submit_before_start_is_refused():
    with pytest.raises(RuntimeError, match="not running"):
        await MicroBatcher(lambda items: items, max_rows=1, window_s=0).submit(1)


def test_model_calls_run_native_code_on_one_thread(client, valid_record):
    """A spinning OpenMP team that shares its cores turns a 10 ms call into a second."""
    service = client.app.state.service
    frame = records_to_frame([service.api.record.model_validate(valid_record)], service.api.columns)
    seen: dict[str, dict[str, int]] = {}  # "threads": the thread count of each library

    def call_the_model() -> None:
        service.holder.predict(frame)
        seen["threads"] = {lib["filepath"]: lib["num_threads"] for lib in threadpool_info()}

    worker = threading.Thread(target=call_the_model)
    worker.start()
    worker.join()
    assert seen["threads"], "no native thread pool found"
    assert set(seen["threads"].values()) == {1}, seen
