"""The command, the server and the stages load no tracking library until a run is recorded.

DVCLive loads DVC (1-3 s) and MLflow more: a command or a server that imported them on
start would pay that on every call, for nothing. ``modeling.tracking`` imports them inside
``record_run`` only.
"""

from __future__ import annotations

import subprocess
import sys

MODULES = (
    "tabular_mlops.cli",
    "tabular_mlops.serving.app",
    "tabular_mlops.modeling.train",
    "tabular_mlops.modeling.evaluate",
    "tabular_mlops.modeling.tracking",
)


def test_the_command_the_server_and_the_stages_load_no_tracking_library() -> None:
    probe = "; ".join(
        [
            *(f"import {module}" for module in MODULES),
            "import sys",
            "print(sorted({m.partition('.')[0] for m in sys.modules}))",
        ]
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "'tabular_mlops'" in loaded  # the probe did import them
    assert "'dvclive'" not in loaded
    assert "'mlflow'" not in loaded
    assert "'dvc'" not in loaded
