# ruff: noqa: F811  (fixtures imported from tests.backends.fixtures are parameters here)
"""webhook-trigger against a real http.server on loopback, and the network policy."""

from __future__ import annotations

import ipaddress

import pytest

from job_runner.execute import execute
from job_runner.secrets import env_secret_resolver, secret_env_name
from job_runner.template import SecretRef
from job_runner.templates.webhook_trigger import WebhookTrigger
from job_runner.toolkit.netpolicy import AddressPolicy
from tests.backends.fixtures import allow_loopback_webhooks, http_server  # noqa: F401
from tests.backends.http import HttpServer, Reply

TOKEN = SecretRef.model_validate({"secretRef": {"name": "hook", "key": "token"}})
SECRETS = env_secret_resolver({secret_env_name(TOKEN): "Bearer s3cret"})


def call(p, **kwargs):
    return execute(WebhookTrigger, p, run_id="r", timeout_seconds=30, secrets=SECRETS, **kwargs)


def test_posts_json_with_secret_header(http_server, allow_loopback_webhooks):
    outcome = call({
        "url": f"{http_server.url}/hook?x=1", "body": {"run": 1},
        "headers": {"Authorization": TOKEN.model_dump(by_alias=True), "X-Plain": "v"},
    })
    assert outcome.result == "Succeeded", outcome.message
    [request] = http_server.requests
    assert (request.method, request.path) == ("POST", "/hook?x=1")
    assert request.json() == {"run": 1}
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.headers["Content-Type"] == "application/json"
    assert outcome.outputs == {"status": 200, "url": f"{http_server.url}/hook?x=1",
                               "redirects": 0}


def test_loopback_refused_without_admin_allow_list(http_server, monkeypatch):
    monkeypatch.delenv("DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS", raising=False)
    outcome = call({"url": f"{http_server.url}/hook"})
    assert outcome.result == "Failed" and "loopback" in outcome.message
    assert http_server.requests == []
    outcome = call({"url": f"http://localhost:{http_server.port}/hook"})
    assert outcome.result == "Failed" and http_server.requests == []


def test_unexpected_status_fails(http_server, allow_loopback_webhooks):
    http_server.routes["/hook"] = Reply(500)
    outcome = call({"url": f"{http_server.url}/hook", "method": "GET"})
    assert outcome.result == "Failed" and "500" in outcome.message
    outcome = call({"url": f"{http_server.url}/hook", "expectedStatus": [500]})
    assert outcome.result == "Succeeded"


def test_redirect_to_refused_address_not_followed(http_server, monkeypatch):
    monkeypatch.setenv("DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32")
    http_server.routes["/go"] = Reply(302, {"Location": "http://169.254.169.254/latest/"})
    outcome = call({"url": f"{http_server.url}/go", "method": "GET"})
    assert outcome.result == "Failed" and "link-local" in outcome.message


def test_cross_origin_redirect_drops_secret_headers(http_server, allow_loopback_webhooks):
    other = HttpServer()
    try:
        http_server.routes["/go"] = Reply(307, {"Location": f"{other.url}/landing"})
        outcome = call({"url": f"{http_server.url}/go",
                        "headers": {"Authorization": TOKEN.model_dump(by_alias=True)}})
    finally:
        other.stop()
    assert outcome.result == "Succeeded", outcome.message
    assert http_server.requests[0].headers["Authorization"] == "Bearer s3cret"
    [landed] = other.requests
    assert (landed.method, landed.path) == ("POST", "/landing")
    assert "Authorization" not in landed.headers


@pytest.mark.parametrize("url", [
    "ftp://example.com/x", "file:///etc/passwd", "http://user:pw@example.com/",
    "http://example.com/\r\nX-Evil: 1", "http://example.com/\x00", "javascript:alert(1)",
    "http://example.com:99999/", "http:///nohost", "http://example.com/a b",
])
def test_hostile_urls_rejected(url):
    outcome = call({"url": url})
    assert outcome.result == "Failed" and "parameters.url" in outcome.message, outcome.message


@pytest.mark.parametrize("headers", [
    {"X-A": "v\r\nX-Injected: 1"}, {"X A": "v"}, {"X-A\n": "v"}, {"Host": "evil"},
    {"Content-Length": "0"}, {"X-A": "v\x00"},
])
def test_hostile_headers_rejected(headers):
    outcome = call({"url": "https://example.com/", "headers": headers})
    assert outcome.result == "Failed" and "parameters.headers" in outcome.message


def test_encoded_traversal_stays_in_the_path(http_server, allow_loopback_webhooks):
    outcome = call({"url": f"{http_server.url}/a/%2e%2e/%2e%2e/etc/passwd", "method": "GET"})
    assert outcome.result == "Succeeded"
    assert http_server.requests[0].path == "/a/%2e%2e/%2e%2e/etc/passwd"


@pytest.mark.parametrize(("address", "refused"), [
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
    ("100.64.0.1", True), ("169.254.169.254", True), ("0.0.0.0", True), ("224.0.0.1", True),
    ("::1", True), ("fc00::1", True), ("fe80::1", True), ("::ffff:127.0.0.1", True),
    ("::", True), ("8.8.8.8", False), ("2606:4700::1111", False),
])
def test_default_policy(address, refused):
    reason = AddressPolicy().refusal(ipaddress.ip_address(address))
    assert (reason is not None) == refused


def test_policy_from_environment_allow_and_deny():
    policy = AddressPolicy.from_environ({
        "DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS": "10.0.0.0/8, 127.0.0.0/8",
        "DYNAMICJOBS_WEBHOOK_DENY_CIDRS": "10.9.0.0/16,8.8.8.8/32",
    })
    assert policy.refusal(ipaddress.ip_address("10.1.1.1")) is None
    assert policy.refusal(ipaddress.ip_address("10.9.1.1")) is not None
    assert policy.refusal(ipaddress.ip_address("8.8.8.8")) is not None
    assert policy.resolve("127.0.0.1", 80) == ["127.0.0.1"]
