"""Read a Dockerfile and run its build and start commands without a container engine.

No container engine runs on the machines that test this template, so the tests emulate
the serving image instead: every instruction of the builder stage and of the final stage
is read from the rendered Dockerfile (nothing is copied by hand into the test), the
context files that ``COPY`` names are copied into a folder that stands for ``/app``, the
``uv sync`` commands of ``RUN`` are executed there with the ``ENV`` values of the file, and
the ``CMD`` and ``HEALTHCHECK`` commands are returned for the test to run. Instructions
that need root or an image (``FROM``, ``RUN groupadd``, ``USER``) are checked, not run.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

APP = "/app"  # the image's WORKDIR; every absolute /app path maps to the emulated folder


@dataclass
class Instruction:
    keyword: str
    value: str


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def values(self, keyword: str) -> list[str]:
        return [i.value for i in self.instructions if i.keyword == keyword]


def logical_lines(text: str) -> list[str]:
    """Join continuation lines and drop comments and blank lines."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Return the global ARG defaults and the stages, in order."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(text):
        keyword, _, value = line.partition(" ")
        keyword, value = keyword.upper(), value.strip()
        if keyword == "FROM":
            parts = value.split()
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, parts[0]))
        elif not stages:
            if keyword == "ARG":
                key, _, default = value.partition("=")
                global_args[key] = default
        else:
            stages[-1].instructions.append(Instruction(keyword, value))
    return global_args, stages


def exec_form(value: str) -> list[str]:
    """The argument list of a JSON exec-form CMD (or HEALTHCHECK ... CMD)."""
    if "CMD " in value:
        value = value.split("CMD ", 1)[1]
    parsed = json.loads(value)
    assert isinstance(parsed, list), f"use the exec form (a JSON list), not {value!r}"
    return [str(part) for part in parsed]


def parse_runs(stages: list[Stage], name: str) -> list[str]:
    """The RUN commands of stage ``name``, without their ``--mount`` options."""
    stage = next(stage for stage in stages if stage.name == name)
    return [
        " ".join(part for part in value.split() if not part.startswith("--mount="))
        for value in stage.values("RUN")
    ]


def env_of(stage: Stage) -> dict[str, str]:
    """The variables a stage's ENV instructions set (unexpanded references left empty)."""
    values: dict[str, str] = {}
    for value in stage.values("ENV"):
        values.update(_env_pairs(value, values))
    return values


def _expand(value: str, variables: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return variables.get(match.group(1) or match.group(2), "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", replace, value)


def _env_pairs(value: str, variables: dict[str, str]) -> dict[str, str]:
    pairs = {}
    for token in shlex.split(value):
        key, _, raw = token.partition("=")
        pairs[key] = _expand(raw, {**variables, **pairs})
    return pairs


def _map_app(value: str, app: Path) -> str:
    return re.sub(r"(?<![\w/])/app(?=/|$|:)", str(app), value)


@dataclass
class Emulated:
    """The emulated image: its /app folder, environment, start and health commands."""

    app: Path
    env: dict[str, str]
    cmd: list[str]
    healthcheck: list[str]
    runtime: Stage


class DockerfileEmulator:
    """Run the builder stage and lay out the final stage of a project's Dockerfile."""

    def __init__(self, project: Path, base_env: dict[str, str], build_args: dict[str, str]):
        self.project = project
        self.base_env = base_env
        self.build_args = build_args
        self.global_args, self.stages = parse((project / "Dockerfile").read_text())
        self.by_name = {stage.name: stage for stage in self.stages}

    def _copy(self, value: str, app: Path, workdir: str) -> None:
        parts = [p for p in shlex.split(value) if not p.startswith("--chown")]
        *sources, destination = parts
        target_dir = app / destination.replace(workdir, "").lstrip("./").lstrip("/")
        if destination in (".", "./"):
            target_dir = app
        for source in sources:
            path = self.project / source
            assert path.exists(), f"COPY {source}: not in the build context"
            if path.is_dir():
                shutil.copytree(path, target_dir, dirs_exist_ok=True)
            else:
                target = target_dir if destination.endswith("/") else app / destination
                if destination.endswith("/") or len(sources) > 1:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / path.name)
                else:
                    shutil.copy2(path, target)

    def _variables(self, stage_args: dict[str, str]) -> dict[str, str]:
        return {**self.global_args, **stage_args, **self.build_args}

    def run_stage(self, stage: Stage, app: Path, env: dict[str, str], timeout: float) -> None:
        """Execute the stage's WORKDIR, COPY (from the context), ENV and RUN instructions."""
        args: dict[str, str] = {}
        workdir = APP
        for instruction in stage.instructions:
            keyword, value = instruction.keyword, instruction.value
            if keyword == "ARG":
                key, _, default = value.partition("=")
                args[key] = self.build_args.get(key, default.strip('"'))
            elif keyword == "WORKDIR":
                workdir = value
                assert workdir == APP, f"the emulation expects WORKDIR {APP}, not {workdir}"
            elif keyword == "ENV":
                for key, raw in _env_pairs(value, {**env, **self._variables(args)}).items():
                    env[key] = _map_app(raw, app)
            elif keyword == "COPY" and "--from=" not in value:
                self._copy(value, app, workdir)
            elif keyword == "RUN" and "uv sync" in value:
                command = " ".join(p for p in value.split() if not p.startswith("--mount="))
                assert "&&" not in command, "the emulation runs uv sync commands on their own"
                result = subprocess.run(
                    ["bash", "-euo", "pipefail", "-c", command],
                    cwd=app,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    check=False,
                )
                assert result.returncode == 0, (
                    f"RUN {command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
                )

    def build(self, root: Path, timeout: float = 900) -> Emulated:
        """Emulate the builder stage, then lay out the final (serving) stage in ``root/app``."""
        builder, runtime = self.by_name["builder"], self.stages[-1]
        copies_from_builder = [v for v in runtime.values("COPY") if v.startswith("--from=builder")]
        assert copies_from_builder == [f"--from=builder {APP}/.venv {APP}/.venv"], (
            "the final stage takes only the virtual environment from the builder"
        )
        app = root / "app"
        app.mkdir(parents=True)
        self.run_stage(builder, app, dict(self.base_env), timeout)
        # The final stage starts empty except for the venv, at the same absolute path.
        leftovers = root / "builder-leftovers"
        app.rename(leftovers)
        app.mkdir()
        (leftovers / ".venv").rename(app / ".venv")
        env = dict(self.base_env)
        self.run_stage(runtime, app, env, timeout)
        healthchecks = runtime.values("HEALTHCHECK")
        assert len(healthchecks) == 1, "the serving image has one HEALTHCHECK"
        return Emulated(
            app, env, exec_form(runtime.values("CMD")[-1]), exec_form(healthchecks[0]), runtime
        )
