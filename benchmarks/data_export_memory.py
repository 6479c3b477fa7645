"""data-export memory check: export N rows from a real PostgreSQL and report peak RSS.

Each measurement runs in a fresh child process so peaks don't mix:
  idle      the interpreter with the runner imported (baseline)
  fetchall  fetching a smaller count at once, the approach data-export must not use
  export    the data-export template streaming all N rows to CSV

Usage: python benchmarks/data_export_memory.py [ROWS]   (default 1,000,000)
Appends one JSON record to benchmarks/results/data_export_memory.json.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recording import record
from tests.backends.postgres import start_postgres

FETCHALL_ROWS = 200_000

CHILD = r"""
import json, resource, sys, time, psycopg
from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
mode, dsn, rows, out = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
start = time.perf_counter()
if mode == "fetchall":
    with psycopg.connect(**dsn) as conn:
        data = conn.execute("SELECT * FROM bench LIMIT %s", [rows]).fetchall()
elif mode == "export":
    connection = {"driver": "postgresql", "host": dsn["host"], "port": dsn["port"],
                  "database": dsn["dbname"], "user": dsn["user"], "sslmode": "disable",
                  "password": {"secretRef": {"name": "bench", "key": "pw"}}}
    params = {"source": {"connection": connection, "table": "bench"},
              "destination": {"directory": out, "filename": "bench.csv"}}
    outcome = execute(DataExport, params, run_id="bench", timeout_seconds=3600,
                      secrets=lambda ref: dsn["password"])
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["rows"] == rows, outcome.outputs
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peakRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def measure(mode: str, dsn: dict, rows: int, out: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, json.dumps(dsn), str(rows), out],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(rows: int) -> None:
    server = start_postgres()
    try:
        import psycopg

        with psycopg.connect(**server.dsn(), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(
                "CREATE TABLE bench AS SELECT i AS id, md5(i::text) AS name, "
                "now() - make_interval(secs => i) AS created_at, i * 0.5 AS amount "
                "FROM generate_series(1, %s) AS i", [rows]
            )
        with tempfile.TemporaryDirectory() as out:
            idle = measure("idle", server.dsn(), rows, out)
            fetchall = measure("fetchall", server.dsn(), min(rows, FETCHALL_ROWS), out)
            export = measure("export", server.dsn(), rows, out)
            file_bytes = (Path(out) / "bench.csv").stat().st_size
    finally:
        server.stop()
    figures = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "exportSeconds": round(export["seconds"], 2),
        "rowsPerSecond": round(rows / export["seconds"]),
        "fileBytes": file_bytes,
        "idlePeakRssKiB": idle["peakRssKiB"],
        "exportPeakRssKiB": export["peakRssKiB"],
        "exportOverIdle": round(export["peakRssKiB"] / idle["peakRssKiB"], 2),
        "fetchallRows": min(rows, FETCHALL_ROWS),
        "fetchallPeakRssKiB": fetchall["peakRssKiB"],
        "exportOverFetchall": round(export["peakRssKiB"] / fetchall["peakRssKiB"], 2),
        "maxrssUnit": "KiB" if sys.platform != "darwin" else "bytes",
        "python": sys.version.split()[0],
        "selfRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    record("data_export_memory", figures)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
