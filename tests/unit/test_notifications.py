"""Notifiers: checked like the job's own parameters, run after the run, never change it."""

from __future__ import annotations

from typing import Any

from job_operator.builders import build_cronjob
from job_operator.settings import Settings
from job_operator.validation import validate_dynamicjob
from job_runner.api import DynamicJob, DynamicJobSpec, RunRecord
from job_runner.notify import notify
from tests.backends.fixtures import allow_loopback_webhooks, http_server  # noqa: F401
from tests.backends.http import HttpServer, Reply

EMAIL = {"to": ["oncall@example.com"], "from": "jobs@example.com",
         "subject": "{job} {result}", "body": "Run {id}: {message}",
         "smtp": {"host": "smtp.example.com", "port": 587, "security": "starttls",
                  "username": "jobs", "password": {"secretRef": {"name": "smtp", "key": "pw"}}}}


def _body(**notifications: Any) -> dict[str, Any]:
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "nightly", "namespace": "team-a", "uid": "u"},
            "spec": {"template": "heartbeat", "schedule": "0 3 * * *",
                     "notifications": notifications}}


def test_a_notifier_may_use_the_runs_fields_as_placeholders() -> None:
    assert validate_dynamicjob(_body(onFailure=[
        {"template": "email-notification", "parameters": EMAIL}])).problems == []


def test_a_bad_notifier_is_refused_at_its_own_path() -> None:
    problems = validate_dynamicjob(_body(
        onFailure=[{"template": "no-such-notifier"}],
        onSuccess=[{"template": "email-notification",
                    "parameters": {**EMAIL, "subject": "{nope}"}}])).problems
    fields = [p.field for p in problems]
    assert "spec.notifications.onFailure[0].template" in fields
    assert any(f.startswith("spec.notifications.onSuccess[0].parameters") for f in fields)


def test_a_notifiers_secret_is_access_checked_and_passed_as_env() -> None:
    body = _body(onFailure=[{"template": "email-notification", "parameters": EMAIL}])
    problems = validate_dynamicjob(body, may_read_secret=lambda ns, name: "denied").problems
    assert [p.field for p in problems] == [
        "spec.notifications.onFailure[0].parameters.smtp.password.secretRef"]
    cronjob = build_cronjob(DynamicJob.model_validate(body), Settings.from_env({}))
    env = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "smtp", "key": "pw"} in [
        e["valueFrom"]["secretKeyRef"] for e in env if "secretKeyRef" in e.get("valueFrom", {})]


def test_a_failed_run_is_posted_to_its_webhook_and_a_failing_notifier_is_recorded(
    http_server: HttpServer, allow_loopback_webhooks: None  # noqa: F811
) -> None:
    http_server.routes["/broken"] = Reply(status=503)
    spec = DynamicJobSpec.model_validate({
        "template": "heartbeat", "schedule": "0 3 * * *",
        "notifications": {
            "onFailure": [{"template": "webhook-trigger",
                           "parameters": {"url": f"{http_server.url}/alerts"}},
                          {"template": "webhook-trigger",
                           "parameters": {"url": f"{http_server.url}/broken"}}],
            "onSuccess": [{"template": "webhook-trigger",
                           "parameters": {"url": f"{http_server.url}/never"}}]}})
    record = RunRecord(id="nightly-1", result="Failed", message="boom", trigger="Schedule",
                       started_at="2026-01-01T03:00:00.000Z",
                       finished_at="2026-01-01T03:00:05.000Z", attempts=2,
                       outputs={"not": "sent"})
    results = notify(spec, record, job="nightly", namespace="team-a",
                     secrets=lambda ref: "unused")
    assert [(r.template, r.result) for r in results] == [
        ("webhook-trigger", "Succeeded"), ("webhook-trigger", "Failed")]
    posted = [r for r in http_server.requests if r.path == "/alerts"]
    assert len(posted) == 1
    assert posted[0].json() == {
        "job": "nightly", "namespace": "team-a", "id": "nightly-1", "result": "Failed",
        "message": "boom", "trigger": "Schedule", "startedAt": "2026-01-01T03:00:00.000Z",
        "finishedAt": "2026-01-01T03:00:05.000Z", "attempts": 2}
    assert not any(r.path == "/never" for r in http_server.requests)
    cancelled = record.model_copy(update={"result": "Cancelled"})
    assert notify(spec, cancelled, job="nightly", namespace="team-a",
                  secrets=lambda ref: "unused") == []
