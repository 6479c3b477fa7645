"""Cluster mode: the run a CronJob's pod starts, reported in the pod's termination message.

Everything comes from the environment the operator's builder set: the spec snapshot the
CronJob was built from, the DynamicJob's name and namespace, the run id (the Job's name)
and one variable per referenced Secret key. The pod holds no credentials for the API: the
operator marks the run Running when it sees the Job start, and writes the record this
process leaves in its termination message (`job_runner.termination`) when the pod ends.
If that file cannot be written the process exits non-zero, the Job fails, and the
operator records the run from the Job instead.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from typing import cast

from pydantic import ValidationError

from job_runner.api import DynamicJobSpec, RunRecord, RunTrigger
from job_runner.api.times import now as api_now
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
from job_runner.execute import RunOutcome, execute
from job_runner.local import cancel_on_sigterm, configure_json_logging
from job_runner.notify import notify
from job_runner.registry import UnknownTemplate, get_template
from job_runner.secrets import env_secret_resolver
from job_runner.termination import write_termination_message

EXIT_FAILED = 1
EXIT_UNREPORTED = 3
log = logging.getLogger("dynamicjobs.runner")


def _failed_before_start(run_id: str, trigger: RunTrigger, message: str,
                         dry_run: bool) -> RunRecord:
    now = api_now()
    return RunRecord(id=run_id, trigger=trigger, result="Failed", started_at=now,
                     finished_at=now, attempts=0, message=message, dry_run=dry_run)


def _execute(spec: DynamicJobSpec, environ: Mapping[str, str], run_id: str,
             trigger: RunTrigger, job: str, namespace: str) -> RunRecord:
    try:
        template = get_template(spec.template)
    except UnknownTemplate as error:
        return _failed_before_start(run_id, trigger, str(error), spec.dry_run)
    cancelled = threading.Event()
    with cancel_on_sigterm(cancelled):
        outcome: RunOutcome = execute(
            template, spec.parameters, run_id=run_id,
            timeout_seconds=spec.timeout_seconds, retry_limit=spec.retries.limit,
            backoff_seconds=spec.retries.backoff_seconds, dry_run=spec.dry_run,
            secrets=env_secret_resolver(environ), job=job, namespace=namespace,
            cancelled=cancelled,
        )
    return outcome.record().model_copy(update={"trigger": trigger})


def _report(record: RunRecord, environ: Mapping[str, str]) -> bool:
    """Print the whole record to the log and leave it in the termination message."""
    print(json.dumps(record.to_api()), flush=True)
    try:
        write_termination_message(record, environ)
    except OSError:
        log.exception("could not write the run record to the termination message")
        return False
    return True


def _notify_only(record: RunRecord, spec: DynamicJobSpec, environ: Mapping[str, str],
                 job: str, namespace: str) -> int:
    """A pod the operator started for a run that has no pod of its own (a missed run): run
    that run's notifiers and report the record with their outcome."""
    notifications = notify(spec, record, job=job, namespace=namespace,
                           secrets=env_secret_resolver(environ))
    reported = _report(record.model_copy(update={"notifications": notifications}), environ)
    return 0 if reported else EXIT_UNREPORTED


def run_from_env(environ: Mapping[str, str]) -> int:
    configure_json_logging()
    job = environ[ENV_JOB]
    namespace = environ[ENV_NAMESPACE]
    run_id = environ.get(ENV_RUN_ID) or environ.get(ENV_POD_NAME) or (
        f"{job}-{uuid.uuid4().hex[:8]}")
    trigger = cast("RunTrigger", environ.get(ENV_TRIGGER, "Schedule"))
    try:
        spec = DynamicJobSpec.model_validate_json(environ[ENV_SPEC])
    except ValidationError as error:
        _report(_failed_before_start(run_id, trigger, f"the spec snapshot is invalid: {error}",
                                     False), environ)
        return EXIT_FAILED
    if environ.get(ENV_NOTIFY_RUN):
        return _notify_only(RunRecord.model_validate_json(environ[ENV_NOTIFY_RUN]), spec,
                            environ, job, namespace)
    record = _execute(spec, environ, run_id, trigger, job, namespace)
    if environ.get(ENV_PARAMETER_OVERRIDES):
        record.parameter_overrides = json.loads(environ[ENV_PARAMETER_OVERRIDES])
    record.notifications = notify(spec, record, job=job, namespace=namespace,
                                  secrets=env_secret_resolver(environ))
    if not _report(record, environ):
        return EXIT_UNREPORTED
    # The run's Event is the operator's to post (job_operator.runs.announce).
    return 0 if record.result == "Succeeded" else EXIT_FAILED
