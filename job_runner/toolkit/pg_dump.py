"""Running pg_dump for the backup template: finding it, its argv and env, supervising it.

The command line is a list, never a shell string, and carries no connection value: host,
port, user and database reach pg_dump as libpq environment variables (so none of them can
be read as an option or, for the database, expanded as a connection string), the password
only as ``PGPASSWORD`` of the child. Schema and table names are validated identifiers,
quoted so that pg_dump matches them exactly. The child gets a minimal environment, not the
runner's (which holds every Secret of the job).
"""

from __future__ import annotations

import glob
import os
import re
import selectors
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from job_runner.template import RunContext, TemplateError
from job_runner.toolkit.connections import PostgresConnection, checked_hosts, table_columns
from job_runner.toolkit.sql import TABLE_PATTERN, Dialect

DumpFormat = Literal["plain", "custom"]
FALLBACK_GLOB = "/usr/lib/postgresql/*/bin/pg_dump"
INSTALL_HINT = ("install the PostgreSQL client tools in the runner's image, e.g. "
                "`apt-get install --no-install-recommends postgresql-client`")
APPLICATION_NAME = "dynamicjobs-backup"
POLL_SECONDS = 0.1
TERMINATE_GRACE_SECONDS = 3.0
STDERR_LIMIT = 8192
CHUNK_BYTES = 1 << 16


class ByteSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _version_key(path: str) -> tuple[int, ...]:
    found = re.search(r"/postgresql/([0-9.]+)/bin/", path)
    return tuple(int(part) for part in found.group(1).split(".") if part) if found else ()


def find_pg_dump() -> str:
    """pg_dump on PATH, else the newest of Debian's versioned install directories."""
    on_path = shutil.which("pg_dump")
    if on_path:
        return on_path
    installed = sorted(glob.glob(FALLBACK_GLOB), key=_version_key, reverse=True)
    runnable = [path for path in installed if os.access(path, os.X_OK)]
    if not runnable:
        raise TemplateError(f"pg_dump was not found on PATH or in {FALLBACK_GLOB}: "
                            f"{INSTALL_HINT}")
    return runnable[0]


def exact_pattern(name: str) -> str:
    """``schema.table`` as a pg_dump pattern matching exactly that name: each part
    double-quoted (no case folding, no wildcards). Only validated identifiers get here."""
    if not re.fullmatch(TABLE_PATTERN, name):
        raise ValueError(f"not an identifier: {name!r}")
    return ".".join(f'"{part}"' for part in name.split("."))


def pg_dump_argv(
    binary: str, *, dump_format: DumpFormat, compress: bool,
    schemas: Sequence[str] = (), tables: Sequence[str] = (),
    lock_wait_seconds: float | None = None,
) -> list[str]:
    """The argv of one dump to stdout. A pure function of validated parameters: no
    connection value and no credential ever appears in it. ``lock_wait_seconds`` bounds
    how long pg_dump waits for a table lock (another session's DDL) before failing."""
    argv = [binary, "--no-password", f"--format={dump_format}"]
    if lock_wait_seconds is not None:
        argv.append(f"--lock-wait-timeout={max(1, int(lock_wait_seconds * 1000))}ms")
    if dump_format == "custom" and not compress:
        argv.append("--compress=0")
    if schemas or tables:
        argv.append("--strict-names")  # a name that matches nothing fails the dump
    argv += [f"--schema={exact_pattern(schema)}" for schema in schemas]
    argv += [f"--table={exact_pattern(table)}" for table in tables]
    return argv


def pg_dump_env(
    connection: PostgresConnection, password: str | None, *, connect_timeout: int,
    search_path: str = os.defpath, hosts: tuple[str, str] | None = None,
) -> dict[str, str]:
    """The child's whole environment: where to connect, as whom, and nothing else.
    ``hosts`` are libpq's host and hostaddr (`checked_hosts`), so pg_dump connects to the
    addresses the network policy checked and resolves nothing itself."""
    host, hostaddr = hosts or (connection.host, "")
    env = {
        "PATH": search_path, "LC_ALL": "C",
        "PGHOST": host, "PGPORT": str(connection.port),
        "PGUSER": connection.user, "PGDATABASE": connection.database,
        "PGSSLMODE": connection.sslmode, "PGCONNECT_TIMEOUT": str(connect_timeout),
        "PGAPPNAME": APPLICATION_NAME,
    }
    if hostaddr:
        env["PGHOSTADDR"] = hostaddr
    if password is not None:
        env["PGPASSWORD"] = password
    return env


def pg_dump_version(binary: str, ctx: RunContext) -> str:
    """``pg_dump (PostgreSQL) 15.8``: proves the binary runs, for a dry run to report."""
    timeout = max(1.0, min(30.0, ctx.remaining()))
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True,
                              timeout=timeout, env={"PATH": os.defpath, "LC_ALL": "C"},
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TemplateError(f"cannot run {binary}: {error}; {INSTALL_HINT}") from error
    if done.returncode != 0:
        raise TemplateError(f"{binary} --version failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def _failure(returncode: int, stderr: bytes) -> TemplateError:
    text = stderr.decode("utf-8", errors="replace").strip() or "no message"
    how = f"was killed by signal {-returncode}" if returncode < 0 else (
        f"failed (exit status {returncode})")
    return TemplateError(f"pg_dump {how}: {text}")


def run_pg_dump(argv: list[str], env: dict[str, str], sink: ByteSink, ctx: RunContext) -> None:
    """Run pg_dump, copying its stdout into ``sink`` and keeping the tail of its stderr.

    The loop wakes at least every `POLL_SECONDS` to check the run: past the deadline or
    once cancelled, the child is killed and the run's interruption raised. A non-zero exit
    is a TemplateError carrying pg_dump's own message.
    """
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, close_fds=True)
    assert process.stdout is not None and process.stderr is not None
    stderr = bytearray()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            selector.register(process.stderr, selectors.EVENT_READ)
            while selector.get_map():
                ctx.check_cancelled()
                wait = max(0.0, min(POLL_SECONDS, ctx.remaining()))
                for key, _ in selector.select(timeout=wait):
                    chunk = os.read(key.fd, CHUNK_BYTES)
                    if not chunk:
                        selector.unregister(key.fileobj)
                    elif key.fileobj is process.stdout:
                        sink.write(chunk)
                    else:
                        stderr += chunk
                        del stderr[:-STDERR_LIMIT]
        while process.poll() is None:
            ctx.check_cancelled()
            try:
                process.wait(timeout=max(0.0, min(POLL_SECONDS, ctx.remaining())))
            except subprocess.TimeoutExpired:
                continue
    finally:
        _stop(process)
        process.stdout.close()
        process.stderr.close()
    if process.returncode != 0:
        raise _failure(process.returncode, bytes(stderr))



def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM first: pg_dump then asks the server to cancel its query, so the server's
    session ends and releases its locks and snapshot at once. SIGKILL only if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def dump_database(connection: PostgresConnection, argv: list[str], sink: ByteSink,
                  ctx: RunContext) -> None:
    """`run_pg_dump` against ``connection``, its password read from the Secret here."""
    password = ctx.secrets(connection.password) if connection.password else None
    timeout = max(1, int(min(connection.connect_timeout_seconds, ctx.remaining())))
    env = pg_dump_env(connection, password, connect_timeout=timeout,
                      search_path=os.environ.get("PATH", os.defpath),
                      hosts=checked_hosts(connection))
    ctx.logger.info("running pg_dump", extra={"argv": argv})
    run_pg_dump(argv, env, sink, ctx)


def check_included(db: Any, dialect: Dialect, schemas: Sequence[str],
                   tables: Sequence[str]) -> None:
    """What ``--strict-names`` would refuse during the dump, refused by a dry run: a schema
    or table that does not exist."""
    if schemas:
        rows = db.execute("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s)",
                          [list(schemas)]).fetchall()
        missing = sorted(set(schemas) - {row[0] for row in rows})
        if missing:
            raise TemplateError(f"schema {', '.join(map(repr, missing))} does not exist")
    for table in tables:
        table_columns(db, dialect, table)
