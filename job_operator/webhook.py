"""The validating admission webhook: refuse a bad DynamicJob at `kubectl apply`.

It runs the same rules as the operator and the CLI, plus the one only admission can run:
may the *requesting user* read each Secret the parameters reference? (SubjectAccessReview.)
Without it, a DynamicJob would hand a user a Secret that RBAC denies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf
from kubernetes import client

from job_operator.run_overrides import override_problems, overrides_changed
from job_operator.settings import WebhookSettings
from job_operator.validation import (
    Problem,
    SecretAccessCheck,
    format_problems,
    validate_dynamicjob,
)

WEBHOOK_ID = "validate-dynamicjob"


def secret_access_checker(
    api_client: client.ApiClient, userinfo: Mapping[str, Any]
) -> SecretAccessCheck:
    """A check that asks the API server whether ``userinfo`` may get a Secret."""
    authorization = client.AuthorizationV1Api(api_client)

    def may_read(namespace: str, name: str) -> str | None:
        review = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
            user=userinfo.get("username"),
            uid=userinfo.get("uid"),
            groups=list(userinfo.get("groups") or []),
            extra={k: list(v) for k, v in (userinfo.get("extra") or {}).items()},
            resource_attributes=client.V1ResourceAttributes(
                namespace=namespace, verb="get", resource="secrets", name=name,
            ),
        ))
        result = authorization.create_subject_access_review(review).status
        if result is None:
            return "the API server gave no access review result"
        if result.allowed:
            return None
        return result.reason or f"RBAC does not allow {userinfo.get('username')} to get it"

    return may_read


def configure_server(settings: kopf.OperatorSettings, webhook: WebhookSettings) -> None:
    """Serve the webhook at ``/validate-dynamicjob``. The operator does not write the
    webhook configuration (kopf's ``managed`` mode would, at every start)."""
    settings.admission.server = kopf.WebhookServer(
        addr=webhook.address,
        port=webhook.port,
        certfile=str(webhook.certfile),
        pkeyfile=str(webhook.keyfile),
    )


def admission_problems(
    body: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    checker: SecretAccessCheck,
    siblings: Mapping[str, list[str]] | None = None,
) -> list[Problem]:
    """Problems of an admission request. An update that leaves the spec as it was (a label,
    an annotation such as a run request, kopf's bookkeeping, the garbage collector removing
    a finalizer) is let through: the spec was judged when it was written, and if the rules
    changed since, the operator reports it as Stalled instead of blocking every other edit.
    New run-parameter overrides are judged whenever they are written, as the spec is."""
    problems = []
    if old is None or old.get("spec") != body.get("spec"):
        problems += validate_dynamicjob(body, may_read_secret=checker, siblings=siblings)
    if overrides_changed(body, old):
        problems += override_problems(body, checker)
    return problems


def refuse(problems: list[Problem]) -> kopf.AdmissionError:
    return kopf.AdmissionError(format_problems(problems), code=422)
