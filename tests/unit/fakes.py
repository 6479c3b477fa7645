"""An in-memory stand-in for the operator's Kube, for unit tests of reconcile logic."""

from __future__ import annotations

import copy
from typing import Any

from kubernetes.client.exceptions import ApiException

from job_operator.kube import Kube


class FakeKube(Kube):
    """Stores written objects as the API server would return them, and counts writes."""

    def __init__(self, dynamicjob: dict[str, Any]) -> None:
        self.objects: dict[tuple[str, str | None, str], dict[str, Any]] = {}
        self.writes: list[str] = []
        self.dynamicjob = dynamicjob

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        found = self.objects.get((kind, namespace, name))
        return copy.deepcopy(found) if found else None

    def writing(self, obj: Any) -> None:
        """Called before each write of an object (subclasses fail or watch here)."""

    def _store(self, verb: str, obj: Any) -> dict[str, Any]:
        self.writing(obj)
        meta = obj["metadata"]
        stored = copy.deepcopy(dict(obj))
        stored["metadata"]["resourceVersion"] = str(len(self.writes) + 1)
        self.objects[(obj["kind"], meta.get("namespace"), meta["name"])] = stored
        self.writes.append(f"{verb} {obj['kind']}/{meta['name']}")
        return stored

    def apply(self, obj: Any) -> dict[str, Any]:
        return self._store("apply", obj)

    def create(self, obj: Any) -> dict[str, Any]:
        meta = obj["metadata"]
        if (obj["kind"], meta.get("namespace"), meta["name"]) in self.objects:
            raise ApiException(status=409, reason="AlreadyExists")
        return self._store("create", obj)

    def replace(self, obj: Any) -> dict[str, Any]:
        meta = obj["metadata"]
        found = self.objects.get((obj["kind"], meta.get("namespace"), meta["name"]))
        if found is None:
            raise ApiException(status=404, reason="NotFound")
        if meta.get("resourceVersion") != found["metadata"]["resourceVersion"]:
            raise ApiException(status=409, reason="Conflict")
        return self._store("replace", obj)

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
