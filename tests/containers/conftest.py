"""Runner pods as real containers (podman): needs root, podman and runc, and the image
`./dev image` builds. Not in `./dev test`'s default paths; `.ci/containers.sh` runs this tier and
the e2e tier with `DYNAMICJOBS_POD_RUNTIME=podman` (docs/image.md)."""

import shutil
from collections.abc import Iterator
from importlib.metadata import version

import pytest
from kubernetes import client

from local_cluster.containers import PodmanRuntime
from local_cluster.controlplane import ControlPlane
from local_cluster.pod_executor import PodExecutor
from tests.kube.fixtures import *  # noqa: F403

IMAGE = f"localhost/dynamicjobs:{version('dynamicjobs')}"


def container_executor(control_plane: ControlPlane, api_client: client.ApiClient,
                       tmp_path_factory: pytest.TempPathFactory,
                       label_selector: str) -> PodExecutor:
    """A stand-in kubelet in its podman mode for the pods ``label_selector`` picks."""
    assert shutil.which("podman"), "podman is needed: apt-get install podman runc (Debian)"
    runtime = PodmanRuntime()
    assert runtime.image_user(IMAGE) is not None, f"{IMAGE} is missing: build it, ./dev image"
    return PodExecutor(api_client=api_client, server=control_plane.server,
                       ca_cert=control_plane.ca_cert, runtime=runtime,
                       label_selector=label_selector,
                       logs_dir=tmp_path_factory.mktemp("container-pods")).start()


@pytest.fixture(scope="module")
def runner_containers(control_plane: ControlPlane, api_client: client.ApiClient,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodExecutor]:
    """Runner pods (the operator's label) as containers, for one module at a time."""
    executor = container_executor(control_plane, api_client, tmp_path_factory,
                                  "app.kubernetes.io/managed-by=dynamicjobs-operator")
    yield executor
    executor.stop()
