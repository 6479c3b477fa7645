"""What the controller's handlers and its resync loop share: one object built at startup
(kept in kopf's ``memo``), and the one way both reconcile a DynamicJob and report it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import kopf
from kubernetes.client.exceptions import ApiException

from job_operator.controller.live import LiveObjects, version_of
from job_operator.controller.quiet import QuietJobs
from job_operator.controller.reconcile import Outcome, reconcile
from job_operator.dependencies import DependencyIndex
from job_operator.kube import Kube, load_client
from job_operator.runs.announce import RunAnnouncer
from job_operator.settings import Settings
from job_operator.validation import format_problems

log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 10
API_TIMEOUT_SECONDS = 60
"""No call to the API server may wait longer (a half-open connection would wait forever)."""


@dataclass
class Context:
    """The operator's state: its API client, its settings (read once, at startup) and the
    dependsOn index the watch keeps current."""

    kube: Kube
    settings: Settings
    live: LiveObjects | None = None
    """The watch-fed DynamicJobs and owned objects (set at startup, see `watching`)."""
    announcer: RunAnnouncer = field(default_factory=RunAnnouncer)
    """Which finished runs have had their Event."""
    quiet: QuietJobs = field(default_factory=QuietJobs)
    """Which jobs the resync pass may skip, and until when."""
    dynamicjobs_listed: threading.Event = field(default_factory=threading.Event)
    """Set once the watches' first lists are in (`watching.start_watching`): from then on
    a resync pass sees every DynamicJob."""
    index: DependencyIndex = field(init=False)
    """Who depends on whom; it reads bodies from ``live``."""
    _job_locks: dict[tuple[str, str], threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.index = DependencyIndex(self._watched_dynamicjob)

    def _watched_dynamicjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.live.get("DynamicJob", namespace, name) if self.live is not None else None

    def job_lock(self, namespace: str, name: str) -> threading.Lock:
        """One reconcile of a DynamicJob at a time: the work queue hands a key to one
        worker at a time, but the resync loop reconciles from a thread of its own, and two
        reconciles at once would both create what neither has seen yet."""
        with self._locks_guard:
            return self._job_locks.setdefault((namespace, name), threading.Lock())

    def forget_job(self, namespace: str, name: str) -> None:
        with self._locks_guard:
            self._job_locks.pop((namespace, name), None)
        self.quiet.forget((namespace, name))

    @classmethod
    def from_env(cls) -> Context:
        return cls(Kube(load_client(), request_timeout=API_TIMEOUT_SECONDS), Settings.from_env())


def as_body(raw: dict[str, Any]) -> kopf.Body:
    return kopf.Body(cast(kopf.RawBody, raw))


def owner_of(context: Context, namespace: str, name: str) -> dict[str, Any] | None:
    """The DynamicJob of that name as the watch last saw it, unless it is being deleted."""
    owner = (context.live.get("DynamicJob", namespace, name) if context.live is not None
             else context.kube.get("DynamicJob", namespace, name))
    if owner is None or owner["metadata"].get("deletionTimestamp"):
        return None
    return owner


EventPoster = Callable[[kopf.Body, bool, str, str], None]
"""(body, warning, reason, message): post an Event about a DynamicJob."""


def api_event(context: Context) -> EventPoster:
    """Straight to the API (kopf's event queue serves only kopf's own handlers)."""
    def post(body: kopf.Body, warning: bool, reason: str, message: str) -> None:
        context.kube.event(body["metadata"], reason, message, warning)
    return post


def _never_reconciled(body: Mapping[str, Any]) -> bool:
    return not (body.get("status") or {}).get("conditions")


def _post_events(body: kopf.Body, outcome: Outcome, post: EventPoster) -> None:
    """One Warning for what went wrong, and one Event for what changed on a job that was
    reconciled before (its CronJob written again, or Ready again).

    A new job that comes up Ready posts none: its status says so (Ready and its
    lastTransitionTime, the CronJob's name), kubectl describe shows it, and each Event is
    a write. It was a third of the operator's writes for a new job, and a GitOps sync of
    thousands of jobs posted thousands."""
    if outcome.ready_changed and outcome.problems:
        post(body, True, "Refused" if outcome.refused else "InvalidSpec",
             outcome.refused or format_problems(outcome.problems))
    if _never_reconciled(body) and not outcome.problems:
        return
    done = []
    if outcome.created:
        done.append(f"created {', '.join(outcome.created)}")
    if outcome.applied:
        done.append(f"brought {', '.join(outcome.applied)} back in line with the spec")
    if outcome.ready_changed and not outcome.problems:
        done.append("the CronJob is in sync with the spec")
    if done:
        reason = "Created" if outcome.created else "Updated" if outcome.applied else "Ready"
        post(body, False, reason, "; ".join(done))


def _freshest(context: Context, body: kopf.Body) -> Mapping[str, Any]:
    """The newest version of the DynamicJob this operator knows: a reconcile that waited
    for another one's lock would otherwise judge the status that one has just replaced,
    and write it (and its Event) a second time."""
    if context.live is None:
        return body
    metadata = body["metadata"]
    known = context.live.get("DynamicJob", metadata["namespace"], metadata["name"])
    if known is not None and version_of(known) > version_of(body):
        return known
    return body


def reconcile_and_report(context: Context, body: kopf.Body, post: EventPoster) -> Outcome:
    """Reconcile one DynamicJob and post what changed. An API refusal is permanent (not
    retried until the object changes); any other API error is retried after a delay."""
    metadata = body["metadata"]
    # Only a job that depends on others can close a cycle: the others are read only then.
    siblings = (context.index.siblings(metadata["namespace"], metadata["name"])
                if (body.get("spec") or {}).get("dependsOn") else {})
    try:
        with context.job_lock(metadata["namespace"], metadata["name"]):
            outcome = reconcile(_freshest(context, body), context.kube, context.settings,
                                siblings=siblings, live=context.live)
    except ApiException as error:
        if error.status == 404:
            raise kopf.PermanentError("the DynamicJob is gone") from error
        if error.status in (400, 403, 422):
            raise kopf.PermanentError(f"the API server refused: {error.reason}") from error
        raise kopf.TemporaryError(
            f"API error {error.status}: {error.reason}", delay=RETRY_DELAY_SECONDS
        ) from error
    _post_events(body, outcome, post)
    _log(metadata, outcome)
    return outcome


def _log(metadata: Mapping[str, Any], outcome: Outcome) -> None:
    """One line for a reconcile that wrote something (a worker's or the resync's)."""
    done = [*(f"created {name}" for name in outcome.created),
            *(f"applied {name}" for name in outcome.applied)]
    if outcome.status_changed:
        done.append("wrote the status")
    if not done:
        return
    prefix = f"[{metadata['namespace']}/{metadata['name']}]"
    if outcome.problems:
        log.warning(f"{prefix} not reconciled: {format_problems(outcome.problems)}")
    else:
        log.info(f"{prefix} reconciled: {', '.join(done)}")
