"""The MongoDB connection's TLS modes against a FerretDB listening with TLS only, its
certificate issued by a throwaway CA that the system does not trust."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.templates.database_cleanup import DatabaseCleanup
from local_cluster.pki import CertificateAuthority
from tests.backends.mongo import FerretServer, start_ferretdb
from tests.backends.postgres import PostgresServer


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mongo-tls")


@pytest.fixture(scope="module")
def tls_ferretdb(postgres_server: PostgresServer, tls_dir: Path) -> Iterator[FerretServer]:
    authority = CertificateAuthority(tls_dir)
    pair = authority.issue("ferretdb", "localhost", dns_names=("localhost",),
                           ip_addresses=("127.0.0.1",))
    server = start_ferretdb(postgres_server, database="ferretdb_tls", tls=(pair.cert, pair.key))
    yield server
    server.stop()


def cleanup(server: FerretServer, tls: str) -> dict[str, Any]:
    return {"connection": {"driver": "mongodb", "host": "localhost", "port": server.port,
                           "database": "tls", "tls": tls, "connectTimeoutSeconds": 3},
            "table": "tickets", "timestampColumn": "resolved_at", "olderThanDays": 1}


def run(params: dict[str, Any]) -> Any:
    return execute(DatabaseCleanup, params, run_id="it", timeout_seconds=60,
                   secrets=lambda ref: "", dry_run=True)


def test_require_encrypts_without_checking_the_certificate(tls_ferretdb):
    outcome = run(cleanup(tls_ferretdb, "require"))
    assert outcome.result == "Succeeded" and outcome.outputs["wouldDelete"] == 0, \
        outcome.message


def test_verify_full_refuses_a_certificate_the_system_does_not_trust(tls_ferretdb):
    outcome = run(cleanup(tls_ferretdb, "verify-full"))
    assert outcome.result == "Failed" and "certificate verify failed" in outcome.message, \
        outcome.message


def test_verify_full_accepts_the_certificate_once_its_ca_is_trusted(
        tls_ferretdb, tls_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_dir / "ca.crt"))
    outcome = run(cleanup(tls_ferretdb, "verify-full"))
    assert outcome.result == "Succeeded", outcome.message


def test_disable_cannot_talk_to_a_tls_listener(tls_ferretdb):
    outcome = run(cleanup(tls_ferretdb, "disable"))
    assert outcome.result == "Failed" and "connecting to MongoDB" in outcome.message
