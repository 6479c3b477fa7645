# ruff: noqa: F811  (fixtures imported from tests.backends.fixtures are parameters here)
"""email-notification against a real aiosmtpd server on loopback."""

from __future__ import annotations

import pytest

from job_runner.execute import execute
from job_runner.templates.email_notification import EmailNotification, fill_placeholders
from tests.backends.fixtures import smtp_server  # noqa: F401  (pytest fixture)


def params(server, **overrides):
    return {
        "to": ["ops@example.com", "dev@example.com"], "cc": ["boss@example.com"],
        "from": "jobs@example.com", "subject": "Export for {team} done",
        "body": "Hello {team}, {count} rows. Literal {{braces}}.\n",
        "values": {"team": "billing", "count": 42},
        "smtp": {"host": server.host, "port": server.port, "security": "none"},
        **overrides,
    }


def send(p, **kwargs):
    return execute(EmailNotification, p, run_id="r", timeout_seconds=30,
                   secrets=lambda ref: "unused", **kwargs)


def test_sends_one_message_to_all_recipients(smtp_server):
    outcome = send(params(smtp_server))
    assert outcome.result == "Succeeded", outcome.message
    [received] = smtp_server.mailbox.wait_for(1)
    assert received.mail_from == "jobs@example.com"
    assert sorted(received.rcpt_tos) == ["boss@example.com", "dev@example.com",
                                         "ops@example.com"]
    assert received.message["Subject"] == "Export for billing done"
    assert received.message["Message-ID"] == outcome.outputs["messageId"]
    assert "Hello billing, 42 rows. Literal {braces}." in received.message.get_payload()
    assert outcome.outputs["recipients"] == 3


def test_dry_run_sends_nothing(smtp_server):
    outcome = send(params(smtp_server), dry_run=True)
    assert outcome.outputs == {"recipients": 3, "subject": "Export for billing done",
                               "server": f"{smtp_server.host}:{smtp_server.port}"}
    assert smtp_server.mailbox.messages == []


def test_unreachable_server_is_a_clear_failure(smtp_server):
    p = params(smtp_server)
    p["smtp"]["port"] = 1
    outcome = send(p)
    assert outcome.result == "Failed" and "127.0.0.1:1" in outcome.message


@pytest.mark.parametrize(("override", "field"), [
    ({"subject": "hi\r\nBcc: victim@example.com"}, "parameters.subject"),
    ({"to": ["a@example.com\r\nBcc: victim@example.com"]}, "parameters.to[0]"),
    ({"from": "x@example.com\nX-Evil: 1"}, "parameters.from"),
    ({"cc": ["not an address"]}, "parameters.cc[0]"),
    ({"to": ["<a@example.com>, b@example.com"]}, "parameters.to[0]"),
    ({"to": []}, "parameters.to"),
    ({"values": {"team": "x\r\nBcc: v@example.com", "count": 1}}, "parameters"),
    ({"body": "{missing}"}, "parameters"),
])
def test_header_injection_and_bad_input_rejected(smtp_server, override, field):
    outcome = send(params(smtp_server, **override))
    assert outcome.result == "Failed" and field in outcome.message, outcome.message
    assert smtp_server.mailbox.messages == []


def test_password_requires_tls(smtp_server):
    p = params(smtp_server)
    p["smtp"]["password"] = {"secretRef": {"name": "smtp", "key": "password"}}
    outcome = send(p)
    assert outcome.result == "Failed" and "starttls or tls" in outcome.message


def test_placeholders_never_reach_into_objects():
    assert fill_placeholders("{a} {{a}} {a.__class__} {0}", {"a": "x"}) == (
        "x {a} {a.__class__} {0}"
    )
    with pytest.raises(ValueError, match="no entry"):
        fill_placeholders("{b}", {})
