"""The project's command (named in pyproject.toml's [project.scripts]): the commands of
tabular-mlops, with this project's description as its help. `--help` lists them; each DVC
stage in dvc.yaml calls one."""

from tabular_mlops.cli import app, main

from . import __doc__ as project_summary

app.info.help = project_summary

__all__ = ["app", "main"]
