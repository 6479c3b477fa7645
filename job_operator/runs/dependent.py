"""Start downstream runs after upstream successes (the operator's side of dependsOn).

Level-triggered and idempotent: called with any DynamicJob the watch delivers, it looks at
that job as an upstream (its fresh successes -> its dependents) and as a downstream (its
upstreams' fresh successes), and creates each missing Job under a name derived from the
upstream run, so one success starts exactly one downstream run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from kubernetes.client.exceptions import ApiException

from job_operator.builders import build_dependency_job, dependency_job_name
from job_operator.dependencies import DependencyIndex, depends_on, fresh_successes
from job_operator.kube import Kube
from job_operator.settings import Settings
from job_operator.validation import validate_dynamicjob
from job_runner.api import parse_time, read_status


def _pairs(body: Mapping[str, Any], index: DependencyIndex,
           ) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(upstream, downstream) pairs that involve ``body``."""
    metadata = body["metadata"]
    namespace, name = metadata["namespace"], metadata["name"]
    for downstream in index.dependents(namespace, name):
        yield body, downstream
    for upstream_name in depends_on(body.get("spec") or {}):
        upstream = index.get(namespace, upstream_name)
        if upstream is not None:
            yield upstream, body


def _created_at(body: Mapping[str, Any]) -> datetime | None:
    return parse_time(body["metadata"].get("creationTimestamp"))


def start_dependent_runs(body: Mapping[str, Any], index: DependencyIndex, kube: Kube,
                         settings: Settings, now: datetime) -> list[tuple[str, str]]:
    """(downstream name, Job name) for each run this call started."""
    started = []
    for upstream, downstream in _pairs(body, index):
        runs = fresh_successes(upstream, now)
        job = validate_dynamicjob(downstream).job if runs else None
        if job is None:
            continue
        born = _created_at(downstream)
        finished = {r.id: parse_time(r.finished_at)
                    for r in read_status(upstream.get("status")).recent_runs if r.id in runs}
        namespace, upstream_name = job.metadata.namespace, upstream["metadata"]["name"]
        recorded = {r.id for r in read_status(downstream.get("status")).recent_runs}
        for run_id in runs:
            finished_at = finished.get(run_id)
            if born and finished_at is not None and finished_at < born:
                continue  # before the dependency existed
            name = dependency_job_name(job.metadata.name, upstream_name, run_id)
            if name in recorded or kube.get("Job", namespace, name) is not None:
                continue
            try:
                kube.create(build_dependency_job(job, settings, upstream_name, run_id))
            except ApiException as error:
                if error.status != 409:
                    raise
                continue
            started.append((job.metadata.name, name))
    return started
