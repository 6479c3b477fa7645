"""An in-memory stand-in for the operator's Kube, for unit tests of reconcile logic."""

from __future__ import annotations

import copy
from typing import Any

from job_operator.kube import Kube


class FakeKube(Kube):
    """Stores applied objects as the API server would return them, and counts writes."""

    def __init__(self, dynamicjob: dict[str, Any]) -> None:
        self.objects: dict[tuple[str, str | None, str], dict[str, Any]] = {}
        self.writes: list[str] = []
        self.dynamicjob = dynamicjob

    def get(self, kind: str, namespace: str | None, name: str, cached: bool = False,
            ) -> dict[str, Any] | None:
        found = self.objects.get((kind, namespace, name))
        return copy.deepcopy(found) if found else None

    def apply(self, obj: Any) -> dict[str, Any]:
        meta = obj["metadata"]
        stored = copy.deepcopy(dict(obj))
        stored["metadata"]["resourceVersion"] = str(len(self.writes) + 1)
        self.objects[(obj["kind"], meta.get("namespace"), meta["name"])] = stored
        self.writes.append(f"apply {obj['kind']}/{meta['name']}")
        return stored

    def patch_status(self, kind: str, namespace: str | None, name: str,
                     status: Any) -> dict[str, Any]:
        current = self.dynamicjob.setdefault("status", {})
        for key, value in status.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = copy.deepcopy(value)
        self.writes.append(f"status {kind}/{name}")
        return self.dynamicjob

    def event(self, involved: Any, reason: str, message: str, warning: bool) -> None:
        self.writes.append(f"event {reason}")
