"""Missed runs: scheduled times at which the CronJob controller started no Job.

A run is missed when the first schedule time after the CronJob's last scheduled run is
more than a grace period in the past and the controller has still not started it: the
previous run was still going under ``concurrencyPolicy: Forbid``, ``startingDeadlineSeconds``
passed, or the controller was not running. The operator records it in status as a run with
result ``Missed`` and starts the ``onMissedRun`` notifiers.

Only the first missed time after the last scheduled run is reported; while the controller
keeps missing, that one record stands (no alert per minute). Times before the CronJob's
creation or the operator's last change to it (a new schedule, a resume from suspend) are
never counted.
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
from job_operator.settings import FIELD_MANAGER, Settings
from job_runner.api import FINISHED_RESULTS, DynamicJob
from job_runner.report import StatusReporter

DEFAULT_GRACE_SECONDS = 60
"""Without startingDeadlineSeconds the controller may start a run late; give it a minute."""
CONTROLLER_SLACK_SECONDS = 10
"""The CronJob controller's own delay in starting a Job at its time."""


@dataclass(frozen=True)
class MissedRun:
    scheduled_at: datetime
    run_id: str
    reason: str

    def record(self) -> dict[str, Any]:
        """The run as status.recentRuns holds it."""
        at = self.scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"id": self.run_id, "trigger": "Schedule", "startedAt": at, "result": "Missed",
                "attempts": 0, "message": f"the run due at {at} did not start: {self.reason}"}


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _last_changed_by_us(cronjob: Mapping[str, Any]) -> datetime | None:
    times = [_time(entry.get("time")) for entry in cronjob["metadata"].get("managedFields") or []
             if entry.get("manager") == FIELD_MANAGER and not entry.get("subresource")]
    return max((t for t in times if t is not None), default=None)


def _reason(job: DynamicJob, cronjob: Mapping[str, Any]) -> str:
    if (cronjob.get("status") or {}).get("active") and job.spec.concurrency_policy == "Forbid":
        return "the previous run was still going (concurrencyPolicy: Forbid)"
    deadline = job.spec.starting_deadline_seconds
    if deadline is not None:
        return (f"the CronJob controller did not start it within startingDeadlineSeconds "
                f"({deadline} s), or was not running")
    return "the CronJob controller did not start it; was it running?"


def missed_run(job: DynamicJob, cronjob: Mapping[str, Any], now: datetime,
               ) -> MissedRun | None:
    """The first scheduled run the controller should have started by ``now`` but did not."""
    if job.spec.suspend or cronjob.get("spec", {}).get("suspend"):
        return None
    anchors = [_time(cronjob["metadata"].get("creationTimestamp")), _last_changed_by_us(cronjob),
               _time((cronjob.get("status") or {}).get("lastScheduleTime"))]
    baseline = max((a for a in anchors if a is not None), default=None)
    if baseline is None:
        return None
    due = next_runs(job.spec.schedule, job.spec.time_zone, after=baseline, count=1)
    grace = timedelta(seconds=(job.spec.starting_deadline_seconds or DEFAULT_GRACE_SECONDS)
                      + CONTROLLER_SLACK_SECONDS)
    if not due or due[0] + grace > now:
        return None
    minutes = int(due[0].timestamp()) // 60
    return MissedRun(due[0], f"{job.metadata.name}-missed-{minutes}", _reason(job, cronjob))


def already_recorded(run: MissedRun, status: Mapping[str, Any]) -> bool:
    return any(r.get("id") == run.run_id and r.get("result") in FINISHED_RESULTS
               for r in status.get("recentRuns") or [])


def record_missed_run(body: Mapping[str, Any], kube: Kube, settings: Settings,
                      now: datetime) -> MissedRun | None:
    """Record the missed run of one DynamicJob, if any, and start its onMissedRun
    notifiers; None when nothing new was missed. Writes only when something was."""
    job = DynamicJob.model_validate(body)
    metadata = body["metadata"]
    cronjob = kube.get("CronJob", metadata["namespace"], metadata["name"])
    if cronjob is None or not any(ref.get("uid") == metadata.get("uid") for ref in
                                  cronjob["metadata"].get("ownerReferences") or []):
        return None
    missed = missed_run(job, cronjob, now)
    if missed is None or already_recorded(missed, body.get("status") or {}):
        return None
    reporter = StatusReporter(kube.api_client, metadata["namespace"], metadata["name"])
    if not reporter.record(missed.record(), job.spec.history_limit, keep_final=True):
        return None
    if job.spec.notifications.on_missed_run:
        try:
            kube.create(build_missed_run_job(job, settings, missed.record()))
        except ApiException as error:
            if error.status != 409:
                raise
    return missed
