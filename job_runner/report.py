"""Write a run into its DynamicJob's status, beside the operator's fields, never over them.

Runs own ``lastRun``, ``recentRuns``, ``lastSuccessfulTime`` and ``lastFailureTime``; the
operator writes them (`job_operator.runs.reported`), from several threads. Each write is a
merge patch of only those keys, carrying the resourceVersion it was computed from: when
anything wrote in between, the API server answers 409 and the reporter reads again and
recomputes, so no run record is lost.
"""

from __future__ import annotations

import logging
import time

from job_runner.api import (
    FINISHED_RESULTS,
    DynamicJobStatus,
    RunRecord,
    latest,
    parse_time,
    read_status,
    status_patch,
)
from job_runner.status_api import StatusConflict, StatusEndpoint

CONFLICT_RETRIES = 8
log = logging.getLogger("dynamicjobs.runner")


def merge_run(status: DynamicJobStatus, record: RunRecord, history_limit: int,
              ) -> DynamicJobStatus:
    """The runner's fields of a status with ``record`` in it (replacing a record of the
    same id); only those fields are set, so `status_patch` writes nothing else.

    Runs are ordered by their start as a time, newest first (stored times may have whole
    seconds, new ones milliseconds). Missed runs (times no Job started) never take the
    place of runs that ran: they fill only the history slots runs leave free, and
    ``last_run`` is the newest run that ran, if any. ``last_missed_time`` keeps the newest
    missed time even when no slot is left."""
    runs = [record, *(r for r in status.recent_runs if r.id != record.id)]
    newest_first = sorted(runs, key=RunRecord.started, reverse=True)
    ran = [r for r in newest_first if r.result != "Missed"][:history_limit]
    missed = [r for r in newest_first if r.result == "Missed"][:history_limit - len(ran)]
    recent = sorted([*ran, *missed], key=RunRecord.started, reverse=True)
    merged = DynamicJobStatus(last_run=(ran or newest_first)[0], recent_runs=recent)
    if record.result == "Succeeded" and record.finished_at:
        merged.last_successful_time = latest(record.finished_at, status.last_successful_time)
    elif record.result in ("Failed", "TimedOut") and record.finished_at:
        merged.last_failure_time = latest(record.finished_at, status.last_failure_time)
    elif record.result == "Missed" and record.started_at:
        merged.last_missed_time = latest(record.started_at, status.last_missed_time)
    return merged


def _already_recorded(record: RunRecord, status: DynamicJobStatus) -> bool:
    """A finished record of the same run, or (for a missed time) that time or a later one."""
    last_missed = parse_time(status.last_missed_time)
    if record.result == "Missed" and last_missed is not None and (
            last_missed >= record.started()):
        return True
    return any(r.id == record.id and r.result in FINISHED_RESULTS for r in status.recent_runs)


class StatusReporter:
    """Records runs of one DynamicJob through ``endpoint`` (a read and a status patch)."""

    def __init__(self, endpoint: StatusEndpoint, namespace: str, name: str) -> None:
        self.endpoint = endpoint
        self.namespace = namespace
        self.name = name

    def record(self, record: RunRecord, history_limit: int, keep_final: bool = False) -> bool:
        """Write ``record``; with ``keep_final``, not over a finished record of the same run
        (the operator's account of a dead pod never replaces what the runner reported), nor
        a missed time already recorded.
        True when written."""
        for attempt in range(1, CONFLICT_RETRIES + 1):
            current = self.endpoint.dynamicjob(self.namespace, self.name)
            status = read_status(current.get("status"))
            if keep_final and _already_recorded(record, status):
                return False
            patch = {
                "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
                "status": status_patch(merge_run(status, record, history_limit)),
            }
            try:
                self.endpoint.patch_dynamicjob_status(self.namespace, self.name, patch)
                return True
            except StatusConflict:
                if attempt == CONFLICT_RETRIES:
                    raise
                log.info("status changed meanwhile, retrying", extra={"attempt": attempt})
                time.sleep(0.05 * attempt)
        return False
