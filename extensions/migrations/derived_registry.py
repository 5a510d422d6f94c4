"""Migration: a project's derived-feature module from before tabular-mlops held the registry.

Projects generated before the library existed (template commit d7bb71d and earlier) kept the
registry itself in ``src/<package>/features/derived.py``: ``register``, ``unregister``,
``DERIVED_FEATURES`` and the functions that apply them, above and below the user's own
features. The library owns them now (``tabular_mlops.features.derived``), and the template
writes that module once and never overwrites it (copier.yml's ``_skip_if_exists``: it is the
user's), so ``copier update`` runs this instead: the registry's definitions are removed, the
imports only they used go with them, ``register`` comes from the library, and every feature
the user wrote stays as written. A module without those definitions is left untouched.

Usage: python derived_registry.py src/<package>/features/derived.py (stdlib only: it runs
with the interpreter that runs copier, before the project's environment is synced).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

# The module-level definitions the library now owns (as the old template wrote them).
REGISTRY = frozenset(
    {
        "Compute",
        "DerivedFeature",
        "DERIVED_FEATURES",
        "register",
        "unregister",
        "derived_features",
        "applicable_derived_features",
        "add_derived_features",
    }
)
LIBRARY_IMPORT = "from tabular_mlops.features.derived import register"


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    return None


def _is_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.Import | ast.ImportFrom)


def _unused_imports(kept: list[ast.stmt]) -> list[ast.stmt]:
    """The imports (``__future__`` aside) that none of the remaining code reads."""
    used = {
        name.id
        for node in kept
        if not _is_import(node)
        for name in ast.walk(node)
        if isinstance(name, ast.Name)
    }
    unused: list[ast.stmt] = []
    for node in kept:
        if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", None) != (
            "__future__"
        ):
            names = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            if not names & used:
                unused.append(node)
    return unused


def migrate(source: str) -> str:
    """``source`` without the registry's definitions, importing ``register`` instead.

    Written back in the layout ruff formats: the lines before the first import as they
    were, the imports, then each remaining definition with the comments just above it, two
    blank lines apart.
    """
    tree = ast.parse(source)
    if not any(_defined_name(node) in REGISTRY for node in tree.body):
        return source
    kept = [node for node in tree.body if _defined_name(node) not in REGISTRY]
    dropped = _unused_imports(kept)
    lines = source.splitlines()
    imports = [n for n in tree.body if _is_import(n) and getattr(n, "module", None) != "__future__"]
    head_end = imports[0].lineno - 1 if imports else 0
    head = "\n".join(lines[:head_end]).rstrip("\n")
    import_lines: list[str] = []
    for node in imports:
        if node in dropped:
            continue
        if import_lines and node.lineno - 2 >= 0 and not lines[node.lineno - 2].strip():
            import_lines.append("")  # a blank line that separated two groups of imports
        import_lines.extend(lines[node.lineno - 1 : node.end_lineno])
    import_lines.append(LIBRARY_IMPORT)
    segments = []
    previous_end = imports[-1].end_lineno if imports else head_end
    for node in tree.body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        if node in kept and not _is_import(node) and node.lineno > (previous_end or 0):
            lead = start - 1
            while lead > 0 and lines[lead - 1].lstrip().startswith("#"):
                lead -= 1  # the comments just above it belong to it
            segments.append("\n".join(lines[lead : node.end_lineno]))
        previous_end = max(previous_end or 0, node.end_lineno or node.lineno)
    top = "\n\n".join(part for part in (head, "\n".join(import_lines).strip("\n")) if part)
    return "\n\n\n".join([top, *segments]) + "\n"


def main(path: str) -> None:
    module = Path(path)
    if not module.is_file():
        return  # a project that removed the module has nothing to migrate
    source = module.read_text(encoding="utf-8")
    migrated = migrate(source)
    if migrated != source:
        module.write_text(migrated, encoding="utf-8")
        print(f"{path}: register now comes from tabular-mlops; your features are kept")


if __name__ == "__main__":
    main(sys.argv[1])
