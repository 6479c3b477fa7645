"""A small informer: one kind's objects with the operator's label, kept current in memory.

A thread LISTs them, then WATCHes from the list's resourceVersion, and keeps each object's
latest body (`kube.packed`); when the watch ends it watches again from the last
version it saw, and when that version is too old (410 Gone) it lists again. It serves the
objects the operator makes for every DynamicJob: kopf's watches would do the same, but
every event they deliver goes through kopf's per-object machinery, which at thousands of
jobs costs more CPU and memory than the reconciles themselves. Here an event costs a JSON
decode and a dict update.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from job_operator.kube import Kube, api_version, packed, unpacked

log = logging.getLogger(__name__)
WATCH_SECONDS = 300
"""How long one WATCH request asks to stay open (the server ends it then; we watch again)."""
RETRY_SECONDS = 5.0
EventCallback = Callable[[str, str, dict[str, Any]], None]
"""(kind, event type, body): called from the informer's thread after the store changed."""
LISTED = "LISTED"
"""The event type given for each object of a LIST (the first, and each one after a watch
too old to resume); an object a new LIST no longer has is given as DELETED."""


class Informer:
    """The objects of ``kind`` with ``label_selector`` in ``namespace`` (None: all)."""

    def __init__(self, kube: Kube, kind: str, label_selector: str,
                 namespace: str | None = None, on_event: EventCallback | None = None) -> None:
        self.kube, self.kind, self.selector, self.namespace = kube, kind, label_selector, namespace
        self.on_event = on_event
        self.api_version = api_version(kind)
        self.store: dict[tuple[str, str], bytes] = {}
        self.listed = threading.Event()
        """Set once the first LIST is in."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"informer-{kind}-{namespace or 'all'}")

    def start(self) -> Informer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        data = self.store.get((namespace, name))
        return None if data is None else unpacked(data)

    def bodies(self) -> list[dict[str, Any]]:
        """Every object, decoded (the list of the store is taken at once, under the GIL)."""
        return [unpacked(data) for data in list(self.store.values())]

    def _run(self) -> None:
        version: str | None = None
        while not self._stopping.is_set():
            try:
                if version is None:
                    version = self._list()
                    self.listed.set()
                version = self._watch(version)
            except ApiException as error:
                if error.status == 410:
                    version = None  # too old to watch from: list again
                    continue
                log.warning(f"informer {self.kind}: {error.status} {error.reason}; retrying")
                self._stopping.wait(RETRY_SECONDS)
            except Exception as error:  # a dropped connection must not end the thread
                log.warning(f"informer {self.kind}: {type(error).__name__}: {error}; retrying")
                self._stopping.wait(RETRY_SECONDS)

    def _list(self) -> str:
        """LIST a page at a time into the store, then drop what the LIST no longer has.
        (Readers meanwhile see each object either as before or as listed.)"""
        listed: set[tuple[str, str]] = set()
        version = ""
        for items, page_version in self.kube.list_pages(self.kind, self.namespace,
                                                        self.selector):
            version = page_version
            for item in items:
                body = self._typed(item)
                key = _key(body)
                listed.add(key)
                self.store[key] = packed(body)
                self._notify(LISTED, body)
        for key in self.store.keys() - listed:
            gone = self.store.pop(key, None)
            if gone is not None:
                self._notify("DELETED", unpacked(gone))
        return version

    def _typed(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The body as a GET returns it: a LIST's items carry no kind nor apiVersion."""
        return {**body, "apiVersion": self.api_version, "kind": self.kind}

    def _watch(self, version: str) -> str:
        """Apply events until the server ends the watch; the version to watch from next."""
        for event in self.kube.watch(self.kind, self.namespace, self.selector, version,
                                     WATCH_SECONDS, self._stopping):
            kind, body = str(event.get("type")), event.get("object") or {}
            if kind == "ERROR":
                raise ApiException(status=body.get("code", 500), reason=body.get("reason", ""))
            version = str(body.get("metadata", {}).get("resourceVersion", version))
            if kind == "BOOKMARK":
                continue
            body = self._typed(body)
            if kind == "DELETED":
                self.store.pop(_key(body), None)
            else:
                self.store[_key(body)] = packed(body)
            self._notify(kind, body)
        return version

    def _notify(self, event_type: str, body: dict[str, Any]) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(self.kind, event_type, body)
        except Exception:
            log.exception(f"informer {self.kind}: handling {event_type} failed")


def _key(body: Mapping[str, Any]) -> tuple[str, str]:
    metadata = body.get("metadata") or {}
    return str(metadata.get("namespace", "")), str(metadata.get("name", ""))
