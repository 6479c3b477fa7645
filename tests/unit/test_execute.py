from __future__ import annotations

import re
import threading
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from job_runner.execute import execute
from job_runner.template import RunContext, Template, TemplateError


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")
    failures: int = Field(default=0, description="Attempts that fail before one succeeds.")
    mode: str = Field(default="ok", description="ok | boom | loop | hang | big")


class Scripted(Template[Script]):
    """A test template whose behaviour the parameters choose."""

    name: ClassVar[str] = "scripted"
    version: ClassVar[str] = "0.0.1"
    description: ClassVar[str] = "test"
    Parameters: ClassVar[type[BaseModel]] = Script
    examples: ClassVar[list[dict[str, Any]]] = [{}]
    release = threading.Event()

    def plan(self, params: Script, ctx: RunContext) -> dict[str, Any]:
        return {"planned": True, "attempt": ctx.attempt}

    def run(self, params: Script, ctx: RunContext) -> dict[str, Any]:
        if ctx.attempt <= params.failures:
            raise TemplateError(f"planned failure {ctx.attempt}")
        if params.mode == "boom":
            raise KeyError("missing")
        if params.mode == "loop":
            while True:
                ctx.check_cancelled()
                ctx.cancelled.wait(0.01)
        if params.mode == "hang":
            self.release.wait(30)
        if params.mode == "big":
            return {"blob": "x" * 20000}
        return {"attempt": ctx.attempt, "run": ctx.run_id}


def run(params: dict[str, Any], **kwargs: Any):
    options: dict[str, Any] = {"run_id": "r1", "timeout_seconds": 30, "secrets": lambda r: ""}
    options.update(kwargs)
    return execute(Scripted, params, **options)


def test_success_outcome_as_its_run_record():
    outcome = run({})
    data = outcome.record().to_api()
    assert data["result"] == "Succeeded" and data["outputs"] == {"attempt": 1, "run": "r1"}
    assert data["attempts"] == 1 and data["attemptHistory"][0]["result"] == "Succeeded"
    assert data["id"] == "r1" and data["dryRun"] is False
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"  # one form: UTC, milliseconds
    for text in (data["startedAt"], data["finishedAt"], data["attemptHistory"][0]["startedAt"]):
        assert re.fullmatch(stamp, text), text
    assert data["finishedAt"] >= data["startedAt"]


def test_invalid_parameters_fail_without_retry():
    outcome = run({"failures": "many", "nope": 1}, retry_limit=3)
    assert outcome.result == "Failed"
    assert "parameters.failures" in outcome.message and "nope" in outcome.message
    assert outcome.attempts == []


def test_retries_with_exponential_backoff_and_records():
    delays: list[float] = []
    outcome = run({"failures": 2}, retry_limit=3, backoff_seconds=2, sleep=delays.append)
    assert outcome.result == "Succeeded"
    assert [a.result for a in outcome.attempts] == ["Failed", "Failed", "Succeeded"]
    assert outcome.attempts[0].message == "planned failure 1"
    assert delays == [2, 4]
    assert outcome.outputs["attempt"] == 3


def test_retry_limit_exhausted_keeps_last_message():
    delays: list[float] = []
    outcome = run({"failures": 5}, retry_limit=1, backoff_seconds=1, sleep=delays.append)
    assert outcome.result == "Failed" and outcome.message == "planned failure 2"
    assert len(outcome.attempts) == 2 and delays == [1]


def test_no_retry_when_backoff_would_pass_the_deadline():
    outcome = run({"failures": 5}, retry_limit=3, backoff_seconds=60, timeout_seconds=5,
                  sleep=lambda s: None)
    assert outcome.result == "Failed" and len(outcome.attempts) == 1
    assert "no retry" in outcome.message


def test_unexpected_exception_message_names_the_type():
    outcome = run({"mode": "boom"})
    assert outcome.result == "Failed" and outcome.message == "KeyError: 'missing'"


def test_cooperative_template_times_out_cleanly():
    outcome = run({"mode": "loop"}, timeout_seconds=0.2, retry_limit=2)
    assert outcome.result == "TimedOut"
    assert len(outcome.attempts) == 1


def test_unresponsive_template_still_times_out():
    Scripted.release.clear()
    try:
        outcome = run({"mode": "hang"}, timeout_seconds=0.2, grace_seconds=0.1)
        assert outcome.result == "TimedOut"
        assert "did not stop within the grace period" in outcome.message
    finally:
        Scripted.release.set()


def test_external_cancellation():
    cancelled = threading.Event()
    timer = threading.Timer(0.1, cancelled.set)
    timer.start()
    outcome = run({"mode": "loop"}, cancelled=cancelled, timeout_seconds=30)
    timer.join()
    assert outcome.result == "Cancelled"


def test_cancellation_during_backoff_stops_retrying():
    cancelled = threading.Event()

    def cancel_instead_of_sleeping(seconds: float) -> None:
        cancelled.set()

    outcome = run({"failures": 5}, retry_limit=3, backoff_seconds=1,
                  cancelled=cancelled, sleep=cancel_instead_of_sleeping)
    assert outcome.result == "Cancelled" and len(outcome.attempts) == 1


def test_dry_run_calls_plan():
    outcome = run({"failures": 0}, dry_run=True)
    assert outcome.result == "Succeeded" and outcome.outputs == {"planned": True, "attempt": 1}
    assert outcome.record().dry_run is True


def test_oversized_outputs_are_dropped_not_failed():
    outcome = run({"mode": "big"})
    assert outcome.result == "Succeeded" and outcome.outputs["outputsDropped"] is True


def test_deadline_clock_is_injectable():
    now = [1000.0]
    outcome = run({"failures": 5}, retry_limit=5, backoff_seconds=10, timeout_seconds=25,
                  clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert outcome.result == "Failed"
    assert len(outcome.attempts) == 2
