"""The kopf handlers, and only them: thin wrappers that take the shared
:class:`~job_operator.controller.context.Context` from kopf's ``memo`` and call the code
that does the work.

kopf runs the operator's life (login, startup, cleanup, the standby's pause) and watches
the runs' Jobs. The DynamicJobs are watched by the operator's own informer and handled by
its workers (`job_operator.controller.workers`); every path (create, update, the resync in
`job_operator.controller.resync`, which also catches up after a restart, a CronJob changed
or deleted by hand) ends in the same idempotent reconcile.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import kopf

from job_operator.controller import resync, session
from job_operator.controller.catalogue import publish_catalogue
from job_operator.controller.context import Context, as_body, owner_of
from job_operator.controller.watching import start_watching
from job_operator.controller.workers import DynamicJobWorkers
from job_operator.metrics import JOBS
from job_operator.metrics.liveness import LIVENESS
from job_operator.runs.lost import aged_out, lost_run_record
from job_operator.runs.reported import (
    is_recorded,
    job_finished,
    needs_writing,
    notifies_only,
    reported_run,
    started_run,
)
from job_operator.settings import Settings
from job_runner.api import read_status
from job_runner.contract import (
    LABEL_JOB,
    LABEL_JOB_NAME,
    LABEL_MANAGED_BY,
    MANAGED_BY,
)
from job_runner.report import StatusReporter


def _context(memo: kopf.Memo) -> Context:
    """The Context that startup put in the operator's memo (each object's memo is a
    shallow copy of it, so every handler shares the one object)."""
    context = memo["context"]
    assert isinstance(context, Context)
    return context


@kopf.on.login()
async def login(**kwargs: Any) -> kopf.ConnectionInfo | kopf.AiohttpSession | None:
    return await session.login(Settings.from_env().namespaces, **kwargs)


def _prepare(settings: kopf.OperatorSettings, memo: kopf.Memo,
             logger: logging.Logger | logging.LoggerAdapter[Any]) -> Context:
    """Build the Context (the Settings are read here, once), start the informers and the
    workers they feed, and publish the catalogue."""
    context = memo["context"] = Context.from_env()
    workers = memo["workers"] = DynamicJobWorkers(context)
    memo["informers"] = start_watching(context, workers)
    workers.start()
    JOBS.attach(lambda: context.live.dynamicjobs() if context.live is not None else [])
    settings.posting.level = logging.INFO
    settings.watching.server_timeout = 300
    published, removed = publish_catalogue(context.kube)
    logger.info(f"catalogue: published {published}, removed stale {removed}")
    return context


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo,
                  logger: logging.Logger | logging.LoggerAdapter[Any], **_: Any) -> None:
    """Prepare (blocking work, in a thread), start the resync, and only then report the
    controllers running at the liveness endpoint: one handler, so that order is certain."""
    context = await asyncio.to_thread(_prepare, settings, memo, logger)
    # What start-up made (modules, schemas, the first lists) lives as long as the process:
    # frozen, it is no longer walked by the collector's full passes, which stop every
    # thread, the webhook's too, for as long as they take.
    gc.collect()
    gc.freeze()
    memo["resync"] = resync.start(context)
    LIVENESS.controllers_started(asyncio.get_running_loop())


@kopf.on.cleanup()
async def stop_resync(memo: kopf.Memo, **_: Any) -> None:
    LIVENESS.controllers_stopped()
    task = memo.get("resync")
    if task is not None:
        task.cancel()
    for informer in memo.get("informers") or []:
        informer.stop()
    workers = memo.get("workers")
    if workers is not None:
        workers.stop()
    JOBS.attach(None)


@kopf.on.event("batch", "v1", "jobs", labels={LABEL_MANAGED_BY: MANAGED_BY})
def job_changed(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    """Record the Job's run in its DynamicJob: Running once it has a pod, then what the
    runner reported in its termination message, or what the Job and pod tell when the pod
    died first (OOM, eviction, deadline)."""
    job = event["object"]
    metadata = job["metadata"]
    namespace, owner_name = metadata.get("namespace"), metadata.get("labels", {}).get(LABEL_JOB)
    if event["type"] == "DELETED" or not namespace or not owner_name:
        return
    context = _context(memo)
    owner = owner_of(context, namespace, owner_name)
    if owner is None:
        return
    recent = read_status(owner.get("status") or {}).recent_runs
    history_limit = int((owner.get("spec") or {}).get("historyLimit", 10))
    record, lost = started_run(job), False
    if record is None and job_finished(job):
        run_id = metadata["name"]
        notified = notifies_only(job)
        if is_recorded(run_id, recent, notified) or aged_out(
                (job.get("status") or {}).get("startTime"), recent, history_limit):
            return
        pods = context.kube.list("Pod", namespace,
                                 label_selector=f"{LABEL_JOB_NAME}={run_id}")
        record = reported_run(pods)
        if record is None and not notified:
            record, lost = lost_run_record(job, pods, recent, history_limit), True
    if record is None or not needs_writing(record, recent):
        return
    reporter = StatusReporter(context.kube, namespace, owner_name)
    written = reporter.record(record, history_limit, keep_final=record.result == "Running" or lost)
    if written and lost:
        context.announcer.told(namespace, owner_name, record.id)
        kopf.warn(as_body(owner), reason=f"Run{record.result}", message=record.message)
