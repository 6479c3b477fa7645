"""The admission webhook's HTTPS endpoint, served by every operator replica.

It runs from process start in a thread of its own, independent of kopf and of leader
election: a standby replica answers admission exactly as the leader does, so the webhook's
Service may route to any ready pod and admission survives a leader change. (kopf's own
admission server starts only with kopf, so a standby could not serve it.)

Connections are served by an asyncio loop, so a slow client holds no worker: only a
complete request reaches the judges' thread pool. A new connection's TLS handshake, and
then each request (request line, headers and body), must arrive whole within
``REQUEST_SECONDS`` of its first byte, however slowly it trickles in; a client sending one
byte every few seconds is closed then, and meanwhile every other client is answered.
Between requests, and between the handshake and the first request (the API server opens
pooled connections ahead of need), a connection is idle: it may wait ``IDLE_SECONDS``,
longer than the API server's own idle timeout (90 s), so the client closes idle
connections first and never races the server's close. Accepted sockets have TCP_NODELAY:
a reply is one small write, and Nagle's algorithm with the client's delayed ACK would
hold it for tens of milliseconds.

A review nested deeper than ``MAX_JSON_DEPTH`` is never handed to the rules whole (Python's
JSON decoder stops with RecursionError near 1,000 levels, and the rules recurse too): the
too-deep part is cut off while decoding, and a DynamicJob with such a part is refused with
the field and the limit, answered as an AdmissionReview like any other refusal.

The certificate is read again when its file changes, so a renewed certificate (cert-manager,
a rotated Secret) is served without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import logging
import re
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from job_operator.admission.webhook import WEBHOOK_ID, review_response
from job_operator.metrics.registry import WEBHOOK_REQUESTS, WEBHOOK_SECONDS
from job_operator.settings import WebhookSettings
from job_operator.validation import MAX_NESTING, Problem

log = logging.getLogger(__name__)
MAX_REVIEW_BYTES = 4 * 1024 * 1024
"""The API server sends at most ~3 MiB (its request limit); anything bigger is not it."""
MAX_HEADER_BYTES = 64 * 1024
MAX_CONNECTIONS = 512
"""Open connections at once. Waiting costs a socket, not a thread; when all are open, a
new connection takes the place of the longest-idle kept-alive one, or is closed."""
MAX_JUDGES = 32
"""Complete requests judged at once (each may wait on SubjectAccessReviews)."""
REQUEST_SECONDS = 10.0
"""From a request's first byte (a new connection's: its TLS handshake) to its last."""
IDLE_SECONDS = 120.0
WRITE_SECONDS = 10.0
MAX_JSON_DEPTH = 64
"""Levels of an AdmissionReview decoded; a valid DynamicJob needs about 30 (its parameters
nest at most MAX_NESTING deep, and managedFields mirror them three levels lower)."""
TOO_DEEP = "\x00dynamicjobs: nested too deep\x00"
"""What stands in for a part cut off below MAX_JSON_DEPTH."""
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


# ---------------------------------------------------------------------------------------
# Decoding a review without recursion


_BRACKET_OR_QUOTE = re.compile(r'["\[\]{}]')
_REST_OF_STRING = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_LENGTH = re.compile(r"[0-9]{1,12}")


def _cut_text(text: str, limit: int) -> str:
    """``text`` with each array or object that opens below ``limit`` levels replaced by the
    TOO_DEEP string: a scan over brackets outside strings, with no recursion."""
    out, depth, done, cut_at, position = [], 0, 0, -1, 0
    while match := _BRACKET_OR_QUOTE.search(text, position):
        char, position = match.group(), match.end()
        if char == '"':
            end = _REST_OF_STRING.match(text, position)
            if end is None:
                break  # unterminated: the decoder names the error
            position = end.end()
        elif char in "[{":
            depth += 1
            if depth == limit + 1:
                cut_at = match.start()
        else:
            if depth == limit + 1 and cut_at >= 0:
                out += [text[done:cut_at], json.dumps(TOO_DEEP)]
                done, cut_at = position, -1
            depth -= 1
    if cut_at >= 0:  # never closed: keep it cut, so the decoder fails on the shallow rest
        out += [text[done:cut_at], json.dumps(TOO_DEEP)]
        return "".join(out)
    return "".join(out) + text[done:]


Path = tuple[str | int, ...]


def _cut_deep(value: Any, limit: int) -> list[Path]:
    """Replace each container deeper than ``limit`` (and find each TOO_DEEP the text cut
    left) in place; the paths of the parts cut. Iterative, like the rules' own walk."""
    cut: list[Path] = []
    pending: list[tuple[Any, Path, int]] = [(value, (), 1)]
    while pending:
        node, path, depth = pending.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
            node, list) else ()
        for key, child in items:
            if isinstance(child, dict | list) and depth + 1 > limit:
                node[key] = TOO_DEEP
                cut.append((*path, key))
            elif child == TOO_DEEP:
                cut.append((*path, key))
            elif isinstance(child, dict | list):
                pending.append((child, (*path, key), depth + 1))
    return cut


def decode_review(body: bytes) -> tuple[Any, list[Path]]:
    """The JSON of a request body, and the paths of what was cut off as too deep.
    Raises ValueError when the body is not JSON."""
    text = body.decode("utf-8")
    try:
        value = json.loads(text)
    except RecursionError:
        value = json.loads(_cut_text(text, MAX_JSON_DEPTH))
    return value, _cut_deep(value, MAX_JSON_DEPTH)


def _field(path: Path) -> str:
    """A readable field path: down to the first ``parameters``, at most six steps."""
    text = ""
    for step in path[:6]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
        if step == "parameters":
            break
    return text


def too_deep_answer(review: Mapping[str, Any], cut: list[Path]) -> dict[str, Any] | None:
    """The refusal of a DynamicJob that nests too deep; None when nothing it asks to store
    was cut (a too-deep oldObject, say, which the update may be fixing)."""
    request = review.get("request")
    if not isinstance(request, Mapping) or request.get("operation") not in ("CREATE",
                                                                            "UPDATE"):
        return None
    fields = sorted({_field(path[2:]) for path in cut if path[:2] == ("request", "object")})
    if not fields:
        return None
    problems = [Problem(field, f"nested deeper than {MAX_NESTING} levels (this webhook reads "
                               f"at most {MAX_JSON_DEPTH} levels of a review)")
                for field in fields]
    return review_response(review, lambda _request: problems)


# ---------------------------------------------------------------------------------------
# HTTP/1.1, the small part of it the API server speaks


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _read_request(reader: asyncio.StreamReader, first: bytes) -> _Request | None:
    """One request (``first`` is its byte read already); None at a clean end of stream."""
    try:
        head = first + await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if first or error.partial:
            raise _Refusal(400, "the request ended inside its headers") from None
        return None
    except asyncio.LimitOverrunError:
        raise _Refusal(431, f"headers larger than {MAX_HEADER_BYTES} bytes") from None
    line, *fields = head[:-4].decode("latin-1").split("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _Refusal(400, "not an HTTP/1.1 request line")
    headers: dict[str, str] = {}
    for field in fields:
        name, colon, value = field.partition(":")
        if not colon or not name or name != name.strip():
            raise _Refusal(400, "a malformed header line")
        headers[name.lower()] = value.strip()
    request = _Request(parts[0], parts[1], headers)
    if request.path.split("?", 1)[0] != f"/{WEBHOOK_ID}":
        raise _Refusal(404, f"no webhook at {request.path}; it is /{WEBHOOK_ID}")
    if request.method != "POST":
        raise _Refusal(405, "only POST is served")
    if "transfer-encoding" in headers:
        raise _Refusal(411, "send the review with a Content-Length, not chunked")
    length_text = headers.get("content-length", "")
    length = int(length_text) if _LENGTH.fullmatch(length_text) else 0
    if not 0 < length <= MAX_REVIEW_BYTES:
        raise _Refusal(413 if length else 400, "expected an AdmissionReview")
    request.body = await reader.readexactly(length)
    return request


def _http_answer(status: int, body: Mapping[str, Any], close: bool) -> bytes:
    data = json.dumps(body).encode()
    head = (f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n" + ("Connection: close\r\n" if close else ""))
    return head.encode() + b"\r\n" + data


def answer_body(body: bytes, respond: Responder) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON answer to a review's body (run in a judge's thread),
    timed and counted by verdict in the operator's metrics."""
    with WEBHOOK_SECONDS.time():
        status, answer = _answer_body(body, respond)
    WEBHOOK_REQUESTS.labels(verdict(status, answer)).inc()
    return status, answer


def verdict(status: int, answer: Mapping[str, Any]) -> str:
    """allowed, denied (the DynamicJob breaks a rule), or error: no AdmissionReview answer
    at all, or a refusal because the rules could not be checked (code 500)."""
    response = answer.get("response") if status == 200 else None
    if not isinstance(response, Mapping) or not isinstance(response.get("allowed"), bool):
        return "error"
    if response["allowed"]:
        return "allowed"
    code = (response.get("status") or {}).get("code")
    return "error" if isinstance(code, int) and code >= 500 else "denied"


def _answer_body(body: bytes, respond: Responder) -> tuple[int, dict[str, Any]]:
    try:
        review, cut = decode_review(body)
    except ValueError:
        return 400, {"message": "the body is not JSON"}
    if not isinstance(review, dict):
        return 400, {"message": "expected an AdmissionReview object"}
    refusal = too_deep_answer(review, cut)
    if refusal is not None:
        return 200, refusal
    try:
        return 200, respond(review)
    except Exception as error:  # review_response answers the judges' own failures
        log.exception("admission: could not answer a review")
        return 500, {"message": f"dynamicjobs could not answer the review: {error}"}


class _Loop:
    """The asyncio side: connections, deadlines, and handing complete requests to judges."""

    def __init__(self, listener: socket.socket, tls: _TLSContext, respond: Responder,
                 request_seconds: float) -> None:
        self.listener, self.tls, self.respond = listener, tls, respond
        self.request_seconds = request_seconds
        self.judges = ThreadPoolExecutor(MAX_JUDGES, thread_name_prefix="admission-judge")
        self.open: set[asyncio.StreamWriter] = set()
        self.idle: dict[asyncio.StreamWriter, float] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping: asyncio.Event

    async def main(self, started: threading.Event) -> None:
        self.stopping = asyncio.Event()
        server = await asyncio.start_server(self.connection, sock=self.listener,
                                            limit=MAX_HEADER_BYTES)
        started.set()
        async with server:
            await self.stopping.wait()
            server.close()
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.judges.shutdown(wait=False, cancel_futures=True)

    def _make_room(self) -> bool:
        if len(self.open) < MAX_CONNECTIONS:
            return True
        if not self.idle:
            return False
        oldest = min(self.idle, key=self.idle.__getitem__)
        self.idle.pop(oldest)
        self.open.discard(oldest)
        oldest.close()
        return True

    async def connection(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        peer = (writer.get_extra_info("peername") or ("?",))[0]
        if not self._make_room():
            log.warning("admission: %d connections open; closed one more from %s",
                        MAX_CONNECTIONS, peer)
            writer.close()
            return
        self.open.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            raw = writer.get_extra_info("socket")
            if raw is not None and raw.family in (socket.AF_INET, socket.AF_INET6):
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await self._serve(reader, writer)
        except TimeoutError:
            log.warning("admission: %s sent no complete request within %.0f s; closed",
                        peer, self.request_seconds)
        except (OSError, EOFError, ssl.SSLError, asyncio.IncompleteReadError) as error:
            log.warning("admission: connection from %s failed: %s: %s", peer,
                        type(error).__name__, error)
        finally:
            self.idle.pop(writer, None)
            self.open.discard(writer)
            if task is not None:
                self.tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.request_seconds):
            await writer.start_tls(self.tls.current(),
                                   ssl_handshake_timeout=self.request_seconds)
        request = await self._next_request(reader, writer)
        while request is not None:
            status, answer = await loop.run_in_executor(self.judges, answer_body,
                                                        request.body, self.respond)
            close = (request.headers.get("connection", "").lower() == "close"
                     or status != 200)
            if not await self._send(writer, status, answer, close):
                return
            request = await self._next_request(reader, writer)

    async def _next_request(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> _Request | None:
        """The connection's next request, None when it closes or stays idle too long.

        Until a request's first byte the connection is idle, as the API server's pooled
        connections often are right after their handshake: it holds a socket, no worker,
        and is the first to go when room is needed. From that byte on, the whole request
        must arrive within the deadline."""
        loop = asyncio.get_running_loop()
        self.idle[writer] = loop.time()
        try:
            async with asyncio.timeout(IDLE_SECONDS):
                first = await reader.read(1)
        except TimeoutError:
            return None  # an idle connection, not a slow client
        finally:
            self.idle.pop(writer, None)
        if not first or self.stopping.is_set():
            return None
        async with asyncio.timeout(self.request_seconds):
            return await self._request(reader, writer, first)

    async def _request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       first: bytes) -> _Request | None:
        try:
            return await _read_request(reader, first)
        except _Refusal as refusal:
            await self._send(writer, refusal.status, {"message": str(refusal)}, close=True)
            return None

    async def _send(self, writer: asyncio.StreamWriter, status: int,
                    body: Mapping[str, Any], close: bool) -> bool:
        """Write one answer; False when the connection ends with it. An error answer ends
        it: a body left unread must not be taken for the next request."""
        writer.write(_http_answer(status, body, close))
        try:
            async with asyncio.timeout(WRITE_SECONDS):
                await writer.drain()
        except TimeoutError:
            log.warning("admission: a client read no answer within %.0f s; closed",
                        WRITE_SECONDS)
            return False
        return not close


class AdmissionServer:
    """``start()`` binds and serves in a daemon thread; ``stop()`` closes the port."""

    def __init__(self, webhook: WebhookSettings, respond: Responder,
                 request_seconds: float = REQUEST_SECONDS) -> None:
        self.webhook = webhook
        self.respond = respond
        self.request_seconds = request_seconds
        self._listener: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._served: _Loop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        tls = _TLSContext(self.webhook)
        tls.current()  # a missing or bad certificate fails here, at start, not per request
        family = socket.AF_INET6 if ":" in self.webhook.address else socket.AF_INET
        listener = socket.create_server((self.webhook.address, self.webhook.port),
                                        family=family, backlog=MAX_CONNECTIONS)
        served = _Loop(listener, tls, self.respond, self.request_seconds)
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(served.main(started))
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="admission", daemon=True)
        self._thread.start()
        if not started.wait(30):
            raise RuntimeError("the admission server did not start within 30 s")
        self._listener, self._loop, self._served = listener, loop, served
        log.info("admission: serving https://%s:%d/%s", self.webhook.address, self.port,
                 WEBHOOK_ID)

    @property
    def port(self) -> int:
        assert self._listener is not None, "not started"
        return int(self._listener.getsockname()[1])

    def stop(self) -> None:
        if self._loop is None or self._served is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has ended already
            self._loop.call_soon_threadsafe(self._served.stopping.set)
        self._thread.join(timeout=30)
        if self._listener is not None:
            self._listener.close()
        self._loop = self._served = self._thread = self._listener = None
