"""MongoDB templates on FerretDB: documents per second of database-cleanup and data-export
against a plain `deleteMany` / `find` in the same run, and the export's peak memory.

FerretDB v1.24 over PostgreSQL, both started here on loopback (tests/backends). Each
export runs in a fresh child process so peaks don't mix:
  idle      the interpreter with the runner imported (baseline)
  find      a plain pymongo `find()` iterated to the end (the throughput baseline)
  fetchall  `list(find())` of a smaller count, the approach data-export must not use
  export    the data-export template streaming all N documents to JSON Lines
Cleanup: two identical collections of M documents, half of them past the cutoff; one is
cleaned by one `deleteMany`, the other by the template (batches of B, each delete
repeating its conditions). On FerretDB each batch scans the collection (docs/mongodb.md),
so B decides the template's speed there.

Usage: python -m benchmarks.mongo_throughput [DOCUMENTS] [CLEANUP_DOCUMENTS] [BATCH]
       (defaults 1,000,000, 100,000 and 10,000)
Appends one JSON record to benchmarks/results/mongo_throughput.json.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recording import record
from tests.backends.mongo import start_ferretdb
from tests.backends.postgres import start_postgres

FETCHALL_DOCUMENTS = 200_000
INSERT_BATCH = 10_000
NOW = datetime.now(UTC)

CHILD = r"""
import json, resource, sys, time
from pymongo import MongoClient
from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
mode, uri, connection, count, out = (sys.argv[1], sys.argv[2], json.loads(sys.argv[3]),
                                     int(sys.argv[4]), sys.argv[5])
start = time.perf_counter()
seen = 0
if mode in ("find", "fetchall"):
    with MongoClient(uri) as client:
        cursor = client[connection["database"]].bench.find({}, limit=count, batch_size=5000)
        if mode == "fetchall":
            seen = len(list(cursor))
        else:
            for _ in cursor:
                seen += 1
elif mode == "export":
    params = {"source": {"connection": connection, "table": "bench"}, "format": "jsonl",
              "destination": {"directory": out, "filename": "bench.jsonl"}}
    outcome = execute(DataExport, params, run_id="bench", timeout_seconds=7200,
                      secrets=lambda ref: "")
    assert outcome.result == "Succeeded", outcome.message
    seen = outcome.outputs["rows"]
print(json.dumps({"seconds": time.perf_counter() - start, "documents": seen,
                  "peakRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def measure(mode: str, uri: str, connection: dict[str, Any], count: int, out: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, uri, json.dumps(connection), str(count), out],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def seed(collection: Any, count: int) -> float:
    """``count`` documents, every other one past a 30-day cutoff; the seconds it took."""
    started = time.perf_counter()
    for first in range(0, count, INSERT_BATCH):
        collection.insert_many([
            {"_id": n, "ref": f"T-{n:08}", "status": "resolved" if n % 3 else "open",
             "created_at": NOW - timedelta(days=60 if n % 2 else 1), "size": n * 0.5,
             "owner": {"team": "support", "n": n % 17}}
            for n in range(first, min(first + INSERT_BATCH, count))
        ], ordered=False)
    return time.perf_counter() - started


def cleanup_figures(db: Any, connection: dict[str, Any], count: int,
                    batch_size: int) -> dict[str, Any]:
    from job_runner.execute import execute
    from job_runner.templates.database_cleanup import DatabaseCleanup

    seed(db.baseline, count)
    seed(db.cleaned, count)
    cutoff = NOW - timedelta(days=30)
    started = time.perf_counter()
    baseline = db.baseline.delete_many({"created_at": {"$lt": cutoff}}).deleted_count
    baseline_seconds = time.perf_counter() - started
    params = {"connection": connection, "table": "cleaned", "timestampColumn": "created_at",
              "olderThanDays": 30, "batchSize": batch_size}
    started = time.perf_counter()
    outcome = execute(DatabaseCleanup, params, run_id="bench", timeout_seconds=7200,
                      secrets=lambda ref: "")
    template_seconds = time.perf_counter() - started
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == baseline, (outcome.outputs, baseline)
    return {
        "cleanupDocuments": count, "cleanupDeleted": baseline,
        "deleteManySeconds": round(baseline_seconds, 2),
        "deleteManyDocumentsPerSecond": round(baseline / baseline_seconds),
        "cleanupSeconds": round(template_seconds, 2),
        "cleanupDocumentsPerSecond": round(baseline / template_seconds),
        "cleanupOverDeleteMany": round(template_seconds / baseline_seconds, 2),
        "cleanupBatchSize": batch_size, "cleanupBatches": outcome.outputs["batches"],
    }


def main(documents: int, cleanup_documents: int, batch_size: int) -> None:
    postgres = start_postgres()
    ferretdb = start_ferretdb(postgres)
    connection = {"driver": "mongodb", "host": ferretdb.host, "port": ferretdb.port,
                  "database": "bench", "tls": "disable"}
    try:
        with ferretdb.client() as client:
            client.drop_database("bench")
            db = client.bench
            seed_seconds = seed(db.bench, documents)
            with tempfile.TemporaryDirectory() as out:
                idle = measure("idle", ferretdb.uri, connection, documents, out)
                find = measure("find", ferretdb.uri, connection, documents, out)
                fetchall = measure("fetchall", ferretdb.uri, connection,
                                   min(documents, FETCHALL_DOCUMENTS), out)
                export = measure("export", ferretdb.uri, connection, documents, out)
                file_bytes = (Path(out) / "bench.jsonl").stat().st_size
            cleanup = cleanup_figures(db, connection, cleanup_documents, batch_size)
    finally:
        ferretdb.stop()
        postgres.stop()
    assert export["documents"] == find["documents"] == documents
    figures = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "server": "FerretDB 1.24.2 over PostgreSQL (loopback)",
        "documents": documents,
        "seedSeconds": round(seed_seconds, 1),
        "findSeconds": round(find["seconds"], 2),
        "findDocumentsPerSecond": round(documents / find["seconds"]),
        "exportSeconds": round(export["seconds"], 2),
        "exportDocumentsPerSecond": round(documents / export["seconds"]),
        "exportOverFind": round(export["seconds"] / find["seconds"], 2),
        "fileBytes": file_bytes,
        "idlePeakRssKiB": idle["peakRssKiB"],
        "exportPeakRssKiB": export["peakRssKiB"],
        "findPeakRssKiB": find["peakRssKiB"],
        "fetchallDocuments": min(documents, FETCHALL_DOCUMENTS),
        "fetchallPeakRssKiB": fetchall["peakRssKiB"],
        **cleanup,
        "python": sys.version.split()[0],
        "selfRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    record("mongo_throughput", figures)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 100_000,
         int(sys.argv[3]) if len(sys.argv) > 3 else 10_000)
