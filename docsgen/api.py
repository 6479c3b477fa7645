"""The API reference, from the CRDs in crds/: every field of every resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from docsgen.markdown import code, page, table
from docsgen.schema_rows import Resolver, field_table

ROOT = Path(__file__).resolve().parent.parent
CRD_DIR = ROOT / "crds"


def _crds() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text()) for path in sorted(CRD_DIR.glob("*.yaml"))]


def _resource(crd: dict[str, Any]) -> list[str]:
    spec = crd["spec"]
    names = spec["names"]
    lines: list[str] = []
    for version in spec["versions"]:
        schema = version["schema"]["openAPIV3Schema"]
        resolver = Resolver(schema)
        lines += [
            f"## {names['kind']} ({spec['group']}/{version['name']})", "",
            schema.get("description", ""), "",
            *table(["scope", "plural", "short names", "categories", "status subresource"], [[
                spec["scope"], code(names["plural"]),
                ", ".join(code(n) for n in names.get("shortNames", [])),
                ", ".join(code(c) for c in names.get("categories", [])),
                "yes" if "status" in version.get("subresources", {}) else "no",
            ]]), "",
        ]
        columns = version.get("additionalPrinterColumns", [])
        if columns:
            lines += ["Columns of `kubectl get`:", "",
                      *table(["column", "type", "JSONPath"],
                             ([c["name"], c["type"], code(c["jsonPath"])] for c in columns)),
                      ""]
        for part in ("spec", "status"):
            if part in schema.get("properties", {}):
                lines += [f"### {names['kind']} `{part}`", "",
                          *field_table(schema["properties"][part], resolver, prefix=part + "."),
                          ""]
    return lines


def render() -> str:
    body: list[str] = []
    for crd in _crds():
        body += _resource(crd)
    return page(
        "API reference",
        "Every field of the `dynamicjobs.io` resources: its type, default, bounds and what it "
        "means. The bounds are the API server's own (the CRD's OpenAPI schema); admission "
        "adds the rules in [Validation](../validation.md).",
        "crds/", body)
