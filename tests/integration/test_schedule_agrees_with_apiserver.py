"""Our schedule and time-zone verdicts against the real kube-apiserver.

Each case creates a CronJob with ``dryRun=All``: the API server runs its full
validation and stores nothing. Every disagreement is collected and reported at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from job_operator.schedule import validate_schedule, validate_time_zone

pytestmark = pytest.mark.integration

SCHEDULES = [
    # accepted
    "0 3 * * *", "*/15 * * * *", "0 0 * * 0", "0 0 * * 6", "0 0 * * SUN-SAT",
    "0 0 * * mon,Wed,FRI", "0 0 1 JAN-dec *", "0 0 ? * *", "0 0 * * ?", "? ? ? ? ?",
    "0/5 * * * *", "5/15 * * * *", "1-10/3 * * * *", "0 0 1,15 * *", "0 0 1,,15 * *",
    "0 0 , * *", "*/1 * * * *", "*/100 * * * *", "59 23 31 12 *", "0 0 31 2 *",
    "0 0 30 2 *", "0 0 29 2 *", "+5 * * * *", "007 * * * *", "*-5 * * * *",
    "0\t0 * *  *", "  0 0 * * *  ", "0 0 * * FR\u0130", "@yearly", "@annually",
    "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@every 5m", "@every 1h30m",
    "@every 1.5h", "@every 0", "@every -5m", "@every 500ms",
    # rejected
    "", "   ", "0 0 * * 7", "0 0 32 * *", "0 0 0 * *", "60 * * * *", "0 24 * * *",
    "0 0 * 13 *", "*/0 * * * *", "5/0 * * * *", "5-1 * * * *", "0 0 * * FRI-MON",
    "1-2-3 * * * *", "*/2/3 * * * *", "-5 * * * *", "0 0 L * *", "0 0 15W * *",
    "0 0 * * 1#2", "0 0 * JANUARY *", "0 0 0 * * *", "0 0 * *", "1_0 * * * *",
    "\u0665 * * * *", "99999999999999999999 * * * *", "*/99999999999999999999 * * * *",
    "*/9999999999 * * * *", "0\x1c0 * * *", "0\u00a00 * * *", "TZ=UTC 0 * * * *",
    "CRON_TZ=Europe/Berlin 0 3 * * *", "@reboot", "@DAILY", "@daily ", " @daily", "@every",
    "@every 5", "@every 5x", "@every  5m", "@every 1d", "@every 9999999999h",
]

TIME_ZONES = [
    "UTC", "Europe/Berlin", "America/New_York", "America/Argentina/Buenos_Aires",
    "Etc/GMT+5", "Etc/GMT-14", "Asia/Kolkata", "EST5EDT", "GMT", "Local", "local", "",
    "europe/berlin", "Mars/Olympus", "Europe/Berlin ", "Europe//Berlin", "Europe/../Berlin",
    "America/Abcdefghijklmno", "America", "+01:00", "CET+1",
]


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    fields: frozenset[str]
    detail: str


def cron_job(name: str, schedule: str, time_zone: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "schedule": schedule,
        "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "busybox"}],
        }}}},
    }
    if time_zone is not None:
        spec["timeZone"] = time_zone
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": spec}


def server_verdict(batch: client.BatchV1Api, namespace: str, index: int, schedule: str,
                   time_zone: str | None) -> Verdict:
    body: Any = cron_job(f"schedule-case-{index}", schedule, time_zone)  # sent as-is
    try:
        batch.create_namespaced_cron_job(namespace, body, dry_run="All")
    except ApiException as refusal:
        status = json.loads(refusal.body or "{}")
        causes = status.get("details", {}).get("causes", [])
        fields = frozenset(cause.get("field", "") for cause in causes)
        return Verdict(False, fields, f"HTTP {refusal.status}: {status.get('message', '')}")
    return Verdict(True, frozenset(), "accepted")


def mismatches(batch: client.BatchV1Api, namespace: str,
               cases: Sequence[tuple[str, str | None]]) -> list[str]:
    found = []
    for index, (schedule, time_zone) in enumerate(cases):
        ours = validate_schedule(schedule) + validate_time_zone(time_zone)
        theirs = server_verdict(batch, namespace, index, schedule, time_zone)
        our_fields = frozenset(problem.field for problem in ours)
        if (not ours) != theirs.accepted or (ours and theirs.fields and
                                             our_fields != theirs.fields):
            found.append(
                f"schedule={schedule!r} timeZone={time_zone!r}: "
                f"ours={[str(problem) for problem in ours] or 'accepted'} "
                f"apiserver={theirs.detail} fields={sorted(theirs.fields)}"
            )
    return found


def test_schedule_verdicts_agree(api_client: client.ApiClient, namespace: str) -> None:
    found = mismatches(client.BatchV1Api(api_client), namespace,
                       [(schedule, None) for schedule in SCHEDULES])
    assert found == [], "\n".join(found)


def test_time_zone_verdicts_agree(api_client: client.ApiClient, namespace: str) -> None:
    found = mismatches(client.BatchV1Api(api_client), namespace,
                       [("0 3 * * *", time_zone) for time_zone in TIME_ZONES])
    assert found == [], "\n".join(found)


def test_combined_verdicts_agree(api_client: client.ApiClient, namespace: str) -> None:
    cases = [
        ("TZ=UTC 0 * * * *", "UTC"),
        ("0 0 32 * *", "Mars/Olympus"),
        ("@every 5m", "Europe/Berlin"),
        ("0 0 * * 7", ""),
    ]
    found = mismatches(client.BatchV1Api(api_client), namespace, cases)
    assert found == [], "\n".join(found)
