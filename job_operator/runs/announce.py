"""Events for finished runs, posted by the operator from the runs in the status.

Runner pods hold no API credentials, so they post no Events (RBAC could not have limited
them to Events about their own job anyway). The operator watches the DynamicJobs; it posts
one Event per run it sees finish in a status.

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
