"""The Helm chart with the built image: `helm install` on the local control plane, the
operator Deployment's pod run as a real container from the image, in a namespace that
enforces Pod Security "restricted" through the API server's own admission.

The operator container takes the Lease, publishes the catalogue, serves the webhook and
reconciles a DynamicJob whose run then happens in a runner container.

Two stand-ins, because the local control plane runs neither the Deployment and ReplicaSet
controllers nor the endpoints controllers, and has no kube-proxy: the test creates the
Deployment's pod from its template, as the ReplicaSet controller would (the real API server
still admits it under "restricted"), and asks the webhook directly, with the TLS name and
CA the API server would use (it is registered with failurePolicy Ignore).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
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
         "--set", "webhook.failurePolicy=Ignore",
         "--set", "webhook.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name="
         + restricted_namespace)
    yield ports
    helm("uninstall", RELEASE, "--wait")


def _ask_webhook(port: int, namespace: str, ca: str, job: dict[str, Any]) -> dict[str, Any]:
    """One AdmissionReview over TLS, verified for the Service's name as the API server would."""
    review = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                         "request": {"uid": "r-1", "operation": "CREATE", "object": job,
                                     "namespace": namespace,
                                     "kind": {"group": "dynamicjobs.io", "version": "v1alpha1",
                                              "kind": "DynamicJob"},
                                     "userInfo": {"username": "admin"}}}).encode()
    context = ssl.create_default_context(cadata=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=f"{FULLNAME}-webhook.{namespace}.svc") as tls:
        tls.sendall(b"POST /validate-dynamicjob HTTP/1.1\r\nHost: webhook\r\n"
                    b"Content-Type: application/json\r\nConnection: close\r\n"
                    + f"Content-Length: {len(review)}\r\n\r\n".encode() + review)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    response: dict[str, Any] = json.loads(answer.split(b"\r\n\r\n", 1)[1])["response"]
    return response


def _job(namespace: str, schedule: str) -> dict[str, Any]:
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "beat", "namespace": namespace},
            "spec": {"template": "heartbeat", "schedule": schedule, "suspend": True,
                     "parameters": {"message": "from the chart's operator"}}}


def test_the_charts_operator_runs_from_the_image_and_runs_a_job(
    installed: dict[str, int], operator_container: PodExecutor, runner_containers: PodExecutor,
    api_client: client.ApiClient, restricted_namespace: str,
    kubectl: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    namespace = restricted_namespace
    core = client.CoreV1Api(api_client)
    custom = client.CustomObjectsApi(api_client)
    deployment = client.AppsV1Api(api_client).read_namespaced_deployment(FULLNAME, namespace)
    template = api_client.sanitize_for_serialization(deployment.spec.template)
    core.create_namespaced_pod(namespace, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {**template["metadata"], "generateName": f"{FULLNAME}-"},
        "spec": template["spec"]})
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
    assert lease.startswith(running.split("/", 1)[1]), (lease, running)
    wait_for(lambda: custom.get_cluster_custom_object(
        "dynamicjobs.io", "v1alpha1", "dynamicjobtemplates", "heartbeat"),
        timeout=120, what="the catalogue published by the operator container")

    secret = core.read_namespaced_secret(f"{FULLNAME}-webhook-tls", namespace)
    ca = base64.b64decode(secret.data["ca.crt"]).decode()
    refused = _ask_webhook(installed["webhook"], namespace, ca, _job(namespace, "61 * * * *"))
    assert refused["allowed"] is False and "spec.schedule" in refused["status"]["message"]
    assert _ask_webhook(installed["webhook"], namespace, ca,
                        _job(namespace, "@daily"))["allowed"] is True

    custom.create_namespaced_custom_object(
        "dynamicjobs.io", "v1alpha1", namespace, "dynamicjobs", _job(namespace, "@daily"))
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
