"""Compile each Jinja source once per copier run, however often copier renders it.

Copier renders strings with ``Environment.from_string``, which Jinja does not cache: every
path segment of every file (``src``, ``docs``, ...), the answers file's name once per
segment, and each question's type, ``when``, default and validator whenever copier looks at
them: `copier copy --defaults` compiled 506 sources, 176 of them distinct. This extension
keeps the compiled code by source, so a repeat costs a dictionary look-up (same code, same
output) and Jinja compiles 176 times.

copier.yml loads it through ``_jinja_extensions`` like ``questions.py``; it is not rendered
into generated projects.
"""

from __future__ import annotations

from types import CodeType
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension


class CompileOnce(Extension):
    """Memoises ``environment.compile`` for string sources, for the environment's lifetime."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        compile_source = environment.compile
        compiled: dict[tuple[Any, ...], str | CodeType] = {}

        def compile_once(
            source: Any,
            name: str | None = None,
            filename: str | None = None,
            raw: bool = False,
            defer_init: bool = False,
        ) -> str | CodeType:
            if not isinstance(source, str):  # a node tree, or a value copier tries as one
                return compile_source(source, name, filename, raw, defer_init)
            key = (source, name, filename, raw, defer_init)
            if key in compiled:
                # Jinja runs the extensions' preprocess hooks on every compile, and copier's
                # `yield` extension resets its state there: keep doing so.
                environment.preprocess(source, name, filename)
            else:
                compiled[key] = compile_source(source, name, filename, raw, defer_init)
            return compiled[key]

        environment.compile = compile_once  # type: ignore[method-assign]
