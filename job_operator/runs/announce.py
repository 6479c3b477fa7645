"""Events for finished runs, posted by the operator from what the runner recorded.

The runner records its run in its DynamicJob's status, which RBAC lets it do for that one
object (a Role with resourceNames). It may not post Events: RBAC cannot limit creating
Events to those about one object, so a runner allowed to post any would be allowed to post
misleading ones about every job in its namespace. The operator watches the DynamicJobs
anyway; it posts one Event per run it sees finish.

What it saw is kept in memory: the first listing after a start marks every job's current
run as told, so a restart or a change of leader tells nothing twice, and a run that
finished while no operator was running gets no Event (its record is in the status).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from job_runner.api import FINISHED_RESULTS, RunRecord, read_status

Key = tuple[str, str]


class RunAnnouncer:
    """Which finished run of each DynamicJob has been told (safe across handler threads)."""

    def __init__(self) -> None:
        self._told: dict[Key, str] = {}
        self._lock = threading.Lock()

    def observe(self, body: Mapping[str, Any], first_listing: bool) -> RunRecord | None:
        """The run to tell about now, if the watch shows a finished run not yet told."""
        metadata = body.get("metadata") or {}
        key = (str(metadata.get("namespace")), str(metadata.get("name")))
        run = read_status(body.get("status")).last_run
        if run is None or run.result not in FINISHED_RESULTS:
            return None
        with self._lock:
            previous = self._told.get(key)
            self._told[key] = run.id
        return None if first_listing or previous == run.id else run

    def told(self, namespace: str, name: str, run_id: str) -> None:
        """The operator posted this run's Event itself (a run it recorded)."""
        with self._lock:
            self._told[(namespace, name)] = run_id

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            self._told.pop((namespace, name), None)


def run_event(run: RunRecord) -> tuple[bool, str, str]:
    """(warning, reason, message) of the Event about a finished run."""
    return (run.result != "Succeeded", f"Run{run.result}",
            f"run {run.id}: {run.message or 'done'}")
