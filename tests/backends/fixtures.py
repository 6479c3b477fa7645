"""pytest fixtures for real backends: PostgreSQL, SMTP and HTTP servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from job_runner.secrets import env_secret_resolver, secret_env_name
from job_runner.template import SecretRef
from tests.backends.http import HttpServer
from tests.backends.mongo import FerretServer, start_ferretdb
from tests.backends.postgres import PostgresServer, start_postgres
from tests.backends.smtp import SmtpServer, start_smtp

PG_PASSWORD_REF = SecretRef.model_validate({"secretRef": {"name": "test-db", "key": "password"}})


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except RuntimeError as error:
        pytest.fail(f"cannot start PostgreSQL for the integration tests: {error}")
    yield server
    server.stop()


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the test database, for setting up and checking tables."""
    with psycopg.connect(**postgres_server.dsn(), autocommit=True) as conn:  # type: ignore[arg-type]
        yield conn


@pytest.fixture
def pg_connection(postgres_server: PostgresServer) -> dict[str, Any]:
    """`connection` parameters for the SQL templates, the password as a SecretRef."""
    return {
        "driver": "postgresql",
        "host": postgres_server.host,
        "port": postgres_server.port,
        "database": postgres_server.database,
        "user": postgres_server.user,
        "password": PG_PASSWORD_REF.model_dump(by_alias=True),
        "sslmode": "disable",
    }


@pytest.fixture
def pg_secrets(postgres_server: PostgresServer) -> Any:
    return env_secret_resolver({secret_env_name(PG_PASSWORD_REF): postgres_server.password})


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.controller.stop()


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    server = HttpServer()
    yield server
    server.stop()


@pytest.fixture
def allow_loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin's allow-list as the Helm values would set it, opened for 127.0.0.0/8."""
    monkeypatch.setenv("DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS", "127.0.0.0/8")


@pytest.fixture(scope="session")
def ferretdb_server(postgres_server: PostgresServer) -> Iterator[FerretServer]:
    """FerretDB (a MongoDB-protocol server) over its own database in the test PostgreSQL."""
    try:
        server = start_ferretdb(postgres_server)
    except RuntimeError as error:
        pytest.fail(f"cannot start FerretDB for the MongoDB tests: {error}")
    yield server
    server.stop()


@pytest.fixture
def mongo_connection(ferretdb_server: FerretServer) -> dict[str, Any]:
    """`connection` parameters for a template reaching the FerretDB server, database
    `dynamicjobs` (no credentials: FerretDB's own PostgreSQL login is the backend's)."""
    return {
        "driver": "mongodb", "host": ferretdb_server.host, "port": ferretdb_server.port,
        "database": "dynamicjobs", "tls": "disable",
    }


@pytest.fixture
def mongo_db(ferretdb_server: FerretServer) -> Iterator[Any]:
    """The `dynamicjobs` database through pymongo, emptied before each test."""
    with ferretdb_server.client() as client:
        client.drop_database("dynamicjobs")
        yield client["dynamicjobs"]
