"""One command line over the whole project, installed under the project's name (its slug);
``<slug> --help`` lists the commands.

Each DVC stage in ``dvc.yaml`` calls one of these commands, so running a stage by hand and
running it through ``dvc repro`` do exactly the same thing. Each command is a short adapter
in the module of its area (settings, pipeline, lifecycle, serving, monitoring, reports): it
parses its options, calls one library function and prints what that returns. An error the
user can fix is a :class:`ProjectError` raised by the library, reported here only.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from ..errors import ProjectError

# The modules of this package import typer and the standard library only; each adapter
# imports what it uses in its body: pydantic, pandas, pandera and scikit-learn take seconds
# to import, which `--help` need not spend and each stage spends only on what it uses
# (checks/commands/test_startup.py checks that importing this package loads none).
from . import lifecycle, monitoring, pipeline, reports, serving, settings


class _Commands(TyperGroup):
    """The commands, with their errors reported in one place: a :class:`ProjectError` (a
    problem the user can fix) becomes one ``error:`` line and its exit status; anything
    else is a bug and keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:  # click's Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except ProjectError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from error


# The help text is the project's: its cli module sets app.info.help to its docstring.
app = typer.Typer(
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    # plain help and errors: Rich's formatting takes longer to import than the rest of --help
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# In the order `--help` lists them: adopting data, the pipeline's stages in order, the
# registry, serving, then what reports on the project.
COMMANDS = (
    ("adopt", settings.adopt_command),
    ("check-params", settings.check_params_command),
    ("params", settings.params_command),
    ("ingest", pipeline.ingest_command),
    ("infer-schema", pipeline.infer_schema_command),
    ("validate", pipeline.validate_command),
    ("split", pipeline.split_command),
    ("tune", pipeline.tune_command),
    ("train", pipeline.train_command),
    ("evaluate", pipeline.evaluate_command),
    ("gate", pipeline.gate_command),
    ("register", lifecycle.register_command),
    ("promote", lifecycle.promote_command),
    ("registry", lifecycle.registry_command),
    ("restore", lifecycle.restore_command),
    ("rollback", lifecycle.rollback_command),
    ("predict", serving.predict_command),
    ("serve", serving.serve_command),
    ("canary", pipeline.canary_command),
    ("delivery-metrics", lifecycle.delivery_metrics_command),
    ("monitor", monitoring.monitor_command),
    ("ml-test-score", reports.ml_test_score_command),
    ("trace", reports.trace_command),
    ("staleness-impact", pipeline.staleness_impact_command),
    ("feature-report", reports.feature_report_command),
    ("summary", reports.summary_command),
)
for _name, _adapter in COMMANDS:
    app.command(_name)(_adapter)


def main() -> None:
    """Console-script entry point."""
    app()
