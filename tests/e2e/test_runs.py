"""The whole path: the schedule fires, the real controller-manager creates the Job, the pod
executor runs the runner from the pod's spec, and the run lands in the DynamicJob's status.

All jobs are created at once, on `* * * * *`, so they share the wait for the next minute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from job_runner.api import FINISHED_RESULTS
from local_cluster.pod_executor import PodExecutor
from tests.backends.http import HttpServer, Reply
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.fixtures import scratch_namespace
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.usefixtures("operator", "pod_executor")
RUN_TIMEOUT = 180
PREDICTED_BEATS: list[str] = []
"""The next runs the operator predicted for "beat" right after creating it."""


@pytest.fixture(scope="module")
def hooks() -> Iterator[HttpServer]:
    server = HttpServer()
    server.routes["/fail"] = Reply(status=500, body=b'{"error": "boom"}')
    server.routes["/slow"] = Reply(delay_seconds=120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def jobs(api_client: client.ApiClient, hooks: HttpServer, operator: Any,
         pod_executor: PodExecutor) -> Iterator[DynamicJobs]:
    with scratch_namespace(api_client, "e2e") as namespace:
        jobs = DynamicJobs(api_client, namespace)
        every_minute = {"schedule": "* * * * *"}
        jobs.create("beat", parameters={"message": "e2e"}, timeZone="Asia/Kolkata",
                    **every_minute)
        predicted = wait_for(lambda: jobs.get("beat").get("status", {}).get("schedule", {}).get(
            "nextRuns"), timeout=60, what="beat's predicted next runs")
        PREDICTED_BEATS.extend(predicted)
        jobs.create("hook-ok", template="webhook-trigger", **every_minute, parameters={
            "url": f"{hooks.url}/ok", "body": {"hello": "world"}})
        jobs.create("hook-fails", template="webhook-trigger", **every_minute,
                    retries={"limit": 2, "backoffSeconds": 1},
                    parameters={"url": f"{hooks.url}/fail", "timeoutSeconds": 10},
                    notifications={"onFailure": [{"template": "webhook-trigger",
                                                  "parameters": {"url": f"{hooks.url}/alerts"}}]})
        jobs.create("hook-slow", template="webhook-trigger", **every_minute, timeoutSeconds=3,
                    parameters={"url": f"{hooks.url}/slow", "timeoutSeconds": 60})
        jobs.create("hook-killed", template="webhook-trigger", **every_minute, timeoutSeconds=600,
                    parameters={"url": f"{hooks.url}/slow", "timeoutSeconds": 300})
        jobs.create("hook-busy", template="webhook-trigger", **every_minute, timeoutSeconds=115,
                    concurrencyPolicy="Forbid", startingDeadlineSeconds=10,
                    parameters={"url": f"{hooks.url}/slow", "timeoutSeconds": 110},
                    notifications={"onMissedRun": [{"template": "webhook-trigger",
                                                    "parameters": {"url": f"{hooks.url}/missed"}}]})
        yield jobs


def _first_finished(jobs: DynamicJobs, name: str) -> dict[str, Any] | None:
    """The first run that ran and ended (a slow job may also have missed later times)."""
    runs = jobs.get(name).get("status", {}).get("recentRuns", [])
    finished = sorted((r for r in runs if r["result"] in FINISHED_RESULTS - {"Missed"}),
                      key=lambda r: r["startedAt"])
    return finished[0] if finished else None


def _wait_finished(jobs: DynamicJobs, name: str) -> dict[str, Any]:
    return wait_for(lambda: _first_finished(jobs, name), timeout=RUN_TIMEOUT,
                    what=f"a finished run of {name}")


def test_a_scheduled_heartbeat_succeeds_and_reports_its_outputs(
    jobs: DynamicJobs, api_client: client.ApiClient
) -> None:
    run = _wait_finished(jobs, "beat")
    assert run["result"] == "Succeeded", run
    assert run["outputs"]["message"] == "e2e"
    assert run["attempts"] == 1 and run["trigger"] == "Schedule"
    job = client.BatchV1Api(api_client).read_namespaced_job(run["id"], jobs.namespace)
    assert job.metadata.owner_references[0].kind == "CronJob"
    fired = datetime.fromisoformat(
        job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"])
    predicted = [datetime.fromisoformat(moment) for moment in PREDICTED_BEATS]
    assert fired in predicted, "the controller fired when the operator said it would"
    status = jobs.get("beat")["status"]
    assert status["lastSuccessfulTime"] >= run["finishedAt"]
    core = client.CoreV1Api(api_client)
    # The operator posts the run's Event once its watch delivers the status it wrote.
    wait_for(lambda: any(e.reason == "RunSucceeded" and e.involved_object.name == "beat"
                         for e in core.list_namespaced_event(jobs.namespace).items),
             timeout=30, what="the RunSucceeded Event about beat")


def test_a_webhook_run_reaches_the_server(jobs: DynamicJobs, hooks: HttpServer) -> None:
    run = _wait_finished(jobs, "hook-ok")
    assert run["result"] == "Succeeded", run
    assert any(r.path == "/ok" and r.json() == {"hello": "world"} for r in hooks.requests)


def test_a_failing_run_is_retried_shows_each_attempt_and_notifies(
    jobs: DynamicJobs, hooks: HttpServer
) -> None:
    run = _wait_finished(jobs, "hook-fails")
    assert run["result"] == "Failed"
    assert "500" in run["message"]
    assert run["attempts"] == 3
    assert [a["attempt"] for a in run["attemptHistory"]] == [1, 2, 3]
    assert run["notifications"] == [
        {"template": "webhook-trigger", "result": "Succeeded", "message": run[
            "notifications"][0]["message"]}]
    alerts = [r.json() for r in hooks.requests if r.path == "/alerts"]
    assert any(a["id"] == run["id"] and a["result"] == "Failed" and a["job"] == "hook-fails"
               for a in alerts)
    assert jobs.get("hook-fails")["status"]["lastFailureTime"] >= run["finishedAt"]


def test_a_run_past_its_timeout_is_timed_out(jobs: DynamicJobs) -> None:
    run = _wait_finished(jobs, "hook-slow")
    assert run["result"] == "TimedOut", run


def test_a_pod_killed_mid_run_is_still_recorded(
    jobs: DynamicJobs, pod_executor: PodExecutor
) -> None:
    def killed_pod() -> str | None:
        for key in pod_executor.running_pods():
            namespace, pod = key.split("/", 1)
            if namespace == jobs.namespace and pod.startswith("hook-killed-"):
                runs = jobs.get("hook-killed").get("status", {}).get("recentRuns", [])
                if any(r["result"] == "Running" for r in runs) and pod_executor.kill(namespace,
                                                                                      pod):
                    return pod
        return None

    wait_for(killed_pod, timeout=RUN_TIMEOUT, what="a running hook-killed pod to kill")
    run = _wait_finished(jobs, "hook-killed")
    assert run["result"] == "Failed", run
    assert "without reporting" in run["message"] and "137" in run["message"]


def test_a_run_skipped_while_the_previous_still_runs_is_recorded_missed_and_notified(
    jobs: DynamicJobs, hooks: HttpServer
) -> None:
    def notified_missed_run() -> dict[str, Any] | None:
        runs = jobs.get("hook-busy").get("status", {}).get("recentRuns", [])
        return next((r for r in runs if r["result"] == "Missed" and r.get("notifications")),
                    None)

    run = wait_for(notified_missed_run, timeout=RUN_TIMEOUT + 90,
                   what="a missed run of hook-busy, notified")
    assert "concurrencyPolicy: Forbid" in run["message"]
    assert run["notifications"][0]["result"] == "Succeeded", run
    alerts = [r.json() for r in hooks.requests if r.path == "/missed"]
    about_this_run = [a for a in alerts if a["id"] == run["id"]]
    assert len(about_this_run) == 1, alerts
    assert (about_this_run[0]["result"], about_this_run[0]["job"]) == ("Missed", "hook-busy")
    status = jobs.get("hook-busy")["status"]
    assert status["lastMissedTime"] >= run["startedAt"]
    events = client.CoreV1Api(jobs.api.api_client).list_namespaced_event(jobs.namespace).items
    assert any(e.reason == "RunMissed" and e.involved_object.name == "hook-busy"
               and e.type == "Warning" for e in events)
    assert status["lastRun"]["result"] != "Missed", "a miss never hides the last real run"
    for punctual in ("beat", "hook-ok", "hook-fails", "hook-slow"):
        runs = jobs.get(punctual).get("status", {}).get("recentRuns", [])
        assert [r for r in runs if r["result"] == "Missed"] == [], punctual


def test_dynamicjobs_run_starts_a_manual_run_and_waits_for_it(
    jobs: DynamicJobs, kubeconfig: Any
) -> None:
    _suspended_heartbeat(jobs, "on-demand", "by hand")
    finished = _dynamicjobs_run(jobs, kubeconfig, "on-demand")
    assert finished.returncode == 0, finished.stderr
    run = json.loads(finished.stdout)
    assert (run["result"], run["trigger"]) == ("Succeeded", "Manual")
    assert run["outputs"]["message"] == "by hand"
    assert "parameterOverrides" not in run
    status = jobs.get("on-demand")["status"]
    assert status["lastHandledRunRequest"]
    assert status["lastRun"]["id"] == run["id"]


def test_a_manual_run_takes_parameter_overrides_for_that_run_only(
    jobs: DynamicJobs, kubeconfig: Any
) -> None:
    _suspended_heartbeat(jobs, "override-me", "from the spec")
    refused = _dynamicjobs_run(jobs, kubeconfig, "override-me", "--param", "message:=42")
    assert refused.returncode == 1  # the cluster's answer is no (docs/cli.md, exit codes)
    assert 'metadata.annotations["dynamicjobs.io/run-parameters"].message' in refused.stderr

    finished = _dynamicjobs_run(jobs, kubeconfig, "override-me", "--param", "message=by hand")
    assert finished.returncode == 0, finished.stderr
    run = json.loads(finished.stdout)
    assert run["outputs"]["message"] == "by hand"
    assert run["parameterOverrides"] == {"message": "by hand"}
    assert jobs.get("override-me")["spec"]["parameters"] == {"message": "from the spec"}

    again = _dynamicjobs_run(jobs, kubeconfig, "override-me")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["outputs"]["message"] == "from the spec"


def _suspended_heartbeat(jobs: DynamicJobs, name: str, message: str) -> None:
    """A job that runs only when asked to."""
    jobs.create(name, schedule="0 3 * * *", suspend=True, parameters={"message": message})
    wait_for(lambda: jobs.is_ready(name), timeout=60, what=f"{name} to be Ready")


def _dynamicjobs_run(jobs: DynamicJobs, kubeconfig: Any, name: str,
                     *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dynamicjobs"), "run", name,
         "-n", jobs.namespace, "--wait", "--timeout", str(RUN_TIMEOUT), *args],
        capture_output=True, text=True, timeout=RUN_TIMEOUT + 30,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
    )


def test_a_success_starts_the_jobs_that_depend_on_it(jobs: DynamicJobs, kubectl: Any) -> None:
    jobs.create("upstream", schedule="0 3 * * *", suspend=True)
    jobs.create("downstream", schedule="0 3 * * *", suspend=True,
                dependsOn=[{"name": "upstream"}], parameters={"message": "after upstream"})
    cycle = kubectl("apply", "-f", "-", check=False, input=json.dumps(
        {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
         "metadata": {"name": "upstream", "namespace": jobs.namespace},
         "spec": {"template": "heartbeat", "schedule": "0 3 * * *", "suspend": True,
                  "dependsOn": [{"name": "downstream"}]}}))
    assert cycle.returncode != 0
    assert "upstream -> downstream -> upstream" in cycle.stderr
    wait_for(lambda: jobs.is_ready("downstream"), timeout=60, what="downstream Ready")
    jobs.api.patch_namespaced_custom_object(
        "dynamicjobs.io", "v1alpha1", jobs.namespace, "dynamicjobs", "upstream",
        {"metadata": {"annotations": {"dynamicjobs.io/run-requested-at": "e2e-1"}}})
    upstream_run = _wait_finished(jobs, "upstream")
    assert upstream_run["result"] == "Succeeded"
    run = _wait_finished(jobs, "downstream")
    assert (run["result"], run["trigger"]) == ("Succeeded", "Dependency")
    assert run["outputs"]["message"] == "after upstream"
