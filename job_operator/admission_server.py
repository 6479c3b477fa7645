"""The admission webhook's HTTPS endpoint, served by every operator replica.

It runs from process start in a thread of its own, independent of kopf and of leader
election: a standby replica answers admission exactly as the leader does, so the webhook's
Service may route to any ready pod and admission survives a leader change. (kopf's own
admission server starts only with kopf, so a standby could not serve it.)

The certificate is read again when its file changes, so a renewed certificate (cert-manager,
a rotated Secret) is served without a restart.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from job_operator.settings import WebhookSettings
from job_operator.webhook import WEBHOOK_ID

log = logging.getLogger(__name__)
MAX_REVIEW_BYTES = 4 * 1024 * 1024
"""The API server sends at most ~3 MiB (its request limit); anything bigger is not it."""
Responder = Callable[[Mapping[str, Any]], dict[str, Any]]


class _TLSContext:
    """A server TLS context that reloads the certificate when its files change."""

    def __init__(self, webhook: WebhookSettings) -> None:
        self.webhook = webhook
        self._stamp: tuple[float, float] | None = None
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def current(self) -> ssl.SSLContext:
        stamp = (self.webhook.certfile.stat().st_mtime, self.webhook.keyfile.stat().st_mtime)
        with self._lock:
            if self._context is None or stamp != self._stamp:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.load_cert_chain(self.webhook.certfile, self.webhook.keyfile)
                if self._context is not None:
                    log.info("admission: serving the renewed certificate")
                self._context, self._stamp = context, stamp
            return self._context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tls: _TLSContext
    respond: Responder

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        # The handshake runs in the request's thread (on first read), never in the accept loop.
        wrapped = self.tls.current().wrap_socket(connection, server_side=True,
                                                 do_handshake_on_connect=False)
        return wrapped, address


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != f"/{WEBHOOK_ID}":
            self._send(404, {"message": f"no webhook at {self.path}; it is /{WEBHOOK_ID}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_REVIEW_BYTES:
            self._send(413 if length else 400, {"message": "expected an AdmissionReview"})
            return
        try:
            review = json.loads(self.rfile.read(length))
        except ValueError:
            self._send(400, {"message": "the body is not JSON"})
            return
        if not isinstance(review, dict):
            self._send(400, {"message": "expected an AdmissionReview object"})
            return
        self._send(200, self.server.respond(review))

    def _send(self, status: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("admission: " + format, *args)


class AdmissionServer:
    """``start()`` binds and serves in a daemon thread; ``stop()`` closes the port."""

    def __init__(self, webhook: WebhookSettings, respond: Responder) -> None:
        self.webhook = webhook
        self.respond = respond
        self._server: _Server | None = None

    def start(self) -> None:
        tls = _TLSContext(self.webhook)
        tls.current()  # a missing or bad certificate fails here, at start, not per request
        server = _Server((self.webhook.address, self.webhook.port), _Handler)
        server.tls, server.respond = tls, self.respond
        threading.Thread(target=server.serve_forever, name="admission", daemon=True).start()
        self._server = server
        log.info("admission: serving https://%s:%d/%s", self.webhook.address,
                 server.server_address[1], WEBHOOK_ID)

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
