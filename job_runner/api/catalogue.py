"""The DynamicJobTemplate resource: one catalogue entry, published by the operator."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from job_runner.api.base import ApiModel, Resource


class DynamicJobTemplateSpec(ApiModel):
    """What a template does, which parameters it takes and what its runs report."""

    version: str
    """The template's own version."""
    description: str
    """What a run of this template does."""
    parameters_schema: dict[str, Any]
    """JSON Schema of `spec.parameters` of a DynamicJob using this template."""
    examples: list[dict[str, Any]] = Field(default_factory=list)
    """Valid parameter sets, ready to copy."""
    outputs_schema: dict[str, Any] | None = None
    """JSON Schema of what a run reports in its record's `outputs` (`status.lastRun`,
    `status.recentRuns`); absent when the template declares no outputs."""


class DynamicJobTemplate(Resource):
    """A template that DynamicJobs can name; `kubectl get djt` lists the catalogue."""

    kind: ClassVar[str] = "DynamicJobTemplate"
    plural: ClassVar[str] = "dynamicjobtemplates"
    short_names: ClassVar[tuple[str, ...]] = ("djt",)
    scope: ClassVar[str] = "Cluster"

    spec: DynamicJobTemplateSpec
