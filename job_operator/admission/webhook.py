"""The validating admission webhook: refuse a bad DynamicJob at `kubectl apply`.

It runs the same rules as the operator and the CLI, plus the one only admission can run:
may the *requesting user* read each Secret the parameters reference? (SubjectAccessReview.)
Without it, a DynamicJob would hand a user a Secret that RBAC denies them.

This module judges an AdmissionReview; `job_operator.admission.server` serves it over TLS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes import client

from job_operator.dependencies import depends_on
from job_operator.kube import Kube
from job_operator.runs.overrides import annotation_value, override_problems, overrides_changed
from job_operator.validation import (
    Problem,
    SecretAccessCheck,
    format_problems,
    validate_dynamicjob,
)
from job_runner.contract import ANNOTATION_RUN_PARAMETERS, ANNOTATION_RUN_REQUESTED

WEBHOOK_ID = "validate-dynamicjob"
log = logging.getLogger(__name__)


def _annotation(obj: str, key: str) -> str:
    return (f"(has({obj}.metadata.annotations) && '{key}' in {obj}.metadata.annotations"
            f" ? {obj}.metadata.annotations['{key}'] : '')")


def _changed(key: str) -> str:
    return f"{_annotation('object', key)} != {_annotation('oldObject', key)}"


MATCH_CONDITIONS = [{
    "name": "judged-changes",
    "expression": " || ".join([
        "request.operation != 'UPDATE'",
        "object.spec != oldObject.spec",
        _changed(ANNOTATION_RUN_PARAMETERS),
        _changed(ANNOTATION_RUN_REQUESTED),
    ]),
}]
"""The webhook's ``matchConditions``: the API server calls it only for what
`admission_problems` judges (a create, a new spec, new run overrides or a run request).
Everything else (kopf's bookkeeping annotations, finalizers, labels) is never sent: with
1,000 DynamicJobs created at once, kopf's annotation patches were half the webhook's
traffic, and 246 of them failed on its connections and waited for kopf's retry."""


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

    Run-parameter overrides are judged, as the requesting user, whenever they could take
    effect in a new way: when they are written, when a run is requested with them, and when
    the spec they apply to changes. Otherwise overrides someone else wrote (a Secret they
    may read) would serve a later request or spec edit by a user who may not."""
    problems = []
    spec_changed = old is None or old.get("spec") != body.get("spec")
    if spec_changed:
        problems += validate_dynamicjob(body, may_read_secret=checker,
                                        siblings=siblings).problems
    if annotation_value(body, ANNOTATION_RUN_PARAMETERS) is not None and (
            spec_changed or overrides_changed(body, old) or run_requested(body, old)):
        problems += override_problems(body, checker)
    return problems


def run_requested(body: Mapping[str, Any], old: Mapping[str, Any] | None) -> bool:
    request = annotation_value(body, ANNOTATION_RUN_REQUESTED)
    return request not in (None, annotation_value(old, ANNOTATION_RUN_REQUESTED))


def judge(request: Mapping[str, Any], kube: Kube) -> list[Problem]:
    """The problems of one AdmissionReview request for a DynamicJob (CREATE or UPDATE)."""
    body = request.get("object") or {}
    checker = secret_access_checker(kube.api_client, request.get("userInfo") or {})
    metadata = body.get("metadata") or {}
    namespace, name = metadata.get("namespace") or request.get("namespace"), metadata.get("name")
    siblings = None  # a job that depends on nothing closes no cycle: no need to list
    if namespace and depends_on(body.get("spec") or {}):
        siblings = {other["metadata"]["name"]: depends_on(other.get("spec") or {})
                    for other in kube.list("DynamicJob", namespace)
                    if other["metadata"]["name"] != name}
    return admission_problems(body, request.get("oldObject"), checker, siblings)


def review_response(review: Mapping[str, Any],
                    judge_request: Callable[[Mapping[str, Any]], list[Problem]]) -> dict[str, Any]:
    """The AdmissionReview to answer ``review`` with: allowed, or refused with every problem.
    A failure to judge (the API server unreachable for an access review) refuses: admission
    fails closed, as the webhook's failurePolicy does."""
    request = review.get("request") or {}
    answer: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": True}
    if request.get("operation") in ("CREATE", "UPDATE"):
        try:
            problems = judge_request(request)
        except Exception as error:
            log.exception("admission: could not judge %s", request.get("name"))
            answer.update(allowed=False, status={
                "code": 500, "message": f"dynamicjobs could not check the request: {error}"})
        else:
            if problems:
                answer.update(allowed=False, status={
                    "code": 422, "reason": "Invalid", "message": format_problems(problems)})
    return {"apiVersion": review.get("apiVersion", "admission.k8s.io/v1"),
            "kind": "AdmissionReview", "response": answer}
