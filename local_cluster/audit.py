"""Read the local control plane's audit log: who wrote what, and when."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from local_cluster.controlplane import WRITE_VERBS


@dataclass(frozen=True)
class AuditedWrite:
    user: str
    verb: str
    resource: str
    subresource: str
    namespace: str
    name: str
    status: int
    time: str


def audited_writes(path: Path, *, user: str | None = None,
                   since: str | None = None) -> Iterator[AuditedWrite]:
    """Write requests at the ResponseComplete stage, optionally by one user after ``since``
    (an RFC 3339 time with microseconds, as the audit log writes them)."""
    return (request for request in audited_requests(path, user=user, since=since)
            if request.verb in WRITE_VERBS)


def audited_requests(path: Path, *, user: str | None = None,
                     since: str | None = None) -> Iterator[AuditedWrite]:
    """Every logged request (all writes; the operator's reads too), as `audited_writes`."""
    if not path.exists():
        return
    with open(path) as log:
        for line in log:
            entry = json.loads(line)
            if entry.get("stage") != "ResponseComplete":
                continue
            who = entry.get("user", {}).get("username", "")
            when = entry.get("requestReceivedTimestamp", "")
            if (user is not None and who != user) or (since is not None and when < since):
                continue
            ref = entry.get("objectRef", {})
            yield AuditedWrite(
                user=who, verb=entry.get("verb", ""), resource=ref.get("resource", ""),
                subresource=ref.get("subresource", ""), namespace=ref.get("namespace", ""),
                name=ref.get("name", ""), status=entry.get("responseStatus", {}).get("code", 0),
                time=when,
            )
