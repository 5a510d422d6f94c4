"""False alarms of the generated checks on the sweep's real datasets (issue 18).

After `run.py` has built a dataset's project (its folder is kept, its environment is not),
this installs the project again from its lock and runs the project's own measurements on
the model and splits `make all` left there:

- `python -m tabular_mlops.modeling.calibration`: the slice and inclusion checks on 100 permuted
  test splits (no group differs: every failure is a false alarm) and 100 resampled ones, and
  the staleness check on 100 resampled curves when the data has a time column;
- `python -m tabular_mlops.monitoring.calibration`: the drift monitor on 200 windows drawn from
  the data it was trained on (every alert is a false alarm), and the quality check on 100
  healthy labelled windows.

The figures go to bench/results/false_alarms.json (a file of their own: run.py rewrites the
records of sweep.json while it runs), with the commit the project was rendered from, and
docs/sweep.md shows them beside the rate each check promises.

    uv run python bench/sweep/calibrate.py --work DIR [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a script: import this repository's packages
    sys.path.insert(0, str(ROOT))

from bench.sweep.report import FALSE_ALARMS, write_report  # noqa: E402
from bench.sweep.run import DOC, RESULTS, _json, _run  # noqa: E402

TIMEOUT = 1800  # seconds per measurement


def _measure(project: Path, module: str, log: Path) -> dict[str, Any]:
    """One calibration module's JSON, or the error that stopped it."""
    command = ["uv", "run", "--frozen", "python", "-m", f"tabular_mlops.{module}"]
    start = time.perf_counter()
    code, output = _run(command, project, log, TIMEOUT)
    seconds = round(time.perf_counter() - start, 1)
    if code != 0:
        last = output.strip().splitlines()[-1:] or [f"exit {code}"]
        return {"error": last[0], "seconds": seconds}
    return {**json.loads(output[output.index("{") : output.rindex("}") + 1]), "seconds": seconds}


def calibrate_one(folder: Path) -> dict[str, Any]:
    """Both measurements in the project `run.py` built in ``folder``."""
    project = folder / "project"
    code, output = _run(["uv", "sync", "--frozen"], project, folder / "sync.log", 900)
    if code != 0:
        return {"error": f"uv sync failed: {output.strip().splitlines()[-1:]}"}
    return {
        "groups": _measure(project, "modeling.calibration", folder / "groups_calibration.log"),
        "monitoring": _measure(
            project, "monitoring.calibration", folder / "monitoring_calibration.log"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="run.py's --work folder")
    parser.add_argument("--only", nargs="+", metavar="NAME")
    args = parser.parse_args(argv)
    records = (_json(RESULTS) or {"datasets": {}})["datasets"]
    names = args.only or [
        name for name in records if (args.work / name / "project" / "models").is_dir()
    ]
    for name in names:
        folder = args.work / name
        if not (folder / "project" / "models").is_dir():
            print(f"{name}: no built project in {folder}", flush=True)
            continue
        figures = calibrate_one(folder)
        figures["commit"] = records.get(name, {}).get("run", {}).get("commit")
        measured = _json(FALSE_ALARMS) or {}
        measured[name] = figures
        FALSE_ALARMS.write_text(json.dumps(measured, indent=2) + "\n", encoding="utf-8")
        write_report(_json(RESULTS), DOC)
        print(f"{name}: {json.dumps(figures)[:300]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
