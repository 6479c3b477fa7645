"""Leader failover on a real local control plane (not a test: it prints and records).

Two operator replicas elect through a Lease with the chart's default timings (15 s lease,
10 s renew deadline, 2 s retry). Each round creates a DynamicJob at the moment the leader
goes and times how long until it is Ready, i.e. until the standby has taken over and
reconciled it:

1. clean handover: the leader gets SIGTERM and releases the Lease;
2. crash: the leader gets SIGKILL, and the standby must wait for the Lease to expire;

against a baseline measured in the same run: create -> Ready with a leader running.

    .venv/bin/python benchmarks/failover.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.recording import record
from local_cluster.controlplane import ControlPlane
from local_cluster.devrun import operator_environment
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

NAMESPACE = "ha"
LEASE = "dynamicjobs-operator"


def _holder(api: client.ApiClient) -> str:
    lease = client.CoordinationV1Api(api).read_namespaced_lease(LEASE, NAMESPACE)
    return lease.spec.holder_identity or ""


def _time_to_ready(jobs: DynamicJobs, name: str, act: Callable[[], None]) -> float:
    started = time.perf_counter()
    act()
    jobs.create(name)
    wait_for(lambda: jobs.is_ready(name), timeout=120, what=name, interval=0.05)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    repo = Path(__file__).resolve().parent.parent
    names = (f"replica-{n}" for n in itertools.count())
    with ControlPlane() as plane, tempfile.TemporaryDirectory() as workdir:
        subprocess.run([sys.executable.replace("python", "kubectl"), "--kubeconfig",
                        str(plane.kubeconfig), "apply", "--server-side", "-f",
                        str(repo / "crds")], check=True, capture_output=True)
        api = config.new_client_from_config(config_file=str(plane.kubeconfig))
        client.CoreV1Api(api).create_namespace({"metadata": {"name": NAMESPACE}})
        jobs = DynamicJobs(api, NAMESPACE)
        running: dict[str, OperatorProcess] = {}

        def start_replica() -> None:
            name = next(names)
            home = Path(workdir) / name
            home.mkdir()
            env = {**os.environ, **operator_environment(plane, home), "POD_ID": name,
                   "DYNAMICJOBS_LEASE_NAME": LEASE, "DYNAMICJOBS_LEASE_NAMESPACE": NAMESPACE}
            replica = OperatorProcess(env, home / "operator.log",
                                      args=(f"--namespace={NAMESPACE}",))
            replica.start()
            running[name] = replica

        def leader() -> OperatorProcess:
            holder = wait_for(lambda: _holder(api), timeout=60, what="a leader")
            return running[holder.rsplit("_", 1)[0]]

        def ensure_two() -> None:
            while len([r for r in running.values() if r.process and
                       r.process.poll() is None]) < 2:
                start_replica()
            leader()
            wait_for(lambda: jobs.is_ready("warm"), timeout=60, what="a working leader")

        try:
            start_replica()
            jobs.create("warm")
            ensure_two()
            baseline = [_time_to_ready(jobs, f"baseline-{i}", lambda: None)
                        for i in range(args.rounds)]
            handover, crash = [], []
            for index in range(args.rounds):
                handover.append(_time_to_ready(jobs, f"handover-{index}", leader().stop))
                ensure_two()
                crash.append(_time_to_ready(jobs, f"crash-{index}", leader().kill))
                ensure_two()
        finally:
            for replica in running.values():
                replica.stop()

    base = statistics.median(baseline)
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "rounds": args.rounds,
        "lease_seconds": 15,
        "baseline_create_to_ready_median_s": round(base, 3),
        "clean_handover_to_ready_median_s": round(statistics.median(handover), 2),
        "clean_handover_ratio_vs_baseline": round(statistics.median(handover) / base, 1),
        "crash_to_ready_median_s": round(statistics.median(crash), 2),
        "crash_to_ready_max_s": round(max(crash), 2),
        "crash_ratio_vs_baseline": round(statistics.median(crash) / base, 1),
    }
    record("failover", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
