"""Register the operator's validating webhook on a local control plane.

In a cluster the Helm chart owns this object; locally the dev run and the tests create the
same thing, pointing the API server at the operator's port on loopback.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from job_operator.admission.webhook import MATCH_CONDITIONS

CONFIGURATION_NAME = "dynamicjobs.io-operator"
WEBHOOK_PATH = "/validate-dynamicjob"


def webhook_configuration(port: int, ca_cert: Path) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": CONFIGURATION_NAME},
        "webhooks": [{
            "name": "validate.dynamicjobs.io",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "timeoutSeconds": 10,
            "clientConfig": {
                "url": f"https://127.0.0.1:{port}{WEBHOOK_PATH}",
                "caBundle": base64.b64encode(ca_cert.read_bytes()).decode(),
            },
            "rules": [{
                "apiGroups": ["dynamicjobs.io"], "apiVersions": ["v1alpha1"],
                "resources": ["dynamicjobs"], "operations": ["CREATE", "UPDATE"],
                "scope": "Namespaced",
            }],
            "matchConditions": MATCH_CONDITIONS,
        }],
    }


def register_webhook(api_client: client.ApiClient, port: int, ca_cert: Path) -> None:
    """Create or replace the configuration (a new port after each operator start)."""
    admission = client.AdmissionregistrationV1Api(api_client)
    body: Any = webhook_configuration(port, ca_cert)  # the client takes plain dicts too
    try:
        admission.create_validating_webhook_configuration(body)
    except ApiException as error:
        if error.status != 409:
            raise
        admission.patch_validating_webhook_configuration(CONFIGURATION_NAME, body)
