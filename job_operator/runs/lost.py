"""Runs whose pod died before the runner could report: recorded from the failed Job.

The runner records its own runs. When its pod is OOM-killed, evicted, or stopped at the
Job's activeDeadlineSeconds, nothing is written; the operator sees the failed Job and
writes the run itself, with the most specific reason it can find.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from job_runner.api import FINISHED_RESULTS, RunRecord, normalised, read_status
from job_runner.api.times import sort_key
from job_runner.contract import ANNOTATION_RUN_PARAMETERS, ANNOTATION_TRIGGER


def _failed_condition(job: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Failed" and condition.get("status") == "True":
            return condition
    return None


def pod_failure_reason(pods: Sequence[Mapping[str, Any]]) -> str | None:
    """The most telling reason among a Job's pods: Evicted, OOMKilled, or an exit code."""
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("reason"):
            return f"{status['reason']}: {status.get('message', '')}".rstrip(": ")
        for container in status.get("containerStatuses") or []:
            terminated = (container.get("state") or {}).get("terminated")
            if terminated and terminated.get("exitCode", 0) != 0:
                reason = terminated.get("reason") or "Error"
                return f"{reason} (exit code {terminated['exitCode']})"
    return None


def lost_run_record(
    job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], status: Mapping[str, Any],
    history_limit: int = 10,
) -> RunRecord | None:
    """The record to write for a failed Job the runner did not report, else None.
    ``status`` is the DynamicJob's status as stored."""
    failed = _failed_condition(job)
    if failed is None:
        return None
    run_id = job["metadata"]["name"]
    recent = read_status(status).recent_runs
    if any(r.id == run_id and r.result in FINISHED_RESULTS for r in recent):
        return None
    started = normalised((job.get("status") or {}).get("startTime"))
    if started and len(recent) >= history_limit and sort_key(started) < min(
            r.started() for r in recent):
        return None  # older than everything remembered: aged out of the history, not lost
    job_reason = failed.get("reason") or "Failed"
    timed_out = job_reason == "DeadlineExceeded"
    pod_reason = pod_failure_reason(pods)
    detail = pod_reason or failed.get("message") or job_reason
    message = (f"the Job hit its deadline ({detail})" if timed_out
               else f"the pod failed without reporting: {detail}")
    annotations = job["metadata"].get("annotations") or {}
    trigger = annotations.get(ANNOTATION_TRIGGER)
    return RunRecord(
        id=run_id,
        trigger=trigger if trigger in ("Manual", "Dependency") else "Schedule",
        started_at=started,
        finished_at=normalised(failed.get("lastTransitionTime")),
        result="TimedOut" if timed_out else "Failed",
        attempts=1,
        message=message,
        parameter_overrides=_overrides(annotations.get(ANNOTATION_RUN_PARAMETERS)) or {},
    )


def _overrides(text: str | None) -> dict[str, Any] | None:
    """The overrides our builder stamped on a manual run's Job (none if hand-edited away)."""
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
