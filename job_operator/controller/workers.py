"""The DynamicJob controller: the DynamicJob informer's events become keys in a
`WorkQueue`, and a few worker threads handle each key with the newest body the informer
holds.

kopf watched the DynamicJobs before, beside the operator's own informer, which already
decoded every event. kopf's per-event machinery (an object's body decoded again, a diff
base built twice, its progress read, a task per object, its backlog of decoded events
during a burst) cost about as much CPU as the reconciles, and the backlog fragmented the
heap: 572 MiB of RSS at 10,000 jobs (issue 8). Here an event costs the informer's decode,
an index update and a set entry.

What kopf did for each DynamicJob, and where it is now:

- create and spec update: a key whose ``status.observedGeneration`` is behind its
  ``metadata.generation`` is reconciled (every reconcile, valid spec or not, writes it);
- a run just recorded (Degraded out of date), an owned object changed by someone else:
  reconciled too;
- ``kopf.TemporaryError`` (an API error): the key comes back after its ``delay``,
  doubled for each failure in a row (kopf's handlers retried at a fixed delay);
  ``kopf.PermanentError`` (an invalid spec, the API server refused): logged, not retried
  until the object changes; the resync pass checks every job again in any case;
- the manual run requested by annotation, the Events about finished runs, the runs owed
  to jobs that depend on this one: after the reconcile, from the same body.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import kopf
from kubernetes.client.exceptions import ApiException

from job_operator.controller.conditions import health_changed
from job_operator.controller.context import (
    RETRY_DELAY_SECONDS,
    Context,
    EventPoster,
    api_event,
    as_body,
    reconcile_and_report,
)
from job_operator.controller.informer import LISTED
from job_operator.controller.workqueue import WorkQueue
from job_operator.metrics import TALLY
from job_operator.metrics.registry import WORK_QUEUE_DEPTH
from job_operator.runs.announce import run_event
from job_operator.runs.dependent import start_dependent_runs
from job_operator.runs.manual import pending_request, start_requested_run

log = logging.getLogger(__name__)
Key = tuple[str, str]
"""(namespace, name)"""
MAX_RETRY_DELAY = 300.0
"""A key that keeps failing waits twice as long each time, up to this."""
WORKERS = 4
"""Threads handling keys: a reconcile mostly waits on the API server, so a few overlap
their requests; more only contend for the GIL with the webhook."""
UNEXPECTED_ERROR_DELAY = 60.0
"""When a handling fails with what is not an API error (a bug): kopf's own default."""


class DynamicJobWorkers:
    def __init__(self, context: Context, workers: int = WORKERS) -> None:
        self.context = context
        self.queue: WorkQueue[Key] = WorkQueue()
        self._failures: dict[Key, int] = {}
        """How many handlings of a key failed in a row (a worker writes only the key it
        holds; the informer drops a deleted job's)."""
        self._threads = [threading.Thread(target=self._work, daemon=True,
                                          name=f"dynamicjob-worker-{number}")
                         for number in range(workers)]

    def start(self) -> DynamicJobWorkers:
        WORK_QUEUE_DEPTH.set_function(lambda: len(self.queue))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.queue.shutdown()

    def seen(self, _kind: str, event_type: str, body: dict[str, Any]) -> None:
        """The informer's callback (its thread): keep what must see every event current,
        and queue the key."""
        context = self.context
        metadata = body["metadata"]
        key = (str(metadata.get("namespace", "")), str(metadata["name"]))
        if event_type == "DELETED":
            if context.live is not None:
                context.live.forget("DynamicJob", *key)
            context.index.remove(*key)
            context.announcer.forget(*key)
            context.forget_job(*key)
            TALLY.forget(*key)
            self._failures.pop(key, None)
            return
        context.index.update(body)
        TALLY.observe(body)
        if event_type == LISTED:
            # Runs that finished before this listing get no Event (see RunAnnouncer).
            context.announcer.observe(body, first_listing=True)
        self.queue.add(key)

    def owned_changed(self, namespace: str, name: str) -> None:
        """An object this DynamicJob owns changed, not by us: reconcile it even though
        its spec did not change."""
        self.queue.add((namespace, name), True)

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            try:
                self.handle_once(*item)
            finally:
                self.queue.done(item[0])

    def handle_once(self, key: Key, drifted: bool) -> None:
        """Handle the key; when that fails, queue it again after a delay that doubles with
        each failure in a row (the drift flag kept), and log why."""
        name = f"[{key[0]}/{key[1]}]"
        try:
            handle(self.context, key, drifted)
        except kopf.TemporaryError as error:
            delay = self._backoff(key, float(error.delay or RETRY_DELAY_SECONDS))
            log.warning(f"{name} {error}; retrying in {delay:.0f} s")
            self.queue.add_after(key, delay, drifted)
        except Exception:
            delay = self._backoff(key, UNEXPECTED_ERROR_DELAY)
            log.exception(f"{name} handling failed; retrying in {delay:.0f} s")
            self.queue.add_after(key, delay, drifted)
        else:
            self._failures.pop(key, None)

    def _backoff(self, key: Key, delay: float) -> float:
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        return min(delay * 2 ** (failures - 1), MAX_RETRY_DELAY)


def needs_reconcile(body: dict[str, Any]) -> bool:
    """The spec changed since the last reconcile (or there was none), or a run was
    recorded that Degraded does not show yet."""
    observed = (body.get("status") or {}).get("observedGeneration")
    return observed != body["metadata"].get("generation") or health_changed(body)


def handle(context: Context, key: Key, drifted: bool) -> None:
    """Everything a DynamicJob's change calls for, from its newest body."""
    body = context.live.get("DynamicJob", *key) if context.live is not None else None
    if body is None or body["metadata"].get("deletionTimestamp"):
        return
    post = api_event(context)
    if drifted or needs_reconcile(body):
        _reconcile(context, key, body, post)
    finished = context.announcer.observe(body, first_listing=False)
    if finished is not None:
        post(as_body(body), *run_event(finished))
    if pending_request(body) is not None:
        _start_requested_run(context, body, post)
    _start_dependent_runs(context, body, post)


def _reconcile(context: Context, key: Key, body: dict[str, Any], post: EventPoster) -> None:
    """Reconcile (it logs what it wrote). What cannot succeed until the object changes (an
    API refusal; an invalid spec is a Stalled status, not an error) is logged, and the
    handling goes on: a requested run is still answered, with the refusal. An API error
    that may pass is raised, and the whole handling is retried."""
    try:
        reconcile_and_report(context, as_body(body), post)
    except kopf.PermanentError as error:
        log.warning(f"[{key[0]}/{key[1]}] {error}")


def _start_requested_run(context: Context, body: dict[str, Any], post: EventPoster) -> None:
    """Start a run now for a new value of dynamicjobs.io/run-requested-at."""
    try:
        run = start_requested_run(body, context.kube, context.settings)
    except ApiException as error:
        raise kopf.TemporaryError(f"could not start the requested run: {error.reason}",
                                  delay=RETRY_DELAY_SECONDS) from error
    if run is None:
        return
    if context.live is not None and run.answered is not None:
        context.live.applied(run.answered)
    if run.job_name is None:
        post(as_body(body), True, "RunRefused", run.refusal)
    else:
        post(as_body(body), False, "RunRequested",
             f"started Job {run.job_name} for the request {run.request!r}")


def _start_dependent_runs(context: Context, body: dict[str, Any], post: EventPoster) -> None:
    """Start the runs that this job's fresh successes owe the jobs that depend on it."""
    try:
        started = start_dependent_runs(body, context.index, context.kube, context.settings,
                                       datetime.now(UTC))
    except ApiException as error:
        raise kopf.TemporaryError(f"could not start a dependent run: {error.reason}",
                                  delay=RETRY_DELAY_SECONDS) from error
    namespace = body["metadata"]["namespace"]
    for downstream, job_name in started:
        owner = context.index.get(namespace, downstream)
        if owner is not None:
            post(as_body(dict(owner)), False, "RunTriggered",
                 f"started Job {job_name} after a success it depends on")
