"""What one `make -k all` said: the steps that failed, the failed tests, the first error
line, any traceback, and the verdict the sweep gives it.

Verdicts:
- ``green``: `make all` exited 0 and the gate passed;
- ``gate``: stopped by the gate alone: the gate refused the model (reports/gate.json), the
  pipeline failed at the gate and nowhere else, and every failed test failed on the gate;
- ``red``: anything else (a step failed for another reason, a test failed on something
  other than the gate, a timeout, a copy that did not adopt the data).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# The prerequisites of `make all`, in the Makefile's order.
STEPS = ("setup", "lint", "typecheck", "test", "pipeline", "metrics")
_FAILED_TARGET = re.compile(r"^make: \*\*\* \[[^\]]*?:\d+: (?P<target>[\w-]+)\] Error \d+", re.M)
_FAILED_TEST = re.compile(r"^(?P<kind>FAILED|ERROR) (?P<test>\S+)(?: - (?P<message>.*))?$", re.M)
_PYTEST_SUMMARY = re.compile(r"^=+ (?P<summary>(?:\d+ \w+(?:, )?)+.*?) =+$", re.M)
_ERROR_LINE = re.compile(r"^(?:error: |ERROR: ).*$", re.M)
_GATE_REFUSED = "model gate failed"
_DVC_FAILED_STAGE = re.compile(r"failed to reproduce '(?P<stage>[\w-]+)'")


@dataclass
class Outcome:
    verdict: str
    failed_steps: list[str] = field(default_factory=list)
    failed_tests: list[dict[str, str]] = field(default_factory=list)
    pytest_summary: str | None = None
    failed_stage: str | None = None  # the DVC stage `make pipeline` stopped at
    first_error: str | None = None
    traceback: str | None = None  # the exception line of the first traceback printed
    finding: str | None = None  # one line: why it is not green

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def first_traceback(log: str) -> str | None:
    """The exception line that ends the first ``Traceback`` block of ``log``, if any."""
    start = log.find("Traceback (most recent call last)")
    if start < 0:
        return None
    for line in log[start:].splitlines()[1:]:
        if line and not line.startswith((" ", "\t")):
            return line.strip()
    return "Traceback (unterminated)"


def first_error(log: str) -> str | None:
    """The line that says best what went wrong first: whichever comes first of a command's
    one-line ``error:`` and pytest's first failed test with its message; else the last line
    make printed before giving up on a step."""
    found = [m for m in (_ERROR_LINE.search(log), _FAILED_TEST.search(log)) if m is not None]
    if found:
        first = min(found, key=lambda match: match.start())
        if first.re is _FAILED_TEST:
            return f"{first.group('test')}: {first.group('message') or '(no message)'}"
        return first.group(0).strip()
    failed = _FAILED_TARGET.search(log)
    if failed:
        before = [line for line in log[: failed.start()].splitlines() if line.strip()]
        return before[-1].strip() if before else None
    return None


def gate_finding(gate: dict[str, Any], margin: float, lower_is_better: bool) -> str:
    """The one line a statistician signs: the model against the baseline, with the figures."""
    model, baseline, metric = gate["model"], gate["baseline"], gate["metric"]
    lead = baseline - model if lower_is_better else model - baseline
    how = f"better by {lead:.4g}" if lead > 0 else f"worse by {-lead:.4g}" if lead else "level"
    return (
        f"the model does not beat the baseline by the gate's margin: {metric} {model:.4g} "
        f"against the baseline's {baseline:.4g} on the test split, {how} where "
        f"gate.min_improvement_over_baseline asks {margin:g}"
    )


def with_score(outcome: Outcome, score: dict[str, Any] | None) -> Outcome:
    """A green ``outcome`` turned red when the ML Test Score falls below its min_score: the
    generated CI's ML Test Score job fails on that, though `make all` does not."""
    if outcome.verdict != "green" or not score or score.get("passed") is not False:
        return outcome
    outcome.verdict = "red"
    outcome.failed_steps = ["ml-test-score"]
    outcome.finding = (
        f"red in the generated CI's ML Test Score job: {score['score']:g} is below "
        f"ml_test_score.min_score {score['min_score']:g} (`make all` exited 0)"
    )
    return outcome


def judge(
    log: str,
    returncode: int | None,
    gate: dict[str, Any] | None,
    margin: float | None,
    lower_is_better: bool,
) -> Outcome:
    """The verdict on one `make -k all` run (``returncode`` None: it timed out)."""
    steps = [m.group("target") for m in _FAILED_TARGET.finditer(log)]
    tests = [
        {"test": m.group("test"), "kind": m.group("kind"), "message": m.group("message") or ""}
        for m in _FAILED_TEST.finditer(log)
    ]
    summaries = _PYTEST_SUMMARY.findall(log)
    stage = _DVC_FAILED_STAGE.search(log)
    outcome = Outcome(
        verdict="red",
        failed_steps=[step for step in STEPS if step in steps] + sorted(set(steps) - set(STEPS)),
        failed_tests=tests,
        pytest_summary=summaries[-1] if summaries else None,
        failed_stage=stage.group("stage") if stage else None,
        first_error=first_error(log),
        traceback=first_traceback(log),
    )
    refused = gate is not None and gate.get("passed") is False
    if returncode == 0 and gate is not None and gate.get("passed") is True:
        outcome.verdict = "green"
    elif returncode == 0:
        outcome.finding = "`make all` exited 0 but wrote no passing gate report"
    elif returncode is None:
        outcome.finding = "`make all` timed out"
    elif (
        refused
        and set(outcome.failed_steps) <= {"test", "pipeline"}
        and "pipeline" in outcome.failed_steps
        and outcome.failed_stage == "gate"
        and _GATE_REFUSED in log
        and all("gate" in test["message"] for test in tests)
    ):
        outcome.verdict = "gate"
        outcome.finding = gate_finding(gate, margin or 0.0, lower_is_better)
    else:
        where = ", ".join(outcome.failed_steps) or "no step named"
        outcome.finding = f"red in {where}: {outcome.first_error or outcome.traceback or '?'}"
    return outcome
