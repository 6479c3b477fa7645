"""Missed runs: scheduled times at which the CronJob controller started no Job.

The controller starts the most recent unstarted time whenever it can: late, but it starts
it, unless ``startingDeadlineSeconds`` has passed. So a time T is lost, not late, once the
next time after T has come (the controller will start that one instead) or T's starting
deadline has passed, whichever is first, and still no Job for T exists. Causes: the
previous run still going under ``concurrencyPolicy: Forbid``, the deadline passing, or the
controller not running. The operator records such a time in status as a run with result
``Missed`` and starts the ``onMissedRun`` notifiers.

One record per outage: after a miss is recorded (``status.lastMissedTime``), nothing more
is reported until the controller schedules a run again. Times before the CronJob's
creation or the operator's last change to it (a new schedule, a resume from suspend) never
count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubernetes.client.exceptions import ApiException

from job_operator.builders import build_missed_run_job
from job_operator.kube import Kube
from job_operator.schedule import next_runs
from job_operator.settings import Settings
from job_runner.api import DynamicJob, DynamicJobStatus, RunRecord, parse_time, read_status, rfc3339
from job_runner.contract import FIELD_MANAGER
from job_runner.report import StatusReporter

CONTROLLER_SLACK_SECONDS = 10
"""The CronJob controller's own delay in starting a Job at its time."""


@dataclass(frozen=True)
class MissedRun:
    scheduled_at: datetime
    run_id: str
    reason: str

    def record(self) -> RunRecord:
        """The run as status.recentRuns holds it."""
        at = rfc3339(self.scheduled_at)
        return RunRecord(id=self.run_id, trigger="Schedule", started_at=at, result="Missed",
                         attempts=0, message=f"the run due at {at} did not start: {self.reason}")


def _last_changed_by_us(cronjob: Mapping[str, Any]) -> datetime | None:
    entries = cronjob["metadata"].get("managedFields") or []
    times = [parse_time(entry.get("time")) for entry in entries
             if entry.get("manager") == FIELD_MANAGER and not entry.get("subresource")]
    return max((t for t in times if t is not None), default=None)


def _reason(job: DynamicJob, cronjob: Mapping[str, Any]) -> str:
    if (cronjob.get("status") or {}).get("active") and job.spec.concurrency_policy == "Forbid":
        return "the previous run was still going (concurrencyPolicy: Forbid)"
    deadline = job.spec.starting_deadline_seconds
    if deadline is not None:
        return (f"the CronJob controller did not start it within startingDeadlineSeconds "
                f"({deadline} s), or was not running")
    return ("the CronJob controller did not start it before the next scheduled time; "
            "was it running?")


def _first_unstarted(job: DynamicJob, cronjob: Mapping[str, Any], status: DynamicJobStatus,
                     ) -> tuple[datetime, datetime] | None:
    """The first scheduled time since the CronJob's last run, and when it counts as lost
    (controller slack included); None when no time can be missed as things stand."""
    if job.spec.suspend or cronjob.get("spec", {}).get("suspend"):
        return None
    last_scheduled = parse_time((cronjob.get("status") or {}).get("lastScheduleTime"))
    last_missed = parse_time(status.last_missed_time)
    if last_missed is not None and (last_scheduled is None or last_missed > last_scheduled):
        return None  # this outage is reported already
    anchors = [parse_time(cronjob["metadata"].get("creationTimestamp")),
               _last_changed_by_us(cronjob), last_scheduled]
    baseline = max((a for a in anchors if a is not None), default=None)
    if baseline is None:
        return None
    due = next_runs(job.spec.schedule, job.spec.time_zone, after=baseline, count=2)
    if not due:
        return None
    lost_at = due[1] if len(due) > 1 else None
    deadline = job.spec.starting_deadline_seconds
    if deadline is not None:
        expired = due[0] + timedelta(seconds=deadline)
        lost_at = expired if lost_at is None else min(lost_at, expired)
    if lost_at is None:
        return None
    return due[0], lost_at + timedelta(seconds=CONTROLLER_SLACK_SECONDS)


def missed_verdict_changes_at(job: DynamicJob, cronjob: Mapping[str, Any],
                              status: DynamicJobStatus) -> datetime | None:
    """While the CronJob and the status stay as they are, `missed_run` can find a run
    only from this time on (None: never)."""
    first = _first_unstarted(job, cronjob, status)
    return first[1] if first is not None else None


def missed_run(job: DynamicJob, cronjob: Mapping[str, Any], status: DynamicJobStatus,
               now: datetime) -> MissedRun | None:
    """The first scheduled time since the CronJob's last run that is lost by ``now``."""
    first = _first_unstarted(job, cronjob, status)
    if first is None or first[1] > now:
        return None
    due, _ = first
    run_id = scheduled_job_name(job.metadata.name, due)
    if any(r.id == run_id for r in status.recent_runs):
        return None
    return MissedRun(due, run_id, _reason(job, cronjob))


def scheduled_job_name(cronjob_name: str, scheduled: datetime) -> str:
    """The name the CronJob controller gives the Job of a scheduled time."""
    return f"{cronjob_name}-{int(scheduled.timestamp()) // 60}"


def record_missed_run(job: DynamicJob, status: Any, cronjob: Mapping[str, Any], kube: Kube,
                      settings: Settings, now: datetime) -> MissedRun | None:
    """Record the missed run of one DynamicJob, if any, and start its onMissedRun
    notifiers; None when nothing new was missed. Writes only when something was.
    ``job`` is the DynamicJob as the reconcile parsed it, ``status`` its stored status,
    ``cronjob`` its own CronJob as the reconcile just saw it.

    The notifiers' Job is created before the record is written: if creating it fails, the
    next resync tries both again, instead of a record whose alert never went out."""
    namespace, name = job.metadata.namespace or "", job.metadata.name
    missed = missed_run(job, cronjob, read_status(status), now)
    if missed is None or kube.get("Job", namespace, missed.run_id) is not None:
        return None
    if job.spec.notifications.on_missed_run:
        try:
            kube.create(build_missed_run_job(job, settings, missed.record()))
        except ApiException as error:
            if error.status != 409:
                raise
    reporter = StatusReporter(kube, namespace, name)
    if not reporter.record(missed.record(), job.spec.history_limit, keep_final=True):
        return None
    return missed
