"""One idempotent reconcile: validate, converge the owned objects, write the status.

It reads before it writes: an object that already holds what the builder wants is not
touched, and a status that would not change is not patched, so reconciling an unchanged
DynamicJob costs only reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from job_operator.builders import desired_objects
from job_operator.controller.conditions import Observation, merge_conditions, ready, stalled
from job_operator.controller.drift import holds
from job_operator.kube import Kube
from job_operator.schedule import Schedule
from job_operator.settings import Settings
from job_operator.validation import Problem, format_problems, validate_dynamicjob
from job_runner.api import Condition, DynamicJob, ScheduleStatus

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


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    conditions = []
    for raw in (body.get("status") or {}).get("conditions") or []:
        try:
            conditions.append(Condition.model_validate(raw))
        except ValidationError:
            continue
    return conditions


def _specific_for_problems(problems: list[Problem]) -> list[Observation]:
    def about(prefix: str) -> list[str]:
        return [str(p) for p in problems if p.field.startswith(prefix)]

    schedule = about("spec.schedule") + about("spec.timeZone")
    template = about("spec.template") + about("spec.parameters")
    return [
        Observation("ScheduleValid", "False", "InvalidSchedule", "; ".join(schedule))
        if schedule else Observation("ScheduleValid", "True", "Valid"),
        Observation("TemplateFound", "False", "InvalidTemplate", "; ".join(template))
        if template else Observation("TemplateFound", "True", "Found"),
        Observation("CronJobSynced", "False", "InvalidSpec",
                    "the CronJob is left as it was until the spec is fixed"),
    ]


def _safe_schedule_status(schedule: Schedule | None, now: datetime) -> ScheduleStatus | None:
    """Shown even when other fields are invalid, if the schedule and zone are valid."""
    return schedule_status(schedule, now) if schedule is not None else None


def _controlled_by(live: Mapping[str, Any], uid: str | None) -> bool:
    return any(ref.get("controller") and ref.get("uid") == uid
               for ref in live.get("metadata", {}).get("ownerReferences") or [])


def _foreign_objects(job: DynamicJob, kube: Kube, wanted: list[dict[str, Any]],
                     ) -> tuple[list[Problem], dict[str, dict[str, Any] | None]]:
    """Objects of our names that someone else owns: taking them over would rewrite them,
    and deleting the DynamicJob would then garbage-collect them."""
    problems, live_objects = [], {}
    for obj in wanted:
        metadata = obj["metadata"]
        label = f"{obj['kind']}/{metadata['name']}"
        live = kube.get(obj["kind"], metadata["namespace"], metadata["name"])
        live_objects[label] = live
        if live is not None and not _controlled_by(live, job.metadata.uid):
            problems.append(Problem("metadata.name", (
                f"{label} already exists and does not belong to this DynamicJob; rename the "
                "DynamicJob or remove that object")))
    return problems, live_objects


def _converge(job: DynamicJob, kube: Kube, settings: Settings, outcome: Outcome) -> None:
    """Bring every owned object in line; nothing is written if any name is taken."""
    wanted = desired_objects(job, settings)
    outcome.problems, live_objects = _foreign_objects(job, kube, wanted)
    if outcome.problems:
        return
    for obj in wanted:
        label = f"{obj['kind']}/{obj['metadata']['name']}"
        live = live_objects[label]
        if live is None or not holds(obj, live):
            applied = kube.apply(obj)
            (outcome.created if live is None else outcome.applied).append(label)
            live = applied
        if obj["kind"] == "CronJob":
            outcome.cronjob = live


def _write_status(
    body: Mapping[str, Any], kube: Kube, observed: list[Observation],
    schedule: ScheduleStatus | None, cron_job_name: str | None, now: datetime, outcome: Outcome,
) -> None:
    metadata = body["metadata"]
    current = _current_conditions(body)
    generation = metadata.get("generation")
    conditions = merge_conditions(current, observed, generation, rfc3339(now))
    wanted: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": [c.to_api() for c in conditions],
        "schedule": schedule.to_api() if schedule else None,
        "cronJobName": cron_job_name,
    }
    have = body.get("status") or {}
    if all(have.get(key) == value for key, value in wanted.items()):
        return
    before = {c.type: c.status for c in current}.get("Ready")
    after = {c.type: c.status for c in conditions}.get("Ready")
    outcome.ready_changed = before != after
    outcome.status_changed = True
    kube.patch_status("DynamicJob", metadata["namespace"], metadata["name"], wanted)


def reconcile(
    body: Mapping[str, Any], kube: Kube, settings: Settings, now: datetime | None = None,
    siblings: Mapping[str, list[str]] | None = None,
) -> Outcome:
    """``siblings``: the namespace's other jobs and their dependsOn, for the cycle check."""
    moment = now or datetime.now(UTC)
    validated = validate_dynamicjob(body, siblings=siblings)
    outcome = Outcome(problems=validated.problems)
    if validated.job is None:
        observed = stalled("InvalidSpec", format_problems(outcome.problems))
        observed += _specific_for_problems(outcome.problems)
        cron_job_name = (body.get("status") or {}).get("cronJobName")
        _write_status(body, kube, observed, _safe_schedule_status(validated.schedule, moment),
                      cron_job_name, moment, outcome)
        return outcome
    job = validated.job
    _converge(job, kube, settings, outcome)
    if outcome.problems:
        message = format_problems(outcome.problems)
        observed = [*stalled("NameTaken", message),
                    Observation("CronJobSynced", "False", "NameTaken", message)]
        _write_status(body, kube, observed, _safe_schedule_status(validated.schedule, moment),
                      (body.get("status") or {}).get("cronJobName"), moment, outcome)
        return outcome
    assert validated.schedule is not None  # a valid job has a valid schedule
    schedule = schedule_status(validated.schedule, moment)
    schedule_observation = (
        Observation("ScheduleValid", "True", "NeverFires",
                    "the schedule is valid but matches no date, so it never runs")
        if schedule.never_fires else Observation("ScheduleValid", "True", "Valid")
    )
    observed = [
        *ready(f"CronJob {job.metadata.name} is in sync"),
        schedule_observation,
        Observation("TemplateFound", "True", "Found", f"template {job.spec.template}"),
        Observation("CronJobSynced", "True", "Synced"),
    ]
    _write_status(body, kube, observed, schedule, job.metadata.name, moment, outcome)
    return outcome
