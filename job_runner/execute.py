"""Run one template once: validation, deadline, cancellation and retries. No Kubernetes.

The template runs in a worker thread so that the caller keeps control of the clock: a run
past its deadline becomes a clean `TimedOut` outcome even if the template never checks in
(the worker is told through ``ctx.cancelled`` and given a short grace period to stop).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from job_runner.api import AttemptRecord, RunRecord, rfc3339
from job_runner.registry import validate_parameters
from job_runner.template import (
    Cancelled,
    DeadlineExceeded,
    RunContext,
    RunLogger,
    SecretRef,
    Template,
    TemplateError,
)

Result = Literal["Succeeded", "Failed", "TimedOut", "Cancelled"]
MAX_OUTPUT_BYTES = 8192
MAX_BACKOFF_SECONDS = 600.0
POLL_SECONDS = 0.05
log = logging.getLogger("dynamicjobs.runner")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunOutcome:
    """How one execution went, with its clock times; `record` is its run record."""

    run_id: str
    result: Result
    started_at: datetime
    finished_at: datetime
    attempts: list[AttemptRecord] = field(default_factory=list)
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False

    def record(self) -> RunRecord:
        """The run as status.recentRuns holds it (the caller adds its trigger)."""
        return RunRecord(
            id=self.run_id, result=self.result, started_at=rfc3339(self.started_at),
            finished_at=rfc3339(self.finished_at), attempts=len(self.attempts),
            attempt_history=self.attempts, message=self.message, outputs=self.outputs,
            dry_run=self.dry_run,
        )


@dataclass
class _AttemptResult:
    result: Result
    message: str
    outputs: dict[str, Any] = field(default_factory=dict)


def _classify(error: BaseException) -> _AttemptResult:
    if isinstance(error, DeadlineExceeded):
        return _AttemptResult("TimedOut", str(error))
    if isinstance(error, Cancelled):
        return _AttemptResult("Cancelled", str(error))
    if isinstance(error, TemplateError):
        return _AttemptResult("Failed", str(error))
    return _AttemptResult("Failed", f"{type(error).__name__}: {error}")


def _checked_outputs(template: type[Template], outputs: Any, ctx: RunContext) -> _AttemptResult:
    """The attempt's outputs as the run record will hold them.

    Outputs that are not a JSON object fail the attempt: status could not hold them. Outputs
    that break the template's declared `Template.Outputs` (a key it does not declare, a
    value of another type, a key every run has that is missing) are a bug of the template,
    yet they are only logged (a warning naming each problem, with the template's name), and
    the outputs are kept as returned: by then the work is done (the backup written, the mail
    sent), so failing the run would report a success as a failure and its retries would do
    the work again. The tests hold the built-in templates to their models (tests/unit/
    test_template_outputs.py); the warning tells a plugin's author. A dry run's plan is
    another shape and is not checked.
    """
    if not isinstance(outputs, dict):
        return _AttemptResult("Failed", f"template returned {type(outputs).__name__}, not a dict")
    try:
        encoded = json.dumps(outputs)
    except (TypeError, ValueError) as error:
        return _AttemptResult("Failed", f"template outputs are not JSON-serialisable: {error}")
    problems = [] if ctx.dry_run else template.output_problems(outputs)
    if problems:
        ctx.logger.warning("outputs differ from the template's declared Outputs",
                           extra={"problems": problems})
    if len(encoded) > MAX_OUTPUT_BYTES:
        ctx.logger.warning("outputs too large for status, dropped", extra={"bytes": len(encoded)})
        return _AttemptResult("Succeeded", "", {"outputsDropped": True, "bytes": len(encoded)})
    return _AttemptResult("Succeeded", "", outputs)


def _attempt(
    template: type[Template], params: BaseModel, ctx: RunContext, grace_seconds: float
) -> _AttemptResult:
    """One attempt in a worker thread, bounded by the context's deadline and cancellation."""
    box: list[_AttemptResult] = []

    def work() -> None:
        try:
            instance = template()
            work_fn = instance.plan if ctx.dry_run else instance.run
            box.append(_checked_outputs(template, work_fn(params, ctx), ctx))
        except BaseException as error:
            if not isinstance(error, TemplateError | Cancelled | DeadlineExceeded):
                ctx.logger.error("attempt raised", exc_info=True)
            box.append(_classify(error))

    worker = threading.Thread(target=work, name=f"run-{ctx.run_id}-{ctx.attempt}", daemon=True)
    worker.start()
    while worker.is_alive() and not ctx.cancelled.is_set() and ctx.remaining() > 0:
        worker.join(timeout=max(0.0, min(POLL_SECONDS, ctx.remaining())))
    timed_out = ctx.remaining() <= 0
    interrupted = timed_out or ctx.cancelled.is_set()
    if worker.is_alive():
        ctx.cancelled.set()
        worker.join(timeout=grace_seconds)
    if box and (box[0].result == "Succeeded" or not interrupted):
        return box[0]
    how = "; the template did not stop within the grace period" if worker.is_alive() else ""
    if timed_out:
        return _AttemptResult("TimedOut", f"the run exceeded its timeout{how}")
    return _AttemptResult("Cancelled", f"the run was cancelled{how}")


def execute(
    template: type[Template],
    raw_params: dict[str, Any],
    *,
    run_id: str,
    timeout_seconds: float | None,
    retry_limit: int = 0,
    backoff_seconds: float = 0,
    dry_run: bool = False,
    secrets: Callable[[SecretRef], str],
    job: str | None = None,
    namespace: str | None = None,
    cancelled: threading.Event | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    grace_seconds: float = 5.0,
) -> RunOutcome:
    """Validate the parameters, then run (or plan) the template with retries.

    `sleep` waits between attempts; by default it is a wait on `cancelled`, so a SIGTERM
    during backoff ends the run at once.
    """
    cancelled = cancelled if cancelled is not None else threading.Event()
    wait = sleep if sleep is not None else cancelled.wait
    started_at = _now()
    deadline = clock() + timeout_seconds if timeout_seconds is not None else float("inf")
    logger = RunLogger(
        logging.getLogger(f"dynamicjobs.template.{template.name}"),
        {"runId": run_id, "template": template.name, "job": job, "namespace": namespace},
    )

    def outcome(result: Result, message: str, outputs: dict[str, Any] | None = None) -> RunOutcome:
        return RunOutcome(
            run_id, result, started_at, _now(), attempts, message, outputs or {}, dry_run
        )

    attempts: list[AttemptRecord] = []
    problems = validate_parameters(template, raw_params)
    if problems:
        text = "; ".join(f"{path}: {message}" for path, message in problems)
        return outcome("Failed", f"invalid parameters: {text}")
    params = template.Parameters.model_validate(raw_params)

    for attempt in range(1, retry_limit + 2):
        attempt_logger = RunLogger(logger.logger, {**(logger.extra or {}), "attempt": attempt})
        ctx = RunContext(
            run_id=run_id, job=job, namespace=namespace, attempt=attempt, dry_run=dry_run,
            deadline=deadline, logger=attempt_logger, cancelled=cancelled, secrets=secrets,
            clock=clock,
        )
        attempt_started = _now()
        attempt_logger.info("attempt started", extra={"dryRun": dry_run})
        result = _attempt(template, params, ctx, grace_seconds)
        attempts.append(AttemptRecord(
            attempt=attempt, started_at=rfc3339(attempt_started), finished_at=rfc3339(_now()),
            result=result.result, message=result.message,
        ))
        attempt_logger.info(
            "attempt finished", extra={"result": result.result, "detail": result.message}
        )
        if result.result != "Failed" or attempt > retry_limit:
            return outcome(result.result, result.message, result.outputs)
        delay = min(backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
        if clock() + delay >= deadline:
            return outcome("Failed", f"{result.message} (no retry: the timeout would pass first)")
        wait(delay)
        if cancelled.is_set():
            return outcome("Cancelled", f"cancelled while waiting to retry: {result.message}")
    raise AssertionError("unreachable")
