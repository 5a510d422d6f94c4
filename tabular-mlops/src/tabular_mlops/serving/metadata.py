"""What ``GET /metadata`` reports: which model, trained on which data, from which code.

The training time comes from ``MODEL_TRAINED_AT`` or the model file (see :func:`trained_at`).
The git commit comes from the ``GIT_COMMIT`` environment variable (the Docker build sets
it) or from ``git rev-parse HEAD`` in a working copy; the template version from
``TEMPLATE_VERSION`` or the ``_commit`` recorded in ``.copier-answers.yml``. A value that
cannot be found is reported as null: metadata never stops the service.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tabular_mlops.config import Params
from tabular_mlops.modeling.registry import REGISTRY_FILE, model_version

from .. import safe_yaml
from ..project import version_and_summary

ANSWERS_FILE = ".copier-answers.yml"

logger = logging.getLogger(__name__)


def git_commit(root: Path) -> str | None:
    """The commit the code was built from, or None when it cannot be known."""
    from_env = os.environ.get("GIT_COMMIT", "").strip()
    if from_env:
        return from_env
    git = shutil.which("git")
    if git is None:
        return None
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [git, "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def template_version(root: Path) -> str | None:
    """The copier-mlops version this project was generated from (or last updated to)."""
    from_env = os.environ.get("TEMPLATE_VERSION", "").strip()
    if from_env:
        return from_env
    try:
        answers = safe_yaml.safe_load((root / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    commit = answers.get("_commit") if isinstance(answers, dict) else None
    return str(commit) if commit else None


def _test_metrics(path: Path) -> dict[str, Any] | None:
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return metrics.get("model") if isinstance(metrics, dict) else None


def registry_entry(model_dir: Path) -> dict[str, Any] | None:
    """Which registered version the served model is: from the ``registry.json`` that a
    restore writes beside it, else from ``MODEL_REGISTRY_VERSION`` (set in the image that
    CD builds for a version); None for a model that did not come from the registry.
    """
    try:
        entry = json.loads((model_dir / REGISTRY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entry = None
    if isinstance(entry, dict):
        return entry
    from_env = os.environ.get("MODEL_REGISTRY_VERSION", "").strip()
    return {"version": from_env} if from_env else None


def trained_at(model_path: Path) -> datetime | None:
    """When the served model was trained, as well as the server can tell.

    ``MODEL_TRAINED_AT`` (Unix seconds or ISO 8601 with an offset), which a build that knows
    the training time sets, wins. Else the model file's modification time: when training
    wrote it in this working copy, or, after a ``dvc pull`` or checkout, when that copy was
    made (so an age read from it is at most the real age). The model's metadata holds no
    time on purpose: a clock reading there would make every retraining write different
    bytes, and the pipeline must reproduce byte for byte.
    """
    from_env = os.environ.get("MODEL_TRAINED_AT", "").strip()
    if from_env:
        try:
            return datetime.fromtimestamp(float(from_env), UTC)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(from_env)
        except ValueError:
            logger.warning(
                "MODEL_TRAINED_AT=%r is neither Unix seconds nor ISO 8601; "
                "using the model file's time",
                from_env,
            )
        else:
            if parsed.tzinfo is not None:
                return parsed
            logger.warning(
                "MODEL_TRAINED_AT=%r has no UTC offset; using the model file's time", from_env
            )
    try:
        return datetime.fromtimestamp(model_path.stat().st_mtime, UTC)
    except OSError:
        return None


def build_metadata(params: Params, root: Path, model_metadata: dict[str, Any]) -> dict[str, Any]:
    """Collect the metadata of the loaded model and of the running code."""
    return {
        "model_version": model_version(model_metadata) or None,
        "model_sha256": model_metadata.get("sha256"),
        "registry": registry_entry(root / params.train.model_dir),
        "train_data_sha256": model_metadata.get("train_data_sha256"),
        "problem_type": params.problem_type,
        "target": params.data.target,
        "estimator": model_metadata.get("estimator"),
        "input_columns": params.data.features.input_columns,
        "metrics": {
            "validation": model_metadata.get("validation_metrics"),
            "test": _test_metrics(root / params.evaluate.metrics_path),
        },
        "trained_with": {
            "python": model_metadata.get("python"),
            "scikit_learn": model_metadata.get("scikit_learn"),
        },
        "trained_at": _isoformat(trained_at(root / params.train.model_path)),
        "git_commit": git_commit(root),
        "template_version": template_version(root),
        "package_version": version_and_summary()[0],
    }


def _isoformat(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
