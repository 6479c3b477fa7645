"""How the local executor's podman mode turns a pod into `podman run` (no podman needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from job_operator.builders import build_pod_spec
from job_operator.settings import Settings
from job_runner.api import DynamicJob
from local_cluster.containers import (
    ContainerConfigError,
    PodmanRuntime,
    cpu_cores,
    memory_bytes,
    runtime_from_env,
)

RUNTIME = PodmanRuntime(podman=("podman",), nofile=1024, nproc=4096)


def _pod(**spec: Any) -> dict[str, Any]:
    job = DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ops", "uid": "u-1"},
        "spec": {"template": "heartbeat", "schedule": "@daily", **spec},
    })
    pod_spec = build_pod_spec(job, Settings.from_env({"DYNAMICJOBS_RUNNER_IMAGE": "img:1"}))
    return {"metadata": {"name": "beat-1", "namespace": "ops"}, "spec": pod_spec}


def _argv(pod: dict[str, Any], image_user: str = "65532:65532") -> list[str]:
    return RUNTIME.run_argv(pod, "c1", Path("/w/cid"), {"tmp": Path("/w/volumes/tmp")},
                            ["DYNAMICJOBS_JOB"], image_user, Path("/w/termination-log"))


def test_the_operators_runner_pod_becomes_a_confined_podman_run() -> None:
    assert _argv(_pod(resources={"limits": {"memory": "64Mi", "cpu": "500m"}})) == [
        "podman", "run", "--name", "c1", "--cidfile", "/w/cid", "--pull", "never",
        "--network", "host", "--hostname", "beat-1",
        "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
        "--user", "65532:65532", "--read-only", "--read-only-tmpfs=false",
        "--security-opt", "no-new-privileges", "--cap-drop=ALL",
        "--memory", "67108864", "--memory-swap", "67108864", "--cpus", "0.5",
        "--volume", "/w/volumes/tmp:/tmp:rw",
        "--volume", "/w/termination-log:/dev/termination-log:rw", "--env", "DYNAMICJOBS_JOB",
        "--entrypoint", '["python", "-m", "job_runner"]', "img:1", "run", "--from-env",
    ]


def test_run_as_non_root_refuses_an_image_that_would_run_as_root() -> None:
    pod = _pod()
    del pod["spec"]["securityContext"]["runAsUser"]
    with pytest.raises(ContainerConfigError, match="runAsNonRoot"):
        _argv(pod, image_user="")
    assert "--user" not in _argv(pod, image_user="65532")


def test_a_volume_the_executor_cannot_make_is_a_config_error() -> None:
    pod = _pod()
    pod["spec"]["containers"][0]["volumeMounts"].append({"name": "data", "mountPath": "/data"})
    with pytest.raises(ContainerConfigError, match="'data'"):
        _argv(pod)


@pytest.mark.parametrize(("quantity", "expected"), [
    ("256Mi", 256 * 2**20), ("1Gi", 2**30), ("128M", 128 * 10**6), ("1000", 1000),
    ("1.5Gi", 3 * 2**29),
])
def test_memory_quantities(quantity: str, expected: int) -> None:
    assert memory_bytes(quantity) == expected


@pytest.mark.parametrize(("quantity", "expected"), [("500m", "0.5"), ("2", "2"), ("1.5", "1.5")])
def test_cpu_quantities(quantity: str, expected: str) -> None:
    assert cpu_cores(quantity) == expected


def test_the_process_mode_is_the_default_and_podman_is_chosen_by_name() -> None:
    assert runtime_from_env({}) is None
    assert isinstance(runtime_from_env({"DYNAMICJOBS_POD_RUNTIME": "podman"}), PodmanRuntime)
    with pytest.raises(ValueError, match="process or podman"):
        runtime_from_env({"DYNAMICJOBS_POD_RUNTIME": "docker"})
