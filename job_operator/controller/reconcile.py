"""One idempotent reconcile: validate, converge the owned objects, write the status.

It reads before it writes: an object that already holds what the builder wants is not
touched, and a status that would not change is not patched, so reconciling an unchanged
DynamicJob costs only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubernetes.client.exceptions import ApiException

from job_operator.builders import desired_objects
from job_operator.controller.conditions import (
    REFUSED_REASONS,
    Observation,
    degraded,
    merge_conditions,
    ready,
    reconciling,
    stalled,
    suspended,
)
from job_operator.controller.drift import holds, replacement
from job_operator.controller.live import LiveObjects
from job_operator.controller.refusal import refusal
from job_operator.kube import Kube
from job_operator.metrics.registry import RECONCILE_ERRORS, RECONCILE_SECONDS
from job_operator.schedule import Schedule
from job_operator.settings import Settings
from job_operator.validation import Problem, format_problems, validate_dynamicjob
from job_runner.api import (
    Condition,
    DynamicJob,
    DynamicJobStatus,
    ScheduleStatus,
    read_status,
    rfc3339,
    status_patch,
)

NEXT_RUNS = 5


@dataclass
class Outcome:
    """What a reconcile did, for events and logs."""

    problems: list[Problem] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    status_changed: bool = False
    ready_changed: bool = False
    cronjob: dict[str, Any] | None = None
    """The DynamicJob's CronJob as it stands after the reconcile (as read, or as applied)."""
    job: DynamicJob | None = None
    """The DynamicJob as parsed, when it is valid (for what follows the reconcile)."""
    refused: str = ""
    """The API server's reason when it refused an owned object or the status: the job is
    Stalled until its spec changes (retrying the same request would be refused again)."""


def schedule_status(schedule: Schedule, now: datetime) -> ScheduleStatus:
    return ScheduleStatus(
        description=schedule.description,
        next_runs=[rfc3339(run) for run in schedule.next_runs(now, NEXT_RUNS)],
        never_fires=schedule.never_fires,
    )


def _current_conditions(body: Mapping[str, Any]) -> list[Condition]:
    """The conditions as stored, each parsed on its own: an odd one (or an unexpected key
    elsewhere in the status) must not reset the others' transition times, which would
    rewrite the status on every reconcile."""
    return read_status(body.get("status")).conditions


def _refused_before(body: Mapping[str, Any]) -> Condition | None:
    """The Stalled condition of a refusal recorded for this very generation, if any."""
    generation = body["metadata"].get("generation")
    for condition in _current_conditions(body):
        if (condition.type == "Stalled" and condition.status == "True"
                and condition.reason in REFUSED_REASONS
                and condition.observed_generation == generation):
            return condition
    return None


def _safe_schedule_status(schedule: Schedule | None, now: datetime) -> ScheduleStatus | None:
    """Shown even when other fields are invalid, if the schedule and zone are valid."""
    return schedule_status(schedule, now) if schedule is not None else None


def _controlled_by(live: Mapping[str, Any], uid: str | None) -> bool:
    return any(ref.get("controller") and ref.get("uid") == uid
               for ref in live.get("metadata", {}).get("ownerReferences") or [])


def _name_taken(label: str) -> Problem:
    return Problem("metadata.name", (
        f"{label} already exists and does not belong to this DynamicJob; rename the "
        "DynamicJob or remove that object"))


def _create_or_replace(kube: Kube, obj: dict[str, Any], current: dict[str, Any] | None,
                       ) -> dict[str, Any]:
    return kube.create(obj) if current is None else kube.replace(replacement(obj, current))


def _write(kube: Kube, job: DynamicJob, obj: dict[str, Any], label: str,
           current: dict[str, Any] | None) -> dict[str, Any] | Problem:
    """Create ``obj``, or replace ``current`` with it: the object as the API server
    stored it, or the problem when the name belongs to someone else.

    A create is refused (409) when the name is taken, so an object nobody watched for
    (the watches select our label) is never taken over, and no read comes first. A
    replace carries the resourceVersion it was judged on: after a conflict the object is
    read again and judged once more; a second conflict is left to the caller's retry."""
    try:
        return _create_or_replace(kube, obj, current)
    except ApiException as error:
        if error.status != 409:
            raise
    metadata = obj["metadata"]
    current = kube.get(obj["kind"], metadata["namespace"], metadata["name"])
    if current is not None and not _controlled_by(current, job.metadata.uid):
        return _name_taken(label)
    if current is not None and holds(obj, current):
        return current
    return _create_or_replace(kube, obj, current)


def _converge(job: DynamicJob, kube: Kube, settings: Settings, outcome: Outcome,
              live: LiveObjects | None, progressing: Callable[[list[str]], None]) -> None:
    """Bring every owned object in line; nothing is written if any name is taken.
    ``progressing`` is told what will be written, before the first write."""
    read = kube.get if live is None else live.get
    owned = []
    for obj in desired_objects(job, settings):
        metadata = obj["metadata"]
        label = f"{obj['kind']}/{metadata['name']}"
        found = read(obj["kind"], metadata["namespace"], metadata["name"])
        if found is not None and not _controlled_by(found, job.metadata.uid):
            outcome.problems.append(_name_taken(label))
        owned.append((obj, label, found))
    if outcome.problems:
        return
    pending = [label for obj, label, found in owned if found is None or not holds(obj, found)]
    if pending:
        progressing(pending)
    for obj, label, found in owned:
        if label in pending:
            try:
                written = _write(kube, job, obj, label, found)
            except ApiException as error:
                reason = refusal(error)
                if reason is None:
                    raise
                outcome.refused = f"the API server refused {label}: {reason}"
                outcome.problems = [Problem("spec", outcome.refused)]
                return
            if isinstance(written, Problem):
                outcome.problems = [written]
                return
            if live is not None:
                live.applied(written)
            (outcome.created if found is None else outcome.applied).append(label)
            found = written
        if obj["kind"] == "CronJob":
            outcome.cronjob = found


def _write_status(
    body: Mapping[str, Any], kube: Kube, observed: list[Observation],
    schedule: ScheduleStatus | None, cron_job_name: str | None, now: datetime, outcome: Outcome,
    live: LiveObjects | None = None,
) -> None:
    metadata = body["metadata"]
    current = _current_conditions(body)
    generation = metadata.get("generation")
    conditions = merge_conditions(current, observed, generation, rfc3339(now))
    wanted = status_patch(DynamicJobStatus(
        observed_generation=generation, conditions=conditions, schedule=schedule,
        cron_job_name=cron_job_name))
    have = body.get("status") or {}
    if all(have.get(key) == value for key, value in wanted.items()):
        return
    outcome.status_changed = True
    try:
        written = kube.patch_status("DynamicJob", metadata["namespace"], metadata["name"],
                                    wanted)
        if live is not None:
            live.applied(written)
    except ApiException as error:
        reason = refusal(error)
        if reason is None:
            raise
        outcome.refused = f"the API server refused the status update: {reason}"
        outcome.problems = [*outcome.problems, Problem("status", outcome.refused)]
        conditions = merge_conditions(current, stalled("StatusRefused", outcome.refused),
                                      generation, rfc3339(now))
        kube.patch_status("DynamicJob", metadata["namespace"], metadata["name"], status_patch(
            DynamicJobStatus(observed_generation=generation, conditions=conditions)))
    outcome.ready_changed = _ready(current) != _ready(conditions)


def _ready(conditions: list[Condition]) -> tuple[str, str] | None:
    """Ready's status and reason: a change of either is worth an Event."""
    found = [(c.status, c.reason) for c in conditions if c.type == "Ready"]
    return found[0] if found else None


def _mark_reconciling(body: Mapping[str, Any], kube: Kube, pending: list[str], now: datetime,
                      live: LiveObjects | None) -> dict[str, Any]:
    """Write Reconciling=True (unless it is already) and return the body with the status
    as written, for the reconcile's final status to start from.

    Not for a job never reconciled: without conditions it reads as in progress to every
    health check already (kstatus, Argo CD's, Flux's expressions), so that write would
    only add one to each create."""
    metadata = body["metadata"]
    current = _current_conditions(body)
    if not current or any(c.type == "Reconciling" and c.status == "True" for c in current):
        return dict(body)
    conditions = merge_conditions(current, reconciling(f"applying {', '.join(pending)}",
                                                       current),
                                  metadata.get("generation"), rfc3339(now))
    patch = {"conditions": status_patch(DynamicJobStatus(conditions=conditions))["conditions"]}
    written = kube.patch_status("DynamicJob", metadata["namespace"], metadata["name"], patch)
    if live is not None:
        live.applied(written)
    return {**body, "status": {**(body.get("status") or {}), **patch}}


def reconcile(
    body: Mapping[str, Any], kube: Kube, settings: Settings, now: datetime | None = None,
    siblings: Mapping[str, list[str]] | None = None, live: LiveObjects | None = None,
) -> Outcome:
    """``siblings``: the namespace's other jobs and their dependsOn, for the cycle check.
    ``live``: the watch-fed objects to read instead of GETs (None: GET each)."""
    with RECONCILE_SECONDS.time():
        try:
            return _reconcile(body, kube, settings, now, siblings, live)
        except Exception:
            RECONCILE_ERRORS.inc()
            raise


def _reconcile(
    body: Mapping[str, Any], kube: Kube, settings: Settings, now: datetime | None,
    siblings: Mapping[str, list[str]] | None, live: LiveObjects | None,
) -> Outcome:
    moment = now or datetime.now(UTC)
    refused = _refused_before(body)
    if refused is not None:  # the same request would be refused again: wait for a new spec
        return Outcome(problems=[Problem("spec", refused.message)], refused=refused.message)
    validated = validate_dynamicjob(body, siblings=siblings)
    outcome = Outcome(problems=validated.problems)
    if validated.job is None:
        observed = [*stalled("InvalidSpec", format_problems(outcome.problems)), degraded(body)]
        cron_job_name = read_status(body.get("status")).cron_job_name
        _write_status(body, kube, observed, _safe_schedule_status(validated.schedule, moment),
                      cron_job_name, moment, outcome, live)
        return outcome
    job = outcome.job = validated.job

    def progressing(pending: list[str]) -> None:
        nonlocal body
        body = _mark_reconciling(body, kube, pending, moment, live)

    _converge(job, kube, settings, outcome, live, progressing)
    if outcome.problems:
        message = outcome.refused or format_problems(outcome.problems)
        reason = "Refused" if outcome.refused else "NameTaken"
        observed = [*stalled(reason, message), degraded(body)]
        _write_status(body, kube, observed, _safe_schedule_status(validated.schedule, moment),
                      read_status(body.get("status")).cron_job_name, moment, outcome, live)
        return outcome
    assert validated.schedule is not None  # a valid job has a valid schedule
    schedule = schedule_status(validated.schedule, moment)
    in_sync = f"CronJob {job.metadata.name} is in sync"
    observed = [
        *(ready(f"{in_sync}, but the schedule matches no date, so it never runs",
                "NeverFires") if schedule.never_fires else ready(in_sync)),
        suspended(body),
        degraded(body),
    ]
    _write_status(body, kube, observed, schedule, job.metadata.name, moment, outcome, live)
    return outcome
