"""The operator's view of the cluster, fed by its watches instead of GETs.

Informers (`informer`) keep the latest body of every DynamicJob and of every object the
operator owns (the CronJobs, selected by the managed-by label). A reconcile reads them
instead of GETs, so reconciling an unchanged DynamicJob, and a whole resync pass, makes no
API request.

A watch lags behind the write that changed an object. What the operator itself just
applied is kept beside the watched objects until the watch has delivered that version or a
newer one, so the next reconcile does not see the old object and apply again; and the
watch's echo of the operator's own write is recognised, so it does not start another
reconcile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from job_operator.kube import trimmed

OWNED_KINDS = ("CronJob",)
Key = tuple[str, str, str]
"""(kind, namespace, name)"""
OwnedReader = Callable[[str, str], "dict[str, Any] | None"]
"""(namespace, name) -> the watched object of one kind, or None."""


def version_of(body: Mapping[str, Any]) -> int:
    """The resourceVersion as a number: etcd's revision, which grows with every write.
    (Kubernetes calls it opaque; where it is not a number, the watch's copy wins.)"""
    try:
        return int((body.get("metadata") or {}).get("resourceVersion") or 0)
    except ValueError:
        return 0


class LiveObjects:
    """Reads over a reader per watched kind (DynamicJob and the owned kinds), plus what
    this operator applied and its watch has not delivered yet. Safe to use from handler
    threads while the watches update what they read."""

    def __init__(self, watched: Mapping[str, OwnedReader],
                 dynamicjobs: Callable[[], list[dict[str, Any]]]) -> None:
        self._readers = watched
        self._every_dynamicjob = dynamicjobs
        self._applied: dict[Key, dict[str, Any]] = {}
        self._own_versions: dict[Key, str] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        key = (kind, namespace, name)
        watched = self._watched(key)
        with self._lock:
            applied = self._applied.get(key)
            if applied is None:
                return watched
            if watched is not None and version_of(watched) >= version_of(applied) > 0:
                del self._applied[key]
                return watched
            return applied

    def applied(self, obj: Mapping[str, Any]) -> None:
        """Remember the server's answer to an apply of ours."""
        body = trimmed(obj)
        metadata = body["metadata"]
        key = (body["kind"], metadata["namespace"], metadata["name"])
        with self._lock:
            self._applied[key] = body
            self._own_versions[key] = str(metadata.get("resourceVersion", ""))

    def is_own_echo(self, kind: str, namespace: str, name: str, resource_version: str) -> bool:
        """The watch delivers a version this operator wrote itself."""
        with self._lock:
            return self._own_versions.get((kind, namespace, name)) == resource_version

    def forget(self, kind: str, namespace: str, name: str) -> None:
        """The object is gone: nothing applied earlier stands in for it any more."""
        with self._lock:
            self._applied.pop((kind, namespace, name), None)
            self._own_versions.pop((kind, namespace, name), None)

    def dynamicjobs(self) -> list[dict[str, Any]]:
        """Every DynamicJob the watch has delivered (the latest body of each)."""
        return self._every_dynamicjob()

    def _watched(self, key: Key) -> dict[str, Any] | None:
        kind, namespace, name = key
        read = self._readers.get(kind)
        return read(namespace, name) if read is not None else None
