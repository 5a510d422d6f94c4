"""The 28 items of the ML Test Score rubric, seven in each of its four sections.

Tests name the item they cover with ``@pytest.mark.ml_test_score("data-1")``: the id is the
section's prefix (data, model, infra, monitor) and the item's number in the paper's order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Section name (as in the JSON output) -> the prefix of its item ids.
SECTIONS = {"data": "data", "model": "model", "infrastructure": "infra", "monitoring": "monitor"}


@dataclass(frozen=True)
class Item:
    id: str
    section: str
    title: str


_TITLES = {
    "data": (
        "Feature expectations are captured in a schema",
        "All features are beneficial",
        "No feature's cost is too much",
        "Features adhere to meta-level requirements",
        "The data pipeline has appropriate privacy controls",
        "New features can be added quickly",
        "All input feature code is tested",
    ),
    "model": (
        "Model specs are reviewed and submitted",
        "Offline and online metrics correlate",
        "All hyperparameters have been tuned",
        "The impact of model staleness is known",
        "A simpler model is not better",
        "Model quality is sufficient on important data slices",
        "The model has been tested for considerations of inclusion",
    ),
    "infrastructure": (
        "Training is reproducible",
        "Model specs are unit tested",
        "The full ML pipeline is integration tested",
        "Model quality is validated before attempting to serve it",
        "The model allows debugging by observing the step-by-step computation on a single example",
        "Models are tested via a canary process before they enter production serving",
        "Models can be quickly and safely rolled back to a previous serving version",
    ),
    "monitoring": (
        "Dependency changes result in notification",
        "Data invariants hold in training and serving inputs",
        "Training and serving features compute the same values",
        "Models are not too stale",
        "The model is numerically stable",
        "The model has not experienced regressions in training speed, serving latency, "
        "throughput, or RAM usage",
        "The model has not experienced a regression in prediction quality on served data",
    ),
}

ITEMS: dict[str, Item] = {
    f"{SECTIONS[section]}-{number}": Item(f"{SECTIONS[section]}-{number}", section, title)
    for section, titles in _TITLES.items()
    for number, title in enumerate(titles, start=1)
}

ID_FORMAT = "data-1..7, model-1..7, infra-1..7 or monitor-1..7"


def unknown_ids(ids: Iterable[str]) -> list[str]:
    """The ids that name no item of the rubric, sorted."""
    return sorted({item for item in ids if item not in ITEMS})
