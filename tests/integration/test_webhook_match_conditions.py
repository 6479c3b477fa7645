"""The real API server sends the webhook only what it judges (MATCH_CONDITIONS).

A probe webhook with the same match conditions points at a port where nothing listens, with
failurePolicy Fail, for one namespace only: an update the API server sends it is refused
("failed calling webhook"), one it does not send goes through. Every patch is a server-side
dry run, so the object stays as created.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from job_operator.admission.webhook import MATCH_CONDITIONS
from local_cluster.controlplane import ControlPlane, free_port
from tests.kube.dynamicjobs import GROUP, PLURAL, VERSION, DynamicJobs
from tests.kube.waiting import wait_for

PROBE = "match-conditions-probe.dynamicjobs.io"
pytestmark = pytest.mark.usefixtures("crds")


@pytest.fixture
def unreachable_webhook(api_client: client.ApiClient, control_plane: ControlPlane,
                        namespace: str) -> Iterator[None]:
    admission = client.AdmissionregistrationV1Api(api_client)
    body: Any = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": PROBE},
        "webhooks": [{
            "name": PROBE,
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "timeoutSeconds": 2,
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
            "clientConfig": {
                "url": f"https://127.0.0.1:{free_port()}/validate-dynamicjob",
                "caBundle": base64.b64encode(control_plane.ca_cert.read_bytes()).decode(),
            },
            "rules": [{"apiGroups": [GROUP], "apiVersions": [VERSION],
                       "resources": [PLURAL], "operations": ["CREATE", "UPDATE"]}],
            "matchConditions": MATCH_CONDITIONS,
        }],
    }
    admission.create_validating_webhook_configuration(body)
    yield
    admission.delete_validating_webhook_configuration(PROBE)


def _dry_run_patch(jobs: DynamicJobs, name: str, patch: dict[str, Any]) -> str | None:
    """None when the API server accepts the patch, else its message."""
    try:
        jobs.api.patch_namespaced_custom_object(GROUP, VERSION, jobs.namespace, PLURAL, name,
                                                patch, dry_run="All")
    except ApiException as error:
        return str(error.body)
    return None


def _annotate(key: str, value: str) -> dict[str, Any]:
    return {"metadata": {"annotations": {key: value}}}


def test_only_what_the_webhook_judges_reaches_it(
    api_client: client.ApiClient, namespace: str, request: pytest.FixtureRequest,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("probe")
    request.getfixturevalue("unreachable_webhook")

    spec_change = {"spec": {"schedule": "0 4 * * *"}}
    refusal = wait_for(lambda: _dry_run_patch(jobs, "probe", spec_change), timeout=30,
                       what="the probe webhook to be called for a spec change")
    assert refusal is not None
    assert "failed calling webhook" in refusal and PROBE in refusal

    not_sent = {
        "a label": {"metadata": {"labels": {"team": "payments"}}},
        "kopf's bookkeeping": _annotate(f"{GROUP}/last-handled-configuration", "{}"),
        "another annotation": _annotate("example.com/owner", "ops"),
        "a finalizer": {"metadata": {"finalizers": [f"{GROUP}/operator"]}},
    }
    for what, patch in not_sent.items():
        assert _dry_run_patch(jobs, "probe", patch) is None, what

    sent = {
        "run overrides": _annotate(f"{GROUP}/run-parameters", '{"message": "x"}'),
        "a run request": _annotate(f"{GROUP}/run-requested-at", "2026-12-01T00:00:00Z"),
    }
    for what, patch in sent.items():
        refusal = _dry_run_patch(jobs, "probe", patch)
        assert refusal is not None and "failed calling webhook" in refusal, what
