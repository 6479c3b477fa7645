"""The two calls that record a run: read a DynamicJob, merge-patch its status.

A runner pod needs nothing else of the API, so it makes them with the standard library
(`RestEndpoint`) rather than the Kubernetes client, whose import alone was most of a
run's CPU (benchmarks/fleet_runs.py). The operator passes its own client instead
(`job_operator.kube.Kube` has the same two methods).
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from job_runner.api import GROUP, VERSION

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
REQUEST_SECONDS = 30.0


class StatusConflict(Exception):
    """409: the DynamicJob changed after it was read; read it again."""


class StatusApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class StatusEndpoint(Protocol):
    def dynamicjob(self, namespace: str, name: str) -> dict[str, Any]: ...

    def patch_dynamicjob_status(self, namespace: str, name: str,
                                patch: Mapping[str, Any]) -> None:
        """Raises StatusConflict when ``patch``'s resourceVersion is no longer current."""


def dynamicjob_path(namespace: str, name: str) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/dynamicjobs/{name}"


@dataclass
class RestEndpoint:
    """The API server at ``server``, trusting ``ca_file``, as the bearer of ``token()``
    (read for each request: the kubelet rotates a pod's token file within its run)."""

    server: str
    ca_file: str | None
    token: Callable[[], str]
    timeout: float = REQUEST_SECONDS

    def __post_init__(self) -> None:
        self._connection: http.client.HTTPSConnection | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> RestEndpoint:
        """In a pod, its service account; elsewhere a kubeconfig ($KUBECONFIG) whose user
        is a token (as the local pod executor writes)."""
        host = environ.get("KUBERNETES_SERVICE_HOST")
        if host and (SERVICE_ACCOUNT / "token").exists():
            port = environ.get("KUBERNETES_SERVICE_PORT", "443")
            server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
            return cls(server, str(SERVICE_ACCOUNT / "ca.crt"),
                       lambda: (SERVICE_ACCOUNT / "token").read_text().strip())
        return _from_kubeconfig(Path(environ.get("KUBECONFIG", "~/.kube/config").split(
            os.pathsep)[0]).expanduser())

    def dynamicjob(self, namespace: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._request("GET", dynamicjob_path(namespace, name))
        return found

    def patch_dynamicjob_status(self, namespace: str, name: str,
                                patch: Mapping[str, Any]) -> None:
        self._request("PATCH", dynamicjob_path(namespace, name) + "/status", patch)

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/merge-patch+json"
        with self._lock:
            status, answer = self._exchange(method, path, data, headers)
        if status == 409:
            raise StatusConflict(_message(answer))
        if not 200 <= status < 300:
            raise StatusApiError(status, _message(answer))
        return json.loads(answer) if answer else {}

    def _exchange(self, method: str, path: str, data: bytes | None,
                  headers: dict[str, str]) -> tuple[int, bytes]:
        """One request on the kept connection; a connection the server closed meanwhile is
        opened again once."""
        for attempt in (1, 2):
            connection = self._connection or self._connect()
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.RemoteDisconnected,
                    http.client.CannotSendRequest):
                connection.close()
                self._connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPSConnection:
        url = urlsplit(self.server)
        context = ssl.create_default_context(cafile=self.ca_file)
        self._connection = http.client.HTTPSConnection(
            url.hostname or "", url.port or 443, timeout=self.timeout, context=context)
        return self._connection


def _message(answer: bytes) -> str:
    try:
        return str(json.loads(answer).get("message", ""))
    except (ValueError, AttributeError):
        return answer[:200].decode(errors="replace")


def _from_kubeconfig(path: Path) -> RestEndpoint:
    import yaml  # only outside a pod

    config = yaml.safe_load(path.read_text())
    context_name = config.get("current-context")
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    token = user.get("token")
    if not token:
        raise ValueError(f"{path}: the runner reports with a token; user "
                         f"{context['user']!r} has none (run it in a pod)")
    return RestEndpoint(cluster["server"], cluster.get("certificate-authority"),
                        lambda: str(token))
