"""The MongoDB connection's options: credentials as separate values from the Secret, TLS
modes, one server directly, the host under the network policy."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from job_runner.template import RunContext, SecretRef
from job_runner.toolkit.connections import MongoConnection
from job_runner.toolkit.mongo import checked_host, client_options
from job_runner.toolkit.netpolicy import DestinationRefused

PASSWORD = {"secretRef": {"name": "support-db", "key": "password"}}


def connection(**fields: Any) -> MongoConnection:
    return MongoConnection.model_validate({"driver": "mongodb", "host": "127.0.0.1",
                                           "database": "support", **fields})


def secrets(ref: SecretRef) -> str:
    assert ref.secret_ref.name == "support-db"
    return "p@ss:/word?"


def test_credentials_come_from_the_secret_as_separate_values():
    options = client_options(connection(user="jobs", password=PASSWORD, tls="disable"),
                             RunContext(run_id="u", secrets=secrets))
    assert (options["username"], options["password"], options["authSource"]) == (
        "jobs", "p@ss:/word?", "support")
    assert options["directConnection"] is True and options["tls"] is False


def test_tls_modes():
    ctx = RunContext(run_id="u")
    strict = client_options(connection(), ctx)
    assert strict["tls"] is True and "tlsAllowInvalidCertificates" not in strict
    loose = client_options(connection(tls="require", authSource="admin", user="u"), ctx)
    assert loose["tlsAllowInvalidCertificates"] and loose["tlsAllowInvalidHostnames"]
    assert loose["authSource"] == "admin" and loose["password"] == ""


@pytest.mark.parametrize("fields", [
    {"database": "a.b"}, {"database": "$x"}, {"database": ""}, {"host": "h/x"},
    {"host": "mongodb://evil"}, {"password": PASSWORD}, {"authSource": "a b"},
    {"tls": "prefer"}, {"user": "a\x00b"}, {"options": {"authMechanism": "PLAIN"}},
])
def test_hostile_or_incomplete_connections_are_refused(fields: dict[str, Any]):
    with pytest.raises(ValidationError):
        connection(**fields)


def test_the_cloud_metadata_address_is_refused():
    with pytest.raises(DestinationRefused):
        checked_host(connection(host="169.254.169.254", tls="disable"))


def test_without_tls_the_checked_address_is_used():
    assert checked_host(connection(host="localhost", tls="disable")) in ("127.0.0.1", "::1")
    assert checked_host(connection(host="localhost")) == "localhost"
