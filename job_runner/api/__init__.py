"""The dynamicjobs.io/v1alpha1 API: the one source of truth for the CRDs in crds/."""

from job_runner.api.base import API_VERSION, GROUP, VERSION, ApiModel, ObjectMeta, Resource
from job_runner.api.catalogue import DynamicJobTemplate, DynamicJobTemplateSpec
from job_runner.api.dynamicjob import DynamicJob, DynamicJobSpec
from job_runner.api.patch import read_status, status_patch
from job_runner.api.status import (
    FINISHED_RESULTS,
    RUN_VALUES,
    AttemptRecord,
    Condition,
    DynamicJobStatus,
    NotificationRecord,
    RunRecord,
    RunResult,
    RunTrigger,
    ScheduleStatus,
)
from job_runner.api.suspension import (
    ANNOTATION_SUSPEND_REASON,
    ANNOTATION_SUSPENDED_AT,
    ANNOTATION_SUSPENDED_BY,
    SUSPENSION_ANNOTATIONS,
    Suspension,
)
from job_runner.api.times import latest, normalised, parse_time, rfc3339

__all__ = [
    "ANNOTATION_SUSPENDED_AT",
    "ANNOTATION_SUSPENDED_BY",
    "ANNOTATION_SUSPEND_REASON",
    "API_VERSION",
    "FINISHED_RESULTS",
    "GROUP",
    "RUN_VALUES",
    "SUSPENSION_ANNOTATIONS",
    "VERSION",
    "ApiModel",
    "AttemptRecord",
    "Condition",
    "DynamicJob",
    "DynamicJobSpec",
    "DynamicJobStatus",
    "DynamicJobTemplate",
    "DynamicJobTemplateSpec",
    "NotificationRecord",
    "ObjectMeta",
    "Resource",
    "RunRecord",
    "RunResult",
    "RunTrigger",
    "ScheduleStatus",
    "Suspension",
    "latest",
    "normalised",
    "parse_time",
    "read_status",
    "rfc3339",
    "status_patch",
]
