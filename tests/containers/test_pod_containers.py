"""Runner pods as real containers: the local executor's podman mode against the real API
server, with the image `./dev image` builds (CI builds it before the tests).

The pods are made the way the operator makes them (`build_pod_spec`), so what is checked
is what a runner pod gets on a node: its user, a read-only root with a writable emptyDir
at /tmp, no capabilities, no new privileges, no service-account token, a writable
termination message the pod's status reports, and a memory limit the kernel enforces,
reported as OOMKilled.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from kubernetes import client

from job_operator.builders import build_pod_spec
from job_operator.settings import Settings
from job_runner.api import DynamicJob
from local_cluster.pod_executor import PodExecutor
from tests.containers.conftest import IMAGE
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.integration

LABELS = {"app.kubernetes.io/managed-by": "dynamicjobs-operator"}

INSIDE = textwrap.dedent("""
    import errno, os, pathlib
    assert (os.getuid(), os.getgid()) == (65532, 65532), (os.getuid(), os.getgid())
    try:
        pathlib.Path("/opt/dynamicjobs/written").write_text("x")
        raise SystemExit("the root filesystem is writable")
    except OSError as error:
        assert error.errno == errno.EROFS, error
    pathlib.Path("/tmp/scratch").write_text("the emptyDir is writable")
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    assert status["NoNewPrivs"].strip() == "1", status["NoNewPrivs"]
    assert int(status["CapEff"], 16) == 0 == int(status["CapBnd"], 16), status["CapBnd"]
    assert not pathlib.Path("/var/run/secrets/kubernetes.io").exists(), "a token is mounted"
    pathlib.Path("/dev/termination-log").write_text('{"id": "confined"}')
""")


def _runner_pod(namespace: str, name: str, script: str, memory_limit: str = "256Mi",
                ) -> dict[str, Any]:
    """The operator's runner pod, with a script in place of the runner's command."""
    job = DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": name, "namespace": namespace, "uid": "u-1"},
        "spec": {"template": "heartbeat", "schedule": "@daily",
                 "resources": {"limits": {"memory": memory_limit}}},
    })
    spec = build_pod_spec(job, Settings.from_env({"DYNAMICJOBS_RUNNER_IMAGE": IMAGE}))
    spec["containers"][0]["args"] = ["-c", script]
    spec["containers"][0]["command"] = ["python"]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": LABELS},
            "spec": spec}


def _finished(core: client.CoreV1Api, namespace: str, name: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        pod = core.read_namespaced_pod(name, namespace)
        if pod.status.phase not in ("Succeeded", "Failed"):
            return None
        if not pod.status.container_statuses:  # it never started
            return {"phase": pod.status.phase, "reason": pod.status.reason,
                    "message": pod.status.message}
        state = pod.status.container_statuses[0].state.terminated
        return {"phase": pod.status.phase, "reason": state.reason,
                "exitCode": state.exit_code,
                **({"message": state.message} if state.message else {})}

    result: dict[str, Any] = wait_for(probe, timeout=120, what=f"pod {name} to finish")
    return result


def test_a_runner_pod_runs_confined_as_its_security_context_says(
    runner_containers: PodExecutor, api_client: client.ApiClient, namespace: str,
) -> None:
    core = client.CoreV1Api(api_client)
    core.create_namespaced_pod(namespace, _runner_pod(namespace, "confined", INSIDE))
    finished = _finished(core, namespace, "confined")
    assert runner_containers.logs_dir is not None
    output = (runner_containers.logs_dir / f"{namespace}_confined.log").read_text()
    assert finished == {"phase": "Succeeded", "reason": "Completed", "exitCode": 0,
                        "message": '{"id": "confined"}'}, output


def test_an_allocation_above_the_memory_limit_is_oom_killed(
    runner_containers: PodExecutor, api_client: client.ApiClient, namespace: str,
) -> None:
    core = client.CoreV1Api(api_client)
    script = "block = bytearray(256 * 2**20)"
    core.create_namespaced_pod(namespace, _runner_pod(namespace, "hungry", script, "64Mi"))
    assert _finished(core, namespace, "hungry") == {
        "phase": "Failed", "reason": "OOMKilled", "exitCode": 137}
