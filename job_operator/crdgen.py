"""Generate crds/ from the pydantic API models: ``python -m job_operator.crdgen [--check]``.

Kubernetes wants a *structural* OpenAPI v3 schema, which differs from pydantic's JSON Schema
in a few ways this module bridges: no ``$ref`` (definitions are inlined), ``nullable``
instead of ``anyOf [X, null]``, no ``additionalProperties: false`` (the API server prunes
unknown fields instead), and free-form objects marked ``x-kubernetes-preserve-unknown-fields``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from job_runner.api import (
    ANNOTATION_SUSPEND_REASON,
    GROUP,
    VERSION,
    DynamicJob,
    DynamicJobTemplate,
    Resource,
)

CRD_DIR = Path(__file__).resolve().parent.parent / "crds"
CHART_CRD_DIR = CRD_DIR.parent / "helm" / "dynamicjobs" / "crds"
DEFAULT_OUTPUTS = (CRD_DIR, CHART_CRD_DIR)
"""Helm installs a chart's crds/ before its templates, so the chart carries a copy."""
_DROPPED_KEYS = {"title", "$defs"}


def _annotation_path(key: str) -> str:
    """A printer column's JSONPath to an annotation: the dots inside the key escaped."""
    return ".metadata.annotations." + key.replace(".", "\\.")


DYNAMICJOB_COLUMNS = [
    {"name": "Template", "type": "string", "jsonPath": ".spec.template"},
    {"name": "Schedule", "type": "string", "jsonPath": ".status.schedule.description"},
    {"name": "Suspended", "type": "boolean", "jsonPath": ".spec.suspend"},
    {"name": "Suspend Reason", "type": "string", "jsonPath": _annotation_path(
        ANNOTATION_SUSPEND_REASON)},
    {"name": "Ready", "type": "string",
     "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "Last Result", "type": "string", "jsonPath": ".status.lastRun.result"},
    {"name": "Last Run", "type": "date", "jsonPath": ".status.lastRun.startedAt"},
    {"name": "Next Run", "type": "string", "jsonPath": ".status.schedule.nextRuns[0]"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]
TEMPLATE_COLUMNS = [
    {"name": "Version", "type": "string", "jsonPath": ".spec.version"},
    {"name": "Description", "type": "string", "jsonPath": ".spec.description"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def _structural(node: Any, defs: dict[str, Any]) -> Any:
    """Rewrite one pydantic JSON Schema node into its Kubernetes structural form."""
    if isinstance(node, list):
        return [_structural(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _structural(merged, defs)
    variants = node.get("anyOf")
    if variants and {"type": "null"} in variants:
        others = [v for v in variants if v != {"type": "null"}]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if rest.get("default", ...) is None:
            del rest["default"]
        inner = others[0] if len(others) == 1 else {"anyOf": others}
        return {**_structural({**inner, **rest}, defs), "nullable": True}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS:
            continue
        if key == "additionalProperties":
            if value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(value, dict) and "properties" not in node:
                out[key] = _structural(value, defs)
            continue
        if key == "description" and isinstance(value, str):
            out[key] = " ".join(value.split())
            continue
        if key == "properties":
            out[key] = {name: _structural(sub, defs) for name, sub in value.items()}
            continue
        out[key] = _structural(value, defs)
    if out.get("x-kubernetes-preserve-unknown-fields") and "type" not in out:
        out["type"] = "object"
    if out.get("type") == "object" and "additionalProperties" in out and "properties" in out:
        del out["additionalProperties"]
    return out


def openapi_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return _structural(raw, raw.get("$defs", {}))


def _resource_schema(model: type[BaseModel], with_status: bool) -> dict[str, Any]:
    fields = model.model_fields
    properties: dict[str, Any] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": openapi_schema(fields["spec"].annotation),  # type: ignore[arg-type]
    }
    if with_status:
        properties["status"] = openapi_schema(fields["status"].annotation)  # type: ignore[arg-type]
    return {
        "type": "object",
        "description": (model.__doc__ or "").strip(),
        "required": ["spec"],
        "properties": properties,
    }


def build_crd(
    model: type[Resource],
    columns: list[dict[str, str]],
    *,
    with_status: bool,
) -> dict[str, Any]:
    singular = model.kind.lower()
    version: dict[str, Any] = {
        "name": VERSION,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": _resource_schema(model, with_status)},
        "additionalPrinterColumns": columns,
    }
    if with_status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{model.plural}.{GROUP}",
            "labels": {"app.kubernetes.io/part-of": "dynamicjobs"},
        },
        "spec": {
            "group": GROUP,
            "scope": model.scope,
            "names": {
                "kind": model.kind,
                "listKind": f"{model.kind}List",
                "plural": model.plural,
                "singular": singular,
                "shortNames": list(model.short_names),
                "categories": ["dynamicjobs-all"],
            },
            "versions": [version],
        },
    }


def all_crds() -> dict[str, dict[str, Any]]:
    """File name -> CRD, for every resource of the API."""
    crds = [
        build_crd(DynamicJob, DYNAMICJOB_COLUMNS, with_status=True),
        build_crd(DynamicJobTemplate, TEMPLATE_COLUMNS, with_status=False),
    ]
    return {f"{GROUP}_{crd['spec']['names']['plural']}.yaml": crd for crd in crds}


def render(crd: dict[str, Any]) -> str:
    header = "# Generated by `python -m job_operator.crdgen` from job_runner/api. Do not edit.\n"
    return header + yaml.safe_dump(crd, sort_keys=False, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m job_operator.crdgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when crds/ is out of date")
    parser.add_argument("--out", type=Path, action="append",
                        help=f"a directory to write (default: {CRD_DIR.name}/ and the "
                             "Helm chart's crds/); may be given more than once")
    args = parser.parse_args(argv)
    stale = []
    for out, (name, crd) in itertools.product(args.out or DEFAULT_OUTPUTS, all_crds().items()):
        path = out / name
        text = render(crd)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("out of date, run `python -m job_operator.crdgen`: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
