"""A small HTTP client that only ever connects to addresses the network policy allows.

Each request (and each redirect hop) resolves the host, checks every address against the
`AddressPolicy`, and connects to one of those checked addresses, while TLS still verifies
the certificate against the host name.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

from job_runner.template import RunContext, TemplateError
from job_runner.toolkit.netpolicy import AddressPolicy, connect_checked

MAX_REDIRECTS = 5
MAX_DRAIN_BYTES = 64 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: Any = None
    secret_headers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    url: str
    redirects: int
    retry_after: str = ""
    """The Retry-After header of a 429 or 503, as sent (seconds or an HTTP date)."""


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _connection(
    parts: SplitResult, addresses: list[str], timeout: float
) -> http.client.HTTPConnection:
    host, port = parts.hostname or "", _port(parts)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def connect(_address: Any, timeout: Any = None, source_address: Any = None) -> Any:
        return connect_checked(addresses, port, timeout, source_address)

    connection._create_connection = connect  # type: ignore[attr-defined]
    return connection


def _send_once(request: Request, policy: AddressPolicy, timeout: float,
               ) -> tuple[int, str, str, str]:
    parts = urlsplit(request.url)
    addresses = policy.resolve(parts.hostname or "", _port(parts))
    headers = dict(request.headers)
    payload = None
    if request.body is not None:
        payload = json.dumps(request.body).encode()
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connection(parts, addresses, timeout)
    try:
        connection.request(request.method, target, body=payload, headers=headers)
        response = connection.getresponse()
        response.read(MAX_DRAIN_BYTES)
        return (response.status, response.reason, response.getheader("Location") or "",
                response.getheader("Retry-After") or "")
    except (OSError, http.client.HTTPException) as error:
        raise TemplateError(
            f"{request.method} {request.url} failed: {type(error).__name__}: {error}"
        ) from error
    finally:
        connection.close()


def _redirected(request: Request, status: int, location: str) -> Request:
    target = urljoin(request.url, location)
    old, new = urlsplit(request.url), urlsplit(target)
    if new.scheme not in ("http", "https") or not new.hostname or new.username or new.password:
        raise TemplateError(f"refusing to follow a redirect to {target!r}")
    headers = dict(request.headers)
    if (old.scheme, old.hostname, _port(old)) != (new.scheme, new.hostname, _port(new)):
        dropped = request.secret_headers | CREDENTIAL_HEADERS
        headers = {name: value for name, value in headers.items() if name.lower() not in dropped}
    method, body = request.method, request.body
    if status == 303 or (status in (301, 302) and method not in ("GET", "HEAD")):
        method, body = "GET", None
    return replace(request, method=method, url=target, headers=headers, body=body)


def send_following_redirects(
    request: Request, policy: AddressPolicy, timeout: float, ctx: RunContext,
    accept: Any = None,
) -> Response:
    """Send `request`; follow up to MAX_REDIRECTS redirects unless `accept(status)` is true.

    Every hop is checked against the policy again, and credentials are not carried to a
    different origin.
    """
    for hop in range(MAX_REDIRECTS + 1):
        ctx.check_cancelled()
        status, reason, location, retry_after = _send_once(
            request, policy, max(0.1, min(timeout, ctx.remaining()))
        )
        if status not in REDIRECT_STATUSES or not location or (accept and accept(status)):
            return Response(status, reason, request.url, hop, retry_after)
        ctx.logger.info("following redirect", extra={"status": status, "location": location})
        request = _redirected(request, status, location)
    raise TemplateError(f"more than {MAX_REDIRECTS} redirects, last to {request.url}")
