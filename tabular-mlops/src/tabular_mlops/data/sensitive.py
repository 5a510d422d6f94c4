"""Which column of a data set describes people in a way the model must treat fairly.

``adopt`` sets ``evaluate.inclusion.attribute`` (ML Test Score model-7) from the column
names: the first column, in the order of ``KINDS``, whose name holds one of a kind's words
(``Sex``, ``ethn``, ``Age (years)``, ``marital_status``). Words, not substrings: ``usage``
and ``page`` are not an age. No such column: no attribute, and the reason says so; a proxy
(a postcode, a first name) is for a person to choose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# (kind, words): the kinds in the order they are preferred when several columns match
KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("sex or gender", frozenset({"sex", "gender"})),
    ("race or ethnicity", frozenset({"race", "ethnicity", "ethnic", "ethn"})),
    ("age", frozenset({"age"})),
    ("religion", frozenset({"religion", "religious", "faith"})),
    ("nationality", frozenset({"nationality", "citizenship", "nation"})),
    ("disability", frozenset({"disability", "disabled", "handicap"})),
    ("marital status", frozenset({"marital", "married", "marriage"})),
)
NO_ATTRIBUTE_REASON = (
    "no column of the data looks like a sensitive attribute (sex, gender, race, ethnicity, "
    "age, religion, nationality, disability, marital status): set one if a column is a proxy "
    "for one"
)


def _words(name: str) -> set[str]:
    """The lower-case words of a column name: 'maritalStatus' and 'Age (years)' alike."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return set(re.findall(r"[a-z]+", spaced.lower()))


def sensitive_attribute(columns: Iterable[str]) -> tuple[str | None, str]:
    """The column to check parity across and why, or None and the reason there is none."""
    names = [str(column) for column in columns]
    for kind, words in KINDS:
        for name in names:
            if _words(name) & words:
                return name, f"the column name '{name}' says {kind}"
    return None, NO_ATTRIBUTE_REASON
