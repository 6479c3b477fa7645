"""Missed runs: which scheduled times the controller should have started, and did not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from job_operator.builders import build_missed_run_job
from job_operator.missed_runs import already_recorded, missed_run
from job_operator.settings import Settings
from job_runner.api import DynamicJob
from job_runner.api.dynamicjob import parameter_sets
from job_runner.notify import notifiers_for

HOUR = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
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
    assert missed_run(_job(), cronjob, HOUR + timedelta(minutes=59)) is None


def test_the_first_time_without_a_job_is_missed_once_the_grace_is_over() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    assert missed_run(_job(), cronjob, HOUR + timedelta(seconds=69)) is None, "60 s + 10 s grace"
    missed = missed_run(_job(), cronjob, HOUR + timedelta(seconds=71))
    assert missed is not None and missed.scheduled_at == HOUR
    record = missed.record()
    assert (record["result"], record["startedAt"], record["trigger"]) == (
        "Missed", "2026-11-28T10:00:00Z", "Schedule")
    assert "was it running" in record["message"]
    later = missed_run(_job(), cronjob, HOUR + timedelta(hours=5))
    assert later is not None and later.run_id == missed.run_id, "one alert for an outage"


def test_starting_deadline_sets_the_grace() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    job = _job(startingDeadlineSeconds=300)
    assert missed_run(job, cronjob, HOUR + timedelta(seconds=200)) is None
    missed = missed_run(job, cronjob, HOUR + timedelta(seconds=311))
    assert missed is not None and "startingDeadlineSeconds (300 s)" in missed.reason


def test_a_run_skipped_because_the_previous_still_runs_says_so() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1),
                       active=True)
    missed = missed_run(_job(), cronjob, HOUR + timedelta(minutes=5))
    assert missed is not None and "concurrencyPolicy: Forbid" in missed.reason


def test_times_before_the_cronjob_or_our_last_change_to_it_are_not_missed() -> None:
    young = _cronjob(HOUR - timedelta(minutes=30))
    assert missed_run(_job(), young, HOUR - timedelta(minutes=1)) is None
    resumed = _cronjob(HOUR - timedelta(days=3), last_scheduled=HOUR - timedelta(days=2),
                       applied=HOUR - timedelta(minutes=10))
    assert missed_run(_job(), resumed, HOUR - timedelta(minutes=1)) is None
    assert missed_run(_job(), resumed, HOUR + timedelta(minutes=2)) is not None


def test_a_suspended_job_misses_nothing() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=2))
    assert missed_run(_job(suspend=True), cronjob, HOUR + timedelta(hours=1)) is None


def test_the_time_zone_of_the_schedule_counts() -> None:
    cronjob = _cronjob(HOUR - timedelta(days=2), last_scheduled=HOUR - timedelta(days=1))
    daily_at_10_berlin = _job(schedule="0 10 * * *", timeZone="Europe/Berlin")  # 09:00 UTC
    missed = missed_run(daily_at_10_berlin, cronjob, HOUR)
    assert missed is not None and missed.scheduled_at == HOUR - timedelta(hours=1)


def test_a_recorded_missed_run_is_not_recorded_again() -> None:
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    missed = missed_run(_job(), cronjob, HOUR + timedelta(minutes=5))
    assert missed is not None
    assert not already_recorded(missed, {"recentRuns": []})
    assert already_recorded(missed, {"recentRuns": [missed.record()]})


def test_missed_run_notifiers_are_validated_and_run_for_missed_only() -> None:
    job = _job(notifications={"onMissedRun": [ALERT]})
    assert [n.template for n in notifiers_for(job.spec, "Missed")] == ["webhook-trigger"]
    assert notifiers_for(job.spec, "Failed") == []
    paths = [path for path, _ in parameter_sets(job.spec.to_api())]
    assert "notifications.onMissedRun[0].parameters" in paths


def test_the_notifier_job_carries_the_record_and_is_no_run_itself() -> None:
    job = _job(notifications={"onMissedRun": [ALERT]})
    cronjob = _cronjob(HOUR - timedelta(hours=3), last_scheduled=HOUR - timedelta(hours=1))
    missed = missed_run(job, cronjob, HOUR + timedelta(minutes=5))
    assert missed is not None
    manifest = build_missed_run_job(job, Settings.from_env({}), missed.record())
    assert len(manifest["metadata"]["name"]) <= 63
    assert manifest["metadata"]["annotations"]["dynamicjobs.io/notifies-run"] == missed.run_id
    env = {e["name"]: e.get("value") for e in
           manifest["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert json.loads(env["DYNAMICJOBS_NOTIFY_RUN"]) == missed.record()
    again = build_missed_run_job(job, Settings.from_env({}), missed.record())
    assert again["metadata"]["name"] == manifest["metadata"]["name"]
