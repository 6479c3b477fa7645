"""Flatten a JSON Schema (or a Kubernetes structural schema) into one row per field.

The three schema-based references (the API, the templates' parameters, the chart's values)
show the same things for every field: its path, type, default, bounds and description.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from docsgen.markdown import code, table

_BOUNDS = (
    ("minimum", "≥ {}"), ("maximum", "≤ {}"),
    ("exclusiveMinimum", "> {}"), ("exclusiveMaximum", "< {}"),
    ("minLength", "at least {} characters"), ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"), ("maxItems", "at most {} items"),
    ("minProperties", "at least {} entries"), ("maxProperties", "at most {} entries"),
)


@dataclass(frozen=True)
class Row:
    path: str
    type: str
    required: bool
    default: str
    bounds: str
    description: str


class Resolver:
    """Follows local ``$ref``s (``#/definitions/x``, ``#/$defs/x``) of one root schema."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                break
            seen.add(ref)
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node


def _plural(text: str, count: Any) -> str:
    """"at least 1 characters" -> "at least 1 character"."""
    if count == 1:
        for many, one in (("characters", "character"), ("items", "item"), ("entries", "entry")):
            text = text.replace(many, one)
    return text


def _variants(node: Mapping[str, Any]) -> list[Any]:
    return list(node.get("anyOf", [])) + list(node.get("oneOf", []))


def type_name(node: Any, resolver: Resolver) -> str:
    """A reader's name for a schema's type: ``list of string``, ``integer or null``, ..."""
    node = resolver.resolve(node)
    if not isinstance(node, Mapping) or node == {}:
        return "any"
    if "const" in node:
        return code(node["const"])
    variants = _variants(node)
    if variants:
        names = list(dict.fromkeys(type_name(v, resolver) for v in variants))
        name = " or ".join(names)
    else:
        kind = node.get("type")
        if isinstance(kind, list):
            name = " or ".join(str(k) for k in kind)
        elif kind == "array":
            name = "list of " + type_name(node.get("items", {}), resolver)
        elif kind == "object" and isinstance(node.get("additionalProperties"), Mapping) \
                and "properties" not in node:
            name = "map of " + type_name(node["additionalProperties"], resolver)
        elif kind == "object" and node.get("x-dynamicjobs-secret-ref"):
            name = "secretRef"
        elif kind:
            name = str(kind)
        elif node.get("x-kubernetes-preserve-unknown-fields"):
            name = "object"
        else:
            name = "any"
        if node.get("format"):
            name += f" ({node['format']})"
    if node.get("nullable"):
        name += " or null"
    return name


def bounds(node: Any, resolver: Resolver) -> str:
    """Every limit the schema puts on the value, in words."""
    node = resolver.resolve(node)
    if not isinstance(node, Mapping):
        return ""
    found = [_plural(text.format(node[key]), node[key]) for key, text in _BOUNDS if key in node]
    if "enum" in node:
        found.append("one of " + ", ".join(code(v) for v in node["enum"]))
    if "pattern" in node:
        found.append("matches " + code(node["pattern"]))
    if node.get("uniqueItems"):
        found.append("no duplicates")
    for variant in _variants(node):
        inner = bounds(variant, resolver)
        if inner and inner not in found:
            found.append(inner)
    return "; ".join(found)


def _children(node: Mapping[str, Any], resolver: Resolver) -> Iterator[tuple[str, Any, bool]]:
    """(path suffix, schema, required) of the fields inside ``node``."""
    required = set(node.get("required", []))
    for name, sub in node.get("properties", {}).items():
        yield f".{name}", sub, name in required
    for pattern, sub in sorted(node.get("patternProperties", {}).items()):
        yield f".<{pattern}>", sub, False
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping) and "properties" in resolver.resolve(extra):
        yield ".<name>", extra, False
    items = node.get("items")
    if isinstance(items, Mapping):
        yield "[]", items, False
    for variant in _variants(node):
        yield "", variant, False


def rows(node: Any, resolver: Resolver, path: str = "", required: bool = False,
         depth: int = 0) -> Iterator[Row]:
    """A row for ``node`` at ``path`` (unless it is the unnamed root), then one for each
    field inside it, depth first, in the schema's own order."""
    node = resolver.resolve(node)
    if not isinstance(node, Mapping) or depth > 12:
        return
    if path and not path.endswith("[]"):
        default = code(node["default"]) if "default" in node else ""
        yield Row(path, type_name(node, resolver), required, default,
                  bounds(node, resolver), node.get("description", ""))
    seen = {path}
    for suffix, sub, sub_required in _children(node, resolver):
        for row in rows(sub, resolver, path + suffix, sub_required, depth + 1):
            if row.path not in seen:
                seen.add(row.path)
                yield row


def field_table(node: Any, resolver: Resolver, prefix: str = "") -> list[str]:
    return table(
        ["field", "type", "required", "default", "bounds", "description"],
        ([code(prefix + row.path.lstrip(".")), row.type, "yes" if row.required else "",
          row.default, row.bounds, row.description] for row in rows(node, resolver)),
    )
