"""The README's main job: run the operator against a cluster, local when none is configured."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from kubernetes import config

from local_cluster.binaries import ensure_binaries
from local_cluster.controlplane import (
    OPERATOR_USER,
    ControlPlane,
    die_with_parent,
    free_port,
)
from local_cluster.pod_executor import PodExecutor
from local_cluster.webhook import register_webhook

REPO = Path(__file__).resolve().parent.parent
CRDS = REPO / "crds"
STATUS_EVERY_SECONDS = 30.0


def configured_kubeconfig() -> Path | None:
    """The kubeconfig kubectl would use, if there is one."""
    explicit = os.environ.get("KUBECONFIG")
    if explicit:
        first = Path(explicit.split(os.pathsep)[0])
        return first if first.exists() else None
    default = Path.home() / ".kube" / "config"
    return default if default.exists() else None


def _kubectl(kubectl: Path, kubeconfig: Path, *args: str) -> None:
    subprocess.run([str(kubectl), f"--kubeconfig={kubeconfig}", *args], check=True)


def operator_environment(plane: ControlPlane, workdir: Path) -> dict[str, str]:
    """Environment for an operator on this machine serving the webhook to ``plane``.

    The operator authenticates as its own user, so the audit log tells its requests apart.
    """
    webhook = plane.issue_serving_cert("webhook", workdir)
    kubeconfig = plane.user_kubeconfig(OPERATOR_USER, groups=("system:masters",))
    return {
        "KUBECONFIG": str(kubeconfig),
        "DYNAMICJOBS_WEBHOOK_PORT": str(free_port()),
        "DYNAMICJOBS_WEBHOOK_ADDRESS": "127.0.0.1",
        "DYNAMICJOBS_WEBHOOK_CERTFILE": str(webhook.cert),
        "DYNAMICJOBS_WEBHOOK_KEYFILE": str(webhook.key),
    }


def _start_operator(environment: dict[str, str], timeout: float = 120) -> subprocess.Popen[bytes]:
    """Start the operator and wait until its liveness endpoint answers (startup done)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "job_operator", f"--liveness=http://127.0.0.1:{port}/healthz"],
        env={**os.environ, **environment}, preexec_fn=die_with_parent,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=2):
                return process
        except OSError:
            time.sleep(0.5)
    _stop(process)
    raise RuntimeError("the operator did not become ready; see its output above")


def run_dev(*, local: bool, examples: Path) -> int:
    binaries = ensure_binaries()
    kubeconfig = None if local else configured_kubeconfig()
    with ExitStack() as stack:
        if kubeconfig is None:
            print("no cluster configured: starting a local control plane", flush=True)
            plane = stack.enter_context(ControlPlane(binaries=binaries))
            kubeconfig = plane.kubeconfig
            environment = operator_environment(plane, plane.kubeconfig.parent)
            print(f"control plane at {plane.server}; export KUBECONFIG={kubeconfig}", flush=True)
            executor = PodExecutor(
                api_client=config.new_client_from_config(config_file=str(kubeconfig)),
                server=plane.server, ca_cert=plane.ca_cert, logs_dir=plane.kubeconfig.parent,
            ).start()
            stack.callback(executor.stop)
            print(f"runner pods run as local processes; their logs: {plane.kubeconfig.parent}",
                  flush=True)
        else:
            examples = Path()
            environment = {"KUBECONFIG": str(kubeconfig)}
            print(f"running against the cluster in {kubeconfig}", flush=True)
        _kubectl(binaries.kubectl, kubeconfig, "apply", "--server-side", "-f", str(CRDS))
        _kubectl(binaries.kubectl, kubeconfig, "wait", "--for=condition=Established",
                 "--timeout=60s", "-f", str(CRDS))
        operator = _start_operator(environment)
        stack.callback(_stop, operator)
        if "DYNAMICJOBS_WEBHOOK_PORT" in environment:
            register_webhook(config.new_client_from_config(config_file=str(kubeconfig)),
                             int(environment["DYNAMICJOBS_WEBHOOK_PORT"]), plane.ca_cert)
        if examples != Path() and examples.is_dir():
            _kubectl(binaries.kubectl, kubeconfig, "apply", "-f", str(examples))
        return _watch(binaries.kubectl, kubeconfig, operator)
    return 0


def _watch(kubectl: Path, kubeconfig: Path, operator: subprocess.Popen[bytes]) -> int:
    """Show the DynamicJobs now and then until Ctrl-C or the operator exits."""
    try:
        while operator.poll() is None:
            subprocess.run([str(kubectl), f"--kubeconfig={kubeconfig}", "get",
                            "dynamicjobs-all", "--all-namespaces"], check=False)
            deadline = time.monotonic() + STATUS_EVERY_SECONDS
            while operator.poll() is None and time.monotonic() < deadline:
                time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    print(f"the operator exited with {operator.returncode}", flush=True)
    return operator.returncode or 1


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
