# ruff: noqa: F811  (fixtures imported from tests.backends.fixtures are parameters here)
"""SMTP servers and database hosts under the runner's network policy (issue 8, point 7):
a job could make the runner connect to the cloud metadata endpoint (169.254.169.254)
through email-notification's smtp.host or a connection.host; now each host is resolved,
every address checked, and the client connects to a checked address only."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import psycopg
import pytest

from job_runner.execute import execute
from job_runner.template import RunContext
from job_runner.templates.data_export import DataExport
from job_runner.templates.email_notification import EmailNotification
from job_runner.toolkit import pg_dump
from job_runner.toolkit.connections import PostgresConnection, checked_hosts
from job_runner.toolkit.netpolicy import AddressPolicy, DestinationRefused
from tests.backends.fixtures import smtp_server  # noqa: F401  (pytest fixture)
from tests.backends.smtp import SmtpServer

SERVICES = AddressPolicy.for_services({})


@pytest.mark.parametrize("address", [
    "169.254.169.254", "169.254.170.2", "fe80::1", "fd00:ec2::254", "100.100.100.200",
    "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "224.0.0.1", "0.0.0.0", "::",
])
def test_services_may_not_reach_metadata_link_local_multicast_or_nothing(address: str) -> None:
    assert SERVICES.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", [
    "10.0.0.5", "192.168.1.1", "172.16.0.1", "100.64.0.10", "fd12:3456::1", "127.0.0.1",
    "::1", "8.8.8.8",
])
def test_services_inside_the_cluster_are_allowed(address: str) -> None:
    """Databases and SMTP relays usually live in the cluster, unlike webhook endpoints."""
    assert SERVICES.refusal(ipaddress.ip_address(address)) is None
    if not ipaddress.ip_address(address).is_global:
        assert AddressPolicy().refusal(ipaddress.ip_address(address)) is not None


def test_the_admins_lists_apply_to_services_too() -> None:
    policy = AddressPolicy.for_services({
        "DYNAMICJOBS_WEBHOOK_DENY_CIDRS": "10.20.0.0/16",
        "DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS": "169.254.10.0/24"})
    assert policy.refusal(ipaddress.ip_address("10.20.1.1")) == "denied by the runner's deny list"
    assert policy.refusal(ipaddress.ip_address("10.21.1.1")) is None
    assert policy.refusal(ipaddress.ip_address("169.254.10.5")) is None
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) is not None


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record any attempt to connect anywhere, and fail it."""
    attempts: list[Any] = []

    def refuse(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(address)
        raise ConnectionRefusedError(f"the test refuses a connection to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def _email(host: str, port: int) -> dict[str, Any]:
    return {"to": ["ops@example.com"], "from": "jobs@example.com", "subject": "s",
            "body": "b", "smtp": {"host": host, "port": port, "security": "none"}}


def test_an_smtp_host_at_the_metadata_address_is_refused_before_any_connection(
    no_connections: list[Any],
) -> None:
    outcome = execute(EmailNotification, _email("169.254.169.254", 25), run_id="r",
                      timeout_seconds=10, secrets=lambda ref: "unused")
    assert outcome.result == "Failed"
    assert "smtp.host '169.254.169.254'" in outcome.message
    assert "metadata" in outcome.message
    assert no_connections == []


def test_smtp_connects_to_the_checked_address_not_a_second_lookup(
    smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name resolves once, to the loopback server; a later lookup would say otherwise."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        if host == "mail.test" and len(lookups) == 1:
            return real(smtp_server.host, *args, **kwargs)
        if host == "mail.test":
            return real("169.254.169.254", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    outcome = execute(EmailNotification, _email("mail.test", smtp_server.port), run_id="r",
                      timeout_seconds=30, secrets=lambda ref: "unused")
    assert outcome.result == "Succeeded", outcome.message
    assert lookups.count("mail.test") == 1
    assert len(smtp_server.mailbox.wait_for(1)) == 1


def test_a_database_host_at_the_metadata_address_is_refused_before_any_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_connections: list[Any],
) -> None:
    def must_not_connect(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("psycopg.connect was called")

    monkeypatch.setattr(psycopg, "connect", must_not_connect)
    params = {"source": {"connection": {"driver": "postgresql", "host": "169.254.169.254",
                                        "database": "app", "user": "u"}, "table": "t"},
              "destination": {"directory": str(tmp_path), "filename": "t.csv"}}
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=10,
                      secrets=lambda ref: "unused")
    assert outcome.result == "Failed"
    assert "connection.host '169.254.169.254'" in outcome.message
    assert no_connections == []


def test_libpq_and_pg_dump_get_the_checked_addresses_as_hostaddr() -> None:
    connection = PostgresConnection.model_validate(
        {"driver": "postgresql", "host": "localhost", "database": "app", "user": "u"})
    host, hostaddr = checked_hosts(connection)
    addresses = hostaddr.split(",")
    assert set(addresses) <= {"127.0.0.1", "::1"} and addresses
    assert host.split(",") == ["localhost"] * len(addresses)
    env = pg_dump.pg_dump_env(connection, None, connect_timeout=5, hosts=(host, hostaddr))
    assert (env["PGHOST"], env["PGHOSTADDR"]) == (host, hostaddr)


def test_pg_dump_does_not_start_for_a_refused_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pg_dump was started")

    monkeypatch.setattr(pg_dump, "run_pg_dump", must_not_run)
    connection = PostgresConnection.model_validate(
        {"driver": "postgresql", "host": "fe80::1", "database": "app", "user": "u"})
    with pytest.raises(DestinationRefused, match=r"connection\.host 'fe80::1'"):
        pg_dump.dump_database(connection, ["pg_dump"], sink=None,  # type: ignore[arg-type]
                              ctx=RunContext(run_id="r"))
