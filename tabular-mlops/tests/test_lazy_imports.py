"""Modules that the quick commands (the gate stage, the summary, the lifecycle commands)
import load no data or model library: each such process starts in a fraction of a second
instead of about two (scikit-learn alone takes one)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = {"pandas", "scipy", "sklearn", "pandera"}


def _loaded_after_importing(module: str) -> set[str]:
    probe = (
        f"import json, sys, {module}\n"
        "print(json.dumps(sorted({m.partition('.')[0] for m in sys.modules})))"
    )
    ran = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(ran.stdout))


@pytest.mark.parametrize("module", ["tabular_mlops.modeling.gate", "tabular_mlops.summary"])
def test_importing_loads_no_data_or_model_library(module: str) -> None:
    assert sorted(_loaded_after_importing(module) & HEAVY) == []


def test_the_probe_sees_a_library_that_is_loaded() -> None:
    assert "sklearn" in _loaded_after_importing("tabular_mlops.modeling.train")
