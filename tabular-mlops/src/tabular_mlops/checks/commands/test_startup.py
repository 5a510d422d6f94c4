"""The command line starts fast: each command imports only the libraries it uses.

pandas, pandera, scikit-learn and pydantic take seconds to import together, and every DVC
stage and every ``--help`` starts a new process. Each test runs one command in a fresh
interpreter and lists the top-level modules loaded by the time it exits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..support import PROJECT_ROOT, copy_configuration

# Runs the command line with argv[2:] and writes its exit code and loaded modules to argv[1].
_PROBE = """
import json, sys
from tabular_mlops.cli import app
try:
    app(sys.argv[2:])
except SystemExit as stop:
    code = stop.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"exit": code, "modules": sorted({m.partition(".")[0] for m in sys.modules})}, out)
"""
DATA_LIBRARIES = {"numpy", "pandas", "pandera", "scipy", "sklearn"}


def _modules_loaded(tmp_path: Path, *args: str, cwd: Path = PROJECT_ROOT) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running the command."""
    report = tmp_path / "modules.json"
    ran = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _PROBE, str(report), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.exists(), f"the probe failed:\n{ran.stderr}"
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["exit"] in (0, None), f"{args} exited {result['exit']}:\n{ran.stderr}"
    return set(result["modules"])


def test_help_loads_neither_pydantic_nor_any_data_or_model_library(tmp_path):
    loaded = _modules_loaded(tmp_path, "--help")
    assert "typer" in loaded
    assert sorted(loaded & (DATA_LIBRARIES | {"pydantic"})) == []


def test_check_params_loads_pydantic_but_no_data_or_model_library(tmp_path):
    params_path = str(PROJECT_ROOT / "params.yaml")
    loaded = _modules_loaded(tmp_path, "check-params", "--params", params_path)
    assert "pydantic" in loaded
    assert sorted(loaded & DATA_LIBRARIES) == []


def test_ingest_loads_pandas_but_neither_pandera_nor_scikit_learn(tmp_path):
    workspace = copy_configuration(tmp_path / "workspace")
    loaded = _modules_loaded(tmp_path, "ingest", cwd=workspace)
    assert "pandas" in loaded
    assert sorted(loaded & {"pandera", "scipy", "sklearn"}) == []
