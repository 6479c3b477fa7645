"""A throwaway MongoDB-protocol server: FerretDB v1 over a database of its own in the
PostgreSQL the tests already run, on a free loopback port.

FerretDB is built once from its Go module (`local_cluster/gomod_tools/ferretdb/`) into the
tools cache. It speaks the MongoDB wire protocol, so pymongo (and the templates) talk to
it exactly as to MongoDB; `docs/mongodb.md` lists where it behaves differently.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from pymongo import MongoClient

from local_cluster.binaries import ensure_go_tool
from tests.backends.postgres import PostgresServer, free_port
from tests.kube.waiting import wait_for

FERRETDB_PACKAGE = "dynamicjobs.dev/local-cluster/tools/ferretdb"
"""Our own small main around FerretDB's embeddable package (see its main.go for why)."""


def ferretdb_binary() -> Path:
    """The FerretDB executable, built on first use (98 s with an empty Go build cache)."""
    return ensure_go_tool("ferretdb", FERRETDB_PACKAGE)


@dataclass
class FerretServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    state_dir: Path
    log_path: Path

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def client(self, **options: Any) -> MongoClient[dict[str, Any]]:
        settings = {"serverSelectionTimeoutMS": 10_000, "tz_aware": True, **options}
        return MongoClient(self.uri, **settings)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        try:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        finally:
            shutil.rmtree(self.state_dir, ignore_errors=True)


def _own_database(postgres: PostgresServer, name: str) -> str:
    """A PostgreSQL database for FerretDB alone (created once), as a postgres:// URL."""
    with psycopg.connect(**postgres.dsn(), autocommit=True) as conn:  # type: ignore[arg-type]
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    return (f"postgres://{quote(postgres.user, safe='')}:{quote(postgres.password, safe='')}"
            f"@{postgres.host}:{postgres.port}/{name}")


def start_ferretdb(postgres: PostgresServer, database: str = "ferretdb",
                   tls: tuple[Path, Path] | None = None) -> FerretServer:
    """FerretDB on a free loopback port; with ``tls`` (certificate, key) that port speaks
    TLS only (the plain listener goes to another free port, unused)."""
    binary = ferretdb_binary()
    state_dir = Path(tempfile.mkdtemp(prefix="dj-ferretdb-"))
    log_path = state_dir / "ferretdb.log"
    port = free_port()
    command = [
        str(binary),
        "--handler=postgresql",
        f"--postgresql-url={_own_database(postgres, database)}",
    ]
    if tls is None:
        command.append(f"--listen-addr=127.0.0.1:{port}")
    else:
        command += [f"--listen-addr=127.0.0.1:{free_port()}", f"--listen-tls=127.0.0.1:{port}",
                    f"--listen-tls-cert-file={tls[0]}", f"--listen-tls-key-file={tls[1]}"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = FerretServer("127.0.0.1", port, process, state_dir, log_path)

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"FerretDB exited with {process.returncode}: {server.log()}")
        options: dict[str, Any] = {"tls": True, "tlsInsecure": True} if tls else {}
        with server.client(serverSelectionTimeoutMS=500, **options) as client:
            return bool(client.admin.command("ping").get("ok"))

    try:
        wait_for(answers, timeout=60, what=f"FerretDB on 127.0.0.1:{port}")
    except BaseException:
        server.stop()
        raise
    return server
