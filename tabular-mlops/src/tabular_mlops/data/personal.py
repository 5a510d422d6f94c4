"""Recognise columns that are likely personal data, from their names and their values.

A proposal, never the decision: ``adopt`` uses it to mark a new column ``personal: true`` in
the column metadata (``data/columns.py``), and the privacy tests use it to flag a column that
nobody has declared yet. What the metadata file says always wins, so a false alarm is fixed
by declaring the column ``personal: false`` there.

Only data that points at one person is recognised: names, contact details, addresses,
birth dates and identity numbers. Attributes such as age or sex are not identifying on their
own; they matter for inclusion (docs/ml_test_score.md, model-7), and you can mark one
personal by hand.
"""

from __future__ import annotations

import re

import pandas as pd

# The last word of a column name (split on case changes and non-letters) that makes it
# personal, with the reason shown to the user. Only the last word counts: "customer_email"
# holds addresses, "email_opened" does not. "name" alone is too common ("studyName",
# "product_name"), so it counts only when every other word also speaks of a person.
_PERSONAL_WORDS: dict[str, str] = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "telephone": "a phone number",
    "address": "a postal or network address",
    "street": "a postal address",
    "postcode": "a postal address",
    "zip": "a postal address",
    "zipcode": "a postal address",
    "birthday": "a birth date",
    "birthdate": "a birth date",
    "dob": "a birth date",
    "ssn": "an identity number",
    "passport": "an identity number",
    "iban": "a bank account number",
    "surname": "a person's name",
    "forename": "a person's name",
    "username": "a person's name",
    "fullname": "a person's name",
}
# The last two words, when they identify a person although the last one alone does not.
_PERSONAL_PHRASES: dict[tuple[str, str], str] = {
    ("e", "mail"): "an e-mail address",
    ("phone", "number"): "a phone number",
    ("mobile", "number"): "a phone number",
    ("post", "code"): "a postal address",
    ("zip", "code"): "a postal address",
    ("birth", "date"): "a birth date",
    ("of", "birth"): "a birth date",
    ("national", "id"): "an identity number",
    ("tax", "id"): "an identity number",
    ("social", "security"): "an identity number",
    ("security", "number"): "an identity number",
    ("passport", "number"): "an identity number",
    ("card", "number"): "a payment card number",
}
# Words that, before a final "name", make it a person's name: "first name", "customer_name".
_PERSON_WORDS = frozenset(
    {
        "first", "last", "middle", "given", "family", "full", "maiden", "nick", "display",
        "user", "customer", "client", "patient", "person", "employee", "contact", "owner",
        "member", "applicant", "student",
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_EMAIL_VALUE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
EMAIL_SHARE = 0.5  # this share of a text column's values shaped like e-mail addresses
THING_REPEATS = 5  # a value on this many rows is a category's level, not one person's name


def name_words(name: str) -> list[str]:
    """The lower-case words of a column name: 'studyName' -> ['study', 'name']."""
    return [word.lower() for word in _WORD.findall(name)]


def personal_by_name(name: str) -> str | None:
    """Why the column's name says it holds personal data, or None."""
    words = name_words(name)
    if not words:
        return None
    if words[-1] in _PERSONAL_WORDS:
        return f"its name says it holds {_PERSONAL_WORDS[words[-1]]}"
    if tuple(words[-2:]) in _PERSONAL_PHRASES:
        return f"its name says it holds {_PERSONAL_PHRASES[(words[-2], words[-1])]}"
    if words[-1] == "name" and set(words[:-1]) <= _PERSON_WORDS:
        return "its name says it holds a person's name"
    return None


def personal_by_values(values: pd.Series) -> str | None:
    """Why the column's values look like personal data (e-mail addresses), or None."""
    present = values.dropna()
    if (
        present.empty
        or pd.api.types.is_numeric_dtype(present)
        or pd.api.types.is_bool_dtype(present)
    ):
        return None
    shaped = present.astype(str).str.fullmatch(_EMAIL_VALUE)
    if shaped.mean() >= EMAIL_SHARE:
        return f"{shaped.mean():.0%} of its values are e-mail addresses"
    return None


def names_things(values: pd.Series) -> bool:
    """True when a column's values repeat as a category's do: most rows hold a value that at
    least ``THING_REPEATS`` rows share. A column called just "name" holding 32 pizza names
    over 49,574 orders (or species, products, teams) names things; people's names barely
    repeat."""
    present = values.dropna().astype(str)
    if present.empty:
        return False
    shared = present.map(present.value_counts()) >= THING_REPEATS
    return bool(shared.mean() > 0.5)


def looks_personal(name: str, values: pd.Series | None = None) -> str | None:
    """Why column ``name`` (with ``values``, when given) looks like personal data, or None.

    A column called just "name" is a person's name unless its values repeat like a
    category's (:func:`names_things`); a qualified one ("customer_name") always is."""
    by_name = personal_by_name(name)
    if by_name and name_words(name) == ["name"] and values is not None and names_things(values):
        by_name = None
    return by_name or (None if values is None else personal_by_values(values))
