"""The DynamicJobTemplate resource: one catalogue entry, published by the operator."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from job_runner.api.base import ApiModel, Resource


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


class DynamicJobTemplate(Resource):
    """A template that DynamicJobs can name; `kubectl get djt` lists the catalogue."""

    kind: ClassVar[str] = "DynamicJobTemplate"
    plural: ClassVar[str] = "dynamicjobtemplates"
    short_names: ClassVar[tuple[str, ...]] = ("djt",)
    scope: ClassVar[str] = "Cluster"

    spec: DynamicJobTemplateSpec
