"""onSuccess, onFailure and onMissedRun, each delivered end to end by email (a real SMTP
server) and by Slack (slack-notification to a loopback HTTP server that records the Block
Kit message): schedule, Job, pod, runner (or the operator's missed-run pod), notifier."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from local_cluster.pod_executor import PodExecutor
from tests.backends.http import HttpServer, Reply
from tests.backends.smtp import SmtpServer, start_smtp
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.fixtures import scratch_namespace
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.usefixtures("operator", "pod_executor")
MISSED_TIMEOUT = 300
SLACK_PATH = "/services/T0/B0/e2eToken"


@pytest.fixture(scope="module")
def slack() -> Iterator[HttpServer]:
    server = HttpServer()
    server.routes["/fail"] = Reply(status=500)
    server.routes["/slow"] = Reply(delay_seconds=120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.controller.stop()


def notifiers(mail: SmtpServer, what: str) -> list[dict[str, Any]]:
    return [
        {"template": "email-notification", "parameters": {
            "to": ["oncall@example.com"], "from": "dynamicjobs@example.com",
            "subject": "{job}: {result} (" + what + ")", "body": "run {id}: {message}",
            "smtp": {"host": mail.host, "port": mail.port, "security": "none"}}},
        {"template": "slack-notification", "parameters": {
            "webhookUrl": {"secretRef": {"name": "slack-webhook", "key": "url"}},
            "text": "{job}: {result} (" + what + ")"}},
    ]


@pytest.fixture(scope="module")
def jobs(api_client: client.ApiClient, slack: HttpServer, mail: SmtpServer, operator: Any,
         pod_executor: PodExecutor) -> Iterator[DynamicJobs]:
    core = client.CoreV1Api(api_client)
    with scratch_namespace(api_client, "e2e-notify") as namespace:
        url = base64.b64encode(f"{slack.url}{SLACK_PATH}".encode()).decode()
        core.create_namespaced_secret(namespace, client.V1Secret(
            metadata=client.V1ObjectMeta(name="slack-webhook"), data={"url": url}))
        jobs = DynamicJobs(api_client, namespace)
        every_minute = {"schedule": "* * * * *"}
        jobs.create("tell-ok", parameters={"message": "fine"}, **every_minute,
                    notifications={"onSuccess": notifiers(mail, "onSuccess")})
        jobs.create("tell-fail", template="webhook-trigger", **every_minute,
                    parameters={"url": f"{slack.url}/fail", "timeoutSeconds": 10},
                    notifications={"onFailure": notifiers(mail, "onFailure")})
        jobs.create("tell-missed", template="webhook-trigger", **every_minute, timeoutSeconds=115,
                    concurrencyPolicy="Forbid", startingDeadlineSeconds=10,
                    parameters={"url": f"{slack.url}/slow", "timeoutSeconds": 110},
                    notifications={"onMissedRun": notifiers(mail, "onMissedRun")})
        yield jobs


def slack_texts(slack: HttpServer) -> list[str]:
    return [r.json()["text"] for r in slack.requests if r.path == SLACK_PATH]


def subjects(mail: SmtpServer) -> list[str]:
    return [str(m.message["Subject"]) for m in mail.mailbox.messages]


@pytest.mark.parametrize(("job", "result", "kind"), [
    ("tell-ok", "Succeeded", "onSuccess"),
    ("tell-fail", "Failed", "onFailure"),
    ("tell-missed", "Missed", "onMissedRun"),
])
def test_each_kind_reaches_email_and_slack(jobs: DynamicJobs, slack: HttpServer,
                                           mail: SmtpServer, job: str, result: str,
                                           kind: str) -> None:
    expected = f"{job}: {result} ({kind})"

    def notified_run() -> dict[str, Any] | None:
        runs = jobs.get(job).get("status", {}).get("recentRuns", [])
        return next((r for r in runs if r["result"] == result and r.get("notifications")),
                    None)

    run = wait_for(notified_run, timeout=MISSED_TIMEOUT, what=f"a notified {result} run "
                   f"of {job}")
    assert [(n["template"], n["result"]) for n in run["notifications"]] == [
        ("email-notification", "Succeeded"), ("slack-notification", "Succeeded")], run
    wait_for(lambda: expected in subjects(mail), timeout=30, what=f"the email: {expected}")
    wait_for(lambda: expected in slack_texts(slack), timeout=30,
             what=f"the Slack message: {expected}")
    message = next(r.json() for r in slack.requests
                   if r.path == SLACK_PATH and r.json()["text"] == expected)
    fields = [f["text"] for f in message["blocks"][1]["fields"]]
    assert f"*Job*\n{jobs.namespace}/{job}" in fields and f"*Result*\n{result}" in fields
    assert any(f.startswith("*Attempts*\n") for f in fields)
