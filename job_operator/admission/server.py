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
import sys
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from job_operator.admission.webhook import WEBHOOK_ID
from job_operator.settings import WebhookSettings

log = logging.getLogger(__name__)
MAX_REVIEW_BYTES = 4 * 1024 * 1024
"""The API server sends at most ~3 MiB (its request limit); anything bigger is not it."""
MAX_CONNECTIONS = 32
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
    """One thread per connection, at most MAX_CONNECTIONS at once: when all are busy the
    accept loop waits, and further clients queue in the listen backlog."""

    daemon_threads = True
    tls: _TLSContext
    respond: Responder

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        try:
            # The handshake runs in the request's thread (on first read), never here.
            wrapped = self.tls.current().wrap_socket(connection, server_side=True,
                                                     do_handshake_on_connect=False)
        except BaseException:
            connection.close()
            raise
        return wrapped, address

    def process_request(self, request: Any, client_address: Any) -> None:
        self.slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not a traceback: a client that is not the API server (plain HTTP, a
        port scan, a dropped connection) is not the operator's error."""
        error = sys.exc_info()[1]
        log.warning("admission: connection from %s failed: %s: %s", client_address[0],
                    type(error).__name__, error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 10
    """Seconds one read may wait; the API server sends a review at once."""

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != f"/{WEBHOOK_ID}":
            self._send(404, {"message": f"no webhook at {self.path}; it is /{WEBHOOK_ID}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
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
        """An error reply closes the connection: a body left unread must not be taken for
        the next request."""
        data = json.dumps(body).encode()
        self.send_response(status)
        if status != 200:
            self.send_header("Connection", "close")
            self.close_connection = True
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
