"""Adopt a data set: point the whole project at it, with no hand edits.

``adopt`` reads the source, profiles it (``data/profile.py`` holds the rules), then writes
``params.yaml``'s data section, the problem type, the gate margins and the plot settings
(keeping every other setting and comment), ingests the data, writes the schema, and writes
a report of every decision for review. Running it again on the same data changes nothing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from tabular_mlops.atomic import write_text
from tabular_mlops.config import OVERRIDE_FLAGS, OverrideParams, Params, ParamsError, ProblemType
from tabular_mlops.data.columns import UNASSIGNED, ColumnsError, MetadataPlan, plan_metadata
from tabular_mlops.data.dates import is_datetime
from tabular_mlops.data.ingest import ingest, read_raw
from tabular_mlops.data.leakage import MIN_VALIDATION_ROWS, ColumnKind, leak_scores
from tabular_mlops.data.profile import FeatureKind, Profile, is_boolean, profile_frame
from tabular_mlops.data.schema import infer_for_params, save_schema
from tabular_mlops.data.sensitive import sensitive_attribute
from tabular_mlops.data.sources import SourceError, display_source
from tabular_mlops.data.validation import suggest
from tabular_mlops.features.derived import applicable_derived_features

from . import safe_yaml
from .data.split import Splits
from .errors import ProjectError

# How much worse than the other test rows a slice or an inclusion group may be: in the
# metric's units for a classification, a share of the others' error for a regression. Chance
# is allowed for separately (a bootstrap p-value and Holm's correction: modeling/slices.py),
# so these are the gaps that matter, not noise margins (docs/model_selection.md).
GROUP_METRIC_GAP = {"classification": 0.1, "regression": 0.5}
SLICE_METRIC_GAP = {"classification": 0.1, "regression": 0.5}
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


def _set_min_score(document: Any, profile: Profile, params: Params, test: Any | None) -> str:
    """Set ml_test_score.min_score to what the project scores; return the report's line.

    ``test`` is the test split the generated tests will judge (None: the data cannot be
    split): on a few hundred rows no slice, or no group of the sensitive attribute, may hold
    enough of its rows to be judged, and the tests then say "not applicable", no point.
    """
    from tabular_mlops.modeling.slices import any_group_judged, slice_bins

    missing = []
    attribute = document["evaluate"]["inclusion"].get("attribute")
    inclusion, slices = params.evaluate.inclusion, params.evaluate.slices
    if attribute is None:
        missing.append("model-7 (no sensitive attribute)")
    elif test is not None and not any_group_judged(
        test, [str(attribute)], inclusion.bins, inclusion.min_rows
    ):
        missing.append(
            f"model-7 (no group of '{attribute}' holds evaluate.inclusion.min_rows "
            f"({inclusion.min_rows}) of the {len(test)} test rows and leaves as many)"
        )
    if profile.time_column is None:
        missing.append("model-4 (no time column)")
    sliced = [*profile.features("categorical"), *profile.features("boolean")]
    sliced += profile.features("numeric")
    bins = slice_bins(len(test), slices.numeric_bins, slices.min_rows) if test is not None else 0
    if test is not None and not any_group_judged(test, sliced, bins, slices.min_rows):
        missing.append(
            f"model-6 (no slice holds evaluate.slices.min_rows ({slices.min_rows}) of the "
            f"{len(test)} test rows and leaves as many)"
        )
    score = FULL_MIN_SCORE - len(missing)
    document["ml_test_score"]["min_score"] = score
    lost = f": {FULL_MIN_SCORE} less {', '.join(missing)}" if missing else ""
    return f"- ML Test Score expected out of the box (ml_test_score.min_score): {score}{lost}\n"


class AdoptError(ProjectError, ValueError):
    """The data cannot be adopted as asked; the message says why."""


class AdoptParamsError(ParamsError):
    """``params.yaml`` cannot be read, or would be invalid once adopted: exit status 1, as
    every refusal of ``adopt`` (a :class:`ParamsError` elsewhere exits 2)."""

    exit_code = 1


@dataclass(frozen=True)
class Adoption:
    """What ``adopt`` decided and wrote."""

    profile: Profile
    source: str
    gate: dict[str, Any]
    derived: list[str]
    report_path: Path
    strongest: str  # the strongest single column and its score, or why none was judged

    def summary(self, params_path: Path) -> str:
        """What ``adopt`` prints: what it decided, then what it wrote for review."""
        profile = self.profile
        lines = [
            f"adopted {self.source}: {profile.rows} rows, target '{profile.target}', "
            f"{profile.problem_type} ({profile.problem_type_reason})"
        ]
        for kind in ("numeric", "categorical", "boolean", "datetime"):
            lines.append(f"  {kind} features: {', '.join(profile.features(kind)) or '-'}")
        lines.append(f"  derived features: {', '.join(self.derived) or '-'}")
        lines += [f"  excluded '{column.name}': {column.reason}" for column in profile.excluded]
        lines.append(f"  strongest single column: {self.strongest}")
        lines.append(
            f"  gate: {self.gate['metric']} must beat the baseline by "
            f"{self.gate['min_improvement_over_baseline']}"
        )
        lines.append(
            f"wrote {params_path}, the schema and {self.report_path}: review them, then run "
            "`dvc repro` (or `make all`)"
        )
        return "\n".join(lines)


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
    overrides: OverrideParams,
) -> None:
    data = document["data"]
    data["source"] = source
    data["query"] = query
    data["target"] = profile.target
    features = data["features"]
    for kind in ("numeric", "categorical", "boolean", "datetime"):
        features[kind] = _flow(profile.features(kind))
    features["derived"] = _flow(derived)
    written = {flag: _flow(getattr(overrides, flag)) for flag in OVERRIDE_FLAGS}
    if "overrides" in data:  # updated in place: keeps its comments
        data["overrides"].update(written)
    elif any(written.values()):  # a params.yaml from before overrides existed gains them
        data.insert(list(data).index("features") + 1, "overrides", written)
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
    from tabular_mlops.config import _describe

    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    raw = safe_yaml.safe_load(buffer.getvalue())
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(_describe(item, raw) for item in error.errors())
        raise AdoptParamsError(
            f"{params_path} would be invalid after adopting: {problems}"
        ) from error


def _report(
    adoption_source: str,
    profile: Profile,
    gate: dict[str, Any],
    derived: list[str],
    *,
    strongest: str,
    overrides: OverrideParams,
    rare: str,
) -> str:
    given = [
        f"{flag} " + ", ".join(f"`{name}`" for name in getattr(overrides, flag))
        for flag in OVERRIDE_FLAGS
        if getattr(overrides, flag)
    ]
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
        f"- Strongest single column (data/leakage.py): {strongest}",
        *([f"- Rare classes: {rare}"] if rare else []),
        f"- Overrides (data.overrides, adopt's --exclude, --keep...): {'; '.join(given) or 'none'}",
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


LEAK = "suspected target leak"


def _rare_classes(frame: Any, profile: Profile, params: Params) -> str:
    """The report's line on the classes the split stage will leave out, or ""."""
    from .data.split import describe_left_out, learnable_rows

    minimum = params.split.min_class_rows
    _, left_out = learnable_rows(frame, profile.target, profile.problem_type, minimum)
    return describe_left_out(left_out, minimum) if left_out else ""


def _screening_rows(frame: Any, profile: Profile, params: Params) -> Splits | None:
    """The training, validation and test rows the generated tests will make (None: the data
    cannot be split; the split stage will say why): those of the seeded sample of
    ``tests.max_rows`` rows they judge (tests/conftest.py), so that a weak relation found
    on every row is not called noise on fewer (a stop's date and a search, 51,920 rows
    against 20,000). On all the rows the pipeline's own check has at least that power."""
    from tabular_mlops.sampling import at_most

    from .data.split import SplitError, split_frame

    sample = at_most(frame, params.tests.max_rows, params.seed)
    labelled = sample[sample[profile.target].notna()]
    try:
        splits = split_frame(
            labelled,
            target=profile.target,
            problem_type=profile.problem_type,
            test_size=params.split.test_size,
            val_size=params.split.val_size,
            seed=params.seed,
            min_class_rows=params.split.min_class_rows,
        )
    except SplitError:
        return None
    return splits


def _feature_kinds(profile: Profile) -> dict[str, ColumnKind]:
    kinds: dict[str, ColumnKind] = {}
    for kind in ("numeric", "categorical", "boolean"):
        kinds.update(dict.fromkeys(profile.features(kind), kind))
    return kinds


def _unrelated_to_target(
    labelled: Any, profile: Profile, kinds: Mapping[str, ColumnKind], params: Params
) -> dict[str, str]:
    """The candidate features with no detectable relation to the target, and why.

    The same tests as the data-2 check (features_check/association.py, Holm-adjusted at
    ``features_check.importance.alpha``) on the same rows, the training and validation
    splits the pipeline will make: a column that carries nothing about the target
    (free-text notes, a flag unrelated to it) would only fail that check after training,
    so it is left out here, with its p-value in the report. Holm over every candidate is
    stricter than the check's Holm over the features the model does not use, so a feature
    kept here is never called noise there for want of a relation.
    """
    from tabular_mlops.features_check.association import ColumnKind as TestKind
    from tabular_mlops.features_check.association import associations

    alpha = params.features_check.importance.alpha
    dates = profile.features("datetime")
    if len(kinds) + len(dates) < 2:  # a lone feature is kept: no model to judge without it
        return {}
    # A date is tested as its calendar parts, as data-2 tests it (features_check/importance.py)
    tests: dict[str, TestKind] = {
        name: "numeric" if kind == "numeric" else "categorical" for name, kind in kinds.items()
    }
    tests.update(dict.fromkeys(dates, "numeric"))
    columns = list(tests)
    found = associations(
        labelled[columns], labelled[profile.target], tests, profile.problem_type, columns, dates
    )
    if all(result.adjusted_p_value > alpha for result in found.values()):
        return {}  # too few rows to show any relation: training and data-2 will judge them
    return {
        name: f"no relation to the target found (adjusted p = {result.adjusted_p_value:.3g} "
        f"> features_check.importance.alpha = {alpha})"
        for name, result in found.items()
        if result.adjusted_p_value > alpha
    }


def _screen(
    frame: Any, profile: Profile, params: Params, rows: Splits | None
) -> tuple[dict[str, str], str]:
    """The features to leave out (unrelated to the target, or suspected leaks), each with its
    reason, and the report's line on the strongest single column; ``rows``: the splits of
    :func:`_screening_rows`."""
    import pandas as pd

    kinds = _feature_kinds(profile)
    if rows is None:  # judge relations on every labelled row; leaks need a validation set
        labelled = frame[frame[profile.target].notna()]
        unrelated = _unrelated_to_target(labelled, profile, kinds, params)
        return unrelated, "not judged: the data cannot be split into training and validation"
    train, val = rows.train, rows.val
    screened = _unrelated_to_target(
        pd.concat([train, val], ignore_index=True), profile, kinds, params
    )
    scores = leak_scores(
        train, val, target=profile.target, kinds=kinds, problem_type=profile.problem_type
    )
    for name, score in scores.items():
        if score.suspected:
            screened[name] = f"{LEAK}: it {score.describe()}"
    if not scores:
        return screened, f"not judged: fewer than {MIN_VALIDATION_ROWS} validation rows"
    best = max(scores.values(), key=lambda score: score.score)
    strongest = (
        f"`{best.column}` {best.describe()}; check that it is known when a prediction is "
        "asked for (a column that is nearly the target is a leak)"
    )
    return screened, strongest


def _rule(error: ValidationError) -> str:
    item = error.errors()[0]
    where = ".".join(str(part) for part in item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _overrides(
    stored: Any, given: Mapping[str, Sequence[str]] | None, params_path: Path
) -> OverrideParams:
    """The overrides params.yaml holds, with each column a flag names now taking that flag."""
    flags = {flag: list(dict.fromkeys((given or {}).get(flag, []))) for flag in OVERRIDE_FLAGS}
    try:
        OverrideParams(**flags)
    except ValidationError as error:
        raise AdoptError(f"the flags contradict each other: {_rule(error)}") from error
    named = {name for names in flags.values() for name in names}
    merged = dict(stored or {})
    for flag in OVERRIDE_FLAGS:
        before = merged.get(flag) or []
        if isinstance(before, list):  # anything else is refused just below
            merged[flag] = [name for name in before if name not in named] + flags[flag]
    try:
        return OverrideParams.model_validate(merged)
    except ValidationError as error:
        raise AdoptError(f"{params_path} data.overrides: {_rule(error)}") from error


def _check_overrides(
    overrides: OverrideParams, frame: Any, target: str, metadata: MetadataPlan, source: str
) -> None:
    """Refuse an override that names no column, the target, or a column it cannot fit."""
    import pandas as pd

    columns = [str(name) for name in frame.columns]
    for flag in OVERRIDE_FLAGS:
        for name in getattr(overrides, flag):
            where = f"--{flag} '{name}' (data.overrides.{flag})"
            if name not in columns:
                raise AdoptError(
                    f"{where}: no such column in {source}{suggest(name, columns)}; remove it "
                    "from params.yaml's data.overrides if the data no longer has it"
                )
            values = frame[name].dropna()
            if name == target:
                rule = "that is the target; overrides choose among the other columns"
            elif flag != "exclude" and name in metadata.excluded:
                rule = f"{metadata.excluded[name]}, so it can never be a feature"
            elif flag != "exclude" and values.empty:
                rule = "the column is entirely empty"
            elif flag == "numeric" and (
                is_boolean(values) or not pd.api.types.is_numeric_dtype(values)
            ):
                rule = (
                    f"the column holds text (such as {values.iloc[0]!r}), not numbers; "
                    "--categorical fits it"
                )
            elif flag == "date" and (
                pd.api.types.is_numeric_dtype(values) or not is_datetime(values)
            ):
                rule = "its values are not dates or times in a real format (data/dates.py)"
            else:
                continue
            raise AdoptError(f"{where}: {rule}")


def _kept_kind(values: Any) -> FeatureKind:
    import pandas as pd

    if is_boolean(values):
        return "boolean"
    return "numeric" if pd.api.types.is_numeric_dtype(values) else "categorical"


def _profile(
    frame: Any,
    target: str,
    *,
    params: Params,
    problem_type: ProblemType | None,
    excluded: Mapping[str, str],
    overrides: OverrideParams,
    screened: Mapping[str, str],
) -> Profile:
    """Profile ``frame``, then apply a person's overrides over the rules' decisions.

    ``excluded`` columns are never features (the column metadata, ``--exclude``);
    ``screened`` ones are left out by adopt's screening unless ``--keep`` names them.
    """
    left_out = {name: f"excluded by data.overrides.exclude (adopt --exclude {name})"
                for name in overrides.exclude}  # fmt: skip
    left_out.update(excluded)
    for name, reason in screened.items():
        if name not in overrides.keep:
            advice = f"; `adopt --keep {name}` keeps it if it is known when predicting"
            typed = [kind for kind in ("numeric", "categorical", "date")
                     if name in getattr(overrides, kind)]  # fmt: skip
            read_as = "".join(f"; read as {kind} (data.overrides.{kind})" for kind in typed)
            left_out[name] = reason + read_as + (advice if reason.startswith(LEAK) else "")
    profile = profile_frame(
        frame,
        target,
        max_categories=params.schema_.max_categories,
        problem_type=problem_type,
        excluded=left_out,
    )
    columns = []
    for column in profile.columns:
        name = column.name
        if name in left_out or name == target:
            columns.append(column)
            continue
        kind, reason = column.kind, column.reason
        if name in overrides.numeric:
            kind, reason = "numeric", "numbers (data.overrides.numeric)"
        elif name in overrides.categorical:
            kind = "categorical"
            reason = f"{column.distinct} categories (data.overrides.categorical)"
        elif name in overrides.date:
            kind = "datetime"
            reason = "dates or times (data.overrides.date): the model reads their calendar parts"
        elif name in overrides.keep and kind is None:
            kind = _kept_kind(frame[name].dropna())
            reason = f"kept (data.overrides.keep) although {reason}"
        if name in overrides.keep and name in screened:
            reason = f"{reason}; kept (data.overrides.keep) although {screened[name]}"
        columns.append(replace(column, kind=kind, reason=reason))
    time_column = profile.time_column
    if overrides.date:
        time_column = overrides.date[0]
    elif time_column in overrides.categorical:  # a person says these are labels, not times
        time_column = None
    return replace(profile, columns=columns, time_column=time_column)


def adopt(
    params_path: Path,
    *,
    source: str | None = None,
    target: str | None = None,
    query: str | None = None,
    problem_type: ProblemType | None = None,
    overrides: Mapping[str, Sequence[str]] | None = None,
) -> Adoption:
    """Point the project at ``source`` (default: the one in ``params.yaml``) and profile it.

    ``overrides`` maps each of ``OVERRIDE_FLAGS`` to the columns a person names (adopt's
    ``--exclude``, ``--keep``...); they are added to ``data.overrides``, which later runs apply
    again: a column named now drops whatever flag it had before.
    """
    yaml = _yaml()
    try:
        document = yaml.load(params_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AdoptParamsError(f"{params_path} not found: run from the project root") from error
    data = document["data"]
    source = source or str(data["source"])
    target = target or str(data["target"])
    if query is None and source == str(data["source"]):
        query = data.get("query")
    chosen = _overrides(data.get("overrides"), overrides, params_path)

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
    _check_overrides(chosen, frame, target, metadata, display_source(source))

    def profiled(screened: Mapping[str, str]) -> Profile:
        return _profile(
            frame, target, params=current, problem_type=problem_type,
            excluded=metadata.excluded, overrides=chosen, screened=screened,
        )  # fmt: skip

    profile = profiled({})
    # The splits depend on the target and the problem type only: made once, used twice.
    splits = _screening_rows(frame, profile, current)
    screened, strongest = _screen(frame, profile, current, splits)
    if screened:  # profile again, so that the report gives these columns their reason
        profile = profiled(screened)
    if not any(profile.features(kind) for kind in get_args(FeatureKind)):
        raise AdoptError(
            f"no column of {display_source(source)} can be a feature: "
            + "; ".join(f"'{column.name}': {column.reason}" for column in profile.excluded)
        )
    target_std = float(frame[target].std()) if profile.problem_type == "regression" else 0.0
    gate = gate_settings(profile, target_std)
    derived = applicable_derived_features(profile.features("numeric"))
    _update_params(
        document,
        source=source,
        query=query,
        profile=profile,
        derived=derived,
        gate=gate,
        overrides=chosen,
    )
    inclusion = _set_group_checks(document, [str(name) for name in frame.columns], profile)
    inclusion += _set_min_score(document, profile, current, splits.test if splits else None)
    params = _validated(document, params_path)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    write_text(params_path, buffer.getvalue())
    save_schema(infer_for_params(frame, params), params.schema_.path)
    metadata.write()
    report_path = params.adopt.report_path
    report = _report(
        display_source(source), profile, gate, derived, strongest=strongest, overrides=chosen,
        rare=_rare_classes(frame, profile, params),
    )  # fmt: skip
    write_text(report_path, report + inclusion + _metadata_report(metadata))
    return Adoption(profile, display_source(source), gate, derived, report_path, strongest)


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


__all__ = ["AdoptError", "AdoptParamsError", "Adoption", "SourceError", "adopt"]
