"""A Git repository with a registry history whose dates each test chooses."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import gto.api

from ..support import PROJECT_ROOT


def at(text: str) -> datetime:
    """A UTC time written as 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


class History:
    """A Git repository whose commits and registry tags carry the dates a test chooses."""

    def __init__(self, root: Path, artifact: str) -> None:
        self.root = root
        self.artifact = artifact
        root.mkdir(parents=True)
        # The project's dvc.yaml names the artifact, as in the real project.
        shutil.copyfile(PROJECT_ROOT / "dvc.yaml", root / "dvc.yaml")
        self.git("init", "--quiet")
        # Nothing from the user's global Git configuration: an identity, and no signing.
        for key, value in (
            ("user.name", "Delivery Test"),
            ("user.email", "delivery@example.com"),
            ("commit.gpgsign", "false"),
            ("tag.gpgSign", "false"),
        ):
            self.git("config", key, value)

    def git(self, *args: str, when: datetime | None = None) -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
        done = subprocess.run(  # noqa: S603 - git with arguments written in this file
            ["git", *args],  # noqa: S607
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"git {args} failed: {done.stderr}"
        return done.stdout.strip()

    def commit(self, when: str, files: dict[str, str] | None = None) -> str:
        """A commit of ``files`` (path -> text) at ``when`` (author and committer date)."""
        for name, text in {"changes.txt": f"{when}\n", **(files or {})}.items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", f"Change of {when}", when=at(when))
        return self.git("rev-parse", "HEAD")

    def redate(self, tag: str, when: str) -> None:
        """Give the tag GTO made the tagger date ``when``, keeping its target and message."""
        message = self.git("tag", "--list", "--format=%(contents)", tag)
        target = self.git("rev-parse", tag + "^{commit}")
        self.git("tag", "--force", "--annotate", tag, "-m", message, target, when=at(when))

    def register(self, version: str, commit: str, when: str) -> None:
        event = gto.api.register(str(self.root), self.artifact, ref=commit, version=version)
        self.redate(event.tag, when)

    def assign(self, version: str, when: str, stage: str = "prod") -> None:
        # force: a version that held the stage before may hold it again (a rollback), as
        # the project's own `promote` and `rollback` allow.
        event = gto.api.assign(str(self.root), self.artifact, stage, version=version, force=True)
        self.redate(event.tag, when)
