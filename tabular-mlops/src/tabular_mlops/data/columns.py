"""Column metadata: who answers for each column, where it comes from, what it may be used for.

The file ``schema.columns_path`` (``schemas/columns.yaml``) declares every column of the data::

    columns:
      island:
        owner: Jane Doe         # who answers for the column's meaning and quality
        source: palmerpenguins  # where its values come from (no secrets)
        production: true        # may a model in production read it?
        personal: false         # personal data: never a model input, never in a report

It is the decision, reviewed and committed like the schema: ``validate`` refuses a model
input that it marks personal or not for production (:func:`forbidden_inputs`), ``adopt``
never chooses such a column as a feature, declares each new column with safe defaults and
keeps every entry already written (:func:`plan_metadata`). The tests check that every model
input is declared (ML Test Score data-4) and that no undeclared column looks personal (data-5).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tabular_mlops.atomic import write_text
from tabular_mlops.config import Params
from tabular_mlops.data.personal import looks_personal
from tabular_mlops.features.derived import derived_features

from .. import safe_yaml
from ..errors import ProjectError

UNASSIGNED = "unassigned"  # the owner adopt writes: replace it with a person or a team
HEADER = """\
Column metadata (docs/data_sources.md): for every column of the data, who answers for it
(owner), where its values come from (source), whether a model in production may read it
(production) and whether it is personal data (personal: never a model input). `adopt` adds
each new column with safe defaults and keeps what is already written: review its guesses
and replace `unassigned` owners."""


class ColumnsError(ProjectError, ValueError):
    """The column metadata file is missing or breaks a rule; the message says which."""


class ColumnMetadata(BaseModel):
    """What one column's entry must declare."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    owner: str = Field(min_length=1)
    source: str = Field(min_length=1)
    production: bool
    personal: bool


@dataclass(frozen=True)
class ColumnCatalog:
    """The declared columns, as read from ``path``."""

    path: Path
    columns: dict[str, ColumnMetadata] = field(default_factory=dict)

    @property
    def personal(self) -> list[str]:
        return [name for name, entry in self.columns.items() if entry.personal]


def _parse(text: str, path: Path) -> dict[str, ColumnMetadata]:
    try:
        raw = safe_yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ColumnsError(f"{path} is not valid YAML: {error}") from error
    columns = raw.get("columns") if isinstance(raw, dict) else None
    if not isinstance(columns, dict):
        raise ColumnsError(f"{path} must hold a mapping 'columns:' of column name -> metadata")
    parsed: dict[str, ColumnMetadata] = {}
    problems = []
    for name, entry in columns.items():
        try:
            parsed[str(name)] = ColumnMetadata.model_validate(entry)
        except ValidationError as error:
            for item in error.errors():
                where = ".".join(str(part) for part in item["loc"]) or "entry"
                problems.append(f"column '{name}': {where}: {item['msg']}")
    if problems:
        rule = "each column needs owner and source (text), production and personal (true/false)"
        raise ColumnsError(f"{path} is invalid ({rule}): " + "; ".join(problems))
    return parsed


def load_columns(path: Path) -> ColumnCatalog:
    """Read and check the column metadata file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ColumnsError(
            f"{path} not found: run 'adopt' to declare every column of the data (owner, "
            "source, production, personal), review it and commit it (docs/data_sources.md)"
        ) from error
    return ColumnCatalog(path, _parse(text, path))


def model_inputs(params: Params) -> list[str]:
    """Every raw column the model reads: the listed features and what derived ones read."""
    features = params.data.features
    names = list(features.input_columns)
    for derived in features.derived:
        feature = derived_features().get(derived)
        names += [name for name in (feature.requires if feature else ()) if name not in names]
    return names


def forbidden_inputs(params: Params, catalog: ColumnCatalog) -> list[str]:
    """One message per model column the metadata forbids: personal, or not for production."""
    where = catalog.path
    problems = []
    for name in model_inputs(params):
        entry = catalog.columns.get(name)
        if entry is not None and entry.personal:
            problems.append(
                f"model input '{name}' is personal data ({where} says personal: true), and "
                "personal data never reaches the model: remove it from data.features, or "
                "correct its entry if it is not personal"
            )
        elif entry is not None and not entry.production:
            problems.append(
                f"model input '{name}' may not be used in production ({where} says "
                f"production: false): remove it from data.features, or ask its owner "
                f"({entry.owner}) to allow it"
            )
    target = catalog.columns.get(params.data.target)
    if target is not None and target.personal:
        problems.append(
            f"target '{params.data.target}' is personal data ({where} says personal: true): "
            "its values would be written to the evaluation's plots and the monitor's reference"
        )
    return problems


def undeclared_inputs(params: Params, catalog: ColumnCatalog) -> list[str]:
    """One message per model input that the metadata does not declare."""
    return [
        f"model input '{name}' is not declared in {catalog.path}: add its owner, source, "
        "production and personal (or run 'adopt', which adds it with safe defaults)"
        for name in model_inputs(params)
        if name not in catalog.columns
    ]


def check_model_inputs(params: Params) -> list[str]:
    """Refuse a model input that the column metadata forbids (:class:`ColumnsError`).

    Returns a message per model input it does not declare, for a warning: the tests fail on
    them (ML Test Score data-4), a review adds them; what the file declares is enforced.
    """
    catalog = load_columns(params.schema_.columns_path)
    forbidden = forbidden_inputs(params, catalog)
    if forbidden:
        raise ColumnsError("the column metadata forbids:\n  - " + "\n  - ".join(forbidden))
    return undeclared_inputs(params, catalog)


@dataclass(frozen=True)
class MetadataPlan:
    """What ``adopt`` will write to the metadata file, and what it decided."""

    path: Path
    text: str
    changed: bool
    added: list[str]
    removed: list[str]
    excluded: dict[str, str]  # column -> why it may not be a feature
    catalog: dict[str, ColumnMetadata]  # every entry, once written

    def write(self) -> None:
        if self.changed:
            write_text(self.path, self.text)


def _round_trip() -> Any:
    from ruamel.yaml import YAML  # keeps the comments and order of a hand-edited file

    yaml_rt = YAML()
    yaml_rt.width = 100
    yaml_rt.indent(mapping=2, sequence=4, offset=2)
    return yaml_rt


def plan_metadata(path: Path, frame: pd.DataFrame, *, source: str, target: str) -> MetadataPlan:
    """Declare each column of ``frame`` that ``path`` lacks; keep every entry it has.

    A new column gets owner ``unassigned``, the (secret-free) ``source``, and is marked
    personal, and not for production, when its name or values look personal (the target
    excepted: you named it). Entries of columns no longer in the data are removed.
    """
    from ruamel.yaml.comments import CommentedMap

    path = Path(path)
    yaml_rt = _round_trip()
    before = path.read_text(encoding="utf-8") if path.exists() else None
    if before is not None and not before.strip():
        before = None  # an empty file declares nothing yet
    existing = _parse(before, path) if before is not None else {}
    document = yaml_rt.load(before) if before is not None else None
    if document is None:
        document = CommentedMap()
        document.yaml_set_start_comment(HEADER)
        document["columns"] = CommentedMap()
    columns = document["columns"]
    present = [str(name) for name in frame.columns]
    removed = [name for name in list(columns) if str(name) not in present]
    for name in removed:
        del columns[name]
    added = []
    for name in present:
        if name in existing:
            continue
        reason = None if name == target else looks_personal(name, frame[name])
        entry = CommentedMap(
            owner=UNASSIGNED, source=source, production=reason is None, personal=reason is not None
        )
        if reason is not None:
            entry.yaml_add_eol_comment(f"adopt: {reason}", "personal")
        columns[name] = entry
        added.append(name)
    catalog = {**existing, **{name: ColumnMetadata(**columns[name]) for name in added}}
    buffer = io.StringIO()
    yaml_rt.dump(document, buffer)
    return MetadataPlan(
        path,
        buffer.getvalue(),
        changed=bool(added or removed) or before is None,
        added=added,
        removed=removed,
        excluded=_exclusions(catalog, present, path),
        catalog={name: catalog[name] for name in present},
    )


def _exclusions(
    catalog: dict[str, ColumnMetadata], names: Iterable[str], path: Path
) -> dict[str, str]:
    # The same words whether adopt marked the column now or a person did before: adopting
    # again writes the same report. Why adopt marked it is the comment beside it in the file.
    excluded = {}
    for name in names:
        entry = catalog.get(name)
        if entry is not None and entry.personal:
            excluded[name] = f"personal data ({path} says personal: true)"
        elif entry is not None and not entry.production:
            excluded[name] = f"not for production ({path} says production: false)"
    return excluded
