"""The command line: importing it is cheap, and an error the user can fix is one ``error:``
line with its exit status, reported by the command group alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tabular_mlops.cli import app

# Seconds to import together: `--help` and `import tabular_mlops.cli` must load none of them.
HEAVY = {"numpy", "pandas", "pandera", "pydantic", "scipy", "sklearn", "yaml"}


def test_importing_the_command_line_loads_no_data_library_nor_pydantic() -> None:
    probe = (
        "import sys, tabular_mlops.cli; "
        "print(' '.join(sorted({m.partition('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert "typer" in loaded  # the probe did import it
    assert sorted(HEAVY & set(loaded)) == []


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (
            ["delivery-metrics", "--since", "notadate"],
            "error: --since 'notadate' is not a date: use YYYY-MM-DD",
            1,
        ),
        (
            ["adopt", "--problem-type", "bogus"],
            "error: --problem-type 'bogus' is not one of infer, classification, regression",
            1,
        ),
        # adopt reports a params.yaml it cannot read with 1, as all its refusals
        (["adopt", "--params", "missing.yaml"], "error: missing.yaml not found", 1),
        (["check-params", "--params", "missing.yaml"], "error: missing.yaml not found", 2),
    ],
)
def test_a_refusal_is_one_error_line_and_its_exit_status(
    args: list[str],
    message: str,
    status: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # where no missing.yaml can be
    result = CliRunner().invoke(app, args)
    assert result.exit_code == status, result.output
    assert message in result.output
    assert "Traceback" not in result.output
