"""A small typed layer over the Kubernetes REST API for the few calls the operator makes.

Objects are plain dicts (as the builders make them). Owned objects are created (POST) and
replaced (PUT, on the resourceVersion they were judged against), so a field the operator
stops setting is removed and a field a person changed by hand is taken back. Not
server-side apply: a create refuses a name that is taken, where an apply would take the
object over unless a read came first, and the API server decodes an apply's patch as
YAML, a third of its CPU for the request.
"""

from __future__ import annotations

import builtins
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from job_operator.metrics.registry import API_ERRORS
from job_runner.api import GROUP, VERSION
from job_runner.contract import FIELD_MANAGER, MANAGED_BY
from job_runner.status_api import StatusConflict, dynamicjob_path

log = logging.getLogger(__name__)

CREDENTIALS_SECONDS = 10.0
"""How long one read of the client's credentials serves requests. The Kubernetes client
reads them for every request, and, setting the server's URL again each time, scans the
environment for proxies: 8 % of the operator's CPU in a burst of creates. A projected
token file is rewritten about hourly, long before the token it held expires."""
LIST_PAGE_SIZE = 500
"""Objects per page of a LIST (client-go's informers ask for as many)."""
UNCHECKED = ("fieldValidation", "Ignore")
"""For the operator's own writes, built from the models the CRDs are generated from and
checked against the API's schemas in tests: the API server's unknown-field check would
find nothing, and for an apply it decodes the YAML patch a second time (a third of the
apply's CPU on the API server)."""
_OWN_WRITE = [("fieldManager", FIELD_MANAGER), UNCHECKED]
_CORE_KINDS = {"ServiceAccount": "serviceaccounts", "Event": "events", "Pod": "pods"}
_GROUP_KINDS = {
    "CronJob": ("batch/v1", "cronjobs"),
    "Job": ("batch/v1", "jobs"),
    "Role": ("rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", "rolebindings"),
    "DynamicJob": (f"{GROUP}/{VERSION}", "dynamicjobs"),
    "DynamicJobTemplate": (f"{GROUP}/{VERSION}", "dynamicjobtemplates"),
    "Lease": ("coordination.k8s.io/v1", "leases"),
}


def api_version(kind: str) -> str:
    return "v1" if kind in _CORE_KINDS else _GROUP_KINDS[kind][0]


def resource_path(kind: str, namespace: str | None, name: str | None = None) -> str:
    if kind in _CORE_KINDS:
        prefix, plural = "/api/v1", _CORE_KINDS[kind]
    else:
        api_version, plural = _GROUP_KINDS[kind]
        prefix = f"/apis/{api_version}"
    path = prefix + (f"/namespaces/{namespace}" if namespace else "") + f"/{plural}"
    return path + (f"/{name}" if name else "")


def load_client() -> client.ApiClient:
    """In a pod: its service account; elsewhere (a dev run): $KUBECONFIG."""
    try:
        config.load_incluster_config()
    except config.ConfigException:
        config.load_kube_config()
    return client.ApiClient()


class Kube:
    """The operator's view of the API: get, create, replace, delete, patch status."""

    def __init__(self, api_client: client.ApiClient, request_timeout: float | None = None,
                 ) -> None:
        self.api_client = api_client
        self.request_timeout = request_timeout
        """Seconds a call may take (connect and read); None waits as long as the client."""
        self._server = ""
        self._headers: dict[str, str] = {}
        self._credentials_until = 0.0

    def _server_and_headers(self) -> tuple[str, dict[str, str]]:
        """The API server's URL and the headers every request carries (the client's user
        agent and credentials), read from the client at most every CREDENTIALS_SECONDS."""
        now = time.monotonic()
        if now >= self._credentials_until:
            configuration = self.api_client.configuration
            headers = dict(self.api_client.default_headers)
            token = configuration.auth_settings().get("BearerToken")
            if token and token.get("value"):
                headers[token["key"]] = token["value"]
            self._server, self._headers = configuration.host, headers
            self._credentials_until = now + CREDENTIALS_SECONDS
        return self._server, self._headers

    def _request(self, path: str, query: list[tuple[str, str]] | None,
                 headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """The URL of ``path`` with ``query``, and every header a request to it carries."""
        server, common = self._server_and_headers()
        url = server + path + (f"?{urlencode(query)}" if query else "")
        return url, {**common, **headers, "Accept": "application/json"}

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content_type: str = "application/json",
        query: list[tuple[str, str]] | None = None,
    ) -> Any:
        """One request, straight to the client's connection pool: the client's own request
        building walks every body to sanitize it (8 % of the operator's CPU in a burst of
        creates), where ours are plain JSON already."""
        url, headers = self._request(path, query, {"Content-Type": content_type})
        try:
            response = self.api_client.rest_client.request(
                method, url, headers=headers, body=body, _request_timeout=self.request_timeout)
            response.read()
        except Exception:
            API_ERRORS.labels("none").inc()
            raise
        data = response.data or b""
        if not 200 <= response.status < 300:
            if not (method == "GET" and response.status == 404):
                API_ERRORS.labels(str(response.status)).inc()
            raise ApiException.from_response(
                http_resp=response, body=data.decode(errors="replace"), data=None)
        return json.loads(data) if data else {}

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None."""
        try:
            found = self._call("GET", resource_path(kind, namespace, name))
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return dict(found)

    def list(
        self, kind: str, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        query = [("labelSelector", label_selector)] if label_selector else []
        found = self._call("GET", resource_path(kind, namespace), query=query)
        return list(found.get("items", []))

    def list_pages(self, kind: str, namespace: str | None, label_selector: str,
                   page_size: int = LIST_PAGE_SIZE,
                   ) -> Iterator[tuple[builtins.list[dict[str, Any]], str]]:
        """The objects, a page at a time, each with the list's resourceVersion (to watch
        from once the last page is in). Pages keep what is decoded at once small: one LIST
        of 10,000 DynamicJobs raised a restarted operator's RSS by 60 MiB for good."""
        token = ""
        while True:
            query = [("labelSelector", label_selector), ("limit", str(page_size))]
            found = self._call("GET", resource_path(kind, namespace),
                               query=[*query, ("continue", token)] if token else query)
            metadata = found.get("metadata", {})
            yield (builtins.list(found.get("items", [])),
                   str(metadata.get("resourceVersion", "")))
            token = metadata.get("continue") or ""
            if not token:
                return

    def watch(self, kind: str, namespace: str | None, label_selector: str, version: str,
              seconds: int, stopping: threading.Event) -> Iterator[dict[str, Any]]:
        """The watch events after ``version``, as dicts, until the server ends the watch
        (after about ``seconds``) or ``stopping`` is set."""
        url, headers = self._request(resource_path(kind, namespace), [
            ("labelSelector", label_selector), ("watch", "true"), ("resourceVersion", version),
            ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(seconds))], {})
        response = self.api_client.rest_client.request(
            "GET", url, headers=headers, _request_timeout=(10, seconds + 30))
        if not 200 <= response.status < 300:
            response.read()
            raise ApiException.from_response(http_resp=response, body=(
                response.data or b"").decode(errors="replace"), data=None)
        stream = response.response
        try:
            pending = b""
            for chunk in stream.stream(64 * 1024, decode_content=True):
                if stopping.is_set():
                    return
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
        finally:
            stream.release_conn()

    def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        metadata = obj["metadata"]
        path = resource_path(obj["kind"], metadata.get("namespace"), metadata["name"])
        return dict(self._call(
            "PATCH",
            path,
            body=json.dumps(obj),
            content_type="application/apply-patch+yaml",
            query=[("fieldManager", FIELD_MANAGER), ("force", "true"), UNCHECKED],
        ))

    def delete(self, kind: str, namespace: str | None, name: str) -> bool:
        try:
            self._call("DELETE", resource_path(kind, namespace, name),
                       body={"propagationPolicy": "Background"})
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    def patch_status(
        self, kind: str, namespace: str | None, name: str, status: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = resource_path(kind, namespace, name) + "/status"
        return dict(self._call("PATCH", path, body={"status": status},
                               content_type="application/merge-patch+json", query=_OWN_WRITE))

    def dynamicjob(self, namespace: str, name: str) -> dict[str, Any]:
        """`job_runner.status_api.StatusEndpoint`: what a StatusReporter reads."""
        return dict(self._call("GET", dynamicjob_path(namespace, name)))

    def patch_dynamicjob_status(self, namespace: str, name: str,
                                patch: Mapping[str, Any]) -> None:
        try:
            self._call("PATCH", dynamicjob_path(namespace, name) + "/status", body=patch,
                       content_type="application/merge-patch+json", query=_OWN_WRITE)
        except ApiException as error:
            if error.status == 409:
                raise StatusConflict(error.reason) from error
            raise

    def event(self, involved: Mapping[str, Any], reason: str, message: str,
              warning: bool) -> None:
        """Post an Event about a DynamicJob (``involved``: its metadata). An Event is
        news, not state: losing one is logged, never an error of the caller."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        namespace, name = involved["namespace"], involved["name"]
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{name}.", "namespace": namespace},
            "involvedObject": {"apiVersion": f"{GROUP}/{VERSION}", "kind": "DynamicJob",
                               "name": name, "namespace": namespace,
                               "uid": involved.get("uid")},
            "reason": reason, "message": message[:1024],
            "type": "Warning" if warning else "Normal",
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "source": {"component": MANAGED_BY},
        }
        try:
            self._call("POST", resource_path("Event", namespace), body=body, query=[UNCHECKED])
        except ApiException as error:
            log.warning(f"could not post the Event {reason} about {namespace}/{name}: "
                        f"{error.status} {error.reason}")

    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """POST: a 409 means the name is taken."""
        metadata = obj["metadata"]
        path = resource_path(obj["kind"], metadata.get("namespace"))
        return dict(self._call("POST", path, body=obj, query=_OWN_WRITE))

    def replace(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """PUT: with ``metadata.resourceVersion`` set, a 409 means someone wrote in between."""
        metadata = obj["metadata"]
        path = resource_path(obj["kind"], metadata.get("namespace"), metadata["name"])
        return dict(self._call("PUT", path, body=obj, query=_OWN_WRITE))


def trimmed(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the operator reads of an object: all of it but the field sets of managedFields
    (often most of its size). Who changed it when stays: the missed-run check reads when
    the operator last changed a CronJob, and its status, when the controller last ran it."""
    kept = {key: value for key, value in body.items() if key != "metadata"}
    metadata = dict(body.get("metadata") or {})
    if "managedFields" in metadata:
        metadata["managedFields"] = [
            {key: value for key, value in entry.items() if key != "fieldsV1"}
            for entry in metadata["managedFields"]]
    kept["metadata"] = metadata
    return kept


def packed(body: Mapping[str, Any]) -> bytes:
    """An object as the watches keep it between reads: `trimmed`, as compact JSON. As
    nested dicts the five objects of one job took 39 KiB of the operator's memory; as JSON
    they take 8 KiB, and a reconcile decodes the few it reads in microseconds."""
    return json.dumps(trimmed(body), separators=(",", ":")).encode()


def unpacked(data: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(data)
    return body
