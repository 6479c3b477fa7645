"""/metrics read from the real operator process after real runs (the CronJob controller,
the pod executor, the runner writing the status), checked with the Prometheus text
parser; and the Argo CD health check run on the same real objects."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from lupa import LuaRuntime
from prometheus_client.parser import text_string_to_metric_families

from local_cluster.pod_executor import PodExecutor
from tests.backends.http import HttpServer, Reply
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.fixtures import scratch_namespace
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

RUN_TIMEOUT = 180
HEALTH_SCRIPT = (Path(__file__).resolve().parents[2] / "helm" / "dynamicjobs" / "health"
                 / "argocd-health.lua").read_text()


@pytest.fixture(scope="module")
def hooks() -> Iterator[HttpServer]:
    server = HttpServer()
    server.routes["/fail"] = Reply(status=500, body=b'{"error": "down"}')
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ran(api_client: client.ApiClient, operator: OperatorProcess, pod_executor: PodExecutor,
        hooks: HttpServer) -> Iterator[DynamicJobs]:
    """Two jobs on every minute, each with a finished run: one succeeds, one fails."""
    with scratch_namespace(api_client, "metrics") as namespace:
        jobs = DynamicJobs(api_client, namespace)
        jobs.create("ok", schedule="* * * * *", parameters={"message": "scraped"})
        jobs.create("broken", template="webhook-trigger", schedule="* * * * *",
                    parameters={"url": f"{hooks.url}/fail", "timeoutSeconds": 10})
        for name in ("ok", "broken"):
            wait_for(lambda name=name: _finished(jobs, name), timeout=RUN_TIMEOUT,
                     what=f"a finished run of {name}")
        yield jobs


def _finished(jobs: DynamicJobs, name: str) -> list[dict[str, Any]]:
    return [run for run in jobs.get(name).get("status", {}).get("recentRuns", [])
            if run["result"] not in ("Running", "Missed")]


def _scrape(operator: OperatorProcess, namespace: str) -> dict[tuple[str, str, str], float]:
    """(series, DynamicJob name, result) -> value, for this namespace's jobs."""
    found = {}
    for family in text_string_to_metric_families(operator.metrics()):
        for sample in family.samples:
            labels = sample.labels
            if labels.get("namespace") == namespace:
                found[(sample.name, labels.get("name", ""), labels.get("result", ""))] = \
                    sample.value
    return found


def test_the_scrape_tells_what_ran_what_failed_and_when(ran: DynamicJobs,
                                                         operator: OperatorProcess) -> None:
    def counted() -> dict[tuple[str, str, str], float]:
        samples = _scrape(operator, ran.namespace)
        ok = len([r for r in _finished(ran, "ok") if r["result"] == "Succeeded"])
        broken = len([r for r in _finished(ran, "broken") if r["result"] == "Failed"])
        runs = ("dynamicjobs_job_runs_total", "ok", "Succeeded"), \
            ("dynamicjobs_job_runs_total", "broken", "Failed")
        if (samples.get(runs[0]), samples.get(runs[1])) == (ok, broken) and \
                samples.get(("dynamicjobs_job_degraded", "broken", "")) == 1:
            return samples
        return {}

    samples = wait_for(counted, timeout=60, what="the scrape to count the recorded runs")

    def value(series: str, name: str) -> float:
        return samples[(f"dynamicjobs_job_{series}", name, "")]

    ok_status, broken_status = ran.get("ok")["status"], ran.get("broken")["status"]
    assert value("last_run_failed", "broken") == 1 and value("last_run_failed", "ok") == 0
    assert value("degraded", "ok") == 0
    assert value("ready", "ok") == value("ready", "broken") == 1
    assert value("suspended", "ok") == 0 and value("stalled", "ok") == 0
    assert value("expected_interval_seconds", "ok") == 60
    assert value("last_success_timestamp_seconds", "ok") > 0
    assert value("last_failure_timestamp_seconds", "broken") > 0
    assert ("dynamicjobs_job_last_success_timestamp_seconds", "broken", "") not in samples
    assert value("next_run_timestamp_seconds", "ok") > value("last_run_timestamp_seconds", "ok")
    assert ok_status["lastRun"]["result"] == "Succeeded"
    assert broken_status["lastRun"]["result"] == "Failed"

    durations = {family.name: family for family in
                 text_string_to_metric_families(operator.metrics())}
    counts = {s.labels["template"]: s.value for s in
              durations["dynamicjobs_run_duration_seconds"].samples
              if s.name.endswith("_count")}
    assert counts.get("heartbeat", 0) >= 1 and counts.get("webhook-trigger", 0) >= 1
    leader = durations["dynamicjobs_operator_leader"].samples[0].value
    assert leader == 1


def test_argo_cd_health_of_the_real_objects(ran: DynamicJobs) -> None:
    lua = LuaRuntime(unpack_returned_tuples=True)
    check = lua.eval(f"function(obj)\n{HEALTH_SCRIPT}\nend")

    def health(name: str) -> str:
        body = copy.deepcopy(ran.get(name))
        return str(check(lua.table_from(body, recursive=True))["status"])

    wait_for(lambda: health("broken") == "Degraded", timeout=30, what="broken Degraded")
    wait_for(lambda: health("ok") == "Healthy", timeout=30, what="ok Healthy")
    degraded = ran.condition("broken", "Degraded")
    assert degraded is not None and degraded["reason"] == "LastRunFailed"
    assert "500" in degraded["message"]
