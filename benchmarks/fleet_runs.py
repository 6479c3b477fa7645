"""P7: many jobs firing every minute, on a real local control plane (not a test).

N heartbeat DynamicJobs on ``* * * * *`` run for M minutes: the real CronJob controller
starts the Jobs, the local pod executor runs each runner as a process, and every run lands
in its DynamicJob's status. Then every job is suspended, the runs still going finish, and
each job's record is compared with the minutes that were due:

- every due run recorded (ran, or Missed with a reason), none twice, none invented;
- the runner's CPU seconds per run (the reaped runner processes' rusage), against the
  bare interpreter's start-up and the import of the Kubernetes client (which the runner
  no longer makes), both measured in the same run.

    .venv/bin/python -m benchmarks.fleet_runs [--jobs 100] [--minutes 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes import client

from benchmarks.plane import client_with_crds, head_commit
from benchmarks.recording import record
from local_cluster.controlplane import ControlPlane
from local_cluster.devrun import operator_environment
from local_cluster.pod_executor import PodExecutor
from local_cluster.webhook import register_webhook
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

NAMESPACE = "fleet-runs"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _interpreter_cpu(code: str, samples: int = 10) -> float:
    """CPU seconds of ``python -c code``: the bare start-up, or an import."""
    before = _children_cpu()
    for _ in range(samples):
        subprocess.run([sys.executable, "-c", code], check=True)
    return (_children_cpu() - before) / samples


def _scheduled_minute(run_id: str) -> int:
    """A CronJob's Job (and our Missed record) is named after its time, in minutes."""
    return int(run_id.rsplit("-", 1)[1])


def _in_parallel(count: int, work: Callable[[int], object]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(count)))


def _audit(jobs: DynamicJobs, names: list[str], first_minute: int, last_minute: int
           ) -> dict[str, Any]:
    """Each job's runs against the minutes due between its first and last due minute."""
    due = set(range(first_minute, last_minute + 1))
    ran = missed = lost = duplicated = invented = 0
    results: dict[str, int] = {}
    failure = ""
    for name in names:
        runs = jobs.get(name).get("status", {}).get("recentRuns", [])
        minutes = [_scheduled_minute(r["id"]) for r in runs if r.get("trigger") == "Schedule"]
        duplicated += len(minutes) - len(set(minutes))
        invented += len(set(minutes) - due - {last_minute + 1})
        lost += len(due - set(minutes))
        for run in runs:
            results[run["result"]] = results.get(run["result"], 0) + 1
            if run["result"] not in ("Succeeded", "Missed") and not failure:
                failure = f"{name}/{run['id']}: {run.get('message', '')}"[:500]
            ran += run["result"] != "Missed"
            missed += run["result"] == "Missed"
    return {"due_runs": len(due) * len(names), "ran": ran, "missed": missed,
            "not_recorded": lost, "recorded_twice": duplicated, "invented": invented,
            "results": results, "first_failure": failure}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "label": args.label,
        "jobs": args.jobs, "minutes": args.minutes,
        "commit": head_commit()}
    with ControlPlane() as plane, tempfile.TemporaryDirectory() as workdir:
        api = client_with_crds(plane)
        client.CoreV1Api(api).create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE)))
        env = {**os.environ, **operator_environment(plane, Path(workdir))}
        operator = OperatorProcess(env=env, log=Path(workdir) / "operator.log")
        operator.start()
        register_webhook(api, int(env["DYNAMICJOBS_WEBHOOK_PORT"]), plane.ca_cert)
        logs = Path(workdir) / "pods"
        logs.mkdir()
        executor = PodExecutor(api_client=api, server=plane.server, ca_cert=plane.ca_cert,
                               logs_dir=logs).start()
        try:
            figures["bare_python_cpu_s"] = round(_interpreter_cpu("pass"), 3)
            # what each run paid before the runner reported with the standard library:
            figures["kubernetes_client_import_cpu_s"] = round(
                _interpreter_cpu("import kubernetes.client"), 3)
            jobs = DynamicJobs(api, NAMESPACE)
            names = [f"beat-{i}" for i in range(args.jobs)]
            _in_parallel(args.jobs, lambda i: jobs.create(
                names[i], schedule="* * * * *", historyLimit=args.minutes + 5,
                parameters={"message": names[i]}))
            wait_for(lambda: all(jobs.is_ready(n) for n in names), timeout=600,
                     what="every job Ready", interval=1)
            first_minute = int(time.time()) // 60 + 1
            cpu_before = _children_cpu()
            print(f"{args.jobs} jobs Ready; firing for {args.minutes} minutes", flush=True)
            last_minute = first_minute + args.minutes - 1
            while time.time() < (last_minute + 1) * 60 - 20:
                time.sleep(5)  # the measured window itself, not synchronisation
            _in_parallel(args.jobs, lambda i: jobs.patch_spec(names[i], suspend=True))
            wait_for(lambda: not executor.running_pods(), timeout=600,
                     what="the runs still going to finish", interval=1)

            def all_recorded() -> bool:
                """Every due run recorded, and finished: the operator writes a run's result
                from its pod once the Job is complete, a moment after the pod ends."""
                audit = _audit(jobs, names, first_minute, last_minute)
                return audit["not_recorded"] == 0 and not audit["results"].get("Running")

            try:
                wait_for(all_recorded, timeout=120, what="every due run recorded", interval=2)
            except AssertionError as error:
                print(f"not every due run was recorded: {error}", flush=True)
            runner_cpu = _children_cpu() - cpu_before
            audit = _audit(jobs, names, first_minute, last_minute)
            figures.update(audit)
            figures["runner_cpu_s_per_run"] = round(runner_cpu / max(1, audit["ran"]), 3)
            figures["runner_cpu_vs_bare_python"] = round(
                figures["runner_cpu_s_per_run"] / figures["bare_python_cpu_s"], 1)
        finally:
            executor.stop()
            operator.stop()
    print({k: v for k, v in figures.items() if k not in ("when", "label")}, flush=True)
    record("fleet_runs", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
