"""The local control plane is the real thing: schema pruning and validation, the CronJob and
garbage-collector controllers, RBAC. Each test would fail against a mock API server."""

from __future__ import annotations

import uuid

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from local_cluster.controlplane import ControlPlane
from tests.kube.rbac import grant
from tests.kube.waiting import wait_for

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.test.dynamicjobs.io"},
    "spec": {
        "group": "test.dynamicjobs.io",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{
            "name": "v1",
            "served": True,
            "storage": True,
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {"size": {"type": "integer", "minimum": 1}},
                }},
            }},
        }],
    },
}


@pytest.fixture(scope="module")
def widgets(api_client: client.ApiClient) -> client.CustomObjectsApi:
    extensions = client.ApiextensionsV1Api(api_client)
    extensions.create_custom_resource_definition(WIDGET_CRD)

    def established() -> bool:
        crd = extensions.read_custom_resource_definition(WIDGET_CRD["metadata"]["name"])
        return any(c.type == "Established" and c.status == "True"
                   for c in crd.status.conditions or [])

    wait_for(established, timeout=60, what="the Widget CRD to be established")
    return client.CustomObjectsApi(api_client)


def _widget(size: object, **extra: object) -> dict[str, object]:
    return {"apiVersion": "test.dynamicjobs.io/v1", "kind": "Widget",
            "metadata": {"name": f"w-{uuid.uuid4().hex[:6]}"}, "spec": {"size": size, **extra}}


def _create_widget(api: client.CustomObjectsApi, namespace: str, body: dict) -> dict:
    return api.create_namespaced_custom_object(  # type: ignore[no-any-return]
        "test.dynamicjobs.io", "v1", namespace, "widgets", body)


def test_structural_schema_refuses_an_object_that_breaks_it(
    widgets: client.CustomObjectsApi, namespace: str
) -> None:
    for bad in ("big", 0):
        with pytest.raises(ApiException) as refused:
            _create_widget(widgets, namespace, _widget(bad))
        assert refused.value.status == 422
        assert "spec.size" in refused.value.body


def test_structural_schema_prunes_unknown_fields(
    widgets: client.CustomObjectsApi, namespace: str
) -> None:
    stored = _create_widget(widgets, namespace, _widget(3, colour="red"))
    assert stored["spec"] == {"size": 3}


def test_cronjob_controller_creates_a_job(api_client: client.ApiClient, namespace: str) -> None:
    batch = client.BatchV1Api(api_client)
    container = client.V1Container(name="c", image="busybox", command=["true"])
    cronjob = client.V1CronJob(
        metadata=client.V1ObjectMeta(name="every-minute"),
        spec=client.V1CronJobSpec(
            schedule="* * * * *",
            job_template=client.V1JobTemplateSpec(spec=client.V1JobSpec(
                template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
                    containers=[container], restart_policy="Never")))),
        ),
    )
    batch.create_namespaced_cron_job(namespace, cronjob)
    jobs = wait_for(lambda: batch.list_namespaced_job(namespace).items, timeout=90,
                    what="the CronJob controller to create a Job")
    owner = jobs[0].metadata.owner_references[0]
    assert (owner.kind, owner.name) == ("CronJob", "every-minute")


def test_deleting_an_owner_garbage_collects_its_dependents(
    api_client: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(api_client)
    owner = core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="owner")))
    reference = client.V1OwnerReference(
        api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid)
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="dependent", owner_references=[reference])))
    core.delete_namespaced_config_map("owner", namespace)

    def dependent_gone() -> bool:
        try:
            core.read_namespaced_config_map("dependent", namespace)
        except ApiException as error:
            return error.status == 404
        return False

    wait_for(dependent_gone, timeout=60, what="the garbage collector to delete the dependent")


def test_rbac_refuses_a_user_without_a_binding_and_allows_one_with_it(
    control_plane: ControlPlane, api_client: client.ApiClient, namespace: str, kubectl
) -> None:
    alice = control_plane.user_kubeconfig("alice", groups=("developers",))
    refused = kubectl("get", "configmaps", "-n", namespace, kubeconfig=alice, check=False)
    assert refused.returncode != 0
    assert "forbidden" in refused.stderr.lower()

    grant(api_client, namespace, "alice", "read-configmaps", [client.V1PolicyRule(
        api_groups=[""], resources=["configmaps"], verbs=["get", "list"])])
    allowed = wait_for(
        lambda: kubectl("get", "configmaps", "-n", namespace, kubeconfig=alice,
                        check=False).returncode == 0,
        timeout=30, what="alice to be allowed once bound")
    assert allowed
    impersonated = kubectl("auth", "can-i", "delete", "configmaps", "-n", namespace,
                           "--as=alice", check=False)
    assert impersonated.stdout.strip() == "no"


def test_service_account_tokens_are_issued(api_client: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=600))
    token = core.create_namespaced_service_account_token("default", namespace, request)
    review = client.AuthenticationV1Api(api_client).create_token_review(
        client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token.status.token)))
    assert review.status.authenticated
    assert review.status.user.username == f"system:serviceaccount:{namespace}:default"
