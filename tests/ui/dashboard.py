"""A stand-in for Headlamp's backend, for the browser tests.

Headlamp's backend (Go, ``headlamp-server``) serves the frontend's files, the cluster list
at ``/config``, the plugins folder (``/plugins``: the list; ``/plugins/<name>/main.js`` and
``package.json``) and, under ``/clusters/<name>/...``, a proxy to that cluster's API server
with the signed-in user's credentials. It cannot be built here, so this small server does
those four things and nothing else:

- ``/config``: one cluster per test user, named after the user;
- ``/plugins``: one plugin, ``dynamicjobs``, whose ``main.js`` and ``package.json`` are the
  plugin's built folder (what ``headlamp-plugin package`` puts in its tarball);
- ``/clusters/<user>/<path>``: forwarded to the local API server over TLS with the client
  certificate of ``<user>`` (from ``plane.user_kubeconfig``), so the API server, RBAC and
  the admission webhook judge every request as that user;
- anything else: Headlamp's frontend as built from @kinvolk/headlamp-plugin's published
  ``lib/`` (ui/headlamp-plugin/harness), its ``index.html`` for any unknown path, as
  Headlamp's backend serves its single-page app.

Not served (Headlamp's frontend does not need them for these views): websockets (watches),
``/externalproxy``, ``/portforward``, Helm, metrics, OIDC, plugin settings writes.
"""

from __future__ import annotations

import base64
import http.client
import json
import mimetypes
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept")
FORWARDED_RESPONSE_HEADERS = ("Content-Type", "Warning")


def tls_context(kubeconfig: Path, workdir: Path) -> ssl.SSLContext:
    """A client TLS context from a kubeconfig's CA and client certificate data."""
    config = yaml.safe_load(kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    user = config["users"][0]["user"]
    context = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    with tempfile.TemporaryDirectory(dir=workdir) as keys:
        cert, key = Path(keys) / "client.crt", Path(keys) / "client.key"
        cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
        key.write_bytes(base64.b64decode(user["client-key-data"]))
        context.load_cert_chain(cert, key)
    return context


class Dashboard:
    """The server; ``users`` maps a cluster name in the URL to a user's kubeconfig."""

    def __init__(self, *, server: str, users: dict[str, Path], frontend: Path, plugin: Path,
                 workdir: Path) -> None:
        api = urlsplit(server)
        self.api_host, self.api_port = api.hostname or "127.0.0.1", api.port or 443
        self.contexts = {name: tls_context(path, workdir) for name, path in users.items()}
        self.server = server
        self.frontend = frontend
        self.plugin = plugin
        """The plugin's folder: main.js and package.json."""
        self.forwarded: list[tuple[str, str, str, int]] = []
        """(user, method, path, status) of each forwarded request, for the tests to read."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Dashboard:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, user: str, method: str, path: str, headers: dict[str, str],
                 body: bytes | None) -> tuple[int, str, dict[str, str], bytes]:
        connection = http.client.HTTPSConnection(
            self.api_host, self.api_port, context=self.contexts[user], timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            kept = {k: v for k in FORWARDED_RESPONSE_HEADERS if (v := response.getheader(k))}
            result = response.status, response.reason, kept, response.read()
        finally:
            connection.close()
        self.forwarded.append((user, method, path, result[0]))
        return result

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        dashboard = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str],
                      reason: str | None = None) -> None:
                self.send_response(status, reason)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def _api(self, method: str) -> bool:
                parts = self.path.split("/", 3)
                if len(parts) < 4 or parts[1] != "clusters":
                    return False
                user, rest = parts[2], "/" + parts[3]
                if user not in dashboard.contexts:
                    self._send(404, b'{"message": "no such cluster"}',
                               {"Content-Type": "application/json"}, "Not Found")
                    return True
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k in FORWARDED_REQUEST_HEADERS if (v := self.headers.get(k))}
                status, reason, kept, payload = dashboard._forward(user, method, rest, headers,
                                                                   body)
                self._send(status, payload, kept, reason)
                return True

            def _json(self, value: object) -> None:
                self._send(200, json.dumps(value).encode(), {"Content-Type": "application/json"})

            def _static(self) -> None:
                path = urlsplit(self.path).path
                if path == "/config":
                    self._json({"clusters": [
                        {"name": user, "server": dashboard.server, "auth_type": "",
                         "meta_data": {"source": "kubeconfig"}}
                        for user in dashboard.contexts]})
                    return
                if path == "/plugins":
                    self._json([{"name": "dynamicjobs", "path": "plugins/dynamicjobs",
                                 "type": "user"}])
                    return
                if path.startswith("/plugins/"):
                    name = path.removeprefix("/plugins/dynamicjobs/")
                    file = dashboard.plugin / name
                    if name not in ("main.js", "package.json") or not file.is_file():
                        self._send(404, b"", {})
                        return
                else:
                    root = dashboard.frontend.resolve()
                    candidate = (root / path.lstrip("/")).resolve()
                    inside = candidate.is_relative_to(root)
                    file = candidate if inside and candidate.is_file() else root / "index.html"
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                self._send(200, file.read_bytes(), {"Content-Type": kind})

            def do_GET(self) -> None:
                if not self._api("GET"):
                    self._static()

            def do_POST(self) -> None:
                self._api("POST") or self._send(405, b"", {})

            def do_PATCH(self) -> None:
                self._api("PATCH") or self._send(405, b"", {})

            def do_PUT(self) -> None:
                self._api("PUT") or self._send(405, b"", {})

            def do_DELETE(self) -> None:
                self._api("DELETE") or self._send(405, b"", {})

        return Handler
