"""Runs as the operator records them from their Jobs and pods.

Runner pods never call the API. The operator writes every run into its DynamicJob's
status: ``Running`` when the run's Job has a pod, then the record the runner left in its
container's termination message (`job_runner.termination`) when the pod ends, or, when
the pod died before writing one, what the Job and pod tell (`job_operator.runs.lost`).

Each decision is made on the DynamicJob as the watch last saw it, so a Job seen again
(a restart lists them all) writes nothing and reads nothing when its run is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from job_operator.runs.lost import job_condition, job_overrides, job_trigger
from job_runner.api import FINISHED_RESULTS, RunRecord, normalised
from job_runner.contract import ANNOTATION_NOTIFIES_RUN, ENV_SPEC
from job_runner.termination import read_termination_message


def job_finished(job: Mapping[str, Any]) -> bool:
    return job_condition(job, "Complete") is not None or job_condition(job, "Failed") is not None


def notifies_only(job: Mapping[str, Any]) -> bool:
    """A Job that runs the notifiers of a run that had no pod (a missed one): no run itself."""
    return ANNOTATION_NOTIFIES_RUN in (job["metadata"].get("annotations") or {})


def _dry_run(job: Mapping[str, Any]) -> bool:
    """From the spec snapshot in the pod template's environment."""
    containers = (((job.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers") or [{}]
    for variable in containers[0].get("env") or []:
        if variable.get("name") == ENV_SPEC:
            try:
                return bool(json.loads(variable.get("value") or "{}").get("dryRun", False))
            except (ValueError, AttributeError):
                return False
    return False


def started_run(job: Mapping[str, Any]) -> RunRecord | None:
    """``Running`` for a Job with a pod that has not finished; None for any other Job."""
    status = job.get("status") or {}
    if job_finished(job) or notifies_only(job) or not status.get("active"):
        return None
    annotations = job["metadata"].get("annotations") or {}
    return RunRecord(id=job["metadata"]["name"], trigger=job_trigger(annotations),
                     started_at=normalised(status.get("startTime")), result="Running",
                     attempts=0, dry_run=_dry_run(job),
                     parameter_overrides=job_overrides(annotations) or {})


def reported_run(pods: Sequence[Mapping[str, Any]]) -> RunRecord | None:
    """The record a runner left in its termination message, from the first pod with one."""
    for pod in pods:
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (container.get("state") or {}).get("terminated") or {}
            record = read_termination_message(terminated.get("message"))
            if record is not None:
                return record
    return None


def is_recorded(run_id: str, recent: Sequence[RunRecord], notified: bool = False) -> bool:
    """The status's ``recent`` runs hold a finished record of ``run_id`` (for a
    notifiers-only Job: one with its notifications)."""
    for record in recent:
        if record.id == run_id:
            return bool(record.notifications) if notified else record.result in FINISHED_RESULTS
    return False


def needs_writing(record: RunRecord, recent: Sequence[RunRecord]) -> bool:
    """``Running`` only where the run has no record yet; a finished record unless the same
    one is there already."""
    existing = next((r for r in recent if r.id == record.id), None)
    if record.result == "Running":
        return existing is None
    return existing is None or existing.to_api() != record.to_api()
