"""The kopf handlers: thin wrappers that parse, call :func:`reconcile`, and post events.

Every path (create, update, resume after a restart, the periodic drift check, a CronJob
changed or deleted by hand) ends in the same idempotent reconcile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import kopf
from kubernetes.client.exceptions import ApiException

from job_operator.controller.catalogue import publish_catalogue
from job_operator.controller.reconcile import Outcome, reconcile
from job_operator.dependencies import DependencyIndex
from job_operator.kube import Kube
from job_operator.runs.dependent import start_dependent_runs
from job_operator.runs.lost import lost_run_record
from job_operator.runs.manual import start_requested_run
from job_operator.runs.missed import record_missed_run
from job_operator.settings import Settings
from job_operator.validation import format_problems
from job_runner.api import GROUP, VERSION
from job_runner.contract import (
    ANNOTATION_NOTIFIES_RUN,
    ANNOTATION_RUN_REQUESTED,
    LABEL_JOB,
    LABEL_MANAGED_BY,
    MANAGED_BY,
)
from job_runner.report import StatusReporter, load_client

DYNAMICJOBS = (GROUP, VERSION, "dynamicjobs")
RETRY_DELAY_SECONDS = 10
API_TIMEOUT_SECONDS = 60
"""No call to the API server may wait longer (a half-open connection would wait forever)."""
DRIFT_CHECK_SECONDS = Settings.from_env().drift_check_seconds


class _State:
    kube: Kube
    settings: Settings
    resync: asyncio.Task[None]


STATE = _State()
INDEX = DependencyIndex()
"""Every DynamicJob the watch has delivered, for dependsOn (filled by dynamicjob_seen)."""


@kopf.on.startup()
def startup(
    settings: kopf.OperatorSettings, logger: logging.Logger | logging.LoggerAdapter[Any], **_: Any
) -> None:
    STATE.settings = Settings.from_env()
    STATE.kube = Kube(load_client(), request_timeout=API_TIMEOUT_SECONDS)
    settings.persistence.finalizer = f"{GROUP}/operator"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.posting.level = logging.INFO
    settings.watching.server_timeout = 300
    published, removed = publish_catalogue(STATE.kube)
    logger.info(f"catalogue: published {published}, removed stale {removed}")


def _as_body(raw: dict[str, Any]) -> kopf.Body:
    return kopf.Body(cast(kopf.RawBody, raw))


EventPoster = Callable[[kopf.Body, bool, str, str], None]
"""(body, warning, reason, message): post an Event about a DynamicJob."""


def _kopf_event(body: kopf.Body, warning: bool, reason: str, message: str) -> None:
    """Through kopf's event queue: only inside a kopf handler, which sets up its context."""
    (kopf.warn if warning else kopf.info)(body, reason=reason, message=message)


def _api_event(body: kopf.Body, warning: bool, reason: str, message: str) -> None:
    """Straight to the API: for the resync loop, whose threads kopf's queue does not serve."""
    metadata = body["metadata"]
    StatusReporter(STATE.kube.api_client, metadata["namespace"], metadata["name"]).event(
        reason, message, warning=warning, component=MANAGED_BY, uid=metadata.get("uid"))


def _post_events(body: kopf.Body, outcome: Outcome, post: EventPoster) -> None:
    if outcome.created:
        post(body, False, "Created", f"created {', '.join(outcome.created)}")
    if outcome.applied:
        post(body, False, "Updated",
             f"brought {', '.join(outcome.applied)} back in line with the spec")
    if outcome.ready_changed:
        if outcome.problems:
            post(body, True, "InvalidSpec", format_problems(outcome.problems))
        else:
            post(body, False, "Ready", "the CronJob is in sync with the spec")


def _reconcile(body: kopf.Body, post: EventPoster = _kopf_event) -> Outcome:
    siblings = INDEX.siblings(body["metadata"]["namespace"], body["metadata"]["name"])
    try:
        outcome = reconcile(body, STATE.kube, STATE.settings, siblings=siblings)
    except ApiException as error:
        if error.status in (400, 403, 422):
            raise kopf.PermanentError(f"the API server refused: {error.reason}") from error
        raise kopf.TemporaryError(
            f"API error {error.status}: {error.reason}", delay=RETRY_DELAY_SECONDS
        ) from error
    _post_events(body, outcome, post)
    return outcome


@kopf.on.resume(*DYNAMICJOBS)
@kopf.on.create(*DYNAMICJOBS)
@kopf.on.update(*DYNAMICJOBS, field="spec")
def reconcile_dynamicjob(body: kopf.Body, **_: Any) -> None:
    """Create, update or resume: converge. An invalid spec is Stalled, not retried."""
    outcome = _reconcile(body)
    if outcome.problems:
        raise kopf.PermanentError(format_problems(outcome.problems))


@kopf.on.startup()
async def start_resync(**_: Any) -> None:
    """Every DRIFT_CHECK_SECONDS reconcile every DynamicJob: repair drift nobody reported and
    move the next run times forward as time passes. One loop for all objects rather than
    kopf timers, because kopf puts a finalizer on every object that has a timer, and a
    finalizer would block deletion while the operator is down."""
    STATE.resync = asyncio.create_task(_resync_forever(), name="resync")


@kopf.on.cleanup()
async def stop_resync(**_: Any) -> None:
    STATE.resync.cancel()


async def _resync_forever() -> None:
    """Every DRIFT_CHECK_SECONDS, each DynamicJob once. Nothing that goes wrong with one job
    or one pass (an API error, a dropped connection, a bug) may end the loop: it is the only
    thing that repairs drift, refreshes next runs and finds missed runs."""
    log = logging.getLogger(__name__)
    while True:
        await asyncio.sleep(DRIFT_CHECK_SECONDS)
        try:
            bodies = await asyncio.to_thread(_watched_dynamicjobs)
        except Exception as error:
            log.warning(f"resync: cannot list DynamicJobs: {type(error).__name__}: {error}")
            continue
        changed = 0
        for body in bodies:
            if body["metadata"].get("deletionTimestamp"):
                continue
            try:
                changed += await asyncio.to_thread(_resync_one, body)
            except Exception:
                log.exception(f"resync of {body['metadata'].get('namespace')}/"
                              f"{body['metadata'].get('name')} failed; the next pass retries")
        log.info(f"resync: checked {len(bodies)} DynamicJobs, {changed} needed writes")


def _watched_dynamicjobs() -> list[dict[str, Any]]:
    namespaces = STATE.settings.namespaces
    if not namespaces:
        return STATE.kube.list("DynamicJob")
    return [body for ns in namespaces for body in STATE.kube.list("DynamicJob", ns)]


def _resync_one(body: dict[str, Any]) -> bool:
    """Reconcile one DynamicJob and look for a missed run; True when that took a write."""
    name = f"{body['metadata'].get('namespace')}/{body['metadata']['name']}"
    try:
        outcome = _reconcile(_as_body(body), post=_api_event)
    except (kopf.TemporaryError, kopf.PermanentError) as error:
        logging.getLogger(__name__).warning(f"resync of {name}: {error}")
        return False
    missed = None
    if not outcome.problems and outcome.cronjob is not None:
        try:
            missed = record_missed_run(body, outcome.cronjob, STATE.kube, STATE.settings,
                                       datetime.now(UTC))
        except ApiException as error:
            logging.getLogger(__name__).warning(f"missed-run check of {name}: {error}")
    if missed is not None:
        _api_event(_as_body(body), True, "RunMissed", missed.record()["message"])
    return bool(outcome.created or outcome.applied or outcome.status_changed or missed)


@kopf.on.event("batch", "v1", "cronjobs", labels={LABEL_MANAGED_BY: MANAGED_BY})
def cronjob_changed(event: kopf.RawEvent, **_: Any) -> None:
    """A CronJob we own changed or vanished: reconcile its DynamicJob (no-op if all holds)."""
    cronjob = event["object"]
    metadata = cronjob.get("metadata", {})
    name = metadata.get("labels", {}).get(LABEL_JOB)
    if not name or not getattr(STATE, "kube", None):
        return
    owner = STATE.kube.get("DynamicJob", metadata.get("namespace"), name)
    if owner is None or owner["metadata"].get("deletionTimestamp"):
        return
    _reconcile(_as_body(owner))


@kopf.on.event("batch", "v1", "jobs", labels={LABEL_MANAGED_BY: MANAGED_BY})
def job_changed(event: kopf.RawEvent, **_: Any) -> None:
    """A failed Job whose runner never reported (OOM, eviction, deadline) is still a run."""
    job = event["object"]
    conditions = (job.get("status") or {}).get("conditions") or []
    if event["type"] == "DELETED" or not any(
        c.get("type") == "Failed" and c.get("status") == "True" for c in conditions
    ):
        return
    metadata = job["metadata"]
    namespace, owner_name = metadata.get("namespace"), metadata.get("labels", {}).get(LABEL_JOB)
    if not namespace or not owner_name or ANNOTATION_NOTIFIES_RUN in (
            metadata.get("annotations") or {}):
        return  # a Job of notifiers only is no run of its own
    owner = STATE.kube.get("DynamicJob", namespace, owner_name)
    if owner is None:
        return
    pods = STATE.kube.list("Pod", namespace,
                           label_selector=f"batch.kubernetes.io/job-name={metadata['name']}")
    history_limit = int((owner.get("spec") or {}).get("historyLimit", 10))
    record = lost_run_record(job, pods, owner.get("status") or {}, history_limit)
    if record is None:
        return
    reporter = StatusReporter(STATE.kube.api_client, namespace, owner_name)
    if reporter.record(record, history_limit, keep_final=True):
        kopf.warn(_as_body(owner), reason=f"Run{record['result']}", message=record["message"])


@kopf.on.event(*DYNAMICJOBS, annotations={ANNOTATION_RUN_REQUESTED: kopf.PRESENT})
def run_requested(event: kopf.RawEvent, **_: Any) -> None:
    """Start a run now for a new value of dynamicjobs.io/run-requested-at (manual runs)."""
    if event["type"] == "DELETED":
        return
    body = _as_body(dict(event["object"]))
    try:
        run = start_requested_run(body, STATE.kube, STATE.settings)
    except ApiException as error:
        raise kopf.TemporaryError(f"could not start the requested run: {error.reason}",
                                  delay=RETRY_DELAY_SECONDS) from error
    if run is None:
        return
    if run.job_name is None:
        kopf.warn(body, reason="RunRefused", message=run.refusal)
    else:
        kopf.info(body, reason="RunRequested", message=f"started Job {run.job_name} "
                                                      f"for the request {run.request!r}")


@kopf.on.event(*DYNAMICJOBS)
def dynamicjob_seen(event: kopf.RawEvent, **_: Any) -> None:
    """Keep the dependsOn index current, and start the runs that upstream successes owe."""
    body = event["object"]
    metadata = body["metadata"]
    if event["type"] == "DELETED":
        INDEX.remove(metadata["namespace"], metadata["name"])
        return
    INDEX.update(body)
    try:
        started = start_dependent_runs(body, INDEX, STATE.kube, STATE.settings,
                                       datetime.now(UTC))
    except ApiException as error:
        raise kopf.TemporaryError(f"could not start a dependent run: {error.reason}",
                                  delay=RETRY_DELAY_SECONDS) from error
    for downstream, job_name in started:
        owner = INDEX.get(metadata["namespace"], downstream)
        if owner is not None:
            kopf.info(_as_body(dict(owner)), reason="RunTriggered",
                      message=f"started Job {job_name} after a success it depends on")
