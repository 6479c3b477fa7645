"""Opening a MongoDB connection under the runner's rules: the password from a Secret, the
host checked by the network policy, timeouts bounded by the run's remaining time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from job_runner.template import RunContext, TemplateError
from job_runner.toolkit.connections import MongoConnection
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.netpolicy import AddressPolicy

if TYPE_CHECKING:
    import pymongo
    import pymongo.errors as pymongo_errors
    from pymongo import MongoClient
    from pymongo.database import Database
else:
    pymongo = lazy_module("pymongo")
    pymongo_errors = lazy_module("pymongo.errors")

Document = dict[str, Any]


@contextmanager
def mongo_errors(what: str) -> Iterator[None]:
    """Turn driver errors into TemplateErrors that say what was being done."""
    try:
        yield
    except pymongo_errors.ExecutionTimeout as error:
        raise TemplateError(f"{what}: operation timed out ({error})") from error
    except pymongo_errors.PyMongoError as error:
        raise TemplateError(f"{what}: MongoDB error: {error}") from error


def _timeout_ms(seconds: float, ctx: RunContext) -> int:
    return max(1000, int(min(seconds, ctx.remaining()) * 1000))


def client_options(connection: MongoConnection, ctx: RunContext) -> dict[str, Any]:
    """Keyword arguments of `MongoClient`: credentials as separate values (never spliced
    into a URI), TLS as the connection's mode says."""
    options: dict[str, Any] = {
        "port": connection.port,
        "directConnection": True,
        "tz_aware": True,
        "appname": "dynamicjobs-runner",
        "connectTimeoutMS": _timeout_ms(connection.connect_timeout_seconds, ctx),
        "serverSelectionTimeoutMS": _timeout_ms(connection.connect_timeout_seconds, ctx),
        "tls": connection.tls != "disable",
    }
    if connection.tls == "require":
        options["tlsAllowInvalidCertificates"] = True
        options["tlsAllowInvalidHostnames"] = True
    if connection.user is not None:
        options["username"] = connection.user
        options["password"] = ctx.secrets(connection.password) if connection.password else ""
        options["authSource"] = connection.auth_source or connection.database
    return options


def checked_host(connection: MongoConnection) -> str:
    """The address to connect to: the host name resolved here and every address checked
    (`AddressPolicy.for_services`). Without TLS the driver is given the checked address,
    so a DNS answer cannot change between check and connection; with TLS it is given the
    name, which the certificate must match."""
    addresses = AddressPolicy.for_services(os.environ).resolve(
        connection.host, connection.port, field="connection.host")
    return connection.host if connection.tls != "disable" else addresses[0]


@contextmanager
def open_mongo(connection: MongoConnection, ctx: RunContext) -> Iterator[Database[Document]]:
    """The connection's database, the server reached before the block starts."""
    host = checked_host(connection)
    client: MongoClient[Document] = pymongo.MongoClient(host, **client_options(connection, ctx))
    try:
        with mongo_errors(f"connecting to MongoDB at {connection.host}:{connection.port}"):
            client.admin.command("ping")
        yield client[connection.database]
    finally:
        client.close()
