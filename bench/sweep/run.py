"""Adopt every sweep dataset in a fresh project and run `make all` on it (issue 18).

For each dataset (bench/sweep/datasets.py): write it to CSV, render a project with
``dataset=own`` pointing at that file (`copier copy`, whose task runs `adopt`), commit what
copier wrote, run ``make -k all`` (-k: every step of `make all` runs, so one red step does
not hide the next), then score the ML Test Score from the tests' recorded outcomes. The
results go to bench/results/sweep.json (one record per dataset, merged with the records
already there) and docs/sweep.md is written from them.

    uv run python bench/sweep/run.py [--only NAME ...] [--jobs N] [--committed] [--keep]
                                     [--work DIR]
    uv run python bench/sweep/run.py --report-only     # docs/sweep.md from the JSON

Projects are built in --work (default: a folder under /tmp that is kept, with each
dataset's copier.log and make.log); their environments are deleted after each run unless
--keep. Every project's mypy shares one cache, as in the template's tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a script: import this repository's packages
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench._common import clone_working_tree, copier_copy_command, project_env  # noqa: E402
from bench.sweep.datasets import BY_NAME, DATASETS, REFERENCE, SweepDataset  # noqa: E402
from bench.sweep.outcome import judge, with_score  # noqa: E402
from bench.sweep.report import write_report  # noqa: E402
from bench.time_to_green import users_environment  # noqa: E402
from tests.helpers import FIRST_TAG, LOWER_IS_BETTER, commit_all, git, read_answers  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "sweep.json"
DOC = ROOT / "docs" / "sweep.md"
RENDER_TIMEOUT = 1200


# Whose environment the projects' commands run in: the template tests' (a project's tests in
# one process, on one OpenMP thread, so that builds side by side share the cores), or with
# --users-environment a user's, where `make all` runs the tests in one worker per core.
ENVIRONMENTS = {"template tests": project_env, "user": users_environment}
_chosen_environment = "template tests"


def _env() -> dict[str, str]:
    # Wide enough that pytest's summary keeps each failed test's message (the verdict reads it).
    return {**ENVIRONMENTS[_chosen_environment](), "COLUMNS": "300"}


def _run(command: list[str], cwd: Path, log: Path, timeout: float) -> tuple[int | None, str]:
    """Run ``command``; its exit code (None on timeout) and its output, also saved to ``log``."""
    try:
        result = subprocess.run(
            command, cwd=cwd, env=_env(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        code, output = result.returncode, result.stdout
    except subprocess.TimeoutExpired as expired:
        partial = expired.stdout
        output = partial.decode(errors="replace") if isinstance(partial, bytes) else partial or ""
        code, output = None, output + f"\n[sweep] timed out after {timeout:.0f} s\n"
    log.write_text(output, encoding="utf-8")
    return code, output


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def clone_commit(destination: Path) -> Path:
    """The last commit's files (not the working tree's) in a new repository tagged like the
    tests' clone: other work in progress in the working tree stays out of the sweep."""
    destination.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    git(destination, "init", "--quiet", "--initial-branch=main")
    commit_all(destination, "Template under test")
    git(destination, "tag", FIRST_TAG)
    return destination


def _render(dataset: SweepDataset, template: Path, folder: Path, csv: Path) -> tuple[Path, str]:
    """`copier copy` with the dataset as the project's own data; the project and its log."""
    project = folder / "project"
    answers = {"project_name": dataset.project_name, "dataset": "demo"}
    if dataset is not REFERENCE:
        answers.update(dataset="own", data_source=str(csv), target_column=dataset.target)
    data = [option for key, value in answers.items() for option in ("--data", f"{key}={value}")]
    command = copier_copy_command(template, project, "--quiet", *data)
    code, output = _run(command, folder, folder / "copier.log", RENDER_TIMEOUT)
    if code != 0:
        raise RuntimeError(f"copier copy exited {code}: {output.strip().splitlines()[-1:]}")
    commit_all(project, "Generated by copier-mlops")
    return project, output


def _score(project: Path, slug: str, folder: Path) -> dict[str, Any] | None:
    """The ML Test Score of the outcomes `make test` recorded (exit 0 or 3: it was computed)."""
    results = project / "reports" / "ml_test_score" / "tests.json"
    if not results.is_file():
        return None
    command = ["uv", "run", "--frozen", slug, "ml-test-score", "--from", str(results), "--json"]
    code, output = _run(command, project, folder / "ml_test_score.log", 600)
    if code not in (0, 3):
        return {"error": output.strip().splitlines()[-1] if output.strip() else f"exit {code}"}
    score = json.loads(output[output.index("{") : output.rindex("}") + 1])
    return {key: score[key] for key in ("score", "min_score", "passed", "lowest_sections")}


def _metrics(project: Path) -> dict[str, Any]:
    """The problem type, the features adopt chose, the gate's metric for model and baseline."""
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    gate_settings = params["gate"]
    metric = gate_settings["metric"]
    test = _json(project / params["evaluate"]["metrics_path"]) or {}
    features = params["data"]["features"]
    return {
        "problem_type": params["problem_type"],
        "features": {kind: len(columns) for kind, columns in features.items()},
        "metric": metric,
        "model": test.get("model", {}).get(metric),
        "baseline": test.get("baseline", {}).get(metric),
        "margin": gate_settings["min_improvement_over_baseline"],
        "lower_is_better": metric in LOWER_IS_BETTER,
        "gate": _json(project / gate_settings["report_path"]),
    }


def sweep_one(dataset: SweepDataset, template: Path, work: Path, keep: bool) -> dict[str, Any]:
    """Build, run and judge one dataset; its record for sweep.json."""
    folder = work / dataset.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    record: dict[str, Any] = {
        "name": dataset.name,
        "source": dataset.source,
        "target": dataset.target,
        "covers": list(dataset.covers),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "folder": str(folder),
    }
    start = time.perf_counter()
    try:
        frame = dataset.load()
        record["rows"], record["columns"] = frame.shape
        csv = folder / f"{dataset.name}.csv"
        frame.to_csv(csv, index=False)
        project, copier_output = _render(dataset, template, folder, csv)
        record["render_seconds"] = round(time.perf_counter() - start, 1)
        slug = read_answers(project)["project_slug"]
        adopted = dataset is REFERENCE or (project / "reports" / "adoption.md").is_file()
        if not adopted:  # the demo's params.yaml comes adopted with the template
            record["outcome"] = {
                "verdict": "red",
                "failed_steps": ["adopt"],
                "finding": "copier's task did not adopt the data: " + _last_error(copier_output),
            }
            return record
        mark = time.perf_counter()
        code, log = _run(["make", "-k", "all"], project, folder / "make.log", dataset.timeout)
        record["make_seconds"] = round(time.perf_counter() - mark, 1)
        record["make_exit"] = code
        record.update(_metrics(project))
        record["ml_test_score"] = _score(project, slug, folder)
        outcome = judge(log, code, record["gate"], record["margin"], record["lower_is_better"])
        outcome = with_score(outcome, record["ml_test_score"])
        record["outcome"] = outcome.to_dict()
    except Exception as error:  # one dataset's harness failure is its record, not the sweep's
        record["outcome"] = {
            "verdict": "red",
            "failed_steps": ["sweep"],
            "finding": f"the sweep itself failed: {type(error).__name__}: {error}",
            "traceback": traceback.format_exc(limit=3),
        }
    finally:
        record["seconds"] = round(time.perf_counter() - start, 1)
        if not keep:
            shutil.rmtree(folder / "project" / ".venv", ignore_errors=True)
    return record


def rejudge(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with its verdict given again from the make.log its run kept, if any."""
    log = Path(record["folder"]) / "make.log"
    if not log.is_file() or "make_exit" not in record:
        return record
    outcome = judge(
        log.read_text(encoding="utf-8"), record["make_exit"], record["gate"],
        record["margin"], record["lower_is_better"],
    )  # fmt: skip
    outcome = with_score(outcome, record.get("ml_test_score"))
    return {**record, "outcome": outcome.to_dict()}


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or lines or ["(no output)"])[0 if errors else -1]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()


def _machine() -> dict[str, Any]:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        memory = meminfo.read_text().splitlines()[0].split(":")[1].strip()
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def _merge(records: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """sweep.json with ``records`` replacing the same datasets' older records."""
    previous = _json(RESULTS) or {"datasets": {}}
    datasets = previous.get("datasets", {})
    reference = previous.get("reference")
    for record in records:
        if record["name"] == REFERENCE.name:
            reference = {**record, "run": run}
        else:
            datasets[record["name"]] = {**record, "run": run}
    ordered = {d.name: datasets[d.name] for d in DATASETS if d.name in datasets}
    runs = previous.get("runs", [])
    if run not in runs:
        runs = [*runs, run][-20:]
    merged = {"runs": runs, "datasets": ordered}
    return {**merged, "reference": reference} if reference else merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(BY_NAME))
    parser.add_argument("--jobs", type=int, default=1, help="datasets built at once")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also build the demo project first: the yardstick of the large datasets' speed",
    )
    parser.add_argument("--keep", action="store_true", help="keep each project's .venv")
    parser.add_argument("--work", type=Path, help="where projects are built (kept)")
    parser.add_argument(
        "--committed",
        action="store_true",
        help="render the last commit instead of the working tree (the default, as the tests)",
    )
    parser.add_argument(
        "--users-environment",
        action="store_true",
        help="run each `make all` as a user does (tests in one worker per core); with --jobs 1",
    )
    parser.add_argument("--report-only", action="store_true", help="only write docs/sweep.md")
    parser.add_argument(
        "--rejudge",
        action="store_true",
        help="with --report-only: judge each record again from its kept make.log",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        results = _json(RESULTS)
        if results and args.rejudge:
            results["datasets"] = {name: rejudge(r) for name, r in results["datasets"].items()}
            RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_report(results, DOC)
        print(f"wrote {DOC.relative_to(ROOT)}")
        return 0

    if args.users_environment:
        if args.jobs != 1:
            parser.error("--users-environment needs --jobs 1: a user's make all fills the cores")
        global _chosen_environment
        _chosen_environment = "user"
    chosen = [BY_NAME[name] for name in args.only] if args.only else list(DATASETS)
    chosen = [REFERENCE, *chosen] if args.reference else chosen
    work = args.work or Path(tempfile.mkdtemp(prefix="copier-mlops-sweep-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["MYPY_CACHE_DIR"] = str(work / "mypy-cache")  # read by project_env()
    run = {
        "command": "uv run python bench/sweep/run.py " + shlex.join(sys.argv[1:]),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": not args.committed and bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "jobs": args.jobs,
        "environment": _chosen_environment,
    }
    print(f"sweep: {len(chosen)} datasets, {args.jobs} at a time, in {work}", flush=True)
    shutil.rmtree(work / "template", ignore_errors=True)
    template = (clone_commit if args.committed else clone_working_tree)(work / "template")
    records = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(sweep_one, d, template, work, args.keep): d for d in chosen}
        for future in as_completed(futures):
            record = future.result()
            records.append(record)
            outcome = record["outcome"]
            print(
                f"{record['name']:20s} {outcome['verdict']:5s} {record['seconds']:7.0f} s  "
                f"{outcome.get('finding') or ''}",
                flush=True,
            )
            # Written after each dataset, so an interrupted sweep keeps what it measured.
            results = _merge(records, run)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
            write_report(results, DOC)
    reds = [r["name"] for r in records if r["outcome"]["verdict"] == "red"]
    print(f"results: {RESULTS.relative_to(ROOT)}; report: {DOC.relative_to(ROOT)}; red: {reds}")
    return 1 if reds else 0


if __name__ == "__main__":
    sys.exit(main())
