"""The machinery of a tabular machine-learning project made with copier-mlops.

Every module here is the same for every project; a generated project pins one version of
this package and keeps only what is its own (its settings, schema, derived features,
candidate estimators and tests of its data and model), which it declares to this package
through entry points (project.py).
"""

import os
from importlib.metadata import version
from pathlib import Path

# scikit-learn's OpenMP threads (gradient boosting) wait for each other by spinning. On cores
# shared with other work (a CI runner, tests in parallel) the spinning starves the thread
# that is waited for, and training that takes 3 s can take 100 s; waiting passively costs
# next to nothing on an idle machine. libgomp reads this when it loads, so it is set here,
# before any module of this package imports scikit-learn.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = version("tabular-mlops")

# The parameters file that the commands and the server read unless told otherwise. It lives
# here rather than in config.py so that `--help` can show it without importing pydantic.
DEFAULT_PARAMS_PATH = Path("params.yaml")
