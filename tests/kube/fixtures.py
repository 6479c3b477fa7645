"""Fixtures for tests on a real control plane: the plane, clients, namespaces, the operator.

The control plane is started once per session; each test gets a fresh namespace. Nothing
here runs at import time, so unit tests never need Go, etcd or a cluster.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from local_cluster.controlplane import ControlPlane
from local_cluster.devrun import operator_environment
from local_cluster.pod_executor import PodExecutor
from local_cluster.webhook import CONFIGURATION_NAME, register_webhook
from tests.kube.dynamicjobs import GROUP, PLURAL, VERSION, manifest
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    workdir = tmp_path_factory.mktemp("control-plane")
    plane = ControlPlane(workdir=workdir, keep_workdir=True)
    with plane:
        yield plane


@pytest.fixture(scope="session")
def kubeconfig(control_plane: ControlPlane) -> Path:
    return control_plane.kubeconfig


@pytest.fixture(scope="session")
def api_client(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(kubeconfig))
    yield api
    api.close()


@pytest.fixture(scope="session")
def kubectl(control_plane: ControlPlane) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run kubectl as the admin; ``check=False`` to look at a refusal."""
    binary = Path(sys.executable).parent / "kubectl"

    def run(*args: str, check: bool = True, input: str | None = None,
            kubeconfig: Path | None = None) -> subprocess.CompletedProcess[str]:
        config_file = kubeconfig or control_plane.kubeconfig
        result = subprocess.run(
            [str(binary), f"--kubeconfig={config_file}", *args],
            capture_output=True, text=True, input=input, timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{result.stderr}")
        return result

    return run


@pytest.fixture(scope="session")
def crds(kubectl: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", str(REPO / "crds"))


@contextlib.contextmanager
def scratch_namespace(api_client: client.ApiClient, prefix: str = "t") -> Iterator[str]:
    """A new namespace, once its default service account exists; deleted afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    core = client.CoreV1Api(api_client)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    wait_for(
        lambda: any(
            sa.metadata.name == "default"
            for sa in core.list_namespaced_service_account(name).items
        ),
        timeout=60, what=f"the default service account in {name}",
    )
    yield name
    core.delete_namespace(name)


@pytest.fixture
def namespace(api_client: client.ApiClient) -> Iterator[str]:
    with scratch_namespace(api_client) as name:
        yield name


@pytest.fixture(scope="session")
def operator(
    control_plane: ControlPlane, crds: None, api_client: client.ApiClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OperatorProcess]:
    """The real operator as a subprocess, its webhook registered with the API server."""
    workdir = tmp_path_factory.mktemp("operator")
    env = {
        **os.environ,
        **operator_environment(control_plane, workdir),
        "DYNAMICJOBS_DRIFT_CHECK_SECONDS": "5",
        # The e2e tier's webhook targets are HTTP servers on loopback.
        "DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS": "127.0.0.0/8",
    }
    process = OperatorProcess(env=env, log=workdir / "operator.log")
    process.start()
    register_webhook(api_client, int(env["DYNAMICJOBS_WEBHOOK_PORT"]), control_plane.ca_cert)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def pod_executor(control_plane: ControlPlane, api_client: client.ApiClient,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodExecutor]:
    """The stand-in kubelet: runs runner pods as local processes (see local_cluster)."""
    executor = PodExecutor(api_client=api_client, server=control_plane.server,
                           ca_cert=control_plane.ca_cert,
                           logs_dir=tmp_path_factory.mktemp("pods")).start()
    yield executor
    executor.stop()


@pytest.fixture
def webhook_down(api_client: client.ApiClient) -> Iterator[None]:
    """Take the webhook configuration away, as if the webhook were down, and put the saved
    one back (replacing any that the test registered meanwhile)."""
    admission = client.AdmissionregistrationV1Api(api_client)
    saved = admission.read_validating_webhook_configuration(CONFIGURATION_NAME)
    admission.delete_validating_webhook_configuration(CONFIGURATION_NAME)
    custom = client.CustomObjectsApi(api_client)
    refused_by_the_webhook = manifest("webhook-down-probe", "default", schedule="61 * * * *")
    wait_for(lambda: custom.create_namespaced_custom_object(
        GROUP, VERSION, "default", PLURAL, refused_by_the_webhook, dry_run="All"),
        timeout=30, what="the API server to stop calling the removed webhook")
    yield
    try:
        admission.delete_validating_webhook_configuration(CONFIGURATION_NAME)
    except ApiException as error:
        if error.status != 404:
            raise
    saved.metadata = client.V1ObjectMeta(name=CONFIGURATION_NAME)
    admission.create_validating_webhook_configuration(saved)
