# ruff: noqa: F811  (fixtures imported from tests.backends.fixtures are parameters here)
"""slack-notification and webhook-trigger's URL from a Secret, against a real HTTP server
on loopback that checks what arrives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from job_runner.api import DynamicJobSpec, RunRecord
from job_runner.execute import execute
from job_runner.notify import notify
from job_runner.secrets import env_secret_resolver, secret_env_name
from job_runner.template import SecretRef
from job_runner.templates.slack_notification import SlackNotification, retry_after_seconds
from job_runner.templates.webhook_trigger import WebhookTrigger
from tests.backends.fixtures import allow_loopback_webhooks, http_server  # noqa: F401
from tests.backends.http import HttpServer, Reply

HOOK = {"secretRef": {"name": "slack", "key": "url"}}
TOKEN_PATH = "/services/T000/B000/s3cretToken"


def secrets_for(server: HttpServer, path: str = TOKEN_PATH) -> Any:
    ref = SecretRef.model_validate(HOOK)
    return env_secret_resolver({secret_env_name(ref): f"{server.url}{path}\n"})


class Scripted(dict):  # type: ignore[type-arg]
    """Routes whose replies are used up in order, then 200: a rate limit that passes."""

    def __init__(self, path: str, *replies: Reply) -> None:
        super().__init__()
        self.path, self.replies = path, list(replies)

    def get(self, path: str, default: Any = None) -> Any:
        if path == self.path and self.replies:
            return self.replies.pop(0)
        return default


def failed_run() -> RunRecord:
    return RunRecord(id="nightly-29000000", result="Failed", trigger="Schedule", attempts=3,
                     started_at="2026-11-28T02:00:00.000Z",
                     finished_at="2026-11-28T02:01:30.000Z",
                     message="connection refused <db:5432> & gave up")


def test_a_failed_run_reaches_slack_as_block_kit(http_server, allow_loopback_webhooks):
    spec = DynamicJobSpec.model_validate({
        "template": "heartbeat", "schedule": "0 3 * * *",
        "notifications": {"onFailure": [{"template": "slack-notification",
                                         "parameters": {"webhookUrl": HOOK}}]}})
    results = notify(spec, failed_run(), job="nightly", namespace="team-a",
                     secrets=secrets_for(http_server))
    assert [(r.template, r.result) for r in results] == [("slack-notification", "Succeeded")]
    [request] = http_server.requests
    assert (request.method, request.path) == ("POST", TOKEN_PATH)
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "text": "nightly in team-a: Failed",
        "blocks": [
            {"type": "header",
             "text": {"type": "plain_text", "text": "nightly in team-a: Failed"}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": "*Job*\nteam-a/nightly"},
                {"type": "mrkdwn", "text": "*Result*\nFailed"},
                {"type": "mrkdwn", "text": "*Duration*\n1m 30s"},
                {"type": "mrkdwn", "text": "*Attempts*\n3"},
                {"type": "mrkdwn", "text": "*Trigger*\nSchedule"}]},
            {"type": "section", "text": {
                "type": "mrkdwn",
                "text": "connection refused &lt;db:5432&gt; &amp; gave up"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "sent by dynamicjobs"}]},
        ]}


def call_slack(server: HttpServer, timeout: float = 30, **params: Any) -> Any:
    return execute(SlackNotification, {"webhookUrl": HOOK, **params}, run_id="r",
                   timeout_seconds=timeout, secrets=secrets_for(server))


def test_a_429_is_waited_out_as_retry_after_asks(http_server, allow_loopback_webhooks):
    http_server.routes = Scripted(TOKEN_PATH, Reply(429, {"Retry-After": "0"}),
                                  Reply(429, {"Retry-After": "0"}))
    outcome = call_slack(http_server, text="hello")
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs == {"status": 200, "tries": 3}
    assert len(http_server.requests) == 3


def test_a_retry_after_beyond_the_budget_is_not_waited_for(http_server,
                                                           allow_loopback_webhooks):
    http_server.routes = Scripted(TOKEN_PATH, Reply(429, {"Retry-After": "120"}))
    started = datetime.now(UTC)
    outcome = call_slack(http_server, timeout=20, text="hello")
    assert outcome.result == "Failed"
    assert "asks to wait 120s, beyond the" in outcome.message and "not sent" in outcome.message
    assert len(http_server.requests) == 1
    assert (datetime.now(UTC) - started).total_seconds() < 10


def test_the_webhook_url_never_shows(http_server, allow_loopback_webhooks):
    http_server.routes = {TOKEN_PATH: Reply(404, body=b"no_service")}
    outcome = call_slack(http_server, text="hello")
    assert outcome.result == "Failed"
    assert "Slack answered 404" in outcome.message
    assert "secret 'slack' key 'url'" in outcome.message
    assert "s3cretToken" not in outcome.message + str(outcome.outputs)


def test_the_url_must_come_from_a_secret() -> None:
    outcome = execute(SlackNotification, {"webhookUrl": "https://hooks.slack.com/services/x"},
                      run_id="r", timeout_seconds=5, secrets=lambda ref: "")
    assert outcome.result == "Failed" and "webhookUrl" in outcome.message


def test_retry_after_as_a_date() -> None:
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Tue, 01 Dec 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("soon", now) == 1


def test_webhook_trigger_takes_its_url_from_a_secret(http_server, allow_loopback_webhooks):
    outcome = execute(WebhookTrigger, {"url": HOOK, "body": {"x": 1}}, run_id="r",
                      timeout_seconds=30, secrets=secrets_for(http_server))
    assert outcome.result == "Succeeded", outcome.message
    [request] = http_server.requests
    assert (request.path, request.json()) == (TOKEN_PATH, {"x": 1})
    assert outcome.outputs["url"] == "secret 'slack' key 'url'"


def test_a_secret_url_that_is_not_one_fails_without_showing_it(http_server,
                                                               allow_loopback_webhooks):
    ref = SecretRef.model_validate(HOOK)
    secrets = env_secret_resolver({secret_env_name(ref): "ftp://example.com/s3cretToken"})
    outcome = execute(WebhookTrigger, {"url": HOOK}, run_id="r", timeout_seconds=30,
                      secrets=secrets)
    assert outcome.result == "Failed"
    assert "url: the URL in secret 'slack' key 'url' must be an http:// or https:// URL" \
        in outcome.message
    assert "s3cretToken" not in outcome.message
    assert http_server.requests == []
