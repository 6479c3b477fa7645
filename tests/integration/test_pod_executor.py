"""The stand-in kubelet runs each pod once and reports its termination message."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kubernetes import client

from local_cluster.pod_executor import PodExecutor
from tests.kube.waiting import wait_for

LABELS = {"app.kubernetes.io/managed-by": "dynamicjobs-operator"}
PODS = 8
WRITE = ("import os, sys\n"
         "open(sys.argv[1], 'a').write(os.environ['POD'] + '\\n')\n"
         "open(os.environ['DYNAMICJOBS_TERMINATION_MESSAGE_PATH'], 'w')"
         ".write('{\"pod\": \"' + os.environ['POD'] + '\"}')\n")


def test_a_short_pod_runs_once_and_reports_what_it_wrote(
    pod_executor: PodExecutor, api_client: client.ApiClient, namespace: str, tmp_path: Path,
) -> None:
    """A process that ends at once used to be started again on a watch event older than
    its exit (the binding's, still Pending)."""
    core = client.CoreV1Api(api_client)
    ledger = tmp_path / "runs"
    names = [f"quick-{index}" for index in range(PODS)]
    for name in names:
        core.create_namespaced_pod(namespace, {
            "metadata": {"name": name, "labels": LABELS},
            "spec": {"restartPolicy": "Never", "automountServiceAccountToken": False,
                     "containers": [{"name": "runner", "image": "local",
                                     "command": [sys.executable, "-c", WRITE, str(ledger)],
                                     "env": [{"name": "POD", "value": name}]}]}})

    def finished() -> list[client.V1Pod] | None:
        pods = [core.read_namespaced_pod(name, namespace) for name in names]
        return pods if all(p.status.phase == "Succeeded" for p in pods) else None

    pods = wait_for(finished, timeout=60, what="the pods to succeed")
    assert sorted(ledger.read_text().split()) == sorted(names), "each pod ran exactly once"
    for pod in pods:
        terminated = pod.status.container_statuses[0].state.terminated
        assert json.loads(terminated.message) == {"pod": pod.metadata.name}
