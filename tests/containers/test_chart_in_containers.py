"""The Helm chart with the built image: `helm install` on the local control plane, the
operator Deployment's pod created by the real Deployment and ReplicaSet controllers and run
as a real container from the image, in a namespace that enforces Pod Security "restricted"
through the API server's own admission.

The operator container takes the Lease, publishes the catalogue, serves the webhook and
reconciles a DynamicJob whose run then happens in a runner container. The webhook is
registered with the chart's default failurePolicy Fail: the API server reaches it through
the Service's EndpointSlice (the pod becomes ready by its readiness probe), so a DynamicJob
gets in only when the operator container has answered.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from local_cluster.controlplane import ControlPlane, free_port
from local_cluster.pod_executor import PodExecutor
from tests.containers.conftest import IMAGE, container_executor
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "dynamicjobs"
RELEASE = "djc"
FULLNAME = f"{RELEASE}-dynamicjobs"


@pytest.fixture
def restricted_namespace(api_client: client.ApiClient, namespace: str) -> str:
    client.CoreV1Api(api_client).patch_namespace(namespace, {"metadata": {"labels": {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest"}}})
    return namespace


@pytest.fixture
def operator_container(control_plane: ControlPlane, api_client: client.ApiClient,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodExecutor]:
    executor = container_executor(
        control_plane, api_client, tmp_path_factory,
        f"app.kubernetes.io/component=operator,app.kubernetes.io/instance={RELEASE}")
    yield executor
    executor.stop()


@pytest.fixture
def installed(control_plane: ControlPlane, restricted_namespace: str, crds: None,
              tmp_path: Path) -> Iterator[dict[str, int]]:
    from local_cluster.binaries import ensure_binaries

    ports = {"webhook": free_port(), "health": free_port()}
    repository, tag = IMAGE.rsplit(":", 1)
    env = {**os.environ, **{f"HELM_{kind}_HOME": str(tmp_path / kind.lower())
                            for kind in ("CACHE", "CONFIG", "DATA")}}

    def helm(*args: str) -> None:
        result = subprocess.run(
            [str(ensure_binaries().helm), f"--kubeconfig={control_plane.kubeconfig}", *args,
             "--namespace", restricted_namespace],
            capture_output=True, text=True, env=env, timeout=180, check=False)
        assert result.returncode == 0, result.stderr

    helm("install", RELEASE, str(CHART), "--wait=false",
         "--set", f"image.repository={repository}", "--set", f"image.tag={tag}",
         "--set", f"watch.namespaces[0]={restricted_namespace}",
         "--set", f"webhook.port={ports['webhook']}",
         "--set", f"operator.healthPort={ports['health']}",
         "--set", "webhook.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name="
         + restricted_namespace)
    yield ports
    helm("uninstall", RELEASE, "--wait")


def _refusal(custom: client.CustomObjectsApi, namespace: str,
             job: dict[str, Any]) -> str | None:
    """The API server's refusal of ``job`` once it comes from the webhook; None while the
    API server cannot reach the webhook yet (failurePolicy Fail refuses with another
    message then)."""
    try:
        custom.create_namespaced_custom_object(
            "dynamicjobs.io", "v1alpha1", namespace, "dynamicjobs", job)
    except client.ApiException as error:
        body = str(error.body)
        return body if "denied the request" in body else None
    raise AssertionError(f"the API server admitted {job['spec']}")


def _job(namespace: str, template: str = "heartbeat") -> dict[str, Any]:
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "beat", "namespace": namespace},
            "spec": {"template": template, "schedule": "@daily", "suspend": True,
                     "parameters": {"message": "from the chart's operator"}}}


def test_the_charts_operator_runs_from_the_image_and_runs_a_job(
    installed: dict[str, int], operator_container: PodExecutor, runner_containers: PodExecutor,
    api_client: client.ApiClient, restricted_namespace: str,
    kubectl: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    namespace = restricted_namespace
    core = client.CoreV1Api(api_client)
    custom = client.CustomObjectsApi(api_client)
    try:
        operator_pod = wait_for(
            lambda: operator_container.running_pods(), timeout=120,
            what="the operator Deployment's pod to run as a container")
    except AssertionError as error:
        pods = kubectl("-n", namespace, "get", "pods,replicasets", "-o", "wide").stdout
        events = kubectl("-n", namespace, "get", "events").stdout
        raise AssertionError(f"{error}\n{pods}\n{events}") from None
    lease = wait_for(
        lambda: client.CoordinationV1Api(api_client).read_namespaced_lease(
            FULLNAME, namespace).spec.holder_identity,
        timeout=120, what="the operator container to take the Lease")
    [running] = operator_pod
    pod_name = running.split("/", 1)[1]
    assert lease.startswith(pod_name), (lease, running)
    wait_for(lambda: custom.get_cluster_custom_object(
        "dynamicjobs.io", "v1alpha1", "dynamicjobtemplates", "heartbeat"),
        timeout=120, what="the catalogue published by the operator container")

    refusal = wait_for(lambda: _refusal(custom, namespace, _job(namespace, "no-such-template")),
                       timeout=120, what="the API server to call the operator container's webhook")
    assert 'denied the request' in refusal and "spec.template" in refusal, refusal
    assert "heartbeat" in refusal, "the refusal lists the installed templates"
    owner = core.read_namespaced_pod(pod_name, namespace).metadata.owner_references[0]
    assert owner.kind == "ReplicaSet" and owner.name.startswith(f"{FULLNAME}-"), owner
    [endpoints] = client.DiscoveryV1Api(api_client).list_namespaced_endpoint_slice(
        namespace, label_selector=f"kubernetes.io/service-name={FULLNAME}-webhook").items
    assert [e.target_ref.name for e in endpoints.endpoints] == [pod_name], endpoints

    custom.create_namespaced_custom_object(
        "dynamicjobs.io", "v1alpha1", namespace, "dynamicjobs", _job(namespace))
    custom.patch_namespaced_custom_object(
        "dynamicjobs.io", "v1alpha1", namespace, "dynamicjobs", "beat",
        {"metadata": {"annotations": {"dynamicjobs.io/run-requested-at": "chart-1"}}})

    def last_run() -> dict[str, Any] | None:
        job = custom.get_namespaced_custom_object(
            "dynamicjobs.io", "v1alpha1", namespace, "dynamicjobs", "beat")
        run: dict[str, Any] | None = job.get("status", {}).get("lastRun")
        return run if run and run.get("result") not in (None, "Running") else None

    run = wait_for(last_run, timeout=180, what="the manual run's result in status")
    assert run["result"] == "Succeeded", run
    assert run["trigger"] == "Manual"
    kubectl("-n", namespace, "get", "cronjob", "beat")
