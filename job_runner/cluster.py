"""Cluster mode: the run a CronJob's pod starts, reported into its DynamicJob's status.

Everything comes from the environment the operator's builder set: the spec snapshot the
CronJob was built from, the DynamicJob's name and namespace, the run id (the Job's name)
and one variable per referenced Secret key. The run is marked Running first, so
dashboards see it, then recorded with its result; if that last write fails the process
exits non-zero, the Job fails, and the operator records the run from the Job instead.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from job_runner.api import DynamicJobSpec
from job_runner.contract import (
    ENV_JOB,
    ENV_NAMESPACE,
    ENV_NOTIFY_RUN,
    ENV_PARAMETER_OVERRIDES,
    ENV_POD_NAME,
    ENV_RUN_ID,
    ENV_SPEC,
    ENV_TRIGGER,
)
from job_runner.execute import RunOutcome, execute, rfc3339
from job_runner.local import cancel_on_sigterm, configure_json_logging
from job_runner.notify import notify
from job_runner.registry import UnknownTemplate, get_template
from job_runner.report import StatusReporter, load_client
from job_runner.secrets import env_secret_resolver

EXIT_FAILED = 1
EXIT_UNREPORTED = 3
log = logging.getLogger("dynamicjobs.runner")


def _failed_before_start(run_id: str, message: str, dry_run: bool) -> dict[str, Any]:
    now = rfc3339(datetime.now(UTC))
    return {"id": run_id, "result": "Failed", "startedAt": now, "finishedAt": now,
            "attempts": 0, "message": message, "dryRun": dry_run}


def _execute(spec: DynamicJobSpec, environ: Mapping[str, str], run_id: str,
             job: str, namespace: str) -> dict[str, Any]:
    try:
        template = get_template(spec.template)
    except UnknownTemplate as error:
        return _failed_before_start(run_id, str(error), spec.dry_run)
    cancelled = threading.Event()
    with cancel_on_sigterm(cancelled):
        outcome: RunOutcome = execute(
            template, spec.parameters, run_id=run_id,
            timeout_seconds=spec.timeout_seconds, retry_limit=spec.retries.limit,
            backoff_seconds=spec.retries.backoff_seconds, dry_run=spec.dry_run,
            secrets=env_secret_resolver(environ), job=job, namespace=namespace,
            cancelled=cancelled,
        )
    return outcome.to_dict()


def _notify_only(record: dict[str, Any], spec: DynamicJobSpec, environ: Mapping[str, str],
                 reporter: StatusReporter, job: str, namespace: str) -> int:
    """A pod the operator started for a run that has no pod of its own (a missed run): run
    that run's notifiers and add their outcome to its record."""
    notifications = notify(spec, record, job=job, namespace=namespace,
                           secrets=env_secret_resolver(environ))
    print(json.dumps(notifications), flush=True)
    try:
        reporter.record({**record, "notifications": notifications}, spec.history_limit)
    except Exception:
        log.exception("could not record the notifications in the DynamicJob's status")
        return EXIT_UNREPORTED
    return 0


def run_from_env(environ: Mapping[str, str]) -> int:
    configure_json_logging()
    job = environ[ENV_JOB]
    namespace = environ[ENV_NAMESPACE]
    run_id = environ.get(ENV_RUN_ID) or environ.get(ENV_POD_NAME) or (
        f"{job}-{uuid.uuid4().hex[:8]}")
    trigger = environ.get(ENV_TRIGGER, "Schedule")
    reporter = StatusReporter(load_client(), namespace, job)
    try:
        spec = DynamicJobSpec.model_validate_json(environ[ENV_SPEC])
    except ValidationError as error:
        record = _failed_before_start(run_id, f"the spec snapshot is invalid: {error}", False)
        reporter.record({**record, "trigger": trigger}, history_limit=10)
        return EXIT_FAILED
    if environ.get(ENV_NOTIFY_RUN):
        return _notify_only(json.loads(environ[ENV_NOTIFY_RUN]), spec, environ,
                            reporter, job, namespace)
    started = rfc3339(datetime.now(UTC))
    try:
        reporter.record({"id": run_id, "trigger": trigger, "startedAt": started,
                         "result": "Running", "attempts": 0, "dryRun": spec.dry_run},
                        spec.history_limit)
    except Exception:
        log.exception("could not mark the run as Running; running anyway")
    record = {**_execute(spec, environ, run_id, job, namespace), "trigger": trigger}
    if environ.get(ENV_PARAMETER_OVERRIDES):
        record["parameterOverrides"] = json.loads(environ[ENV_PARAMETER_OVERRIDES])
    notifications = notify(spec, record, job=job, namespace=namespace,
                           secrets=env_secret_resolver(environ))
    if notifications:
        record["notifications"] = notifications
    print(json.dumps(record), flush=True)
    try:
        reporter.record(record, spec.history_limit)
    except Exception:
        log.exception("could not record the run in the DynamicJob's status")
        return EXIT_UNREPORTED
    succeeded = record["result"] == "Succeeded"
    reporter.event(f"Run{record['result']}", f"run {run_id}: {record.get('message') or 'done'}",
                   warning=not succeeded)
    return 0 if succeeded else EXIT_FAILED
