"""Pre-commit hook: data and models go to DVC, never into Git.

DVC lists every cached output of dvc.yaml's stages and of `dvc add` (.dvc files). The hook
refuses a commit that stages any of them (even one added with `git add -f`, whatever the
.gitignore files say), and puts back the .gitignore entry of any output that lacks one:
DVC removes its entries while a stage reruns and does not restore them when the stage fails.

Usage (pre-commit passes the staged files): python scripts/guard_dvc_outputs.py FILE...
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath


def cached_outputs() -> list[PurePosixPath]:
    """Paths (relative to the repository root) of every DVC output kept in the DVC cache."""
    from dvc.repo import Repo

    with Repo() as repo:
        outputs = [out for out in repo.index.outs if out.use_cache and out.is_in_repo]
        root = Path(repo.root_dir)
        for out in outputs:
            if not Path(out.fs_path).exists():
                continue  # nothing to leak yet; DVC adds the entry when it writes the output
            if not repo.scm.is_tracked(out.fs_path) and not repo.scm.is_ignored(out.fs_path):
                out.ignore()
                print(f"restored the .gitignore entry for {out}")
        return [PurePosixPath(Path(out.fs_path).relative_to(root).as_posix()) for out in outputs]


def refused(staged: list[str], outputs: list[PurePosixPath]) -> list[tuple[str, PurePosixPath]]:
    """Each staged file that is, or lies inside, a DVC output, with that output."""
    found = []
    for name in staged:
        path = PurePosixPath(Path(name).as_posix())
        for output in outputs:
            if path == output or output in path.parents:
                found.append((name, output))
                break
    return found


def main(argv: list[str]) -> int:
    from dvc.exceptions import DvcException

    try:
        outputs = cached_outputs()
    except DvcException as error:
        print(f"error: cannot list the DVC outputs to protect: {error}", file=sys.stderr)
        return 1
    problems = refused(argv, outputs)
    for name, output in problems:
        print(
            f"error: {name} is a DVC output ({output}): version it with DVC (`dvc repro`, "
            f"`dvc push`), not Git; unstage it with: git rm --cached -r -- {name}",
            file=sys.stderr,
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
