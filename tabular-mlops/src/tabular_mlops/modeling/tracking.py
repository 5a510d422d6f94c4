"""Record each training run so that runs can be compared: through DVCLive, and MLflow when
``params.yaml`` has an ``mlflow`` section (the copier answer experiment_tracking=mlflow writes it).

DVCLive writes the run into ``train.live_dir``: ``metrics.json`` (the validation metrics),
``params.yaml`` (the hyperparameters the model was really trained with, tuned values
included) and ``plots/``. ``dvc.yaml`` declares those files as the train stage's metrics,
params and plots, so DVCLive writes no dvc.yaml of its own (``dvcyaml=False``) and saves no
experiment (``save_dvc_exp=False``): ``dvc exp run`` saves one for the whole pipeline.
{%- if experiment_tracking == 'mlflow' %}

The same run also goes to MLflow (``modeling/mlflow_run.py``), imported only here, when a
run is recorded, so the CLI and the server never load it.
{%- endif %}
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tabular_mlops.config import Params

PREDICTIONS_PLOT = "predictions"  # plots/custom/predictions.json in train.live_dir


def run_params(params: Params, hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """What the model was trained with, as the run records it."""
    return {
        "estimator": params.train.estimator,
        "hyperparameters": hyperparameters,
        "tuned": params.tune.enabled,
    }


def record_run(
    params: Params,
    hyperparameters: dict[str, Any],
    validation: dict[str, dict[str, float]],
    predictions: pd.DataFrame,
) -> None:
    """Log the run's params, validation metrics and validation predictions.

    ``validation`` maps "model" and "baseline" to their metrics; ``predictions`` has the
    columns that ``evaluate.plots.predictions`` draws (the test set's plot, on validation).
    """
    from dvclive.live import Live  # 1-3 s to import (it loads DVC): only when a run is recorded

    class PipelineLive(Live):
        """DVCLive's logging without its DVC integration, which this stage does not use.

        That integration saves experiments and writes dvc.yaml, both off here; it also
        fails in a Git repository with no commit yet (a project just generated), and
        runs `dvc init` in a Git repository that has no DVC.
        """

        def _init_dvc(self) -> None:
            return None

    logged = run_params(params, hyperparameters)
    plot = params.evaluate.plots.predictions
    with PipelineLive(str(params.train.live_dir), dvcyaml=False, save_dvc_exp=False) as live:
        live.log_params(logged)
        for model, metrics in validation.items():
            for name, value in metrics.items():
                live.log_metric(f"{model}/{name}", value, plot=False)
        live.log_plot(PREDICTIONS_PLOT, predictions, x=plot.x, y=plot.y, template=plot.template)
    if params.mlflow is not None:
        from .mlflow_run import log_run

        log_run(params, logged, validation)
