"""Run a GitHub Actions workflow's jobs and steps on this machine, as a hosted runner would.

What GitHub does, and what this module does instead:

- Each job starts on a fresh machine with `actions/checkout`: here each job runs in its own
  fresh `git clone` of the project (full history, so `fetch-depth` needs no emulation).
- Jobs run in file order, after the jobs they `needs:`; a job whose needed job failed or was
  skipped is skipped unless its `if:` calls a status function (`always()`, `failure()`), and
  a job-level `if:` is evaluated against the needed jobs' results and outputs.
- `run:` steps run with `shell: bash`, i.e. `bash --noprofile --norc -eo pipefail SCRIPT`,
  with the GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files; writes to
  GITHUB_ENV and GITHUB_PATH reach the later steps, GITHUB_OUTPUT becomes
  `steps.<id>.outputs`, and each step's summary is appended to the job's summary.
- `uses:` steps are emulated (see EMULATED_ACTIONS): any other action fails the run, so a new
  action in a workflow needs an emulation here or an explicit skip in the test.
- `${{ ... }}` expressions are evaluated against the contexts the test supplies (github,
  inputs, secrets, vars, runner, steps, needs); a context the test did not supply fails the run.
  The status functions (success(), failure(), always(), cancelled()) behave as on GitHub.
  The part of the expression language that is emulated is described under "expressions"
  below, and tests/test_workflow_runner.py holds it to GitHub's documented semantics.
- Steps the test lists in `skip` (those that need GitHub or a container engine) are not run;
  each is recorded with its reason, and naming a step that does not exist fails the run.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from .helpers import git, project_env

# How each action a workflow may use is emulated on this machine.
EMULATED_ACTIONS = {
    "actions/checkout": "the job runs in a fresh git clone of the project",
    "astral-sh/setup-uv": (
        "uv from the test environment is on PATH and UV_PYTHON names the local interpreter "
        "(helpers.project_env); the uv cache is this machine's, warm like a restored cache"
    ),
    "actions/upload-artifact": "the files are copied to the run's artifact folder",
    "actions/download-artifact": "the files are copied back from the run's artifact folder",
}
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class WorkflowError(AssertionError):
    """The workflow uses something this runner cannot emulate, or the test asked wrongly."""


@dataclass
class StepResult:
    job: str
    name: str
    status: str  # passed, failed, skipped (by `if:`) or not-run (listed in skip)
    reason: str = ""
    output: str = ""
    returncode: int | None = None
    seconds: float = 0.0


@dataclass
class JobState:
    job_id: str
    workspace: Path
    temp: Path
    env: dict[str, str]
    path_entries: list[str] = field(default_factory=list)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: list[StepResult] = field(default_factory=list)
    summary: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    status: str = "success"


# ---------------------------------------------------------------- expressions
#
# GitHub's expression language, the part the generated workflows use: literals (null, true,
# false, numbers, 'strings'), context properties (`github.event.before`), `!`, `==`, `!=`,
# `&&`, `||`, parentheses and the status functions. The semantics are GitHub's documented
# ones: loose equality (operands of different types are compared as numbers, strings
# ignore case, arrays and objects are equal only to themselves), `&&` and `||` return an
# operand, and false, 0, -0, NaN, '' and null are falsy. Anything else (`<`, `[ ]`, `*`,
# other functions such as contains() or format()) fails the run, so that a workflow that
# starts using it gets it emulated here first.

_NUMBER = r"-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
_TOKEN = re.compile(
    rf"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>\|\||&&|==|!=|!|\(|\)|,)"
    rf"|(?P<num>{_NUMBER})|(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*))"
)
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")


def evaluate(expression: str, contexts: Mapping[str, Any], job_status: str = "success") -> Any:
    """The value of ``expression`` (the text inside ``${{ }}``).

    ``job_status`` is what the status functions see: "success", "failure", or anything
    else for neither (e.g. a needed job that was skipped).
    """
    return _Evaluator(expression, contexts, job_status).evaluate()


def condition(value: Any, contexts: Mapping[str, Any], job_status: str) -> bool:
    """An `if:` as GitHub decides it: `success() && (...)` unless it calls a status function."""
    text = _as_text(value).strip()
    text = _whole_expression(text) or text
    tokens = _tokens(text)
    calls_status = any(
        kind == "name" and name in STATUS_FUNCTIONS and following == ("op", "(")
        for (kind, name), following in pairwise(tokens)
    )
    if not calls_status:
        text = f"success() && ({text})"
    return truthy(evaluate(text, contexts, job_status))


def substitute(value: Any, contexts: Mapping[str, Any], job_status: str) -> Any:
    """A workflow value with its ``${{ }}`` expressions replaced.

    A value that is one expression keeps the expression's type (as in `with:` and `env:`);
    expressions inside a longer text are interpolated as text.
    """
    if not isinstance(value, str):
        return value
    whole = _whole_expression(value.strip())
    if whole is not None:
        return evaluate(whole, contexts, job_status)
    return EXPRESSION.sub(
        lambda match: _as_text(evaluate(match.group(1), contexts, job_status)), value
    )


def _whole_expression(text: str) -> str | None:
    """The inside of ``text`` when ``text`` is one ``${{ }}`` and nothing else."""
    found = list(EXPRESSION.finditer(text))
    if len(found) == 1 and found[0].group(0) == text:
        return found[0].group(1)
    return None


def truthy(value: Any) -> bool:
    """GitHub's coercion to boolean: false, 0, -0, NaN, '' and null are falsy; arrays and
    objects, even empty ones, are truthy."""
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):  # booleans too
        return value != 0 and not math.isnan(value)
    return True


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise WorkflowError(
                f"cannot evaluate the expression {text!r}: unsupported syntax at "
                f"{text[position:].strip()!r}"
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Evaluator:
    """A recursive-descent evaluator; precedence from loosest: ||, &&, == and !=, !."""

    def __init__(self, text: str, contexts: Mapping[str, Any], job_status: str) -> None:
        self.text = text.strip()
        self.tokens, self.index = _tokens(text), 0
        self.contexts = contexts
        self.job_status = job_status

    def evaluate(self) -> Any:
        value = self._or()
        if self.index != len(self.tokens):
            raise self._error(f"unexpected {self.tokens[self.index][1]!r}")
        return value

    def _error(self, detail: str) -> WorkflowError:
        return WorkflowError(f"cannot evaluate the expression {self.text!r}: {detail}")

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.index == len(self.tokens):
            raise self._error("it ends too early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect(self, text: str) -> None:
        found = self._take()[1]
        if found != text:
            raise self._error(f"expected {text!r}, found {found!r}")

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._equality()
        while self._peek() == "&&":
            self._take()
            right = self._equality()
            value = right if truthy(value) else value
        return value

    def _equality(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!="):
            operator = self._take()[1]
            right = self._unary()
            value = _equal(value, right) == (operator == "==")
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self._or()
            self._expect(")")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return _number(text)
        if kind != "name":
            raise self._error(f"unexpected {text!r}")
        if self._peek() == "(":
            return self._call(text)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        return self._lookup(text)

    def _call(self, function: str) -> bool:
        if function not in STATUS_FUNCTIONS:
            raise self._error(f"the function {function}() is not emulated")
        self._expect("(")
        self._expect(")")
        return {
            "success": self.job_status == "success",
            "failure": self.job_status == "failure",
            "always": True,
            "cancelled": False,
        }[function]

    def _lookup(self, dotted: str) -> Any:
        root, *keys = dotted.split(".")
        if root not in self.contexts:
            raise WorkflowError(
                f"the expression {self.text!r} uses the context '{root}', "
                "which this run does not supply"
            )
        value: Any = self.contexts[root]
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value


def _number(text: str) -> float:
    """A number literal, or a string's number as loose equality reads it ('' is 0)."""
    text = text.strip()
    if not text:
        return 0.0
    if not re.fullmatch(_NUMBER, text):
        return math.nan
    if "x" in text.lower():
        return float(int(text, 16))
    return float(text)


def _equal(left: Any, right: Any) -> bool:
    kinds = _kind(left), _kind(right)
    if kinds[0] != kinds[1]:
        return _as_number(left) == _as_number(right)
    if kinds[0] == "string":
        return str(left).lower() == str(right).lower()
    if kinds[0] in ("array", "object"):
        return left is right
    return bool(left == right)  # null, booleans, numbers (NaN equals nothing)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, Mapping) else "array"


def _as_number(value: Any) -> float:
    if isinstance(value, str):
        return _number(value)
    if value is None or isinstance(value, int | float):  # null is 0, booleans 1 and 0
        return float(value or 0)
    return math.nan  # arrays and objects


def _as_text(value: Any) -> str:
    """A value as GitHub writes it into a text: null as '', numbers without a needless .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping | list | tuple):
        raise WorkflowError(f"cannot write an object or array as text: {value!r}")
    return str(value)


# ---------------------------------------------------------------- the runner


def _parse_file_commands(path: Path) -> dict[str, str]:
    """Read GITHUB_OUTPUT / GITHUB_ENV: `NAME=value` lines and `NAME<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            while lines[index] != delimiter:
                block.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


class WorkflowRun:
    """One run of one workflow file for one simulated event."""

    def __init__(
        self,
        project: Path,
        workflow: Path,
        *,
        work_dir: Path,
        github: Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
        skip: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.project = project
        self.definition = yaml.safe_load(workflow.read_text(encoding="utf-8"))
        self.work_dir = work_dir
        self.github = dict(github)
        self.inputs = dict(inputs or {})
        self.secrets = dict(secrets or {})
        self.variables = dict(variables or {})  # the repository's variables: `vars.NAME`
        self.skip = dict(skip or {})
        self.artifacts = work_dir / "artifacts"
        self.jobs: dict[str, JobState] = {}
        self.job_results: dict[str, str] = {}
        self._check_skip_list()

    # -- public

    def run(self, *, parallel: int = 2) -> WorkflowRun:
        """Run every job once the jobs it needs have finished, ``parallel`` at a time.

        GitHub starts independent jobs at the same time on separate machines; here they
        share this machine's cores, each in its own clone.
        """
        jobs = self.definition["jobs"]
        order = self._job_order()
        finished: set[str] = set()
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            running: dict[Future[JobState], str] = {}
            while len(finished) < len(order):
                for job_id in order:
                    needs = set(_as_list(jobs[job_id].get("needs")))
                    started = job_id in finished or job_id in running.values()
                    if not started and needs <= finished and len(running) < parallel:
                        running[pool.submit(self.run_job, job_id)] = job_id
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
                    finished.add(running.pop(future))
        return self

    def results(self) -> list[StepResult]:
        """Every step's result, jobs in the order of the workflow file."""
        return [
            result for job_id in self.jobs_in_file_order() for result in self.jobs[job_id].results
        ]

    def jobs_in_file_order(self) -> list[str]:
        return [job_id for job_id in self.definition["jobs"] if job_id in self.jobs]

    def failures(self) -> list[StepResult]:
        return [result for result in self.results() if result.status == "failed"]

    def report(self) -> str:
        """Every step with its status; the output of failed steps."""
        lines = []
        for result in self.results():
            lines.append(
                f"[{result.status}] {result.seconds:5.1f}s {result.job} / {result.name} "
                f"{result.reason}"
            )
            if result.status == "failed":
                lines.append(result.output[-6000:])
        return "\n".join(lines)

    def run_job(self, job_id: str) -> JobState:
        job = self.definition["jobs"][job_id]
        needs = _as_list(job.get("needs"))
        needs_context = {
            need: {"result": self.job_results.get(need), "outputs": self.jobs[need].outputs}
            for need in needs
            if need in self.jobs
        }
        state = self._new_job_state(job_id, job)
        self.jobs[job_id] = state
        # The status functions of a job-level `if:` see the needed jobs' results.
        results = {self.job_results.get(need) for need in needs}
        status = "failure" if "failure" in results else "success" if results <= {"success"} else ""
        contexts = self._contexts(state, needs_context)
        if not condition(job.get("if", "success()"), contexts, status):
            self.job_results[job_id] = "skipped"
            state.status = "skipped"
            return state
        for step in job["steps"]:
            self._run_step(job_id, job, step, state, needs_context)
        state.outputs = {
            name: _as_text(substitute(value, self._contexts(state, needs_context), state.status))
            for name, value in (job.get("outputs") or {}).items()
        }
        self.job_results[job_id] = state.status
        return state

    def run_steps(
        self,
        job_id: str,
        names: list[str],
        *,
        workspace: Path,
        steps: Mapping[str, Any] | None = None,
    ) -> JobState:
        """Run only the named `run:` steps of a job, in ``workspace`` (no checkout).

        ``steps`` stands in for the `steps` context that earlier, unrun steps would have
        produced, e.g. ``{"push": {"outputs": {"digest": "sha256:..."}}}``.
        """
        job = self.definition["jobs"][job_id]
        state = self._new_job_state(job_id, job)
        state.workspace = workspace
        state.env["GITHUB_WORKSPACE"] = str(workspace)
        state.steps.update(steps or {})
        self.jobs[job_id] = state
        for name in names:
            self._run_step(job_id, job, self._step_named(job_id, name), state, {})
        return state

    def rerun_step(self, job_id: str, name: str) -> StepResult:
        """Run one `run:` step again in the workspace its job left behind."""
        job = self.definition["jobs"][job_id]
        state = self.jobs[job_id]
        step = self._step_named(job_id, name)
        state.status = "success"
        self._run_step(job_id, job, step, state, {})
        return state.results[-1]

    # -- jobs and steps

    def _job_order(self) -> list[str]:
        jobs = self.definition["jobs"]
        ordered: list[str] = []
        pending = list(jobs)
        while pending:
            ready = [job for job in pending if set(_as_list(jobs[job].get("needs"))) <= {*ordered}]
            if not ready:
                raise WorkflowError(f"circular or unknown needs among {pending}")
            ordered.append(ready[0])
            pending.remove(ready[0])
        return ordered

    def _check_skip_list(self) -> None:
        for job_id, name in self.skip:
            self._step_named(job_id, name)

    def _step_named(self, job_id: str, name: str) -> dict[str, Any]:
        jobs = self.definition["jobs"]
        if job_id not in jobs:
            raise WorkflowError(f"no job '{job_id}' in the workflow")
        for step in jobs[job_id]["steps"]:
            if step.get("name") == name:
                return step
        raise WorkflowError(f"no step named {name!r} in job '{job_id}'")

    def _new_job_state(self, job_id: str, job: Mapping[str, Any]) -> JobState:
        root = self.work_dir / job_id
        workspace, temp = root / "workspace", root / "runner-temp"
        temp.mkdir(parents=True)
        workspace.mkdir()  # GitHub's runner makes it for every job, with or without a checkout
        env = project_env()
        env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_EVENT_NAME": self.github["event_name"],
                "GITHUB_SHA": self.github["sha"],
                "GITHUB_REF": self.github["ref"],
                "GITHUB_REF_NAME": self.github["ref_name"],
                "GITHUB_REF_TYPE": self.github.get("ref_type", "branch"),
                "GITHUB_REPOSITORY": self.github["repository"],
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_ACTOR": self.github.get("actor", "local-runner"),
                "GITHUB_RUN_ID": str(self.github.get("run_id", "1")),
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_WORKFLOW": self.definition.get("name", ""),
                "GITHUB_JOB": job_id,
                "RUNNER_OS": "Linux",
                "RUNNER_TEMP": str(temp),
                # A hosted runner's home is fresh for every job; pre-commit keeps its
                # (here tool-less) environment store there.
                "PRE_COMMIT_HOME": str(root / "pre-commit-home"),
            }
        )
        state = JobState(job_id, workspace, temp, env)
        contexts = self._contexts(state, {})
        for scope in (self.definition.get("env"), job.get("env")):
            for name, value in (scope or {}).items():
                env[name] = _as_text(substitute(value, contexts, state.status))
        return state

    def _contexts(self, state: JobState, needs: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "github": {**self.github, "workspace": str(state.workspace)},
            "inputs": self.inputs,
            "secrets": self.secrets,
            "vars": self.variables,
            "runner": {"temp": str(state.temp), "os": "Linux"},
            "env": state.env,
            "steps": state.steps,
            "needs": needs,
        }

    def _run_step(
        self,
        job_id: str,
        job: Mapping[str, Any],
        step: Mapping[str, Any],
        state: JobState,
        needs: Mapping[str, Any],
    ) -> None:
        name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
        contexts = self._contexts(state, needs)
        if not condition(step.get("if", "success()"), contexts, state.status):
            state.results.append(StepResult(job_id, name, "skipped", "(its if: is false)"))
            return
        if (job_id, name) in self.skip:
            state.results.append(StepResult(job_id, name, "not-run", self.skip[(job_id, name)]))
            return
        started = time.monotonic()
        if "uses" in step:
            result = self._emulate(job_id, name, step, state, contexts)
        else:
            result = self._run_script(job_id, job, name, step, state, contexts)
        result.seconds = time.monotonic() - started
        state.results.append(result)
        if result.status == "failed" and not step.get("continue-on-error"):
            state.status = "failure"

    def _emulate(
        self,
        job_id: str,
        name: str,
        step: Mapping[str, Any],
        state: JobState,
        contexts: Mapping[str, Any],
    ) -> StepResult:
        action = step["uses"].split("@", 1)[0]
        if action not in EMULATED_ACTIONS:
            raise WorkflowError(f"{job_id} / {name}: no local emulation of the action {action}")
        inputs = {
            key: _as_text(substitute(value, contexts, state.status))
            for key, value in (step.get("with") or {}).items()
        }
        if action == "actions/checkout":
            git(self.project.parent, "clone", "--quiet", str(self.project), str(state.workspace))
            git(state.workspace, "checkout", "--quiet", "--detach", self.github["sha"])
        elif action == "actions/upload-artifact":
            source = state.workspace / inputs["path"]
            if not source.is_dir() or not any(source.iterdir()):
                return StepResult(job_id, name, "failed", output=f"no files at {source}")
            shutil.copytree(source, self.artifacts / inputs["name"])
        elif action == "actions/download-artifact":
            stored = self.artifacts / inputs["name"]
            if not stored.is_dir():
                return StepResult(job_id, name, "failed", output=f"no artifact {inputs['name']}")
            shutil.copytree(stored, state.workspace / inputs.get("path", "."), dirs_exist_ok=True)
        state.steps[step.get("id", name)] = {"outputs": {}, "inputs": inputs}
        return StepResult(job_id, name, "passed", EMULATED_ACTIONS[action])

    def _run_script(
        self,
        job_id: str,
        job: Mapping[str, Any],
        name: str,
        step: Mapping[str, Any],
        state: JobState,
        contexts: Mapping[str, Any],
    ) -> StepResult:
        defaults = {
            **((self.definition.get("defaults") or {}).get("run") or {}),
            **((job.get("defaults") or {}).get("run") or {}),
        }
        shell = step.get("shell", defaults.get("shell", "bash"))
        if shell != "bash":
            raise WorkflowError(f"{job_id} / {name}: only shell: bash is emulated, not {shell}")
        files = {
            kind: state.temp / f"_{kind.lower()}_{len(state.results)}"
            for kind in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
        }
        for path in files.values():
            path.write_text("", encoding="utf-8")
        env = dict(state.env)
        env.update({kind: str(path) for kind, path in files.items()})
        for key, value in (step.get("env") or {}).items():
            env[key] = _as_text(substitute(value, contexts, state.status))
        if state.path_entries:
            env["PATH"] = os.pathsep.join([*state.path_entries, env["PATH"]])
        script = state.temp / f"_step_{len(state.results)}.sh"
        script.write_text(substitute(step["run"], contexts, state.status), encoding="utf-8")
        directory = state.workspace / step.get(
            "working-directory", defaults.get("working-directory", ".")
        )
        minutes = step.get("timeout-minutes", job.get("timeout-minutes", 360))
        completed = subprocess.run(
            [*BASH, str(script)],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=float(minutes) * 60,
            check=False,
        )
        state.env.update(_parse_file_commands(files["GITHUB_ENV"]))
        state.path_entries[:0] = [
            line for line in files["GITHUB_PATH"].read_text().splitlines() if line
        ]
        state.summary += files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
        state.steps[step.get("id", name)] = {
            "outputs": _parse_file_commands(files["GITHUB_OUTPUT"]),
            "outcome": "success" if completed.returncode == 0 else "failure",
        }
        status = "passed" if completed.returncode == 0 else "failed"
        output = f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"
        return StepResult(job_id, name, status, output=output, returncode=completed.returncode)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
