"""Adopt a data set: point the whole project at it, with no hand edits.

``adopt`` reads the source, profiles it (``data/profile.py`` holds the rules), then writes
``params.yaml``'s data section, the problem type, the gate margins and the plot settings
(keeping every other setting and comment), ingests the data, writes the schema, and writes
a report of every decision for review. Running it again on the same data changes nothing.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .atomic import write_text
from .config import Params, ParamsError, ProblemType
from .data.columns import UNASSIGNED, ColumnsError, MetadataPlan, plan_metadata
from .data.ingest import ingest, read_raw
from .data.profile import Profile, profile_frame
from .data.schema import infer_for_params, save_schema
from .data.sensitive import sensitive_attribute
from .data.sources import SourceError, display_source
from .data.validation import suggest
from .features.derived import applicable_derived_features

# How much worse than the whole test set a slice, or one group than another, may be (a share
# of the metric): about three standard errors of the metric on a slice of min_rows rows (15).
# An RMSE on 20 rows varies far more than an F1 score does.
GROUP_METRIC_GAP = {"classification": 0.25, "regression": 0.5}
# A slice is judged against the rest of the test rows, and a large slice of an imbalanced
# target (Treatment's u75=False: 465 rows, few of the rare class) moves F1 more than a group
# of the inclusion attribute does: 0.4 (the gap a scrambled slice opens is above 0.5).
SLICE_METRIC_GAP = {"classification": 0.4, "regression": 0.5}
# Relative gate margins for a regression, in units of the target's standard deviation.
REGRESSION_MIN_IMPROVEMENT = 0.10
REGRESSION_MAX_REGRESSION = 0.05

PLOTS: dict[str, dict[str, dict[str, str]]] = {
    "classification": {
        "predictions": {
            "template": "confusion",
            "x": "predicted",
            "y": "actual",
            "title": "Confusion matrix (test set)",
        },
        "curve": {
            "template": "simple",
            "x": "fpr",
            "y": "tpr",
            "title": "ROC curve (test set, micro-averaged)",
        },
    },
    "regression": {
        "predictions": {
            "template": "scatter",
            "x": "actual",
            "y": "predicted",
            "title": "Predicted vs actual (test set)",
        },
        "curve": {
            "template": "scatter",
            "x": "predicted",
            "y": "residual",
            "title": "Residuals (test set)",
        },
    },
}
LINEAR_HYPERPARAMETERS: dict[str, dict[str, float | int]] = {
    "classification": {"C": 1.0, "max_iter": 1000},
    "regression": {"alpha": 1.0},
}
# tune.space.linear: the same estimators' regularisation strength, on a log scale
LINEAR_SPACE: dict[str, dict[str, list[float]]] = {
    "classification": {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
    "regression": {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0]},
}


# The ML Test Score a project scores out of the box: every item of data, infrastructure and
# monitoring, and model-2 to model-7 (model-1 is done by hand). Less one point for each item
# the data cannot support: model-7 without a sensitive attribute, model-4 without a time
# column (a row order is not time: the staleness curve then measures sampling noise).
FULL_MIN_SCORE = 6


def _set_min_score(document: Any, profile: Profile) -> str:
    """Set ml_test_score.min_score to what the project scores; return the report's line."""
    missing = []
    if document["evaluate"]["inclusion"].get("attribute") is None:
        missing.append("model-7 (no sensitive attribute)")
    if profile.time_column is None:
        missing.append("model-4 (no time column)")
    score = FULL_MIN_SCORE - len(missing)
    document["ml_test_score"]["min_score"] = score
    lost = f": {FULL_MIN_SCORE} less {', '.join(missing)}" if missing else ""
    return f"- ML Test Score expected out of the box (ml_test_score.min_score): {score}{lost}\n"


class AdoptError(ValueError):
    """The data cannot be adopted as asked; the message says why."""


@dataclass(frozen=True)
class Adoption:
    """What ``adopt`` decided and wrote."""

    profile: Profile
    source: str
    gate: dict[str, Any]
    derived: list[str]
    report_path: Path


def _yaml() -> Any:
    from ruamel.yaml import YAML  # round-trip: keeps the comments and order of params.yaml

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def _flow(items: list[Any]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    sequence = CommentedSeq(items)
    sequence.fa.set_flow_style()
    return sequence


def _significant(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def gate_settings(profile: Profile, target_std: float) -> dict[str, Any]:
    """The gate's metric and margins: unitless for a classifier, in target units otherwise."""
    if profile.problem_type == "classification":
        return {
            "metric": "f1_macro",
            "min_improvement_over_baseline": 0.1,
            "max_regression_vs_production": 0.02,
        }
    return {
        "metric": "rmse",
        "min_improvement_over_baseline": _significant(REGRESSION_MIN_IMPROVEMENT * target_std),
        "max_regression_vs_production": _significant(REGRESSION_MAX_REGRESSION * target_std),
    }


def _update_params(
    document: Any,
    *,
    source: str,
    query: str | None,
    profile: Profile,
    derived: list[str],
    gate: dict[str, Any],
) -> None:
    data = document["data"]
    data["source"] = source
    data["query"] = query
    data["target"] = profile.target
    features = data["features"]
    for kind in ("numeric", "categorical", "boolean", "datetime"):
        features[kind] = _flow(profile.features(kind))
    features["derived"] = _flow(derived)
    document["problem_type"] = profile.problem_type
    for key, value in gate.items():
        document["gate"][key] = value
    plots = document["evaluate"]["plots"]
    for name, spec in PLOTS[profile.problem_type].items():
        if isinstance(plots.get(name), dict):
            # Updated in place: a new mapping would lose the blank line that follows it.
            plots[name].update(spec)
        else:
            plots[name] = spec
    hyperparameters = document["train"]["hyperparameters"]
    if set(hyperparameters.get("linear") or {}) != set(
        LINEAR_HYPERPARAMETERS[profile.problem_type]
    ):
        hyperparameters["linear"] = dict(LINEAR_HYPERPARAMETERS[profile.problem_type])
    # When each row was observed (data/profile.py finds it), for the staleness curve (model-4)
    document["staleness_impact"]["time_column"] = profile.time_column
    space = document["tune"]["space"]
    if set(space.get("linear") or {}) != set(LINEAR_SPACE[profile.problem_type]):
        space["linear"] = {
            name: _flow(values) for name, values in LINEAR_SPACE[profile.problem_type].items()
        }


def _set_group_checks(document: Any, columns: list[str], profile: Profile) -> str:
    """Set the slice and inclusion gaps and the inclusion attribute (model-6, model-7);
    return the report's line about the attribute.

    An attribute already set that names a column of the new data is kept: it was chosen by
    a person, or by an earlier adopt of the same data.
    """
    gap = GROUP_METRIC_GAP[profile.problem_type]
    document["evaluate"].setdefault("slices", {})["max_gap"] = SLICE_METRIC_GAP[
        profile.problem_type
    ]
    inclusion = document["evaluate"].setdefault("inclusion", {})
    inclusion["max_metric_gap"] = gap
    target = profile.target
    current = inclusion.get("attribute")
    candidates = [name for name in columns if name != target]
    attribute, why = sensitive_attribute(candidates)
    if current in candidates and current != attribute:  # same report when adopted again
        attribute, why = current, "already set in params.yaml, and a column of the data"
    inclusion["attribute"] = attribute
    inclusion["reason"] = None if attribute else why
    if attribute is None:
        return (
            f"\n- Inclusion attribute (parity across groups): none, because {why}; so "
            "model-7 scores 0\n"
        )
    return f"\n- Inclusion attribute (parity across groups): `{attribute}`, because {why}\n"


def _validated(document: Any, params_path: Path) -> Params:
    from .config import _describe

    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    import yaml as pyyaml

    raw = pyyaml.safe_load(buffer.getvalue())
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(_describe(item, raw) for item in error.errors())
        raise ParamsError(f"{params_path} would be invalid after adopting: {problems}") from error


def _report(
    adoption_source: str, profile: Profile, gate: dict[str, Any], derived: list[str]
) -> str:
    lines = [
        "# Data adoption report",
        "",
        "Written by the `adopt` command; it is regenerated each time `adopt` runs. Review it,",
        "then commit it with `params.yaml` and the schema.",
        "",
        f"- Source: `{adoption_source}`",
        f"- Rows: {profile.rows}",
        f"- Target: `{profile.target}`",
        f"- Problem type: **{profile.problem_type}**, because {profile.problem_type_reason}",
        f"- Gate: `{gate['metric']}` must beat the baseline by "
        f"{gate['min_improvement_over_baseline']} and may fall at most "
        f"{gate['max_regression_vs_production']} below the production model",
        f"- Derived features kept: {', '.join(f'`{name}`' for name in derived) or 'none'}",
        "- Time column (staleness_impact.time_column): "
        + (
            f"`{profile.time_column}`"
            if profile.time_column
            else "none found: the row order stands for time in the staleness curve"
        ),
        "",
        "| column | type | missing | distinct | used as | reason |",
        "|---|---|---|---|---|---|",
    ]
    for column in profile.columns:
        use = column.kind or ("target" if column.name == profile.target else "excluded")
        name = column.name.replace("|", "\\|")
        lines.append(
            f"| `{name}` | {column.dtype} | {column.missing_share:.1%} | {column.distinct} "
            f"| {use} | {column.reason} |"
        )
    return "\n".join(lines) + "\n"


def _unrelated_to_target(frame: Any, profile: Profile, params: Params) -> dict[str, str]:
    """The candidate features with no detectable relation to the target, and why.

    The same tests as the data-2 check (features_check/association.py, Holm-adjusted at
    ``features_check.importance.alpha``) on the same rows, the training and validation
    splits the pipeline will make: a column that carries nothing about the target
    (free-text notes, a flag unrelated to it) would only fail that check after training,
    so it is left out here, with its p-value in the report. Holm over every candidate is
    stricter than the check's Holm over the features the model does not use, so a feature
    kept here is never called noise there for want of a relation.
    """
    import pandas as pd

    from .data.split import SplitError, split_frame
    from .features_check.association import ColumnKind, associations

    alpha = params.features_check.importance.alpha

    kinds: dict[str, ColumnKind] = dict.fromkeys(profile.features("numeric"), "numeric")
    kinds.update(
        dict.fromkeys([*profile.features("categorical"), *profile.features("boolean")],
                      "categorical")
    )  # fmt: skip
    if len(kinds) < 2:  # a lone feature is kept: without it there is no model to judge
        return {}
    labelled = frame[frame[profile.target].notna()]
    try:
        splits = split_frame(
            labelled,
            target=profile.target,
            problem_type=profile.problem_type,
            test_size=params.split.test_size,
            val_size=params.split.val_size,
            seed=params.seed,
        )
        labelled = pd.concat([splits.train, splits.val], ignore_index=True)
    except SplitError:  # the split stage will say why; judge on every labelled row
        pass
    found = associations(
        labelled[list(kinds)], labelled[profile.target], kinds, profile.problem_type, list(kinds)
    )
    if all(result.adjusted_p_value > alpha for result in found.values()):
        return {}  # too few rows to show any relation: training and data-2 will judge them
    return {
        name: f"no relation to the target found (adjusted p = {result.adjusted_p_value:.3g} "
        f"> features_check.importance.alpha = {alpha})"
        for name, result in found.items()
        if result.adjusted_p_value > alpha
    }


def adopt(
    params_path: Path,
    *,
    source: str | None = None,
    target: str | None = None,
    query: str | None = None,
    problem_type: ProblemType | None = None,
) -> Adoption:
    """Point the project at ``source`` (default: the one in ``params.yaml``) and profile it."""
    yaml = _yaml()
    try:
        document = yaml.load(params_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ParamsError(f"{params_path} not found: run from the project root") from error
    data = document["data"]
    source = source or str(data["source"])
    target = target or str(data["target"])
    if query is None and source == str(data["source"]):
        query = data.get("query")

    # Ingest with the new source first, then profile what was written: the raw CSV is what
    # every later stage reads, so its types are the ones that count.
    current = _validated_loosely(document, params_path)
    data_params = current.data.model_copy(update={"source": source, "query": query})
    ingest(data_params, current.ingest.report_path)
    frame = read_raw(current.data.raw_path)
    if target not in frame.columns:
        columns = [str(name) for name in frame.columns]
        raise AdoptError(
            f"target column '{target}' is not in {display_source(source)}"
            f"{suggest(target, columns)}; its columns are: {', '.join(columns)}"
        )
    if len(frame) < current.schema_.min_rows:  # validate would refuse it after this adopt
        raise AdoptError(
            f"{display_source(source)} has {len(frame)} rows: at least schema.min_rows="
            f"{current.schema_.min_rows} are needed to split it into training, validation and "
            "test sets; adopt a larger extract (params.yaml and the schema are unchanged)"
        )
    # The column metadata first: a column it marks personal or not for production is no feature.
    try:
        metadata = plan_metadata(
            current.schema_.columns_path, frame, source=display_source(source), target=target
        )
    except ColumnsError as error:  # never overwrite entries a person may have written
        raise AdoptError(f"{error}; fix it and adopt again: every entry in it is kept") from error
    profile = profile_frame(
        frame,
        target,
        max_categories=current.schema_.max_categories,
        problem_type=problem_type,
        excluded=metadata.excluded,
    )
    unrelated = _unrelated_to_target(frame, profile, current)
    if unrelated:  # profile again, so that the report gives these columns their reason
        profile = profile_frame(
            frame,
            target,
            max_categories=current.schema_.max_categories,
            problem_type=problem_type,
            excluded={**metadata.excluded, **unrelated},
        )
    if not (
        profile.features("numeric")
        or profile.features("categorical")
        or profile.features("boolean")
    ):
        raise AdoptError(
            f"no column of {display_source(source)} can be a feature: "
            + "; ".join(f"'{column.name}': {column.reason}" for column in profile.excluded)
        )
    target_std = float(frame[target].std()) if profile.problem_type == "regression" else 0.0
    gate = gate_settings(profile, target_std)
    derived = applicable_derived_features(profile.features("numeric"))
    _update_params(
        document, source=source, query=query, profile=profile, derived=derived, gate=gate
    )
    inclusion = _set_group_checks(document, [str(name) for name in frame.columns], profile)
    inclusion += _set_min_score(document, profile)
    params = _validated(document, params_path)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    write_text(params_path, buffer.getvalue())
    save_schema(infer_for_params(frame, params), params.schema_.path)
    metadata.write()
    report_path = params.adopt.report_path
    report = _report(display_source(source), profile, gate, derived)
    write_text(report_path, report + inclusion + _metadata_report(metadata))
    return Adoption(profile, display_source(source), gate, derived, report_path)


def _metadata_report(metadata: MetadataPlan) -> str:
    """The report's lines about the column metadata (what it says, not what changed: adopting
    again must write the same report)."""

    def names(columns: list[str]) -> str:
        return ", ".join(f"`{name}`" for name in columns) or "none"

    entries = metadata.catalog
    unassigned = [name for name, entry in entries.items() if entry.owner == UNASSIGNED]
    return (
        f"\n- Column metadata: `{metadata.path}` declares {len(entries)} columns; personal, "
        f"never a feature: {names([n for n, e in entries.items() if e.personal])}; not for "
        f"production: {names([n for n, e in entries.items() if not e.production])}; owner "
        f"still `{UNASSIGNED}`: {len(unassigned)} (review the file: docs/data_sources.md)\n"
    )


def _validated_loosely(document: Any, params_path: Path) -> Params:
    """The current params, with a placeholder feature so a not-yet-adopted file validates."""
    import copy

    draft = copy.deepcopy(document)
    draft["data"]["features"] = {
        "numeric": ["__placeholder__"],
        "categorical": [],
        "boolean": [],
        "derived": [],
    }
    return _validated(draft, params_path)


__all__ = ["AdoptError", "Adoption", "SourceError", "adopt"]
