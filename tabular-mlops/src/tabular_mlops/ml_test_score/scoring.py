"""The rubric's points, from the tests' outcomes and the records of work done by hand.

Per item:

- 0 (failed): a covering test failed or errored, whatever else says otherwise: a record of
  work done by hand never hides a failing automated check;
- 1 (automated): otherwise, when at least one covering test passed and every other one
  passed too or was not applicable to the data (``applicability.not_applicable``: the suite
  is written for any data, and a case the data cannot raise is not a check that was missed);
- 0.5 (manual): otherwise, when a complete, current record says it was done by hand;
- 0 (incomplete): a covering test passed, but another was skipped, deselected or not run:
  part of the item went unchecked;
- 0 (not applicable): every covering test was not applicable to the data;
- 0 (not run): covering tests exist, but none ran (all skipped, deselected or not run);
- 0 (uncovered): no test covers it.

A section's points are the sum over its seven items; the score is the lowest section's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .manual import ManualRecord, Verdict, judge
from .results import Results, TestResult
from .rubric import ITEMS, SECTIONS, Item

_FAILED = ("failed", "error")


@dataclass(frozen=True)
class ItemScore:
    item: Item
    points: float
    status: str  # automated, failed, manual, incomplete, not applicable, not run or uncovered
    reason: str
    tests: tuple[TestResult, ...]  # the tests that cover it
    manual: Verdict | None  # the record that counts, else the newest one, if any

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.item.section,
            "title": self.item.title,
            "points": self.points,
            "status": self.status,
            "reason": self.reason,
            "tests": {test.nodeid: test.outcome for test in self.tests},
            "manual": self.manual.to_dict() if self.manual else None,
        }


@dataclass(frozen=True)
class Score:
    items: dict[str, ItemScore]
    sections: dict[str, float]
    score: float
    min_score: float
    results: Results

    @property
    def passed(self) -> bool:
        """Whether the score reaches ``ml_test_score.min_score``."""
        return self.score >= self.min_score

    @property
    def lowest(self) -> list[str]:
        """The sections that set the score."""
        return [name for name, points in self.sections.items() if points == self.score]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "min_score": self.min_score,
            "passed": self.passed,
            "lowest_sections": self.lowest,
            "sections": self.sections,
            "items": {key: value.points for key, value in self.items.items()},
            "details": {key: value.to_dict() for key, value in self.items.items()},
            "tests": self.results.counts(),
            "results": [
                {"path": path, "recorded": when}
                for path, when in zip(self.results.sources, self.results.recorded, strict=True)
            ],
        }


def _listed(tests: Sequence[TestResult]) -> str:
    shown = ", ".join(test.nodeid for test in tests[:3])
    return shown + (f" and {len(tests) - 3} more" if len(tests) > 3 else "")


def score_item(item: Item, tests: Sequence[TestResult], verdicts: Sequence[Verdict]) -> ItemScore:
    """One item's points under the rules of this module's docstring."""
    failed = [test for test in tests if test.outcome in _FAILED]
    counting = [verdict for verdict in verdicts if verdict.problem is None]
    newest = max(counting or verdicts, key=_date, default=None)
    if failed:
        hidden = " (a record of work done by hand does not count over it)" if counting else ""
        reason = f"covering test(s) failed: {_listed(failed)}{hidden}"
        return ItemScore(item, 0.0, "failed", reason, tuple(tests), newest)
    passed = [test for test in tests if test.outcome == "passed"]
    inapplicable = [test for test in tests if test.outcome == "not applicable"]
    idle = [test for test in tests if test.outcome not in ("passed", "not applicable")]
    idle_outcomes = ", ".join(sorted({test.outcome for test in idle}))
    if passed and not idle:
        reason = f"{len(passed)} covering test(s) passed"
        if inapplicable:
            reason += f"; {len(inapplicable)} not applicable to the data: {_listed(inapplicable)}"
        return ItemScore(item, 1.0, "automated", reason, tuple(tests), newest)
    if passed:
        status = "incomplete"
        untested = (
            f"{len(passed)} covering test(s) passed but {len(idle)} did not run "
            f"({idle_outcomes}): {_listed(idle)}"
        )
    elif idle:
        status, untested = "not run", f"no covering test ran ({idle_outcomes}): {_listed(idle)}"
    elif inapplicable:
        status = "not applicable"
        untested = f"every covering test is not applicable to the data: {_listed(inapplicable)}"
    else:
        status, untested = "uncovered", "no test in the results covers it"
    if newest is not None and newest.problem is None:
        record = newest.record
        reason = f"done by hand on {record.date} by {record.who}; {untested}"
        return ItemScore(item, 0.5, "manual", reason, tuple(tests), newest)
    if newest is not None:
        untested += f"; its record of work done by hand does not count: {newest.problem}"
    return ItemScore(item, 0.0, status, untested, tuple(tests), newest)


def _date(verdict: Verdict) -> dt.date:
    return verdict.record.date or dt.date.min


def compute_score(
    results: Results,
    records: Sequence[ManualRecord],
    *,
    min_score: float,
    max_age_days: int,
    today: dt.date,
) -> Score:
    """Score every item, sum the sections, and take the lowest section as the score."""
    items = {
        key: score_item(
            item,
            [test for test in results.tests if key in test.items],
            [judge(record, today, max_age_days) for record in records if record.item == key],
        )
        for key, item in ITEMS.items()
    }
    sections = {
        section: sum(value.points for value in items.values() if value.item.section == section)
        for section in SECTIONS
    }
    return Score(items, sections, min(sections.values()), min_score, results)
