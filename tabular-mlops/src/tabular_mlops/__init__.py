"""The machinery of a tabular machine-learning project made with copier-mlops.

Every module here is the same for every project; a generated project pins one version of
this package and keeps only what is its own (its settings, schema, derived features,
candidate estimators and tests of its data and model).
"""

from importlib.metadata import version

__version__ = version("tabular-mlops")
