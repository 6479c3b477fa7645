"""Which API errors are refusals: the request itself will never be accepted as it is.

A CronJob whose memory request is above its limit (422 Invalid), a status too large to
store (413, or etcd's "request is too large" passed on as a 500): sending the same request
again gets the same answer, so the DynamicJob is Stalled with the API server's reason
instead of being retried. Everything else (conflicts, timeouts, a server restarting, a
Forbidden that RBAC or a quota may lift) stays an error for the caller to retry.
"""

from __future__ import annotations

import json

from kubernetes.client.exceptions import ApiException

REFUSING_STATUSES = frozenset({400, 413, 422})
MAX_REASON = 2048
"""Characters of the API server's message kept in a condition (its causes can be long)."""


def api_message(error: ApiException) -> str:
    """The API server's own message (metav1.Status.message), else the HTTP reason."""
    try:
        body = json.loads(error.body or "")
    except (TypeError, ValueError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message or error.reason or f"HTTP {error.status}")
    return text if len(text) <= MAX_REASON else text[:MAX_REASON] + "..."


def refusal(error: ApiException) -> str | None:
    """The API server's reason when ``error`` refuses the request for good, else None."""
    message = api_message(error)
    if error.status in REFUSING_STATUSES:
        return message
    if error.status == 500 and "too large" in message.lower():
        return message
    return None
