"""The DynamicJobTemplate resource: one catalogue entry, published by the operator."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from job_runner.api.base import API_VERSION, ApiModel
from job_runner.api.dynamicjob import ObjectMeta


class DynamicJobTemplateSpec(ApiModel):
    """What a template does and which parameters it takes."""

    version: str
    """The template's own version."""
    description: str
    """What a run of this template does."""
    parameters_schema: dict[str, Any]
    """JSON Schema of `spec.parameters` of a DynamicJob using this template."""
    examples: list[dict[str, Any]] = Field(default_factory=list)
    """Valid parameter sets, ready to copy."""


class DynamicJobTemplate(ApiModel):
    """A template that DynamicJobs can name; `kubectl get djt` lists the catalogue."""

    kind: ClassVar[str] = "DynamicJobTemplate"
    plural: ClassVar[str] = "dynamicjobtemplates"
    short_names: ClassVar[tuple[str, ...]] = ("djt",)
    scope: ClassVar[str] = "Cluster"

    model_config = ApiModel.model_config | {"extra": "ignore"}

    api_version: str = API_VERSION
    metadata: ObjectMeta
    spec: DynamicJobTemplateSpec
