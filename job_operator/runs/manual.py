"""Manual runs: the operator's side of the dynamicjobs.io/run-requested-at annotation.

A client (``dynamicjobs run``, kubectl annotate, a dashboard button) sets the annotation to
any new value, conventionally the current time. The operator starts one Job from the
DynamicJob's template for that value and echoes it in ``status.lastHandledRunRequest``.
The run takes the parameter overrides of dynamicjobs.io/run-parameters, if any
(see `job_operator.runs.overrides`).
Level-triggered: a request that arrived while the operator was down is served at start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from kubernetes.client.exceptions import ApiException

from job_operator.builders import build_manual_job
from job_operator.kube import Kube
from job_operator.runs.overrides import (
    annotation_value,
    override_problems,
    requested_overrides,
    with_overrides,
)
from job_operator.settings import Settings
from job_operator.validation import format_problems, validate_dynamicjob
from job_runner.api import DynamicJob, DynamicJobStatus, read_status, status_patch
from job_runner.contract import ANNOTATION_RUN_REQUESTED


@dataclass(frozen=True)
class ManualRun:
    request: str
    job_name: str | None
    """The Job started, or None when the spec is invalid and nothing could run."""
    refusal: str = ""
    answered: dict[str, Any] | None = None
    """The DynamicJob as the status write that answered the request returned it (the
    watch may not have delivered it when the next event of the job is handled)."""


def pending_request(body: Mapping[str, Any]) -> str | None:
    """The requested value if the operator has not answered it yet."""
    request = annotation_value(body, ANNOTATION_RUN_REQUESTED)
    handled = read_status(body.get("status")).last_handled_run_request
    return request if request and request != handled else None


def start_requested_run(body: Mapping[str, Any], kube: Kube, settings: Settings,
                        ) -> ManualRun | None:
    request = pending_request(body)
    if request is None:
        return None
    metadata = body["metadata"]
    problems = validate_dynamicjob(body).problems + override_problems(body)
    if problems:
        run = ManualRun(request, None, f"not started: {format_problems(problems)}")
    else:
        overrides, _ = requested_overrides(body)
        job = DynamicJob.model_validate(with_overrides(body, overrides))
        manifest = build_manual_job(job, settings, request, overrides)
        try:
            kube.create(manifest)
        except ApiException as error:
            if error.status != 409:
                raise
        run = ManualRun(request, manifest["metadata"]["name"])
    answered = kube.patch_status("DynamicJob", metadata["namespace"], metadata["name"],
                                 status_patch(DynamicJobStatus(last_handled_run_request=request)))
    return replace(run, answered=answered)
