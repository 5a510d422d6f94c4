"""The pipeline's model stages run scikit-learn's OpenMP code on one thread unless told."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info

from tabular_mlops.native_threads import one_openmp_thread


def _openmp_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


def test_one_thread_inside_the_block_and_the_previous_count_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with one_openmp_thread():
        assert _openmp_threads() == {1}  # scikit-learn's runtime is loaded, and limited
    before = _openmp_threads()
    with one_openmp_thread():
        pass
    assert _openmp_threads() == before


def test_an_explicit_omp_num_threads_is_obeyed(monkeypatch: pytest.MonkeyPatch) -> None:
    with one_openmp_thread():
        pass  # scikit-learn's OpenMP runtime is loaded from here on
    before = _openmp_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with one_openmp_thread():
        assert _openmp_threads() == before
