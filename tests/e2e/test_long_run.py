"""A long run is recorded once, correctly, while the operator keeps working around it.

Time-compressed: the run lasts LONG_SECONDS (four minutes) instead of an hour, and the
test operator resyncs every 5 s instead of the chart's 30 s, so the run spans about as
many resync passes (48) as an hour's run does at the default (120, same order) and some
of its own schedule's ticks, which Forbid skips; the first skip is recorded Missed, then
the job is suspended, since the CronJob controller starts the last skipped tick late as
soon as the run ends, a run of its own. An hour adds nothing else the run depends on:
the runner holds no token that could expire, and reports only when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from kubernetes import client

from local_cluster.pod_executor import PodExecutor
from tests.backends.http import HttpServer, Reply
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.fixtures import scratch_namespace
from tests.kube.waiting import wait_for

LONG_SECONDS = 240
pytestmark = pytest.mark.usefixtures("operator", "pod_executor")


@pytest.fixture(scope="module")
def slow_service() -> Iterator[HttpServer]:
    server = HttpServer()
    server.routes["/long"] = Reply(delay_seconds=LONG_SECONDS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def jobs(api_client: client.ApiClient, operator: Any,
         pod_executor: PodExecutor) -> Iterator[DynamicJobs]:
    with scratch_namespace(api_client, "long") as namespace:
        yield DynamicJobs(api_client, namespace)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _runs(jobs: DynamicJobs) -> list[dict[str, Any]]:
    return list(jobs.get("long").get("status", {}).get("recentRuns", []))


def test_a_long_run_is_recorded_once_with_its_whole_duration(
        jobs: DynamicJobs, slow_service: HttpServer) -> None:
    jobs.create("long", template="webhook-trigger", schedule="* * * * *",
                concurrencyPolicy="Forbid", timeoutSeconds=LONG_SECONDS + 120,
                parameters={"url": f"{slow_service.url}/long", "timeoutSeconds": 300})

    running = wait_for(lambda: next((r for r in _runs(jobs) if r["result"] == "Running"), None),
                       timeout=120, what="the long run to show as Running")
    wait_for(lambda: any(r["result"] == "Missed" for r in _runs(jobs)), timeout=150,
             what="a tick skipped under Forbid while the run goes on")
    assert jobs.get("long")["status"]["lastRun"]["id"] == running["id"], (
        "a miss never hides the run in progress")
    # Suspended before the run ends: the CronJob controller would start the tick it skipped
    # last as soon as the Job completes (no startingDeadlineSeconds), a run of its own.
    jobs.patch_spec("long", suspend=True)

    def finished() -> dict[str, Any] | None:
        return next((r for r in _runs(jobs)
                     if r["id"] == running["id"] and r["result"] != "Running"), None)

    run = wait_for(finished, timeout=LONG_SECONDS + 120, what="the long run to finish")

    assert run["result"] == "Succeeded", run
    duration = (_time(run["finishedAt"]) - _time(run["startedAt"])).total_seconds()
    assert duration >= LONG_SECONDS, run
    assert len([r for r in slow_service.requests if r.path == "/long"]) == 1, (
        "Forbid: no second run while the first went on")

    runs = _runs(jobs)
    assert len({r["id"] for r in runs}) == len(runs), "no run recorded twice"
    ran = [r for r in runs if r["result"] != "Missed"]
    assert [r["id"] for r in ran] == [run["id"]], runs
    missed = [r for r in runs if r["result"] == "Missed"]
    assert missed, "the ticks during the run are recorded as missed"
    assert len({r["startedAt"] for r in missed}) == len(missed), "no tick missed twice"
    for tick in missed:
        assert _time(run["startedAt"]) < _time(tick["startedAt"]) <= _time(run["finishedAt"])
        assert "concurrencyPolicy: Forbid" in tick["message"]
