"""Items carried out by hand: the dated records in the versioned file the score reads.

The rubric gives half a point for a test run by hand with its results written down. Here a
record counts only when it says when (a date, not in the future and not older than
``ml_test_score.manual_max_age_days``), who, and where the evidence is: an undated claim is
not a result written down. Whether it counts for its item is scoring's decision (a failing
automated test is never hidden by a record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import safe_yaml
from ..errors import ProjectError
from .rubric import ID_FORMAT, unknown_ids


class ManualError(ProjectError, ValueError):
    """The manual records file cannot be read or names an item the rubric lacks."""


class ManualRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str
    date: dt.date | None = None  # when it was done
    who: str | None = None
    evidence: str | None = None  # a link, or what was checked and what was found


class _ManualFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    records: list[ManualRecord] = Field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    """A record and whether it is complete and current enough to count."""

    record: ManualRecord
    problem: str | None  # None: it counts

    def to_dict(self) -> dict[str, object]:
        return {
            **self.record.model_dump(mode="json"),
            "counts": self.problem is None,
            "problem": self.problem,
        }


def load_records(path: Path) -> list[ManualRecord]:
    """The records in ``path``; none when the file does not exist."""
    if not path.is_file():
        return []
    try:
        raw = safe_yaml.safe_load(path.read_text(encoding="utf-8"))
        records = _ManualFile.model_validate(raw or {}).records
    except yaml.YAMLError as error:
        raise ManualError(f"{path} is not valid YAML: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors()
        )
        raise ManualError(
            f"{path} is invalid: {problems} (each record: item, date YYYY-MM-DD, who, evidence)"
        ) from error
    unknown = unknown_ids(record.item for record in records)
    if unknown:
        raise ManualError(f"{path} names unknown item(s) {', '.join(unknown)} ({ID_FORMAT})")
    return records


def judge(record: ManualRecord, today: dt.date, max_age_days: int) -> Verdict:
    """Whether ``record`` may count, and if not, why."""
    if record.date is None or not record.who or not record.evidence:
        missing = [name for name in ("date", "who", "evidence") if not getattr(record, name)]
        return Verdict(record, f"the record has no {' and no '.join(missing)}")
    if record.date > today:
        return Verdict(record, f"the record is dated {record.date}, in the future")
    age = (today - record.date).days
    if age > max_age_days:
        return Verdict(
            record,
            f"the record is {age} days old, older than ml_test_score.manual_max_age_days "
            f"({max_age_days}): do it again and date it",
        )
    return Verdict(record, None)
