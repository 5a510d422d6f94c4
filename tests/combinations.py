"""Named answer combinations: each names only the answers it changes from the baseline
(tests/answers/baseline.yml). Each test id names the combination it renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "regression": {
        "project_name": "Body Mass Estimator",
        "package_name": "body_mass",
        "problem_type": "regression",
        "license": "Apache-2.0",
        "python_version": "3.12",
    },
    "proprietary-py313": {
        "project_name": "Internal Penguins",
        "license": "proprietary",
        "python_version": "3.13",
    },
    "bsd": {"license": "BSD-3-Clause", "author_name": "Ada Lovelace"},
    "remote-local": {"dvc_remote": "local", "dvc_remote_url": "/srv/dvc-storage/penguins"},
    "remote-s3": {
        "dvc_remote": "s3",
        "dvc_remote_url": "s3://ml-artifacts/penguins",
        "dvc_remote_s3_region": "us-east-2",
        "dvc_remote_s3_endpoint_url": "https://minio.example.com",
    },
    "remote-gcs": {
        "dvc_remote": "gcs",
        "dvc_remote_url": "gs://ml-artifacts/penguins",
        "dvc_remote_gcs_project": "penguin-research",
    },
    # Own data that is not reachable at copy time: the copy still succeeds, and the
    # project says how to adopt the data later (the reachable case is in test_own_data.py).
    "own-data-later": {
        "project_name": "Churn Model",
        "dataset": "own",
        "data_source": "data/external/customers.csv",
        "target_column": "churned",
    },
    "remote-azure": {
        "dvc_remote": "azure",
        "dvc_remote_url": "azure://ml-artifacts/penguins",
        "dvc_remote_azure_account": "penguinstore",
    },
}

# The combinations whose rendered project is installed and run end to end.
RUN_COMBINATIONS = ("defaults", "regression")


def _over(names: Iterable[str]) -> pytest.MarkDecorator:
    """Parametrize a test's ``name`` argument over combinations; the test id is the name."""
    names = list(names)
    return pytest.mark.parametrize("name", names, ids=names)


# A test (or a module's `pytestmark`) marked with one of these runs once per combination.
EVERY_COMBINATION = _over(sorted(COMBINATIONS))
EVERY_RUN_COMBINATION = _over(RUN_COMBINATIONS)
