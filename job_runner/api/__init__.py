"""The dynamicjobs.io/v1alpha1 API: the one source of truth for the CRDs in crds/."""

from job_runner.api.base import API_VERSION, GROUP, VERSION, ApiModel, ObjectMeta, Resource
from job_runner.api.catalogue import DynamicJobTemplate, DynamicJobTemplateSpec
from job_runner.api.dynamicjob import DynamicJob, DynamicJobSpec
from job_runner.api.status import (
    FINISHED_RESULTS,
    Condition,
    DynamicJobStatus,
    RunRecord,
    RunResult,
    ScheduleStatus,
)

__all__ = [
    "API_VERSION",
    "FINISHED_RESULTS",
    "GROUP",
    "VERSION",
    "ApiModel",
    "Condition",
    "DynamicJob",
    "DynamicJobSpec",
    "DynamicJobStatus",
    "DynamicJobTemplate",
    "DynamicJobTemplateSpec",
    "ObjectMeta",
    "Resource",
    "RunRecord",
    "RunResult",
    "ScheduleStatus",
]
