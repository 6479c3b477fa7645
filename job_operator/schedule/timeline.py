"""The runs of one calendar schedule, kept between questions.

Each reconcile asks for the runs after now, and each missed-run check for the runs after
its own job's last scheduled time. Stepping through the calendar is the costly part, and a
single remembered answer thrashed between those anchors: after a restart, 5,000 jobs on
one schedule spent most of the first resync pass recomputing the same few runs
(benchmarks/operator_latency_and_writes.py, py-spy). A timeline answers every anchor in
its span by bisection, and grows at either end when asked beyond it.

Only for cron calendars: ``@every`` runs count from their anchor, so they share nothing.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass

MAX_RUNS = 512
"""Runs a timeline keeps (about a third of a day of an every-minute schedule)."""

Step = Callable[[int], "int | None"]
"""The first run strictly after an instant (Unix seconds), None when there is none."""


def walk(step: Step, after: int, until: Callable[[int], bool], limit: int
         ) -> tuple[list[int], str]:
    """Runs after ``after``, at most ``limit``, up to the first for which ``until`` holds
    (excluded); and why the walk stopped: "until", "exhausted" or "limit"."""
    runs: list[int] = []
    at: int | None = after
    while len(runs) < limit:
        assert at is not None
        at = step(at)
        if at is None:
            return runs, "exhausted"
        if until(at):
            return runs, "until"
        runs.append(at)
    return runs, "limit"


@dataclass(frozen=True)
class Timeline:
    start: int
    """No run lies in (start, runs[0])."""
    runs: tuple[int, ...]
    """Consecutive runs after ``start``."""
    exhausted: bool
    """No run follows the last one."""

    def answer(self, instant: int, count: int) -> list[int] | None:
        """The ``count`` runs after ``instant``, None when they lie beyond the timeline."""
        if instant < self.start:
            return None
        index = bisect.bisect_right(self.runs, instant)
        if index + count <= len(self.runs) or self.exhausted:
            return list(self.runs[index:index + count])
        return None


class RunCache:
    """Thread-safe: a timeline is replaced whole, never changed in place."""

    def __init__(self, step: Step, max_runs: int = MAX_RUNS) -> None:
        self._step = step
        self._max_runs = max_runs
        self._timeline: Timeline | None = None
        self._lock = threading.Lock()

    def runs_after(self, instant: int, count: int) -> list[int]:
        timeline = self._timeline
        found = timeline.answer(instant, count) if timeline is not None else None
        if found is not None:
            return found
        with self._lock:
            grown = self._grown(self._timeline, instant, count)
            if len(grown.runs) <= self._max_runs:
                self._timeline = grown
        answer = grown.answer(instant, count)
        assert answer is not None
        return answer

    def _walk(self, after: int, until: Callable[[int], bool], limit: int
              ) -> tuple[list[int], str]:
        return walk(self._step, after, until, limit)

    def _grown(self, timeline: Timeline | None, instant: int, count: int) -> Timeline:
        covered = timeline is not None and bool(timeline.runs)
        if timeline is not None and covered and timeline.start <= instant <= timeline.runs[-1]:
            index = bisect.bisect_right(timeline.runs, instant)
            more, stop = self._walk(timeline.runs[-1], lambda _: False,
                                    index + count - len(timeline.runs))
            return Timeline(timeline.start, timeline.runs + tuple(more), stop == "exhausted")
        if timeline is not None and covered and instant < timeline.start:
            first = timeline.runs[0]
            before, stop = self._walk(instant, lambda at: at >= first, self._max_runs)
            if stop == "until":  # the walk met the timeline: one contiguous span
                joined = Timeline(instant, tuple(before) + timeline.runs, timeline.exhausted)
                return joined if joined.answer(instant, count) is not None else self._grown(
                    joined, instant, count)
        runs, stop = self._walk(instant, lambda _: False, count)
        return Timeline(instant, tuple(runs), stop == "exhausted")
