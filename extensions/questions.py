"""Filters, tests and globals for copier.yml: each rule the questions share lives here once.

copier.yml loads this module through ``_jinja_extensions`` with copier-template-extensions'
loader, so `copier copy` and `copier update` need that package next to copier
(``uvx --with copier-template-extensions copier ...``) and ``--trust``, as the tasks already do.
It is not rendered into generated projects (only ``template/`` is).
"""

from __future__ import annotations

import keyword
import re
import unicodedata

from jinja2 import Environment
from jinja2.ext import Extension

# An example location per DVC remote, shown as the default answer and in the validator's
# message when an answer does not fit.
DVC_REMOTE_URL_EXAMPLES = {
    "local": "/srv/dvc-storage/{slug}",
    "s3": "s3://my-bucket/{slug}",
    "gcs": "gs://my-bucket/{slug}",
    "azure": "azure://my-container/{slug}",
}


def slugify(value: str, separator: str = "-") -> str:
    """Lowercase ASCII letters and digits of ``value``, runs joined by ``separator``.

    Accents are dropped rather than the letter: 'Café Model 2' gives 'cafe-model-2'.
    """
    ascii_text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return separator.join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def is_python_keyword(value: object) -> bool:
    """Whether ``value`` is a word Python reserves (``class``, ``import``), so no module name.

    Soft keywords (``match``, ``type``) are not reserved and can be imported.
    """
    return isinstance(value, str) and keyword.iskeyword(value)


def dvc_remote_url_example(remote: str, slug: str) -> str:
    """An example URL (or folder) for a DVC ``remote`` of the project ``slug``; '' for none."""
    return DVC_REMOTE_URL_EXAMPLES.get(remote, "").format(slug=slug)


class QuestionHelpers(Extension):
    """Registers ``slugify`` (filter), ``python_keyword`` (test), ``dvc_remote_url_example``."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["slugify"] = slugify
        environment.tests["python_keyword"] = is_python_keyword
        environment.globals["dvc_remote_url_example"] = dvc_remote_url_example
