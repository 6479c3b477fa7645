"""The per-DynamicJob series, read from the DynamicJobs' status at scrape time.

Run counts come from the run history in the status (``status.lastRun`` and
``status.recentRuns``), never from events inside this process: each finished run is
counted once, by its id, the first time this replica sees it in a status. A replica that
becomes leader (or restarts) starts from the same histories, so it reports the same totals
as the one before it, and a run recorded before a failover is never counted again after
it. (What a status no longer holds, a run pushed out of a history of ``historyLimit``
runs before any replica saw it, cannot be counted; with scrapes and watches far more
frequent than runs, that does not happen.)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import pairwise
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from job_operator.metrics.exposition import Row, header, sample_line
from job_operator.metrics.health import run_health
from job_operator.metrics.registry import RUN_SECONDS
from job_runner.api import parse_time

JOB_LABELS = ("namespace", "name", "template")
MAX_LABEL = 253
"""Longer than any name the API server accepts; a template name past it is cut."""
Key = tuple[str, str]
"""(namespace, name)"""
FINISHED = frozenset({"Succeeded", "Failed", "TimedOut", "Cancelled", "Missed"})
TRIGGERS = frozenset({"Schedule", "Manual", "Dependency"})


def _labels(body: Mapping[str, Any]) -> tuple[str, str, str]:
    metadata = body.get("metadata") or {}
    template = (body.get("spec") or {}).get("template")
    return (str(metadata.get("namespace", "")), str(metadata.get("name", "")),
            str(template)[:MAX_LABEL] if isinstance(template, str) else "")


def _seconds(text: Any) -> float | None:
    moment = parse_time(text) if isinstance(text, str) else None
    return moment.timestamp() if moment is not None else None


class RunTally:
    """Finished runs counted once per run id, per DynamicJob. Thread-safe: the watch feeds
    it from kopf's handlers and a scrape from the server's thread."""

    def __init__(self) -> None:
        self._counted: dict[Key, set[str]] = {}
        self._versions: dict[Key, str] = {}
        self._totals: dict[Key, Counter[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def observe(self, body: Mapping[str, Any]) -> None:
        """Count the finished runs in ``body``'s status not counted before."""
        namespace, name, template = _labels(body)
        key = (namespace, name)
        version = str((body.get("metadata") or {}).get("resourceVersion", ""))
        status = body.get("status") or {}
        with self._lock:
            if version and self._versions.get(key) == version:
                return
            self._versions[key] = version
            counted = self._counted.setdefault(key, set())
            totals = self._totals.setdefault(key, Counter())
            present = set()
            for run in (status.get("lastRun"), *(status.get("recentRuns") or [])):
                if not isinstance(run, Mapping) or run.get("result") not in FINISHED:
                    continue
                run_id = str(run.get("id", ""))
                present.add(run_id)
                if run_id in counted:
                    continue
                counted.add(run_id)
                trigger = run.get("trigger", "Schedule")
                totals[(str(run["result"]), trigger if trigger in TRIGGERS else "Schedule")] += 1
                self._observe_duration(template, run)
            counted.intersection_update(present)

    @staticmethod
    def _observe_duration(template: str, run: Mapping[str, Any]) -> None:
        started, finished = _seconds(run.get("startedAt")), _seconds(run.get("finishedAt"))
        if run.get("result") != "Missed" and started is not None and finished is not None:
            RUN_SECONDS.labels(template).observe(max(0.0, finished - started))

    def totals(self, namespace: str, name: str) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._totals.get((namespace, name), {}))

    def forget(self, namespace: str, name: str) -> None:
        """The DynamicJob is gone: its series go with it."""
        with self._lock:
            for table in (self._counted, self._versions, self._totals):
                table.pop((namespace, name), None)


def _condition(status: Mapping[str, Any], kind: str) -> bool:
    return any(isinstance(c, Mapping) and c.get("type") == kind and c.get("status") == "True"
               for c in status.get("conditions") or [])


def expected_interval(next_runs: Iterable[Any]) -> float | None:
    """The longest gap between the predicted next runs: how long a healthy job may go
    without a run (a weekday schedule's weekend gap, not its usual day)."""
    times = sorted(t for t in (_seconds(text) for text in next_runs) if t is not None)
    gaps = [later - earlier for earlier, later in pairwise(times)]
    return max(gaps) if gaps else None


class _Families:
    """One family per per-job series, filled job by job."""

    def __init__(self) -> None:
        def gauge(name: str, help_text: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"dynamicjobs_job_{name}", help_text, labels=JOB_LABELS)

        self.runs = CounterMetricFamily(
            "dynamicjobs_job_runs", "Finished runs by result and trigger (Missed: a "
            "scheduled time at which no run started), each counted once by its run id.",
            labels=(*JOB_LABELS, "result", "trigger"))
        self.info = gauge("info", "1 for each DynamicJob this operator reconciles.")
        self.created = gauge("created_timestamp_seconds", "When the DynamicJob was created.")
        self.last_run = gauge("last_run_timestamp_seconds", "When the newest run started.")
        self.last_success = gauge("last_success_timestamp_seconds",
                                  "When the newest successful run finished.")
        self.last_failure = gauge("last_failure_timestamp_seconds",
                                  "When the newest failed or timed-out run finished.")
        self.last_missed = gauge("last_missed_timestamp_seconds",
                                 "The newest scheduled time at which no run started.")
        self.next_run = gauge("next_run_timestamp_seconds", "The next scheduled run time.")
        self.interval = gauge("expected_interval_seconds", "The longest gap between the "
                              "next scheduled runs: how long the job may go without a run.")
        self.suspended = gauge("suspended", "1 when the schedule is suspended.")
        self.ready = gauge("ready", "1 when the Ready condition is True.")
        self.stalled = gauge("stalled", "1 when the Stalled condition is True.")
        self.degraded = gauge("degraded", "1 when the newest run failed or a run was missed.")
        self.failed = gauge("last_run_failed",
                            "1 when the newest finished run failed, timed out or was cancelled.")
        self.missed = gauge("run_missed", "1 when a scheduled time was missed after the "
                            "newest run started.")

    def all(self) -> list[Metric]:
        return list(vars(self).values())

    def put(self, rows: Iterable[Row]) -> None:
        for family, labels, value in rows:
            getattr(self, family).add_metric(labels, value)

    def names(self) -> list[str]:
        return list(vars(self))


def _render(rows: Iterable[Row]) -> dict[str, list[str]]:
    """Each row's sample line, by family, as the exposition writes it."""
    lines: dict[str, list[str]] = {}
    for family, labels, value in rows:
        label_names: tuple[str, ...] = JOB_LABELS
        name = getattr(_EMPTY, family).name
        if family == "runs":
            name, label_names = f"{name}_total", (*JOB_LABELS, "result", "trigger")
        lines.setdefault(family, []).append(sample_line(name, label_names, labels, value))
    return lines


def job_rows(body: Mapping[str, Any], totals: Mapping[tuple[str, str], int]) -> list[Row]:
    """Every sample of one DynamicJob, a function of its body (and the run counts that
    body's version brought): computed once per resourceVersion."""
    labels = list(_labels(body))
    status = body.get("status") or {}
    spec = body.get("spec") or {}
    rows: list[Row] = [("runs", [*labels, result, trigger], count)
                       for (result, trigger), count in sorted(totals.items())]
    health = run_health(status)
    schedule = status.get("schedule") or {}
    next_runs = schedule.get("nextRuns") or [] if isinstance(schedule, Mapping) else []
    found = status.get("lastRun")
    last_run: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    optional = (
        ("created", _seconds((body.get("metadata") or {}).get("creationTimestamp"))),
        ("last_run", _seconds(last_run.get("startedAt"))),
        ("last_success", _seconds(status.get("lastSuccessfulTime"))),
        ("last_failure", _seconds(status.get("lastFailureTime"))),
        ("last_missed", _seconds(status.get("lastMissedTime"))),
        ("next_run", _seconds(next_runs[0]) if next_runs else None),
        ("interval", expected_interval(next_runs)),
    )
    rows += [(family, labels, value) for family, value in optional if value is not None]
    flags = (
        ("info", True), ("suspended", spec.get("suspend") is True),
        ("ready", _condition(status, "Ready")), ("stalled", _condition(status, "Stalled")),
        ("degraded", health.degraded), ("failed", health.last_run_failed),
        ("missed", health.run_missed),
    )
    rows += [(family, labels, float(flag)) for family, flag in flags]
    return rows


class JobCollector(Collector):
    """Collects the per-DynamicJob series from ``source`` (the watched DynamicJobs) at
    scrape time; nothing while no source is attached (a standby). A job's samples are
    kept with the resourceVersion they were computed from, so a scrape recomputes only
    the jobs that changed since the last one."""

    def __init__(self, tally: RunTally) -> None:
        self.tally = tally
        self._source: Callable[[], list[dict[str, Any]]] | None = None
        self._rows: dict[Key, tuple[str, list[Row]]] = {}
        self._lines: dict[Key, tuple[str, dict[str, list[str]]]] = {}
        self._lock = threading.Lock()

    def attach(self, source: Callable[[], list[dict[str, Any]]] | None) -> None:
        self._source = source
        if source is None:
            self._rows, self._lines = {}, {}

    def _current(self) -> list[tuple[Key, str, list[Row]]]:
        """Each watched job's samples, recomputed where its version changed. Called with
        the lock held: two scrapes at once share the cache rather than race over it."""
        source = self._source
        kept: dict[Key, tuple[str, list[Row]]] = {}
        for body in source() if source is not None else ():
            metadata = body.get("metadata") or {}
            if metadata.get("deletionTimestamp"):
                continue
            namespace, name, _ = _labels(body)
            version = str(metadata.get("resourceVersion", ""))
            cached = self._rows.get((namespace, name))
            if cached is None or not version or cached[0] != version:
                self.tally.observe(body)
                cached = (version, job_rows(body, self.tally.totals(namespace, name)))
            kept[(namespace, name)] = cached
        self._rows = kept
        return [(key, version, rows) for key, (version, rows) in kept.items()]

    def collect(self) -> Iterator[Metric]:
        families = _Families()
        with self._lock:
            for _, _, rows in self._current():
                families.put(rows)
        yield from families.all()

    def exposition(self) -> str:
        """The same series as ``collect``, as Prometheus text, from lines kept per job
        version (`job_operator.metrics.exposition`)."""
        by_family: dict[str, list[str]] = {name: [] for name in _EMPTY.names()}
        with self._lock:
            kept: dict[Key, tuple[str, dict[str, list[str]]]] = {}
            for key, version, rows in self._current():
                cached = self._lines.get(key)
                if cached is None or not version or cached[0] != version:
                    cached = (version, _render(rows))
                kept[key] = cached
                for family, lines in cached[1].items():
                    by_family[family] += lines
            self._lines = kept
        return "".join(_HEADERS[family] + "".join(lines) for family, lines in by_family.items())


_EMPTY = _Families()
_HEADERS = {name: header(family) for name, family in vars(_EMPTY).items()}

TALLY = RunTally()
JOBS = JobCollector(TALLY)
"""Served beside REGISTRY through its ``exposition`` (see `job_operator.metrics.server`),
not registered in it, so the per-job lines are rendered once per job version."""
