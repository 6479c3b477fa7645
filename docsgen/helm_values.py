"""The Helm values reference, from the chart's values.yaml (the comment above each key, its
example and its default) and values.schema.json (type and bounds)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from docsgen.markdown import code, page, table
from docsgen.schema_rows import Resolver, bounds, type_name

CHART = Path(__file__).resolve().parent.parent / "helm" / "dynamicjobs"
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w.-]*):(\s|$)")


@dataclass(frozen=True)
class ValueDoc:
    path: tuple[str, ...]
    description: str
    example: str


def _split(comment: list[str]) -> tuple[str, str]:
    """A key's comment block: the prose before "Example:" and the example after it."""
    if "Example:" in comment:
        at = comment.index("Example:")
        prose, example = comment[:at], comment[at + 1:]
    else:
        prose, example = comment, []
    indent = min((len(line) - len(line.lstrip()) for line in example if line.strip()), default=0)
    return " ".join(" ".join(prose).split()), "\n".join(line[indent:] for line in example)


def _has_path(values: Any, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(values, Mapping) or part not in values:
            return False
        values = values[part]
    return True


def documented_keys(text: str, values: Mapping[str, Any]) -> Iterator[ValueDoc]:
    """Every key of values.yaml with the comment block right above it (no blank line in
    between). Lines inside lists and flow values are not keys and are passed over."""
    comment: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped[2:] if stripped.startswith("# ") else stripped[1:])
            continue
        match = _KEY.match(line)
        if not stripped or not match:
            comment = []
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(key for _, key in stack), match["key"])
        if _has_path(values, path):
            stack.append((indent, match["key"]))
            yield ValueDoc(path, *_split(comment))
        comment = []


def _schema_at(schema: Mapping[str, Any], path: tuple[str, ...], resolver: Resolver) -> Any:
    node: Any = schema
    for part in path:
        node = resolver.resolve(node)
        if not isinstance(node, Mapping):
            return {}
        node = node.get("properties", {}).get(part, {})
    return resolver.resolve(node)


def _value_of(values: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        values = values[part]
    return values


def _flow(example: str, key: str) -> str:
    """An example of the comments in one line (YAML flow style), without the key it is the
    example of; as written if it is not YAML on its own."""
    try:
        loaded = yaml.safe_load(example)
    except yaml.YAMLError:
        return code(" ".join(example.split()))
    if isinstance(loaded, dict) and list(loaded) == [key]:
        loaded = loaded[key]
    if not isinstance(loaded, dict | list):
        return code(loaded)
    return code(yaml.safe_dump(loaded, default_flow_style=True, width=10_000).strip())


def render() -> str:
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    schema = json.loads((CHART / "values.schema.json").read_text())
    resolver = Resolver(schema)
    body: list[str] = []
    section: list[list[str]] = []
    top = ""

    def close() -> None:
        if section:
            body.extend(table(["key", "type", "default", "bounds", "description", "example"],
                              section))
            body.append("")
            section.clear()

    for doc in documented_keys(text, values):
        node = _schema_at(schema, doc.path, resolver)
        if len(doc.path) == 1:
            close()
            top = doc.path[0]
            body += [f"## {top}", "", doc.description, ""]
        if len(doc.path) == 1 and node.get("type") == "object":
            continue  # its heading and paragraph say it; its keys follow
        value = _value_of(values, doc.path)
        default = "" if isinstance(value, Mapping) and value else code(value)
        section.append([code(".".join(doc.path)), type_name(node, resolver), default,
                        bounds(node, resolver), doc.description,
                        _flow(doc.example, doc.path[-1]) if doc.example else ""])
    close()
    return page(
        "Helm values reference",
        "Every value of the `dynamicjobs` chart: its type, default, bounds, what it does and "
        "an example. The chart's schema refuses any key not listed here, so a misspelt key "
        "fails `helm install`. How to deploy: [Deployment](../deployment.md).",
        "helm/dynamicjobs/values.yaml and values.schema.json", body)
