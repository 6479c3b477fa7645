"""The template reference, from the runner's registry (the ``dynamicjobs.templates`` entry
points): each template's description, parameters (from its JSON Schema), outputs (from its
declared `Outputs` model: what a run records in ``status.lastRun.outputs``) and examples, as
a DynamicJob would carry them.

Only the templates this distribution ships are listed, so that a plugin installed on the
machine that renders the page does not change it.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import yaml

from docsgen.markdown import code, page, table
from docsgen.schema_rows import Resolver, field_table, rows
from job_runner.registry import ENTRY_POINT_GROUP, installed_templates
from job_runner.template import Template

DISTRIBUTION = "dynamicjobs"


def shipped_templates() -> dict[str, type[Template]]:
    """Name -> class of the templates whose entry point this distribution declares."""
    ours = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            if ep.dist is not None and ep.dist.name == DISTRIBUTION}
    return {name: cls for name, cls in installed_templates().items() if name in ours}


def example_manifest(template: type[Template], parameters: dict[str, Any]) -> dict[str, Any]:
    """A DynamicJob that runs ``template`` with ``parameters``: the shape a reader copies."""
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1",
        "kind": "DynamicJob",
        "metadata": {"name": f"example-{template.name}"[:52].rstrip("-")},
        "spec": {"template": template.name, "schedule": "0 3 * * *", "parameters": parameters},
    }


def _outputs(template: type[Template]) -> list[str]:
    """The outputs table: each key a successful run records in ``status.lastRun.outputs``."""
    schema = template.outputs_schema()
    if schema is None:
        return ["Outputs: not declared.", ""]
    body = table(["output", "type", "in every run", "description"],
                 ([code(row.path.lstrip(".")), row.type, "yes" if row.required else "",
                   row.description] for row in rows(schema, Resolver(schema))
                  if "." not in row.path.lstrip(".")))
    return ["Outputs (`status.lastRun.outputs` of a successful run; a dry run records its "
            "plan instead):", "", *body, ""]


def _template(template: type[Template]) -> list[str]:
    schema = template.parameters_schema()
    lines = [f"## {template.name}", "", f"Version {template.version}. {template.description}",
             ""]
    if schema.get("properties"):
        lines += ["Parameters:", "", *field_table(schema, Resolver(schema)), ""]
    else:
        lines += ["No parameters.", ""]
    lines += _outputs(template)
    for number, example in enumerate(template.examples, start=1):
        if not example and len(template.examples) > 1:
            continue
        lines += [f"Example {number}:" if len(template.examples) > 1 else "Example:", "",
                  "```yaml",
                  yaml.safe_dump(example_manifest(template, example), sort_keys=False,
                                 width=90).rstrip(),
                  "```", ""]
    return lines


def render() -> str:
    templates = shipped_templates()
    body = ["| template | version | what it does |", "| --- | --- | --- |"]
    body += [f"| [{name}](#{name}) | {cls.version} | {cls.description} |"
             for name, cls in templates.items()]
    body.append("")
    for template in templates.values():
        body += _template(template)
    return page(
        "Template reference",
        "What each built-in template takes: every parameter with its type, default, bounds "
        "and meaning; what a run records as its outputs; and examples to start from. What "
        "the templates do and how they reach databases and networks is in "
        "[Templates](../templates.md).",
        "the runner's template registry (the dynamicjobs.templates entry points)", body)
