"""What every benchmark does first on its local control plane."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client, config

from local_cluster.binaries import ensure_binaries
from local_cluster.controlplane import OPERATOR_SERVICE_ACCOUNT, ControlPlane
from local_cluster.kubeconfig import write_kubeconfig
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

REPO = Path(__file__).resolve().parent.parent
CHART = REPO / "helm" / "dynamicjobs"
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


def chart_operator_kubeconfig(plane: ControlPlane, api: client.ApiClient,
                              directory: Path) -> Path:
    """A kubeconfig for the operator as the chart runs it: the chart's ServiceAccount and
    RBAC (rendered by helm) in the namespace ``dynamicjobs``, and a token of that account,
    as its pod would have. Not the admin's certificate: system:masters skips the RBAC
    check a deployed operator's every request goes through, and a client certificate is
    verified on every request, where the API server caches a token's check."""
    *_, namespace, account = OPERATOR_SERVICE_ACCOUNT.split(":")
    rendered = subprocess.run(
        [str(ensure_binaries().helm), "template", account, str(CHART), "--namespace",
         namespace, "--show-only", "templates/serviceaccount.yaml",
         "--show-only", "templates/rbac.yaml"],
        check=True, capture_output=True, text=True).stdout
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": namespace}})
    subprocess.run([str(Path(sys.executable).with_name("kubectl")), "--kubeconfig",
                    str(plane.kubeconfig), "apply", "-f", "-"],
                   input=rendered, check=True, capture_output=True, text=True)
    token = core.create_namespaced_service_account_token(
        account, namespace, client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=24 * 3600)))
    return write_kubeconfig(directory / "operator-service-account.kubeconfig",
                            server=plane.server, ca_cert=plane.ca_cert,
                            user=OPERATOR_SERVICE_ACCOUNT, context="dynamicjobs-local",
                            token=token.status.token)


def passes_covering(log: str, jobs: int) -> int:
    """How many of the resync passes ended in ``log`` checked at least ``jobs`` jobs: each
    one caught up with every job there is."""
    return sum(int(count) >= jobs for count in FIRST_PASS.findall(log))


def first_pass_covered(log: str, jobs: int) -> bool:
    """A (restarted) operator's resync pass has checked at least ``jobs`` jobs."""
    return passes_covering(log, jobs) >= 1


def start_until_caught_up(operator: OperatorProcess, jobs: int, timeout: float) -> float:
    """Start the stopped ``operator`` again and wait until its first resync pass has
    checked ``jobs`` jobs; the seconds from the start to then."""
    offset = len(operator.log_text())
    started = time.perf_counter()
    operator.start()
    wait_for(lambda: first_pass_covered(operator.log_text()[offset:], jobs), timeout=timeout,
             what="the restarted operator's first resync pass over every job", interval=0.5)
    return time.perf_counter() - started
