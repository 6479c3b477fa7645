"""Runs whose pod died before the runner could report: recorded from the failed Job.

The runner reports its run in its pod's termination message (`job_operator.runs.reported`).
When its pod is OOM-killed, evicted, or stopped at the Job's activeDeadlineSeconds, there
is none; the operator records the run from the failed Job, with the most specific reason
it can find.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from job_runner.api import FINISHED_RESULTS, RunRecord, RunTrigger, normalised
from job_runner.api.times import sort_key
from job_runner.contract import ANNOTATION_RUN_PARAMETERS, ANNOTATION_TRIGGER


def job_condition(job: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    """The Job's condition of type ``kind`` when it is True (Complete, Failed, ...)."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
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


def aged_out(started_at: str | None, recent: Sequence[RunRecord], history_limit: int) -> bool:
    """Older than every run the status remembers (``recent``), with the history full: a
    run recorded long ago and dropped from the history, not one to record again."""
    return bool(started_at) and len(recent) >= history_limit and sort_key(started_at) < min(
        r.started() for r in recent)


def lost_run_record(
    job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], recent: Sequence[RunRecord],
    history_limit: int = 10,
) -> RunRecord | None:
    """The record to write for a failed Job the runner did not report, else None.
    ``recent``: the runs the DynamicJob's status holds."""
    failed = job_condition(job, "Failed")
    if failed is None:
        return None
    run_id = job["metadata"]["name"]
    if any(r.id == run_id and r.result in FINISHED_RESULTS for r in recent):
        return None
    started = normalised((job.get("status") or {}).get("startTime"))
    if aged_out(started, recent, history_limit):
        return None
    job_reason = failed.get("reason") or "Failed"
    timed_out = job_reason == "DeadlineExceeded"
    pod_reason = pod_failure_reason(pods)
    detail = pod_reason or failed.get("message") or job_reason
    message = (f"the Job hit its deadline ({detail})" if timed_out
               else f"the pod failed without reporting: {detail}")
    annotations = job["metadata"].get("annotations") or {}
    return RunRecord(
        id=run_id,
        trigger=job_trigger(annotations),
        started_at=started,
        finished_at=normalised(failed.get("lastTransitionTime")),
        result="TimedOut" if timed_out else "Failed",
        attempts=1,
        message=message,
        parameter_overrides=job_overrides(annotations) or {},
    )


def job_trigger(annotations: Mapping[str, str]) -> RunTrigger:
    """What started a Job: the operator marks the ones it starts itself."""
    trigger = annotations.get(ANNOTATION_TRIGGER)
    return "Manual" if trigger == "Manual" else (
        "Dependency" if trigger == "Dependency" else "Schedule")


def job_overrides(annotations: Mapping[str, str]) -> dict[str, Any] | None:
    """The overrides our builder stamped on a manual run's Job (none if hand-edited away)."""
    text = annotations.get(ANNOTATION_RUN_PARAMETERS)
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
