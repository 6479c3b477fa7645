"""``dynamicjobs templates [NAME]``: the cluster's catalogue, and one template's parameters."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import click

from job_operator.cli.exits import NOT_FOUND, OK, CliError
from job_operator.cli.name_completion import template_names
from job_operator.cli.options import cluster_options, output_option
from job_operator.cli.output import as_list, dump, echo, table
from job_operator.cli.target import Target
from job_runner.template import SECRET_REF_MARKER

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster

MAX_DEPTH = 4


def type_of(schema: Mapping[str, Any]) -> str:
    """A parameter's type in a word or two: string, integer, one of a|b, secretRef, ..."""
    if schema.get(SECRET_REF_MARKER):
        return "secretRef"
    if "enum" in schema:
        return "one of " + "|".join(str(value) for value in schema["enum"])
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        return " or ".join(dict.fromkeys(type_of(v) for v in variants if v.get("type") != "null"))
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_of(schema.get('items') or {})}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"map of {type_of(schema['additionalProperties'])}"
    return str(kind or "any")


def parameters(schema: Mapping[str, Any], prefix: str = "",
               depth: int = 0) -> Iterator[tuple[str, str, bool, str, str]]:
    """(path, type, required, default, description) of each parameter, required ones
    first, nested objects flattened to dotted paths."""
    required = list(schema.get("required") or [])
    properties = schema.get("properties") or {}
    for name in [*(n for n in required if n in properties),
                 *(n for n in properties if n not in required)]:
        sub = properties[name]
        path = f"{prefix}{name}"
        default = _default_text(sub.get("default"))
        yield (path, type_of(sub), name in required, default,
               " ".join(str(sub.get("description") or "").split()))
        if sub.get("type") == "object" and sub.get("properties") and depth < MAX_DEPTH \
                and not sub.get(SECRET_REF_MARKER):
            yield from parameters(sub, f"{path}.", depth + 1)


def _default_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _spec(body: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = body.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def describe_template(body: Mapping[str, Any]) -> str:
    spec = _spec(body)
    lines = [f"{body['metadata']['name']} {spec.get('version', '')}",
             " ".join(str(spec.get("description", "")).split()), "", "Parameters:"]
    rows = [[path, kind, "yes" if needed else "", default, text]
            for path, kind, needed, default, text in parameters(spec.get("parametersSchema")
                                                                 or {})]
    lines += ["  " + line for line in table(
        ["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"], rows).splitlines()] \
        if rows else ["  <none>"]
    outputs = spec.get("outputsSchema")
    if isinstance(outputs, Mapping):
        reported = [[path, kind, text] for path, kind, _, _, text in parameters(outputs)]
        lines += ["", "Outputs (each run's status.lastRun.outputs):"]
        lines += ["  " + line for line in table(
            ["OUTPUT", "TYPE", "DESCRIPTION"], reported).splitlines()] \
            if reported else ["  <none>"]
    for index, example in enumerate(spec.get("examples") or [], 1):
        lines += ["", f"Example {index} (spec.parameters):"]
        lines += ["  " + line for line in dump(example, "yaml").splitlines()]
    return "\n".join(lines) + "\n"


@click.command("templates")
@click.argument("name", required=False, shell_complete=template_names)
@cluster_options()
@output_option()
def templates_command(name: str | None, target: Target, cluster: Callable[[], Cluster],
                      output: str) -> int:
    """The template catalogue of the cluster (DynamicJobTemplates); with NAME, its
    parameters (type, required, default, description), the outputs its runs report, and
    examples."""
    found = sorted(cluster().templates(), key=lambda t: t["metadata"]["name"])
    if name is not None:
        chosen = [t for t in found if t["metadata"]["name"] == name]
        if not chosen:
            known = ", ".join(t["metadata"]["name"] for t in found) or "none"
            raise CliError(f"no template {name!r} in the cluster's catalogue; it has: {known}",
                           NOT_FOUND)
        echo(describe_template(chosen[0]) if output in ("table", "wide")
             else dump(chosen[0], output))
        return OK
    if output in ("json", "yaml"):
        echo(dump(as_list(found), output))
        return OK
    rows = [[t["metadata"]["name"], str(_spec(t).get("version", "")),
             " ".join(str(_spec(t).get("description", "")).split())] for t in found]
    echo(table(["NAME", "VERSION", "DESCRIPTION"], rows))
    return OK
