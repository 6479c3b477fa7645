"""The operator's watches of DynamicJobs and of the objects it owns, and what it does when an
owned one changes.

Informers (see `informer`) keep every DynamicJob and the CronJobs the operator made;
together they make the `LiveObjects` that reconciles read. (DynamicJobs were a kopf index;
kopf holds back every handler of every object until its indexes are whole, and each object
it indexed woke all those waiting: after a restart with 5,000 jobs that took minutes.)
Every DynamicJob event goes to the workers (`workers`). When an owned object changes and
the change is not the echo of the operator's own write (someone edited or deleted it, or
the CronJob controller recorded a run), its DynamicJob is queued for a reconcile too,
which repairs drift at once rather than at the next resync.
"""

from __future__ import annotations

import logging
from typing import Any

from job_operator.controller.context import Context
from job_operator.controller.informer import LISTED, Informer
from job_operator.controller.live import OWNED_KINDS, LiveObjects, OwnedReader
from job_operator.controller.workers import DynamicJobWorkers
from job_runner.contract import LABEL_JOB, LABEL_MANAGED_BY, MANAGED_BY

log = logging.getLogger(__name__)
FIRST_LIST_SECONDS = 60.0
"""How long startup waits for the informers' first lists. Past it the operator starts
anyway: a reconcile that finds nothing watched reads the object instead."""


def start_watching(context: Context, workers: DynamicJobWorkers) -> list[Informer]:
    """Start one informer per watched kind (per watched namespace), feeding ``workers``,
    give the context its LiveObjects once their first lists are in, and say so in
    ``dynamicjobs_listed``."""
    owned = f"{LABEL_MANAGED_BY}={MANAGED_BY}"
    namespaces: tuple[str | None, ...] = context.settings.namespaces or (None,)
    informers = {kind: [Informer(context.kube, kind, owned, namespace,
                                 on_event=lambda k, t, b: owned_changed(context, workers,
                                                                        k, t, b))
                        for namespace in namespaces] for kind in OWNED_KINDS}
    informers["DynamicJob"] = [Informer(context.kube, "DynamicJob", "", namespace,
                                        on_event=workers.seen)
                               for namespace in namespaces]
    every = [informer.start() for group in informers.values() for informer in group]
    for informer in every:
        if not informer.listed.wait(FIRST_LIST_SECONDS):
            log.warning(f"the {informer.kind} informer has no first list yet; reconciles "
                        "read what it lacks meanwhile")
    context.live = LiveObjects(
        {kind: _reader(group) for kind, group in informers.items()},
        lambda: [body for informer in informers["DynamicJob"] for body in informer.bodies()])
    context.dynamicjobs_listed.set()
    return every


def _reader(informers: list[Informer]) -> OwnedReader:
    def read(namespace: str, name: str) -> dict[str, Any] | None:
        for informer in informers:
            found = informer.get(namespace, name)
            if found is not None:
                return found
        return None
    return read


def owned_changed(context: Context, workers: DynamicJobWorkers, kind: str, event_type: str,
                  body: dict[str, Any]) -> None:
    """An owned object changed: queue its DynamicJob unless we wrote that change. (A LIST
    is not news: the resync pass that follows the first one checks every job.)"""
    live = context.live
    metadata = body.get("metadata") or {}
    namespace, name = str(metadata.get("namespace", "")), str(metadata.get("name", ""))
    owner_name = (metadata.get("labels") or {}).get(LABEL_JOB)
    if live is None or not owner_name or event_type == LISTED:
        return
    if event_type == "DELETED":
        live.forget(kind, namespace, name)
    elif live.is_own_echo(kind, namespace, name, str(metadata.get("resourceVersion", ""))):
        return
    workers.owned_changed(namespace, owner_name)
