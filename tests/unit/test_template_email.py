# ruff: noqa: F811  (fixtures imported from tests.backends.fixtures are parameters here)
"""email-notification against real aiosmtpd servers on loopback: cleartext, STARTTLS and
implicit TLS with a throwaway CA, AUTH LOGIN and PLAIN."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.registry import validate_parameters
from job_runner.template import RunContext, SecretRef
from job_runner.templates.email_notification import (
    EmailNotification,
    SmtpSettings,
    fill_placeholders,
)
from tests.backends.fixtures import smtp_server  # noqa: F401  (pytest fixture)
from tests.backends.smtp import AuthAttempt, Pki, SmtpServer, make_ca, make_pki, pem, start_smtp


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


# --- TLS and login against real aiosmtpd servers -------------------------------------

# aiosmtpd warns that AUTH without STARTTLS is unsafe: with implicit TLS it is not (every
# byte is encrypted, which the tests check through the recorded TLS version).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USERS = {"jobs": "s3cret-pa55"}
SECRETS = {("smtp", "password"): "s3cret-pa55", ("smtp", "wrong"): "not-it"}


def password_ref(key: str = "password") -> dict[str, Any]:
    return {"secretRef": {"name": "smtp", "key": key}}


def resolve(ref: SecretRef) -> str:
    return SECRETS[(ref.secret_ref.name, ref.secret_ref.key)]


def tls_params(server: SmtpServer, ca: Any, **smtp: Any) -> dict[str, Any]:
    p = params(server)
    p["smtp"] = {"host": server.host, "port": server.port, "security": server.security,
                 "username": "jobs", "password": password_ref(), "caCertificate": ca,
                 "timeoutSeconds": 10, **smtp}
    return p


def send_tls(p: dict[str, Any], secrets: Any = resolve) -> Any:
    return execute(EmailNotification, p, run_id="r", timeout_seconds=30, secrets=secrets)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def other_ca() -> str:
    certificate, _ = make_ca("someone else's CA")
    return pem(certificate)


@pytest.fixture
def servers() -> Iterator[list[SmtpServer]]:
    started: list[SmtpServer] = []
    yield started
    for server in started:
        server.controller.stop()


@pytest.fixture
def start(servers: list[SmtpServer], pki: Pki) -> Callable[..., SmtpServer]:
    def start_one(security: str, users: dict[str, str] | None = USERS,
                  exclude: tuple[str, ...] = (), with_pki: Pki | None = None) -> SmtpServer:
        server = start_smtp(security, with_pki or pki, users,  # type: ignore[arg-type]
                            auth_exclude_mechanism=exclude)
        servers.append(server)
        return server
    return start_one


@pytest.mark.parametrize(("mechanism", "exclude"), [("LOGIN", ("PLAIN",)),
                                                    ("PLAIN", ("LOGIN",))])
def test_starttls_with_login(start, pki, mechanism, exclude):
    server = start("starttls", exclude=exclude)
    outcome = send_tls(tls_params(server, pki.ca_pem))
    assert outcome.result == "Succeeded", outcome.message
    [received] = server.mailbox.wait_for(1)
    assert received.tls_version in ("TLSv1.2", "TLSv1.3")
    assert received.login == "jobs"
    assert received.message["Subject"] == "Export for billing done"
    assert server.authenticator.attempts == [
        AuthAttempt(mechanism, "jobs", True, received.tls_version)
    ]


@pytest.mark.parametrize(("mechanism", "exclude"), [("LOGIN", ("PLAIN",)),
                                                    ("PLAIN", ("LOGIN",))])
def test_implicit_tls_with_login_and_the_ca_from_a_secret(start, pki, mechanism, exclude):
    server = start("tls", exclude=exclude)
    SECRETS[("smtp-ca", "ca.crt")] = pki.ca_pem
    p = tls_params(server, {"secretRef": {"name": "smtp-ca", "key": "ca.crt"}})
    outcome = send_tls(p)
    assert outcome.result == "Succeeded", outcome.message
    [received] = server.mailbox.wait_for(1)
    assert received.tls_version in ("TLSv1.2", "TLSv1.3") and received.login == "jobs"
    assert [(a.mechanism, a.success, a.tls_version) for a in server.authenticator.attempts] == [
        (mechanism, True, received.tls_version)
    ]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_wrong_ca_fails_clearly_before_the_password_is_sent(start, other_ca, security):
    server = start(security)
    outcome = send_tls(tls_params(server, other_ca))
    assert outcome.result == "Failed"
    assert outcome.message.startswith(
        f"the TLS certificate of 127.0.0.1:{server.port} was not accepted: "
        "unable to get local issuer certificate (checked against smtp.caCertificate); "
        "set smtp.caCertificate to the CA that issued the server's certificate"
    ), outcome.message
    assert server.authenticator.attempts == []
    assert server.mailbox.messages == []


def test_without_a_ca_the_system_store_is_used_and_refuses_a_private_ca(start):
    server = start("tls")
    outcome = send_tls(tls_params(server, None))
    assert outcome.result == "Failed"
    assert "was not accepted" in outcome.message
    assert "checked against the system's trusted CAs" in outcome.message
    assert server.authenticator.attempts == []


def test_a_certificate_for_another_host_is_refused(start, tmp_path):
    elsewhere = make_pki(tmp_path / "elsewhere", names=("mail.example.com",))
    server = start("starttls", with_pki=elsewhere)
    outcome = send_tls(tls_params(server, elsewhere.ca_pem))
    assert outcome.result == "Failed"
    assert "was not accepted: IP address mismatch, certificate is not valid for '127.0.0.1' (" in (
        outcome.message), outcome.message
    assert "connect with a host name the certificate is issued for, not '127.0.0.1'" in (
        outcome.message)
    assert server.authenticator.attempts == []


def test_a_wrong_password_is_a_clear_failure(start, pki):
    server = start("starttls")
    outcome = send_tls(tls_params(server, pki.ca_pem, password=password_ref("wrong")))
    assert outcome.result == "Failed"
    assert outcome.message.startswith(
        f"127.0.0.1:{server.port} refused the login of 'jobs': 535"), outcome.message
    # smtplib tries each mechanism the server offers; every try failed
    assert {(a.login, a.success) for a in server.authenticator.attempts} == {("jobs", False)}
    assert server.mailbox.messages == []


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(smtp_server, pki):
    p = tls_params(smtp_server, pki.ca_pem)
    p["smtp"]["security"] = "starttls"
    outcome = send_tls(p)
    assert outcome.result == "Failed"
    assert "does not offer STARTTLS; not sending without TLS" in outcome.message
    assert smtp_server.mailbox.messages == []


def test_implicit_tls_against_a_cleartext_server_fails(smtp_server, pki):
    p = tls_params(smtp_server, pki.ca_pem)
    p["smtp"]["security"] = "tls"
    outcome = send_tls(p)
    assert outcome.result == "Failed"
    assert f"sending through 127.0.0.1:{smtp_server.port} failed: SSLError" in outcome.message
    assert smtp_server.mailbox.messages == []


def test_a_ca_secret_that_is_not_pem_is_a_clear_failure(start):
    server = start("tls")
    SECRETS[("smtp-ca", "junk")] = "not a certificate"
    outcome = send_tls(tls_params(server, {"secretRef": {"name": "smtp-ca", "key": "junk"}}))
    assert outcome.result == "Failed"
    assert "smtp.caCertificate (secret 'smtp-ca' key 'junk') is not a readable PEM" in (
        outcome.message)
    assert server.authenticator.attempts == []


@pytest.mark.parametrize(("smtp", "expected"), [
    ({"security": "none", "caCertificate": "CA"}, "caCertificate needs security starttls"),
    ({"security": "none", "username": "jobs", "password": password_ref()},
     "a password needs security starttls or tls"),
    ({"security": "tls", "username": "jobs"}, "username and password go together"),
    ({"security": "tls", "password": password_ref()}, "username and password go together"),
    ({"caCertificate": "hello"}, "must be PEM text starting with -----BEGIN CERTIFICATE-----"),
    ({"caCertificate": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"},
     "is not a readable PEM certificate"),
    ({"caCertificate": "-----BEGIN PRIVATE KEY-----\n"}, "contains a private key"),
])
def test_tls_settings_are_validated(smtp_server, pki, smtp, expected):
    if smtp.get("caCertificate") == "CA":
        smtp = {**smtp, "caCertificate": pki.ca_pem}
    p = params(smtp_server)
    p["smtp"] = {"host": smtp_server.host, "port": smtp_server.port, **smtp}
    problems = validate_parameters(EmailNotification, p)
    assert problems and expected in problems[0][1], problems
    outcome = send_tls(p)
    assert outcome.result == "Failed" and expected in outcome.message
    assert smtp_server.mailbox.messages == []


@pytest.mark.parametrize("ca", ["inline", "secret", None])
def test_every_context_verifies_certificate_and_host_name(pki, ca):
    SECRETS[("smtp-ca", "ca.crt")] = pki.ca_pem
    value = {"inline": pki.ca_pem, "secret": {"secretRef": {"name": "smtp-ca", "key": "ca.crt"}},
             None: None}[ca]
    settings = SmtpSettings.model_validate({"host": "h", "security": "tls",
                                            "caCertificate": value})
    context = settings.ssl_context(RunContext(run_id="r", secrets=resolve))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    trusted = [c["subject"] for c in context.get_ca_certs()]
    if ca is None:
        assert ((("commonName", "dynamicjobs test CA"),),) not in trusted
    else:
        assert trusted == [((("commonName", "dynamicjobs test CA"),),)]


@pytest.mark.parametrize("separator", ["\u2028", "\x85", "\x0b", "\x0c", "\r"])
def test_every_kind_of_line_break_is_refused_in_a_subject(separator: str) -> None:
    from job_runner.registry import get_template, validate_parameters

    params = {"to": ["a@example.com"], "from": "b@example.com", "subject": f"hi{separator}x",
              "body": "b", "smtp": {"host": "smtp.example.com", "port": 25, "security": "none"}}
    problems = validate_parameters(get_template("email-notification"), params)
    assert [field for field, _ in problems] == ["parameters.subject"]
