"""Canary: the model counts as deployable only once the real server has served it correctly.

The canary starts the API in its own process (uvicorn on 127.0.0.1, a free port; see
process.py), waits until ``/ready``, sends every test-set row (a seeded sample of
``canary.max_rows`` rows of a larger test set) through ``/predict/batch`` and the first few
through ``/predict``, and compares the answers with the pipeline's own in-process
predictions, exactly. It writes a report (no timings or ports, so reruns write the same
bytes) and always stops the server. A model served correctly is then timed (bench.py), and
those figures go to a file of their own, ``monitoring.performance.bench_path``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tabular_mlops.atomic import write_json
from tabular_mlops.config import Params
from tabular_mlops.modeling.registry import load_verified_model, model_version
from tabular_mlops.sampling import at_most
from tabular_mlops.serving.bench import run_bench
from tabular_mlops.serving.process import ServerProcess, ServerStartError, call

from ..data.split import read_split
from ..errors import ProjectError, StageError
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


class CanaryError(ProjectError, RuntimeError):
    """The server could not be started, or did not answer ``/ready`` in time."""


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


def _ask(
    base_url: str, records: list[dict[str, Any]], expected: list[Any], batch_size: int, singles: int
) -> tuple[int, int, list[str]]:
    """Send every record in batches and the first ``singles`` one by one; count the matches."""
    problems: list[str] = []
    batch_matches = single_matches = 0
    served: list[Any] = []
    for start in range(0, len(records), batch_size):
        status, body = call(f"{base_url}/predict/batch", records[start : start + batch_size])
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
        status, body = call(f"{base_url}/predict", records[index])
        if status != 200:
            problems.append(f"/predict answered {status} for test row {index}: {body}")
            break
        single_matches += _compare(
            [expected[index]], [body["prediction"]], "/predict", problems, offset=index
        )
    return batch_matches, single_matches, problems


def run_canary(params: Params, params_path: Path, root: Path) -> CanaryReport:
    """Serve the model from a real server process and check its answers on the test set."""
    test_frame = read_split(root / params.split.output_dir, "test")
    # A sample proves as much, in seconds.
    test_frame = at_most(test_frame, params.canary.max_rows, params.seed)
    features = test_frame[params.data.features.input_columns]
    model_path = root / params.train.model_path
    model, model_metadata = load_verified_model(model_path)
    expected = model.predict(features).tolist()
    records = frame_to_records(features)
    singles = min(params.canary.single_requests, len(records))
    try:
        # record=False: test rows are not traffic, and the monitor must not count them as such
        with ServerProcess(
            params_path, root, params.canary.startup_timeout_s, record=False
        ) as server:
            batch_matches, single_matches, problems = _ask(
                server.base_url, records, expected, params.serving.max_batch_size, singles
            )
            bench = None
            if not problems:  # only a model served correctly is worth timing (monitor-6)
                bench = run_bench(
                    server.base_url,
                    records,
                    params.monitoring.performance.bench_requests,
                    params.serving.max_batch_size,
                    model_version(model_metadata),
                )
    except ServerStartError as error:
        raise CanaryError(str(error)) from error
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
    if bench is not None:
        write_json(root / params.monitoring.performance.bench_path, bench)
    return report


def passing_canary(params: Params, params_path: Path, root: Path) -> CanaryReport:
    """The ``canary`` stage: its report if the server answered exactly as the pipeline does,
    else a :class:`StageError` (the server did not start, or answered otherwise)."""
    try:
        report = run_canary(params, params_path, root)
    except CanaryError as error:
        raise StageError(f"canary failed: {error}") from error
    if not report.passed:
        raise StageError(
            f"canary failed, see {params.canary.report_path}:\n  - "
            + "\n  - ".join(report.problems)
        )
    return report
