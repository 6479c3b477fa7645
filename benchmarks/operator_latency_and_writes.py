"""Operator figures on a real local control plane (not a test: it prints and records).

1. create -> CronJob present and Ready latency for one DynamicJob (median of 20), against a
   baseline measured in the same run: the API round trip of creating a CronJob directly.
2. Write requests the operator makes when restarted with 100 unchanged DynamicJobs, counted
   from the API server's audit log, against the writes it made to create them.

    .venv/bin/python benchmarks/operator_latency_and_writes.py [--jobs 100] [--samples 20]
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.plane import start_until_caught_up
from benchmarks.recording import record
from local_cluster.audit import audited_writes
from local_cluster.controlplane import ControlPlane
from local_cluster.devrun import OPERATOR_USER, operator_environment
from local_cluster.webhook import register_webhook
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ready_with_cronjob(jobs: DynamicJobs, name: str) -> bool:
    return jobs.cronjob(name) is not None and jobs.is_ready(name)


def measure_latency(jobs: DynamicJobs, samples: int) -> list[float]:
    latencies = []
    for index in range(samples):
        name = f"latency-{index}"
        started = time.perf_counter()
        jobs.create(name)
        wait_for(lambda n=name: _ready_with_cronjob(jobs, n), timeout=60, what=name,
                 interval=0.01)
        latencies.append(time.perf_counter() - started)
    return latencies


def measure_baseline(api: client.ApiClient, namespace: str, samples: int) -> list[float]:
    """Create a CronJob directly and read it back: the floor any operator sits on."""
    batch = client.BatchV1Api(api)
    timings = []
    for index in range(samples):
        body = {"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": {"name": f"direct-{index}"},
                "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
                    "spec": {"restartPolicy": "Never",
                             "containers": [{"name": "c", "image": "busybox"}]}}}}}}
        started = time.perf_counter()
        batch.create_namespaced_cron_job(namespace, body)
        batch.read_namespaced_cron_job(f"direct-{index}", namespace)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    repo = Path(__file__).resolve().parent.parent
    with ControlPlane() as plane, tempfile.TemporaryDirectory() as workdir:
        subprocess.run([sys.executable.replace("python", "kubectl"), "--kubeconfig",
                        str(plane.kubeconfig), "apply", "--server-side", "-f",
                        str(repo / "crds")], check=True, capture_output=True)
        api = config.new_client_from_config(config_file=str(plane.kubeconfig))
        core = client.CoreV1Api(api)
        for namespace in ("latency", "restart"):
            core.create_namespace({"metadata": {"name": namespace}})
        env = {**os.environ, **operator_environment(plane, Path(workdir)),
               "DYNAMICJOBS_DRIFT_CHECK_SECONDS": "10"}
        operator = OperatorProcess(env=env, log=Path(workdir) / "operator.log")
        operator.start()
        register_webhook(api, int(env["DYNAMICJOBS_WEBHOOK_PORT"]), plane.ca_cert)

        latency_jobs = DynamicJobs(api, "latency")
        latencies = measure_latency(latency_jobs, args.samples)
        baseline = measure_baseline(api, "latency", args.samples)

        restart_jobs = DynamicJobs(api, "restart")
        names = [f"steady-{i}" for i in range(args.jobs)]
        created_at = _now()
        for name in names:
            restart_jobs.create(name, schedule="0 4 * * *")
        wait_for(lambda: all(restart_jobs.is_settled(n) for n in names), timeout=600,
                 what="all jobs Ready and handled", interval=1)
        creation_writes = [w for w in audited_writes(plane.audit_log, user=OPERATOR_USER,
                                                     since=created_at)
                           if w.namespace == "restart"]
        operator.stop()
        restarted_at = _now()
        resume_seconds = start_until_caught_up(operator, args.jobs, timeout=600)
        restart_writes = list(audited_writes(plane.audit_log, user=OPERATOR_USER,
                                             since=restarted_at))
        operator.stop()

    by_resource = collections.Counter(f"{w.verb} {w.resource}" for w in restart_writes)
    figures = {
        "when": _now(),
        "create_to_ready_median_s": round(statistics.median(latencies), 3),
        "create_to_ready_p90_s": round(sorted(latencies)[int(0.9 * len(latencies)) - 1], 3),
        "baseline_direct_cronjob_median_s": round(statistics.median(baseline), 4),
        "latency_ratio_vs_baseline": round(statistics.median(latencies)
                                           / statistics.median(baseline), 1),
        "jobs": args.jobs,
        "writes_to_create_jobs": len(creation_writes),
        "writes_on_restart_total": len(restart_writes),
        "writes_on_restart_by_resource": dict(by_resource),
        "restart_to_resumed_and_resynced_s": round(resume_seconds, 1),
    }
    record("operator", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
