"""P9: the size and time of a /metrics scrape with 2,000 DynamicJobs.

The operator's real metrics code end to end except the cluster: the DynamicJobs' bodies
(each with a full run history of ``--runs`` runs, built through the API's models as the
runner writes them) sit packed in a store as the informer keeps them, the collector
unpacks them at each scrape as it does from the informer, and the scrape goes over HTTP
to the real aiohttp metrics server on loopback. The first scrape counts every run in the
histories (what a new leader does); the next ones find every status seen before.

    .venv/bin/python -m benchmarks.metrics_scrape --jobs 2000 --scrapes 10
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import statistics
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.plane import head_commit
from benchmarks.recording import record
from job_operator.kube import packed, unpacked
from job_operator.metrics import REGISTRY
from job_operator.metrics.jobs import JobCollector, RunTally
from job_operator.metrics.server import MetricsAddress, MetricsServer
from job_runner.api import DynamicJobStatus, RunRecord, ScheduleStatus, rfc3339, status_patch

TEMPLATES = ("heartbeat", "database-cleanup", "data-export", "backup", "webhook-trigger",
             "data-sync", "report-generation", "email-notification")
RESULTS = ("Succeeded", "Succeeded", "Succeeded", "Failed", "Succeeded", "TimedOut")


def _body(index: int, runs: int, now: datetime) -> dict[str, Any]:
    records = []
    for number in range(runs):
        started = now - timedelta(hours=number + 1)
        trigger = "Manual" if number % 7 == 3 else "Schedule"
        records.append(RunRecord(
            id=f"job-{index:05d}-{number:04d}", trigger=trigger, started_at=rfc3339(started),
            finished_at=rfc3339(started + timedelta(seconds=30 + index % 90)),
            result=RESULTS[(index + number) % len(RESULTS)],  # type: ignore[arg-type]
            message="done"))
    status = status_patch(DynamicJobStatus(
        observed_generation=1, cron_job_name=f"job-{index:05d}", last_run=records[0],
        recent_runs=records, last_successful_time=rfc3339(now - timedelta(hours=1)),
        schedule=ScheduleStatus(description="Every hour", next_runs=[
            rfc3339(now + timedelta(hours=h)) for h in range(1, 6)])))
    conditions = [{"type": kind, "status": value, "reason": "Reconciled",
                   "lastTransitionTime": rfc3339(now)}
                  for kind, value in (("Ready", "True"), ("Reconciling", "False"),
                                      ("Stalled", "False"), ("Degraded", "False"))]
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"namespace": f"team-{index % 20:02d}", "name": f"job-{index:05d}",
                         "resourceVersion": str(1000 + index), "generation": 1,
                         "creationTimestamp": rfc3339(now - timedelta(days=30))},
            "spec": {"template": TEMPLATES[index % len(TEMPLATES)], "schedule": "0 * * * *"},
            "status": {**{k: v for k, v in status.items() if v is not None},
                       "conditions": conditions}}


def _scrape(port: int) -> tuple[float, float, bytes, bool]:
    """As Prometheus scrapes (gzip accepted): wall seconds, CPU seconds of this process
    (server and client), the body as sent, and whether it came gzipped."""
    started, cpu = time.perf_counter(), time.process_time()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        body = answer.read()
        gzipped = answer.headers.get("Content-Encoding") == "gzip"
    return time.perf_counter() - started, time.process_time() - cpu, body, gzipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=10, help="runs in each job's history")
    parser.add_argument("--scrapes", type=int, default=10)
    args = parser.parse_args()

    now = datetime.now(UTC)
    store = [packed(_body(index, args.runs, now)) for index in range(args.jobs)]
    collector = JobCollector(RunTally())
    collector.attach(lambda: [unpacked(data) for data in store])
    server = MetricsServer(MetricsAddress(0, "127.0.0.1"), REGISTRY, collector.exposition)
    server.start()
    try:
        first_seconds, first_cpu, sent, gzipped = _scrape(server.port)
        steady = [_scrape(server.port)[:2] for _ in range(args.scrapes)]
    finally:
        server.stop()
    body = gzip.decompress(sent) if gzipped else sent
    text = body.decode()
    series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    record("metrics_scrape", {
        "commit": head_commit(), "at": rfc3339(now), "jobs": args.jobs,
        "runs_per_history": args.runs,
        "series": series, "bytes": len(body), "bytes_sent": len(sent), "gzipped": gzipped,
        "first_scrape_seconds": round(first_seconds, 3),
        "first_scrape_cpu_seconds": round(first_cpu, 3),
        "steady_scrape_seconds_median": round(statistics.median(w for w, _ in steady), 3),
        "steady_scrape_seconds_max": round(max(w for w, _ in steady), 3),
        "steady_scrape_cpu_seconds_median": round(statistics.median(c for _, c in steady), 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "note": "in-process: the operator's registry and per-job exposition, packed store as "
                "the informer keeps it, real aiohttp server on loopback; no API server",
    })


if __name__ == "__main__":
    main()
