"""What every benchmark does first on its local control plane."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client, config

from local_cluster.controlplane import ControlPlane
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

REPO = Path(__file__).resolve().parent.parent
FIRST_PASS = re.compile(r"resync: checked (\d+) DynamicJobs")


def head_commit() -> str:
    """The commit the figures are measured at, recorded with them."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                          capture_output=True, text=True).stdout.strip()


def client_with_crds(plane: ControlPlane, connections: int = 16) -> client.ApiClient:
    """An admin client of ``plane``, after installing our CRDs there."""
    subprocess.run([str(Path(sys.executable).with_name("kubectl")), "--kubeconfig",
                    str(plane.kubeconfig), "apply", "--server-side", "-f",
                    str(REPO / "crds")], check=True, capture_output=True)
    api = config.new_client_from_config(config_file=str(plane.kubeconfig))
    api.configuration.connection_pool_maxsize = connections
    return api


def first_pass_covered(log: str, jobs: int) -> bool:
    """A (restarted) operator's resync pass has checked at least ``jobs`` jobs: it has
    caught up with every job there is."""
    return any(int(count) >= jobs for count in FIRST_PASS.findall(log))


def start_until_caught_up(operator: OperatorProcess, jobs: int, timeout: float) -> float:
    """Start the stopped ``operator`` again and wait until its first resync pass has
    checked ``jobs`` jobs; the seconds from the start to then."""
    offset = len(operator.log_text())
    started = time.perf_counter()
    operator.start()
    wait_for(lambda: first_pass_covered(operator.log_text()[offset:], jobs), timeout=timeout,
             what="the restarted operator's first resync pass over every job", interval=0.5)
    return time.perf_counter() - started
