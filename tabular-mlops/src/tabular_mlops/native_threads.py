"""How many threads the model's native code (OpenMP) runs on in the pipeline's stages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """Fit and predict with one OpenMP thread inside the block, unless ``OMP_NUM_THREADS``
    is set (then it is obeyed: ``OMP_NUM_THREADS=8 dvc repro`` trains on eight threads).

    Gradient boosting's OpenMP team synchronises at every node of every tree. On the data
    sets projects start with, an extra thread costs more than it computes, and `make all`
    runs the stages beside the tests, the type checker and the linters, so the team also
    waits for cores those hold: on two cores, training on sklearn's digits (1,077 rows,
    2,000 trees) took 1.3 s on one thread and 4.5 s on two (21,540 rows: 6.9 s and 8.7 s).
    The models and their predictions do not depend on the thread count (digits' model.pkl
    and every metric and report came out byte for byte the same). The limit acts on the
    OpenMP runtimes loaded when the block starts: scikit-learn's gradient boosting (which
    loads its runtime) is imported first.
    """
    if "OMP_NUM_THREADS" in os.environ:
        yield
        return
    import sklearn.ensemble  # noqa: F401 (loads scikit-learn's OpenMP runtime)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield
