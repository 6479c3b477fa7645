"""Missed runs: which scheduled times the controller should have started, and did not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from job_operator.builders import build_missed_run_job
from job_operator.runs.missed import missed_run
from job_operator.settings import Settings
from job_runner.api import DynamicJob, DynamicJobStatus, RunRecord
from job_runner.api.dynamicjob import parameter_sets
from job_runner.notify import notifiers_for
from job_runner.report import merge_run

HOUR = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
NO_STATUS = DynamicJobStatus()
ALERT = {"template": "webhook-trigger", "parameters": {"url": "https://hooks.example.com/x"}}


def _job(**spec: Any) -> DynamicJob:
    return DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "hourly", "namespace": "ns", "uid": "u"},
        "spec": {"template": "heartbeat", "schedule": "0 * * * *", **spec},
    })


def _cronjob(created: datetime, last_scheduled: datetime | None = None,
             applied: datetime | None = None, active: bool = False) -> dict[str, Any]:
    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    managed = [{"manager": "dynamicjobs-operator", "operation": "Apply",
                "time": stamp(applied or created)},
               {"manager": "kube-controller-manager", "operation": "Update",
                "subresource": "status", "time": stamp(HOUR + timedelta(days=1))}]
    status: dict[str, Any] = {}
    if last_scheduled:
        status["lastScheduleTime"] = stamp(last_scheduled)
    if active:
        status["active"] = [{"name": "hourly-1"}]
    return {"metadata": {"creationTimestamp": stamp(created), "managedFields": managed},
            "spec": {"suspend": False}, "status": status}


def test_a_run_started_on_time_is_not_missed() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR)
    assert missed_run(_job(), cronjob, NO_STATUS, HOUR + timedelta(minutes=59)) is None


def test_without_a_deadline_a_late_run_is_not_missed_until_the_next_time_comes() -> None:
    """The controller starts the newest unstarted time whenever it can: 10:00 may still
    start at 10:05; once 11:00 has come, 10:00 is lost."""
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    assert missed_run(_job(), cronjob, NO_STATUS, HOUR + timedelta(minutes=59)) is None
    assert missed_run(_job(), cronjob, NO_STATUS, HOUR + timedelta(hours=1, seconds=9)) is None
    missed = missed_run(_job(), cronjob, NO_STATUS, HOUR + timedelta(hours=1, seconds=11))
    assert missed is not None and missed.scheduled_at == HOUR
    record = missed.record()
    assert (record.result, record.started_at, record.trigger) == (
        "Missed", "2026-11-28T10:00:00.000Z", "Schedule")
    assert record.id == f"hourly-{int(HOUR.timestamp()) // 60}", "the Job it would have had"
    assert "before the next scheduled time" in record.message


def test_a_starting_deadline_loses_the_time_when_it_passes() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    job = _job(startingDeadlineSeconds=300)
    assert missed_run(job, cronjob, NO_STATUS, HOUR + timedelta(seconds=309)) is None
    missed = missed_run(job, cronjob, NO_STATUS, HOUR + timedelta(seconds=311))
    assert missed is not None and "startingDeadlineSeconds (300 s)" in missed.reason
    zero = missed_run(_job(startingDeadlineSeconds=0), cronjob, NO_STATUS,
                      HOUR + timedelta(seconds=11))
    assert zero is not None, "a deadline of 0 is a deadline, not the default"


def test_a_run_skipped_because_the_previous_still_runs_says_so() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1),
                       active=True)
    missed = missed_run(_job(), cronjob, NO_STATUS, HOUR + timedelta(hours=1, minutes=1))
    assert missed is not None and "concurrencyPolicy: Forbid" in missed.reason


def test_one_record_per_outage() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    later = HOUR + timedelta(hours=5)
    missed = missed_run(_job(), cronjob, NO_STATUS, later)
    assert missed is not None
    recorded = DynamicJobStatus(last_missed_time=missed.record().started_at)
    assert missed_run(_job(), cronjob, recorded, later) is None
    reapplied = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1),
                         applied=HOUR + timedelta(hours=2))
    assert missed_run(_job(), reapplied, recorded, later) is None, "an apply starts no outage"
    ran_again = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR + timedelta(hours=2))
    assert missed_run(_job(), ran_again, recorded, later) is not None, "a new outage counts"


def test_a_time_whose_run_is_in_the_history_is_not_missed() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    run_id = f"hourly-{int(HOUR.timestamp()) // 60}"
    status = DynamicJobStatus(recent_runs=[RunRecord(id=run_id, result="Running")])
    assert missed_run(_job(), cronjob, status, HOUR + timedelta(hours=2)) is None


def test_times_before_the_cronjob_or_our_last_change_to_it_are_not_missed() -> None:
    young = _cronjob(HOUR - timedelta(minutes=30))
    young["metadata"]["managedFields"] = []
    assert missed_run(_job(), young, NO_STATUS, HOUR + timedelta(minutes=59)) is None
    assert missed_run(_job(), young, NO_STATUS, HOUR + timedelta(hours=1, minutes=1)) is not None
    resumed = _cronjob(HOUR - timedelta(days=3), last_scheduled=HOUR - timedelta(days=2),
                       applied=HOUR - timedelta(minutes=10))
    assert missed_run(_job(), resumed, NO_STATUS, HOUR + timedelta(minutes=59)) is None
    assert missed_run(_job(), resumed, NO_STATUS, HOUR + timedelta(hours=1, minutes=1)) is not None
    status_writes_only = _cronjob(HOUR - timedelta(days=3), last_scheduled=HOUR - timedelta(
        days=2), applied=HOUR - timedelta(days=3))
    status_writes_only["metadata"]["managedFields"].append(
        {"manager": "dynamicjobs-operator", "operation": "Update", "subresource": "status",
         "time": "2026-11-28T09:50:00Z"})
    assert missed_run(_job(), status_writes_only, NO_STATUS, HOUR) is not None, (
        "only our changes to the spec move the baseline")


def test_a_suspended_job_misses_nothing() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=2))
    assert missed_run(_job(suspend=True), cronjob, NO_STATUS, HOUR + timedelta(hours=1)) is None
    cronjob["spec"]["suspend"] = True
    assert missed_run(_job(), cronjob, NO_STATUS, HOUR + timedelta(hours=1)) is None


def test_the_time_zone_of_the_schedule_counts() -> None:
    cronjob = _cronjob(HOUR - timedelta(days=3), last_scheduled=HOUR - timedelta(days=2))
    daily_at_10_berlin = _job(schedule="0 10 * * *", timeZone="Europe/Berlin")  # 09:00 UTC
    missed = missed_run(daily_at_10_berlin, cronjob, NO_STATUS, HOUR)
    assert missed is not None
    assert missed.scheduled_at == HOUR - timedelta(days=1, hours=1)


def test_missed_run_notifiers_are_validated_and_run_for_missed_only() -> None:
    job = _job(notifications={"onMissedRun": [ALERT]})
    assert [n.template for n in notifiers_for(job.spec, "Missed")] == ["webhook-trigger"]
    assert notifiers_for(job.spec, "Failed") == []
    paths = [path for path, _ in parameter_sets(job.spec.to_api())]
    assert "notifications.onMissedRun[0].parameters" in paths


def test_the_notifier_job_carries_the_record_and_is_no_run_itself() -> None:
    job = _job(notifications={"onMissedRun": [ALERT]})
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    missed = missed_run(job, cronjob, NO_STATUS, HOUR + timedelta(hours=2))
    assert missed is not None
    manifest = build_missed_run_job(job, Settings.from_env({}), missed.record())
    assert len(manifest["metadata"]["name"]) <= 63
    assert manifest["metadata"]["annotations"]["dynamicjobs.io/notifies-run"] == missed.run_id
    env = {e["name"]: e.get("value") for e in
           manifest["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert RunRecord.model_validate(json.loads(env["DYNAMICJOBS_NOTIFY_RUN"])) == missed.record()
    again = build_missed_run_job(job, Settings.from_env({}), missed.record())
    assert again["metadata"]["name"] == manifest["metadata"]["name"]


def test_missed_runs_never_push_out_runs_that_ran_nor_become_last_run() -> None:
    running = RunRecord(id="hourly-1", result="Running", started_at="2026-11-28T09:00:00Z")
    missed = RunRecord(id="hourly-2", result="Missed", started_at="2026-11-28T10:00:00.000Z")
    status = merge_run(DynamicJobStatus(recent_runs=[running]), missed, history_limit=1)
    assert status.recent_runs == [running]
    assert status.last_run == running
    assert status.last_missed_time == "2026-11-28T10:00:00.000Z"
    roomy = merge_run(DynamicJobStatus(recent_runs=[running]), missed, history_limit=5)
    assert roomy.recent_runs == [missed, running] and roomy.last_run == running
    finished = running.model_copy(update={"result": "Failed",
                                          "finished_at": "2026-11-28T10:05:00.000Z"})
    after = merge_run(roomy, finished, history_limit=5)
    assert after.last_run == finished, "the real result is not hidden behind the miss"
    only_missed = merge_run(NO_STATUS, missed, history_limit=5)
    assert only_missed.last_run == missed
