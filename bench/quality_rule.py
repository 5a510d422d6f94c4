"""The monitor's quality rule (monitor-7) on simulated healthy windows: its false-alarm rate
against holding a window to a small test split's metric as if it were exact.

    uv run python -m bench.quality_rule [--project PATH]

Renders the default project (or uses ``--project``, an installed one) and runs
bench/in_project/quality_rule.py with its interpreter; prints, per error distribution and
test split size, the share of 300 healthy windows each way alarms on (alpha 5%) and the
share of windows with doubled errors the rule catches. docs/monitoring.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench._common import read_answers
from bench._project import render_default_project, run_program, sh


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project = args.project or render_default_project(Path(scratch))
        sh(["uv", "sync", "--frozen"], project)
        package = read_answers(project)["package_name"]
        figures = run_program(project, "quality_rule", package, timeout=3600)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
