"""The GitHub expression evaluator of tests/workflow_runner.py, held to GitHub's documented
semantics (docs.github.com, "Evaluate expressions in workflows and actions"):

- literals: null, true, false, numbers in any JSON format (and hex), 'strings' with ''
  for a quote; double quotes are an error;
- `!`, `==`, `!=`, `&&`, `||` and `( )`, loosest last: `||`, `&&`, `==`/`!=`, `!`;
- loose equality: operands of different types are compared as numbers (null is 0, true 1,
  false 0, a string its JSON number, '' 0, anything else NaN, which equals nothing),
  strings ignore case, arrays and objects are equal only to themselves;
- `&&` and `||` return one of their operands; false, 0, -0, NaN, '' and null are falsy,
  everything else (even an empty array or object) is truthy;
- an `if:` without a status function is `success() && (...)`;
- anything the runner does not emulate (`<`, `[ ]`, other functions) fails loudly.

Plus, at the end, the job and step rules that use the evaluator, on a two-second workflow.
"""

from __future__ import annotations

import math
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .workflow_runner import WorkflowError, WorkflowRun, condition, evaluate, substitute

EMPTY_OBJECT: dict[str, Any] = {}
CONTEXTS: dict[str, Any] = {
    "github": {
        "event_name": "push",
        "ref": "refs/heads/main",
        "token": "ghs_token",
        "event": {"before": "abc123", "action": None, "pull_request": None},
    },
    "inputs": {"reason": ""},
    "secrets": {},
    "steps": {
        "changes": {"outputs": {"changed": "true", "count": "0"}},
        "my-step": {"outputs": {"value": "1.5"}},
    },
    "values": {
        "zero": 0,
        "one": 1,
        "nan": math.nan,
        "object": EMPTY_OBJECT,
        "same_object": EMPTY_OBJECT,
        "other_object": {},
        "array": [],
    },
}

# (expression, expected value), evaluated against CONTEXTS with a successful job.
VALUES = [
    # literals
    ("null", None),
    ("true", True),
    ("false", False),
    ("711", 711),
    ("-9.2", -9.2),
    ("0xff", 255),
    ("-2.99e-2", -0.0299),
    ("'Mona the Octocat'", "Mona the Octocat"),
    ("'It''s open source!'", "It's open source!"),
    ("''", ""),
    ("  'spaces around'  ", "spaces around"),
    # context properties: a missing property is null, at any depth
    ("github.event_name", "push"),
    ("steps.changes.outputs.changed", "true"),
    ("steps.my-step.outputs.value", "1.5"),
    ("github.event.pull_request.base.sha", None),
    ("github.ref.length", None),
    ("values.object", EMPTY_OBJECT),
    # ! and truthiness: false, 0, -0, NaN, '' and null are the falsy values
    ("!true", False),
    ("!false", True),
    ("!null", True),
    ("!0", True),
    ("!-0", True),
    ("!values.nan", True),
    ("!''", True),
    ("!1", False),
    ("!-1", False),
    ("!'false'", False),
    ("!'0'", False),
    ("!' '", False),
    ("!values.object", False),
    ("!values.array", False),
    ("!!'text'", True),
    ("!!''", False),
    # == and != on one type: strings ignore case
    ("'abc' == 'abc'", True),
    ("'ABC' == 'abc'", True),
    ("github.event_name == 'PUSH'", True),
    ("'abc' == 'abd'", False),
    ("'a' != 'A'", False),
    ("'a' != 'b'", True),
    ("1 == 1.0", True),
    ("0 == -0", True),
    ("1 != 2", True),
    ("true == true", True),
    ("true == false", False),
    ("null == null", True),
    ("values.nan == values.nan", False),
    ("values.nan != values.nan", True),
    ("values.object == values.same_object", True),
    ("values.object == values.other_object", False),
    ("values.array == values.array", True),
    # == across types: both sides become numbers
    ("null == 0", True),
    ("null == false", True),
    ("null == ''", True),
    ("true == 1", True),
    ("false == 0", True),
    ("true == 2", False),
    ("'' == 0", True),
    ("'1' == 1", True),
    ("'1.5' == 1.5", True),
    ("steps.my-step.outputs.value == 1.5", True),
    ("steps.changes.outputs.count == 0", True),
    ("'-2.5e1' == -25", True),
    ("'abc' == 0", False),
    ("'abc' != 0", True),
    ("'true' == true", False),
    ("'1' == true", True),
    ("values.array == 0", False),
    ("values.object == 0", False),
    ("values.object != 0", True),
    # && and || return an operand
    ("'a' && 'b'", "b"),
    ("'' && 'b'", ""),
    ("0 && 'b'", 0),
    ("null && 'b'", None),
    ("'a' || 'b'", "a"),
    ("'' || 'b'", "b"),
    ("null || 0", 0),
    ("false || null", None),
    ("values.object || 'b'", EMPTY_OBJECT),
    ("values.array && 'b'", "b"),
    ("github.ref == 'refs/heads/main' && 'production' || 'staging'", "production"),
    ("github.ref == 'refs/heads/dev' && 'production' || 'staging'", "staging"),
    # precedence and grouping: ! before ==, == before &&, && before ||
    ("!true == false", True),
    ("!(true == false)", True),
    ("1 == 1 == true", True),
    ("true || false && false", True),
    ("(true || false) && false", False),
    ("false && true || true", True),
    ("false && (true || true)", False),
    ("((('nested')))", "nested"),
    # the generated workflows' own expressions
    ("secrets.RETRAIN_TOKEN || github.token", "ghs_token"),
    (
        "inputs.reason || github.event.client_payload.reason || github.event.action "
        "|| 'scheduled retraining'",
        "scheduled retraining",
    ),
    ("github.event.pull_request.base.sha || github.event.before", "abc123"),
    ("steps.changes.outputs.changed == 'true'", True),
]


@pytest.mark.parametrize(("expression", "expected"), VALUES)
def test_an_expression_has_githubs_value(expression, expected):
    value = evaluate(expression, CONTEXTS)
    assert value == expected or (value is expected), value
    assert type(value) is type(expected) or {type(value), type(expected)} <= {int, float}


# (expression, the job's status so far, expected): "" stands for neither success nor
# failure, as after a needed job that was skipped.
STATUS = [
    ("success()", "success", True),
    ("success()", "failure", False),
    ("success()", "", False),
    ("failure()", "success", False),
    ("failure()", "failure", True),
    ("failure()", "", False),
    ("always()", "success", True),
    ("always()", "failure", True),
    ("always()", "", True),
    ("cancelled()", "success", False),
    ("!cancelled()", "failure", True),
    ("success() || failure()", "failure", True),
    ("failure() && steps.changes.outputs.changed == 'true'", "failure", True),
]


@pytest.mark.parametrize(("expression", "status", "expected"), STATUS)
def test_status_functions_see_the_jobs_status(expression, status, expected):
    assert evaluate(expression, CONTEXTS, status) is expected


# (an `if:` as YAML gives it, the job's status so far, whether the step or job runs)
CONDITIONS = [
    ("steps.changes.outputs.changed == 'true'", "success", True),
    ("steps.changes.outputs.changed == 'true'", "failure", False),  # success() && (...)
    ("${{ steps.changes.outputs.changed == 'true' }}", "success", True),
    ("${{ !cancelled() }}", "failure", True),
    ("always()", "failure", True),
    ("failure()", "failure", True),
    ("failure()", "success", False),
    (True, "success", True),
    (True, "failure", False),  # a YAML boolean gets success() too
    (False, "success", False),
    ("0", "success", False),
    ("'false'", "success", True),  # a non-empty string is truthy
    ("values.object", "success", True),
    ("github.event.action", "success", False),
    ("'always()'", "failure", False),  # a string, not a call: success() still applies
    ("success()", "", False),
    ("always() && github.event_name == 'push'", "", True),
]


@pytest.mark.parametrize(("value", "status", "expected"), CONDITIONS)
def test_an_if_decides_as_on_github(value, status, expected):
    assert condition(value, CONTEXTS, status) is expected


# (a workflow value, what the runner makes of it)
SUBSTITUTIONS = [
    ("${{ github.ref }}", "refs/heads/main"),
    ("  ${{ 711 }}  ", 711),  # one expression keeps its type
    ("${{ true }}", True),
    ("${{ null }}", None),
    ("ref: ${{ github.ref }}!", "ref: refs/heads/main!"),
    ("${{ null }}|${{ true }}|${{ false }}|${{ 711 }}|${{ 1.5 }}", "|true|false|711|1.5"),
    ("${{ github.event_name }}-${{ steps.my-step.outputs.value }}", "push-1.5"),
    ("multi\n${{ 'line' }}\ntext", "multi\nline\ntext"),
    ("no expression", "no expression"),
    (3, 3),
    (None, None),
]


@pytest.mark.parametrize(("value", "expected"), SUBSTITUTIONS)
def test_expressions_in_workflow_values_are_substituted(value, expected):
    assert substitute(value, CONTEXTS, "success") == expected


# (expression, part of the error): what the runner does not emulate, and malformed input
ERRORS = [
    ("1 < 2", "unsupported syntax at '< 2'"),
    ("1 >= 2", "unsupported syntax at '>= 2'"),
    ("github['ref']", "unsupported syntax at \"['ref']\""),
    ("github.event.*.x", "unsupported syntax at '*.x'"),
    ('"double quotes"', "unsupported syntax"),
    ("'unterminated", "unsupported syntax"),
    ("contains(github.ref, 'main')", "the function contains() is not emulated"),
    ("startsWith(github.ref, 'refs/')", "the function startsWith() is not emulated"),
    ("endsWith(github.ref, 'main')", "the function endsWith() is not emulated"),
    ("format('{0}', github.ref)", "the function format() is not emulated"),
    ("join(github.event, ',')", "the function join() is not emulated"),
    ("toJSON(github)", "the function toJSON() is not emulated"),
    ("fromJSON('1')", "the function fromJSON() is not emulated"),
    ("hashFiles('uv.lock')", "the function hashFiles() is not emulated"),
    ("success(1)", "expected ')', found '1'"),
    ("(true", "it ends too early"),
    ("true &&", "it ends too early"),
    ("", "it ends too early"),
    ("&& true", "unexpected '&&'"),
    ("true false", "unexpected 'false'"),
    ("(true))", "unexpected ')'"),
    ("true, false", "unexpected ','"),
    ("vars.REGION", "uses the context 'vars', which this run does not supply"),
]


@pytest.mark.parametrize(("expression", "message"), ERRORS)
def test_unsupported_or_malformed_expressions_fail_the_run(expression, message):
    with pytest.raises(WorkflowError) as raised:
        evaluate(expression, CONTEXTS)
    assert message in str(raised.value)


def test_an_object_written_into_text_fails_the_run():
    with pytest.raises(WorkflowError, match="cannot write an object or array as text"):
        substitute("event: ${{ github.event }}", CONTEXTS, "success")


# ---------------------------------------------------------------- jobs and steps

WORKFLOW = """
name: status
on: push
jobs:
  fails:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Fail
        run: exit 1
      - name: Default condition
        run: echo skipped
      - name: Literal true
        if: true
        run: echo skipped
      - name: After failure
        if: failure()
        run: echo ran
      - name: Not cancelled
        if: ${{ !cancelled() }}
        run: echo ran
  default:
    needs: fails
    runs-on: ubuntu-latest
    steps:
      - run: echo skipped
  cleanup:
    needs: fails
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Needed result
        run: echo "${{ needs.fails.result }}" > result.txt
      - name: Outputs
        id: out
        run: echo "answer=${{ 6 == '6' }}" >> "$GITHUB_OUTPUT"
  report:
    needs: fails
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Report
        run: echo reported
  after-skip:
    needs: default
    runs-on: ubuntu-latest
    steps:
      - run: echo skipped
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_status_functions_decide_which_jobs_and_steps_run(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "--quiet")
    (project / "README.md").write_text("status\n")
    _git(project, "add", "-A")
    _git(
        project, "-c", "user.name=Test", "-c", "user.email=test@example.com",
        "commit", "--quiet", "-m", "first",
    )  # fmt: skip
    workflow = tmp_path / "status.yml"
    workflow.write_text(textwrap.dedent(WORKFLOW))
    github = {
        "event_name": "push",
        "sha": _git(project, "rev-parse", "HEAD"),
        "ref": "refs/heads/main",
        "ref_name": "main",
        "repository": "example/status",
    }
    run = WorkflowRun(project, workflow, work_dir=tmp_path / "run", github=github).run()

    steps = {(result.job, result.name): result.status for result in run.results()}
    assert steps[("fails", "Fail")] == "failed"
    assert steps[("fails", "Default condition")] == "skipped"
    assert steps[("fails", "Literal true")] == "skipped"
    assert steps[("fails", "After failure")] == "passed"
    assert steps[("fails", "Not cancelled")] == "passed"
    assert run.job_results == {
        "fails": "failure",
        "default": "skipped",
        "cleanup": "success",
        "report": "success",
        "after-skip": "skipped",
    }
    cleanup = run.jobs["cleanup"]
    assert (cleanup.workspace / "result.txt").read_text() == "failure\n"
    assert cleanup.steps["out"]["outputs"] == {"answer": "true"}
