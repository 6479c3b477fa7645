"""Reading DynamicJob manifests from files, directories and stdin, for offline validation.

A path may be a file (YAML, or JSON when it ends in ``.json``), a directory (searched
recursively for ``*.yaml``, ``*.yml`` and ``*.json``, in sorted order) or ``-`` for stdin.
A YAML file may hold several documents; a ``kind: List`` (or any ``...List``) document
contributes each of its ``items``. Values come out as the API server would see them
after its YAML-to-JSON conversion: timestamps stay strings, mapping keys are strings, and
a key given twice in one mapping is an error (kubectl refuses those too).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from job_operator.validation import MAX_NESTING
from job_runner.api import GROUP

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
STDIN_NAME = "<stdin>"


class InputError(Exception):
    """A path that cannot be read at all (missing, unreadable, no manifests in a directory)."""


@dataclass(frozen=True)
class Document:
    """One object found in a file: a YAML document or one item of a List."""

    file: str
    document: int
    """1-based position of the YAML document in its file."""
    body: Any
    item: int | None = None
    """0-based position in the List's ``items``; None when the document is not a List."""
    documents_in_file: int = 1

    @property
    def location(self) -> str:
        """``FILE``, ``FILE:docN`` when the file has several documents, plus ``:items[I]``."""
        text = self.file
        if self.documents_in_file > 1:
            text += f":doc{self.document}"
        if self.item is not None:
            text += f":items[{self.item}]"
        return text

    @property
    def api_version(self) -> str:
        value = self.body.get("apiVersion") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        value = self.body.get("kind") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else ""

    def is_dynamicjob(self) -> bool:
        return self.kind == "DynamicJob" and self.api_version.split("/")[0] == GROUP

    def describe(self) -> str:
        """What the document is, for the note saying why it was skipped."""
        if not isinstance(self.body, dict):
            return f"not a Kubernetes object (a YAML {type(self.body).__name__})"
        kind = self.kind or "no kind"
        return f"{self.api_version or 'no apiVersion'} {kind}"


@dataclass
class FileResult:
    """What one file gave: its objects, or the reason it could not be parsed."""

    file: str
    documents: list[Document] = field(default_factory=list)
    error: str | None = None
    """A syntax error (naming the line) or an empty input; the file counts as invalid."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings and refuses duplicate keys."""

    yaml_implicit_resolvers = {  # noqa: RUF012 (replaces the base class's table)
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hashable = hash(key) is not None
            except TypeError:
                hashable = False
            if hashable and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            if hashable:
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _jsonable(value: Any) -> Any:
    """The value as JSON would carry it: string keys, lists for tuples, text for the rest."""
    if isinstance(value, dict):
        return {_json_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _parse_yaml(name: str, text: str) -> list[Any]:
    try:
        return [_jsonable(doc) for doc in yaml.load_all(text, Loader=_Loader)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise ValueError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{name}: YAML error: {error}") from None
    except RecursionError:
        raise ValueError(_too_deep(name)) from None


def _parse_json(name: str, text: str) -> list[Any]:
    if not text.strip():
        return []
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{name}:{error.lineno}:{error.colno}: JSON syntax error: {error.msg}"
        ) from None
    except RecursionError:
        raise ValueError(_too_deep(name)) from None


def _too_deep(name: str) -> str:
    """The YAML and JSON readers recurse per level; a document too deep for them is far
    beyond what a DynamicJob may hold, so it is reported, not crashed on."""
    return (f"{name}: nested too deeply to read; a DynamicJob's parameters may nest at most "
            f"{MAX_NESTING} levels")


def _is_list(body: Any) -> bool:
    return (isinstance(body, dict) and isinstance(body.get("kind"), str)
            and body["kind"].endswith("List") and isinstance(body.get("items"), list))


def parse(name: str, text: str, *, as_json: bool = False) -> FileResult:
    """The objects in one file's text; `FileResult.error` says why there are none."""
    result = FileResult(name)
    try:
        documents = _parse_json(name, text) if as_json else _parse_yaml(name, text)
    except ValueError as error:
        result.error = str(error)
        return result
    numbered = [(index, body) for index, body in enumerate(documents, 1) if body is not None]
    if not numbered:
        result.error = f"{name}: empty: no YAML or JSON document in it"
        return result
    count = len(documents)
    for index, body in numbered:
        if _is_list(body):
            for position, item in enumerate(body["items"]):
                result.documents.append(Document(name, index, item, position, count))
        else:
            result.documents.append(Document(name, index, body, None, count))
    return result


def _read(path: Path, display: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{display}: cannot read: {error.strerror or error}") from None
    return _decode(data, display)


def _decode(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{display}: not UTF-8 text (byte {error.start}: {data[error.start]:#04x})"
        ) from None


def expand(raw: str) -> list[str]:
    """The path, or for a directory the manifest files under it (sorted).

    Raises `InputError` for a path that does not exist or a directory without manifests.
    """
    if raw == STDIN:
        return [raw]
    path = Path(raw)
    if path.is_dir():
        found = sorted(
            candidate for candidate in path.rglob("*")
            if candidate.suffix.lower() in MANIFEST_SUFFIXES and candidate.is_file()
        )
        if not found:
            raise InputError(
                f"{raw}: no {', '.join('*' + s for s in MANIFEST_SUFFIXES)} files in this "
                "directory or below"
            )
        return [str(candidate) for candidate in found]
    if path.exists():
        return [raw]
    raise InputError(f"{raw}: no such file or directory")


def load(path: str, stdin: IO[bytes] | None = None) -> FileResult:
    """Read and parse one file (or stdin for ``-``); raises `InputError` when unreadable."""
    if path == STDIN:
        stream = stdin if stdin is not None else sys.stdin.buffer
        return parse(STDIN_NAME, _decode(stream.read(), STDIN_NAME))
    return parse(path, _read(Path(path), path), as_json=path.lower().endswith(".json"))
