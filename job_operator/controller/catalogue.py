"""Publish the runner's template registry as DynamicJobTemplate objects.

The catalogue in the cluster mirrors what this operator's image has installed: one object
per template, and objects of templates that are no longer installed are removed.
"""

from __future__ import annotations

from typing import Any

from job_operator.controller.drift import holds
from job_operator.kube import Kube
from job_runner.api import API_VERSION
from job_runner.contract import LABEL_MANAGED_BY, MANAGED_BY
from job_runner.registry import installed_templates
from job_runner.template import Template


def build_template_object(template: type[Template[Any]]) -> dict[str, Any]:
    outputs = template.outputs_schema()
    return {
        "apiVersion": API_VERSION,
        "kind": "DynamicJobTemplate",
        "metadata": {"name": template.name, "labels": {LABEL_MANAGED_BY: MANAGED_BY}},
        "spec": {
            "version": template.version,
            "description": template.description,
            "parametersSchema": template.parameters_schema(),
            "examples": list(template.examples),
            **({"outputsSchema": outputs} if outputs is not None else {}),
        },
    }


def publish_catalogue(kube: Kube) -> tuple[list[str], list[str]]:
    """Apply one object per installed template, delete stale ones; returns (published, removed)."""
    wanted = {name: build_template_object(cls) for name, cls in installed_templates().items()}
    published = []
    for name, obj in sorted(wanted.items()):
        live = kube.get("DynamicJobTemplate", None, name)
        if live is None or not holds(obj, live):
            kube.apply(obj)
            published.append(name)
    removed = []
    for live in kube.list("DynamicJobTemplate", label_selector=f"{LABEL_MANAGED_BY}={MANAGED_BY}"):
        name = live["metadata"]["name"]
        if name not in wanted:
            kube.delete("DynamicJobTemplate", None, name)
            removed.append(name)
    return published, removed
