"""A throwaway PostgreSQL server: initdb into a temp dir, pg_ctl start on a free loopback port.

PostgreSQL refuses to run as root, so when the tests run as root the data directory is
owned by the `postgres` user (Debian's package creates it) and the binaries run through
`runuser`.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "install PostgreSQL 15 server binaries, e.g. `apt-get install -y postgresql`"


def find_bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise RuntimeError(f"PostgreSQL server binaries (initdb, pg_ctl) not found: {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    host: str
    port: int
    database: str
    user: str
    password: str
    datadir: Path
    bindir: Path
    run_as: str | None

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, *args]

    def run(self, tool: str, *args: str) -> None:
        command = self._command(str(self.bindir / tool), *args)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")

    def dsn(self) -> dict[str, object]:
        return {
            "host": self.host, "port": self.port, "dbname": self.database,
            "user": self.user, "password": self.password,
        }

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_postgres() -> PostgresServer:
    bindir = find_bindir()
    run_as = None
    root = Path(tempfile.mkdtemp(prefix="dj-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(f"running as root needs a `postgres` user: {INSTALL_HINT}") from None
        run_as = "postgres"
        os.chown(root, account.pw_uid, account.pw_gid)
    password = secrets.token_urlsafe(16)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if run_as:
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    server = PostgresServer(
        "127.0.0.1", free_port(), "dynamicjobs", "postgres", password, root / "data", bindir, run_as
    )
    server.run(
        "initdb", "-D", str(server.datadir), "-U", "postgres", "--pwfile", str(pwfile),
        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
    )
    options = (
        f"-p {server.port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    server.run(
        "pg_ctl", "-D", str(server.datadir), "-o", options, "-l", str(root / "log"), "-w", "start"
    )
    try:
        server.run("createdb", "-h", str(root), "-p", str(server.port), "-U", "postgres",
                   server.database)
    except Exception:
        server.stop()
        raise
    return server
