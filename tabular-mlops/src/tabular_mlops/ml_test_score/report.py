"""The score as a terminal table and as Markdown (for a CI job summary)."""

from __future__ import annotations

from .scoring import ItemScore, Score


def _points(value: float) -> str:
    return f"{value:g}"


def _verdict(score: Score) -> str:
    met = "met" if score.passed else "NOT met"
    return f"ml_test_score.min_score {_points(score.min_score)} {met}"


def _sources(score: Score) -> str:
    counts = ", ".join(f"{n} {outcome}" for outcome, n in score.results.counts().items() if n)
    read = "; ".join(
        f"{path} (recorded {when})"
        for path, when in zip(score.results.sources, score.results.recorded, strict=True)
    )
    return f"Tests: {counts or 'none'}, from {read}"


def _worth_explaining(item: ItemScore) -> bool:
    """All but the plain cases: every covering test passed, or none and no record."""
    if item.status == "automated":
        return any(test.outcome != "passed" for test in item.tests)
    return item.status != "uncovered" or item.manual is not None


def format_table(score: Score) -> str:
    """A plain-text report: the score, the sections, then every item and why it scores so."""
    lines = [
        f"ML Test Score: {_points(score.score)} (lowest section: {', '.join(score.lowest)}); "
        f"{_verdict(score)}",
        _sources(score),
        "",
        f"{'section':<16} points",
        *(f"{name:<16} {_points(points)}" for name, points in score.sections.items()),
        "",
        f"{'item':<10} {'points':<7} {'status':<14} title",
    ]
    for key, item in score.items.items():
        lines.append(f"{key:<10} {_points(item.points):<7} {item.status:<14} {item.item.title}")
        if _worth_explaining(item):
            lines.append(f"{'':<34}{item.reason}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(score: Score) -> str:
    """The same report as Markdown tables."""
    lines = [
        f"## ML Test Score: {_points(score.score)}",
        "",
        f"Lowest section: {', '.join(score.lowest)}; {_verdict(score)}. {_cell(_sources(score))}.",
        "",
        "| Section | Points |",
        "|---|---:|",
        *(f"| {name} | {_points(points)} |" for name, points in score.sections.items()),
        "",
        "| Item | Points | Status | Title | Why |",
        "|---|---:|---|---|---|",
    ]
    lines.extend(
        f"| {key} | {_points(item.points)} | {item.status} | {_cell(item.item.title)} "
        f"| {_cell(item.reason)} |"
        for key, item in score.items.items()
    )
    return "\n".join(lines) + "\n"
