"""How a DynamicJob's runs are going, read from its status: the one definition behind the
``Degraded`` condition and the ``dynamicjobs_job_last_run_failed`` and
``dynamicjobs_job_run_missed`` gauges, so that the status, the metrics and the alerts
never disagree.

Degraded means the newest thing that happened to the schedule went wrong: the newest
finished run failed (Failed, TimedOut, Cancelled), or a scheduled time was missed after
the newest run started. The next successful run clears it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from job_runner.api import parse_time

FAILED_RESULTS = frozenset({"Failed", "TimedOut", "Cancelled"})


@dataclass(frozen=True)
class RunHealth:
    degraded: bool
    reason: str
    """LastRunFailed, LastRunTimedOut, LastRunCancelled or RunMissed when degraded;
    LastRunSucceeded or NoRunsYet when not."""
    message: str = ""

    @property
    def last_run_failed(self) -> bool:
        return self.degraded and self.reason != "RunMissed"

    @property
    def run_missed(self) -> bool:
        return self.reason == "RunMissed"


def _records(status: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    runs = [status.get("lastRun"), *(status.get("recentRuns") or [])]
    return [run for run in runs if isinstance(run, Mapping)]


def _newest_finished_run(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The newest run that ran and ended (a Running one says nothing yet)."""
    best: tuple[datetime, Mapping[str, Any]] | None = None
    for run in _records(status):
        if run.get("result") in (None, "Running", "Missed"):
            continue
        started = parse_time(run.get("startedAt")) or parse_time(run.get("finishedAt"))
        if started is not None and (best is None or started > best[0]):
            best = (started, run)
    return best[1] if best else None


def _newest_start(status: Mapping[str, Any]) -> datetime | None:
    """The start of the newest run that ran (Running included)."""
    starts = [parse_time(run.get("startedAt")) for run in _records(status)
              if run.get("result") != "Missed"]
    return max((s for s in starts if s is not None), default=None)


def run_health(status: Mapping[str, Any] | None) -> RunHealth:
    status = status or {}
    missed = parse_time(status.get("lastMissedTime"))
    started = _newest_start(status)
    if missed is not None and (started is None or missed > started):
        return RunHealth(True, "RunMissed", f"the run due at {status['lastMissedTime']} "
                                            "did not start (see recentRuns)")
    run = _newest_finished_run(status)
    if run is None:
        return RunHealth(False, "NoRunsYet", "no run has finished yet")
    result = str(run.get("result"))
    if result in FAILED_RESULTS:
        detail = f": {run['message']}" if run.get("message") else ""
        return RunHealth(True, f"LastRun{result}",
                         f"run {run.get('id')} ended {result}{detail}")
    return RunHealth(False, "LastRunSucceeded", f"run {run.get('id')} succeeded")
