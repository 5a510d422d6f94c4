"""Both feature checks on the trained model, as the report ``feature-report`` writes.

The report names every feature with its permutation importance, its verdict (beneficial,
redundant, noise) and its cost, so a reader sees at once which feature to drop and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tabular_mlops.atomic import write_json
from tabular_mlops.config import Params
from tabular_mlops.features_check.cost import CostReport, measure_cost
from tabular_mlops.modeling.registry import load_model

from ..data.split import read_split
from ..errors import StageError
from .importance import ImportanceReport, measure_importance


@dataclass(frozen=True)
class FeatureReport:
    importance: ImportanceReport
    cost: CostReport

    @property
    def problems(self) -> list[str]:
        """One sentence per failed check: a pure-noise feature or one over its time budget."""
        noise = [
            f"'{row.feature}' is pure noise: shuffling it changes {self.importance.metric} by "
            f"{row.importance:+.4g} (at most {self.importance.tolerance:g} of the model's lead "
            f"{self.importance.lead:.4g} over the baseline) and no test relates it to the "
            f"target (Holm-adjusted p = {row.adjusted_p_value:.3g} >= alpha "
            f"{self.importance.alpha:g}, best: {row.association_test}); drop it from "
            "data.features"
            for row in self.importance.noise
        ]
        slow = [
            f"'{row.feature}' takes {row.share_of_prediction:.0%} of a {self.cost.batch_rows}-row "
            f"prediction ({row.seconds * 1000:.3g} ms of {self.cost.prediction_seconds * 1000:.3g}"
            f" ms), over features_check.cost.max_share {self.cost.max_share:.0%}: make it "
            "cheaper or drop it"
            for row in self.cost.over_budget
        ]
        return noise + slow

    def to_dict(self) -> dict[str, Any]:
        return {
            "importance": self.importance.to_dict(),
            "cost": self.cost.to_dict(),
            "problems": self.problems,
        }


def feature_report(params: Params) -> FeatureReport:
    """Check the trained model's features on the splits; the pipeline must have run to train."""
    model = load_model(params.train.model_path)
    baseline = load_model(params.train.baseline_path)
    train_frame = read_split(params.split.output_dir, "train")
    val_frame = read_split(params.split.output_dir, "val")
    return FeatureReport(
        importance=measure_importance(params, model, baseline, train_frame, val_frame),
        cost=measure_cost(params, model, val_frame),
    )


def write_report(params: Params, report: FeatureReport) -> None:
    write_json(params.features_check.report_path, report.to_dict())


def report_features(params: Params) -> FeatureReport:
    """The ``feature-report`` command: measure, then write ``features_check.report_path``."""
    try:
        report = feature_report(params)
    except FileNotFoundError as error:  # a split: the pipeline has not run to train
        raise StageError(
            f"{error.filename} not found: run the pipeline up to 'train' (dvc repro train)"
        ) from error
    write_report(params, report)
    return report


def format_table(report: FeatureReport) -> str:
    """One line per feature: importance, verdict, association p-value, cost share."""
    importance, cost = report.importance, report.cost
    costs = {row.feature: row for row in cost.features}
    lines = [
        f"{importance.metric} on {importance.validation_rows} validation rows: model "
        f"{importance.model_score:.4g}, baseline {importance.baseline_score:.4g}; cost of a "
        f"{cost.batch_rows}-row prediction: {cost.prediction_seconds * 1000:.3g} ms",
        f"{'feature':<28} {'importance':>11} {'verdict':<10} {'p (Holm)':>9} {'cost':>7}",
    ]
    for row in importance.features:
        p_value = "-" if row.adjusted_p_value is None else f"{row.adjusted_p_value:.3g}"
        share = costs[row.feature].share_of_prediction
        lines.append(
            f"{row.feature[:28]:<28} {row.importance:>+11.4g} {row.verdict:<10} "
            f"{p_value:>9} {share:>7.1%}"
        )
    return "\n".join(lines)
