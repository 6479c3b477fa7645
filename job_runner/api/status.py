"""The status of a DynamicJob: conditions from the operator, runs from the runner."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from job_runner.api.base import ApiModel
from job_runner.api.times import sort_key


class StatusModel(ApiModel):
    """Status is written by other programs (other versions, too): keys it does not know are
    ignored rather than refused, so one odd entry never makes the whole status unreadable."""

    model_config = ApiModel.model_config | {"extra": "ignore"}


RunResult = Literal["Running", "Succeeded", "Failed", "TimedOut", "Cancelled", "Missed"]
FINISHED_RESULTS = frozenset({"Succeeded", "Failed", "TimedOut", "Cancelled", "Missed"})
"""Every RunResult but Running: a run with one of these is over. Missed: a scheduled run
that never started (recorded by the operator)."""
RunTrigger = Literal["Schedule", "Manual", "Dependency"]


class Condition(StatusModel):
    """One observation, in the shape every Kubernetes dashboard reads (metav1.Condition)."""

    type: str
    """Ready (kstatus: when not Ready, its reason says why and its message names each
    field); Reconciling and Stalled (kstatus); Suspended (the schedule is paused);
    Degraded (the newest run failed, or a run was missed since). All but Ready are there
    only while True."""
    status: Literal["True", "False", "Unknown"]
    reason: str
    """A CamelCase word a program can match on."""
    message: str = ""
    """What a person needs to know, naming the field and the fix when something is wrong."""
    last_transition_time: str
    """When status last changed (RFC 3339, UTC)."""
    observed_generation: int | None = None
    """The metadata.generation this condition was computed from."""


class ScheduleStatus(StatusModel):
    """The schedule as the CronJob controller will follow it."""

    description: str
    """The schedule in words, with its time zone."""
    next_runs: list[str] = Field(default_factory=list)
    """The next five run times (RFC 3339, UTC)."""
    never_fires: bool = False
    """True for a valid schedule that matches no date, such as 30 February."""


class AttemptRecord(StatusModel):
    """One try of a run."""

    attempt: int = Field(ge=1)
    started_at: str
    finished_at: str
    result: RunResult
    message: str = ""


class NotificationRecord(StatusModel):
    """What one notifier did after the run."""

    template: str
    result: RunResult
    message: str = ""


class RunRecord(StatusModel):
    """One run of the job, as the runner (or, for a pod that died, the operator) saw it."""

    id: str
    """The run's identity: the name of its Job."""
    trigger: RunTrigger = "Schedule"
    started_at: str | None = None
    finished_at: str | None = None
    result: RunResult
    attempts: int = Field(default=1, ge=0)
    """How many times the template ran, retries included."""
    message: str = ""
    """Why it failed, or a summary of what it did."""
    outputs: dict[str, Any] = Field(default_factory=dict)
    """What the template reported, e.g. rows deleted or the file written."""
    dry_run: bool = False
    """True when the run only planned."""
    parameter_overrides: dict[str, Any] = Field(default_factory=dict)
    """The parameters a manual run was started with in place of the spec's
    (the dynamicjobs.io/run-parameters annotation)."""
    attempt_history: list[AttemptRecord] = Field(default_factory=list)
    """Each attempt with its own result, oldest first."""
    notifications: list[NotificationRecord] = Field(default_factory=list)
    """The notifiers that ran after this run, and how each went."""

    @model_serializer(mode="wrap")
    def _omit_empty_extras(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Overrides and notifications only where a run had them, as records always were."""
        data: dict[str, Any] = handler(self)
        for name in ("parameter_overrides", "notifications"):
            if not getattr(self, name):
                field = type(self).model_fields[name]
                data.pop(field.alias or name, None)
                data.pop(name, None)
        return data

    def started(self) -> datetime:
        """For ordering: the start as a time, whatever precision it was written with."""
        return sort_key(self.started_at)

    def summary(self) -> dict[str, Any]:
        """What a notifier is told about the run (its placeholders, a webhook's body)."""
        return self.model_dump(by_alias=True, mode="json", include=set(SUMMARY_FIELDS))


SUMMARY_FIELDS = ("id", "result", "message", "trigger", "started_at", "finished_at",
                  "attempts")
RUN_VALUES: tuple[str, ...] = ("job", "namespace", *(
    RunRecord.model_fields[name].alias or name for name in SUMMARY_FIELDS))
"""The names a notifier may use for the run it tells about: the job, its namespace and
the run's summary fields as they are written (``{job}``, ``{result}``, ``{startedAt}``...)."""


class DynamicJobStatus(StatusModel):
    """Written by the operator: conditions, schedule, and the runs (from each run's Job
    and the runner's report in its pod)."""

    observed_generation: int | None = None
    """The metadata.generation the operator last reconciled."""
    conditions: list[Condition] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    schedule: ScheduleStatus | None = None
    cron_job_name: str | None = None
    """The CronJob that runs this job."""
    last_run: RunRecord | None = None
    recent_runs: list[RunRecord] = Field(default_factory=list)
    """The latest runs, newest first, bounded by spec.historyLimit."""
    last_successful_time: str | None = None
    last_failure_time: str | None = None
    last_missed_time: str | None = None
    """The newest scheduled time at which no run started (see recentRuns' Missed runs)."""
    last_handled_run_request: str | None = None
    """The value of the dynamicjobs.io/run-requested-at annotation the operator last
    started a run for (echoed, Flux style, so a client knows its request was seen)."""
