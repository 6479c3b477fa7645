"""The calls the CLI makes to the API server, as the user at hand, with plain dicts.

Every failure becomes a `CliError` that names the object, what the server said and the
fix, with the exit code of its kind (exits.py). The CLI never acts with more than the
user's own credentials: what RBAC refuses them, it refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from job_operator.cli.exits import CLUSTER, CONFLICT, FORBIDDEN, NOT_FOUND, PROBLEMS, CliError
from job_operator.cli.gitops import FIELD_MANAGER
from job_operator.kube import resource_path
from job_runner.contract import LABEL_JOB_NAME

MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


def server_message(error: ApiException) -> str:
    """The API server's own words (the webhook's refusal, RBAC's denial) when it sent any."""
    body = error.body.decode(errors="replace") if isinstance(error.body, bytes) else error.body
    try:
        message = json.loads(body or "").get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message or body or error.reason or f"HTTP {error.status}")


def explain(error: ApiException, what: str, namespace: str | None,
            forbidden_fix: str | None = None) -> CliError:
    """``error`` as one line naming ``what`` (e.g. ``DynamicJob team-a/nightly``) and the fix."""
    message = server_message(error)
    where = f" -n {namespace}" if namespace else ""
    if error.status in (401, 403):
        fix = forbidden_fix or (f"check what you may do with `kubectl auth can-i --list{where}`"
                                ", or ask an admin for a role")
        return CliError(f"{what}: not allowed: {message}; {fix}", FORBIDDEN)
    if error.status == 404:
        return CliError(f"{what} not found; `dynamicjobs list{where}` shows the DynamicJobs "
                        "there (-A: every namespace)", NOT_FOUND)
    if error.status == 409:
        return CliError(f"{what}: {message}", CONFLICT)
    if error.status in (400, 422):
        return CliError(f"{what}: refused: {message}", PROBLEMS)
    return CliError(f"{what}: the API server answered {error.status}: {message}", CLUSTER)


def _not_installed(error: CliError) -> CliError:
    """A list that is not found: the API itself is missing, not an object."""
    if error.code != NOT_FOUND:
        return error
    return CliError("this cluster does not serve the dynamicjobs.io API (no DynamicJob CRD): "
                    "install the chart, or `kubectl apply --server-side -f crds/`; or pick "
                    "another cluster with --context", NOT_FOUND)


class Cluster:
    """One API server, through the user's kubeconfig."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api_client = api_client

    def request(self, method: str, path: str, *, what: str, namespace: str | None = None,
                body: Any = None, content_type: str = "application/json",
                query: list[tuple[str, str]] | None = None,
                forbidden_fix: str | None = None) -> Any:
        """One call; the answer's JSON, or a `CliError` about ``what``."""
        method, url, headers, serialized, _ = self.api_client.param_serialize(
            method=method, resource_path=path, query_params=query or [],
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=body, auth_settings=["BearerToken"])
        try:
            response = self.api_client.call_api(method, url, header_params=headers,
                                                body=serialized, _request_timeout=(10, 60))
            response.read()
        except (HTTPError, OSError) as error:
            host = self.api_client.configuration.host
            raise CliError(f"cannot reach the API server at {host}: {error}; check the "
                           "cluster with `kubectl cluster-info` (and --context/--kubeconfig)",
                           CLUSTER) from None
        data = response.data or b""
        if not 200 <= response.status < 300:
            raise explain(ApiException(http_resp=response, body=data.decode(errors="replace")),
                          what, namespace, forbidden_fix)
        return json.loads(data) if data else {}

    def list_dynamicjobs(self, namespace: str | None,
                         selector: str | None = None) -> list[dict[str, Any]]:
        query = [("labelSelector", selector)] if selector else []
        where = f"in {namespace}" if namespace else "in any namespace"
        try:
            found = self.request("GET", resource_path("DynamicJob", namespace),
                                 what=f"listing DynamicJobs {where}", namespace=namespace,
                                 query=query)
        except CliError as error:
            raise _not_installed(error) from None
        return list(found.get("items", []))

    def get_dynamicjob(self, namespace: str, name: str) -> dict[str, Any]:
        return dict(self.request("GET", resource_path("DynamicJob", namespace, name),
                                 what=f"DynamicJob {namespace}/{name}", namespace=namespace))

    def patch_dynamicjob(self, namespace: str, name: str,
                         patch: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON merge patch, recorded under our field manager."""
        return dict(self.request(
            "PATCH", resource_path("DynamicJob", namespace, name),
            what=f"DynamicJob {namespace}/{name}", namespace=namespace, body=dict(patch),
            content_type=MERGE_PATCH, query=[("fieldManager", FIELD_MANAGER)]))

    def apply_dynamicjob(self, body: Mapping[str, Any], *, dry_run: bool,
                         force: bool = False) -> dict[str, Any]:
        """Server-side apply under our field manager; ``dry_run`` runs admission (the
        webhook's verdict) and stores nothing."""
        metadata = body["metadata"]
        namespace, name = metadata["namespace"], metadata["name"]
        query = [("fieldManager", FIELD_MANAGER)]
        query += [("dryRun", "All")] if dry_run else []
        query += [("force", "true")] if force else []
        return dict(self.request(
            "PATCH", resource_path("DynamicJob", namespace, name),
            what=f"DynamicJob {namespace}/{name}", namespace=namespace,
            body=json.dumps(body), content_type=APPLY_PATCH, query=query))

    def create_dynamicjob(self, body: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        query = [("fieldManager", FIELD_MANAGER)] + ([("dryRun", "All")] if dry_run else [])
        return dict(self.request(
            "POST", resource_path("DynamicJob", namespace),
            what=f"DynamicJob {namespace}/{name}", namespace=namespace, body=dict(body),
            query=query))

    def events_about(self, namespace: str, name: str) -> list[dict[str, Any]]:
        selector = f"involvedObject.kind=DynamicJob,involvedObject.name={name}"
        found = self.request("GET", resource_path("Event", namespace),
                             what=f"events of DynamicJob {namespace}/{name}",
                             namespace=namespace, query=[("fieldSelector", selector)])
        return list(found.get("items", []))

    def run_pods(self, namespace: str, run_id: str) -> list[dict[str, Any]]:
        """The pods of one run: its Job's pods, by the label the Job controller sets."""
        found = self.request("GET", resource_path("Pod", namespace),
                             what=f"pods of run {run_id} in {namespace}", namespace=namespace,
                             query=[("labelSelector", f"{LABEL_JOB_NAME}={run_id}")])
        return list(found.get("items", []))

    def run_job_exists(self, namespace: str, run_id: str) -> bool:
        try:
            self.request("GET", resource_path("Job", namespace, run_id),
                         what=f"Job {namespace}/{run_id}", namespace=namespace)
        except CliError as error:
            if error.code == NOT_FOUND:
                return False
            raise
        return True

    def pod_log(self, namespace: str, pod: str, *, follow: bool) -> Iterator[bytes]:
        """The pod's log as it arrives, chunk by chunk (until the pod ends, with follow)."""
        path = resource_path("Pod", namespace, pod) + "/log"
        query = [("follow", "true")] if follow else []
        method, url, headers, _, _ = self.api_client.param_serialize(
            method="GET", resource_path=path, query_params=query,
            header_params={"Accept": "*/*"}, auth_settings=["BearerToken"])
        try:
            response = self.api_client.call_api(method, url, header_params=headers,
                                                _request_timeout=(10, None if follow else 60))
        except (HTTPError, OSError) as error:
            raise CliError(f"cannot read the log of pod {namespace}/{pod}: {error}",
                           CLUSTER) from None
        if not 200 <= response.status < 300:
            response.read()
            raise explain(ApiException(http_resp=response, body=(
                response.data or b"").decode(errors="replace")),
                f"log of pod {namespace}/{pod}", namespace)
        stream = response.response
        try:
            yield from stream.stream(16 * 1024, decode_content=True)
        finally:
            stream.release_conn()

    def who_am_i(self) -> str:
        """The user name the API server authenticated us as (SelfSubjectReview)."""
        found = self.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                             what="who am I (SelfSubjectReview)",
                             body={"apiVersion": "authentication.k8s.io/v1",
                                   "kind": "SelfSubjectReview"})
        return str(((found.get("status") or {}).get("userInfo") or {}).get("username") or "")

    def templates(self) -> list[dict[str, Any]]:
        try:
            found = self._catalogue()
        except CliError as error:
            raise _not_installed(error) from None
        return list(found.get("items", []))

    def _catalogue(self) -> Any:
        return self.request(
            "GET", resource_path("DynamicJobTemplate", None),
            what="the template catalogue (DynamicJobTemplates)", forbidden_fix=(
                "DynamicJobTemplates are cluster-scoped, so no RoleBinding grants them: ask "
                "an admin to let every user read the catalogue (docs/cli.md, \"Who may read "
                "the catalogue\")"))
