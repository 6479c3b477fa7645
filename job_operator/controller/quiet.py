"""Which DynamicJobs an idle resync pass may pass over: nothing about them can change yet.

A pass reconciles each job to repair drift nobody reported, to move its next run times
forward, and to find missed runs. For a job whose DynamicJob and CronJob are still the
versions the last full check saw, none of that can change before a known time: drift
shows up as a new version in the watches, the next run times move only when the first of
them comes, and a scheduled time counts as missed only from the moment
`job_operator.runs.missed.missed_verdict_changes_at` names. Until the earlier of those
two, the pass skips the job; an idle pass then costs a lookup a job instead of a
reconcile (issue 8, P6).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

Key = tuple[str, str]
"""(namespace, name)"""
Versions = tuple[str, str]
"""The resourceVersions of the DynamicJob and of its CronJob ("" when there is none)."""


@dataclass(frozen=True)
class _Checked:
    versions: Versions
    until: datetime


class QuietJobs:
    """What the last full check of each job saw, and until when it holds. Thread-safe:
    the resync pass and the handlers' threads use it."""

    def __init__(self) -> None:
        self._checked: dict[Key, _Checked] = {}
        self._lock = threading.Lock()

    def is_quiet(self, key: Key, versions: Versions, now: datetime) -> bool:
        with self._lock:
            checked = self._checked.get(key)
        return checked is not None and checked.versions == versions and now < checked.until

    def checked(self, key: Key, versions: Versions, until: datetime | None) -> None:
        """A full check found nothing to do; with ``until`` None it must run again."""
        with self._lock:
            if until is None:
                self._checked.pop(key, None)
            else:
                self._checked[key] = _Checked(versions, until)

    def forget(self, key: Key) -> None:
        with self._lock:
            self._checked.pop(key, None)
