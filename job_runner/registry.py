"""The template catalogue: every template installed under the entry-point group.

Built-in templates are found exactly like third-party plugins, through the
``dynamicjobs.templates`` entry points in the distribution metadata. Discovery is cached;
a duplicate name or a plugin that fails to load is warned about and skipped, never fatal.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import re
import warnings
from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import jsonschema
from pydantic import ValidationError

from job_runner.template import Template

ENTRY_POINT_GROUP = "dynamicjobs.templates"
log = logging.getLogger(__name__)


class UnknownTemplate(LookupError):
    def __init__(self, name: str, installed: list[str]) -> None:
        super().__init__(name, installed)
        self.name = name
        self.installed = installed

    def __str__(self) -> str:
        known = ", ".join(self.installed) or "none"
        return f"unknown template {self.name!r}; installed templates: {known}"


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    log.warning(message)


def _load(entry_point: importlib.metadata.EntryPoint) -> type[Template] | None:
    try:
        loaded = entry_point.load()
    except Exception as error:
        _warn(
            f"template plugin {entry_point.name!r} ({entry_point.value}) failed to load: "
            f"{type(error).__name__}: {error}"
        )
        return None
    if not (isinstance(loaded, type) and issubclass(loaded, Template)):
        _warn(f"template plugin {entry_point.name!r} ({entry_point.value}) is not a Template")
        return None
    if getattr(loaded, "name", None) != entry_point.name:
        _warn(
            f"template plugin {entry_point.name!r} ({entry_point.value}) declares name "
            f"{getattr(loaded, 'name', None)!r}; it is registered as {entry_point.name!r}"
        )
    return loaded


@functools.cache
def installed_templates() -> Mapping[str, type[Template]]:
    """Name -> template class for every loadable template, sorted by name."""
    found: dict[str, type[Template]] = {}
    sources: dict[str, str] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in sources:
            if sources[entry_point.name] != entry_point.value:
                _warn(
                    f"template {entry_point.name!r} is installed twice "
                    f"({sources[entry_point.name]} and {entry_point.value}); "
                    f"using {sources[entry_point.name]}"
                )
            continue
        template = _load(entry_point)
        if template is not None:
            found[entry_point.name] = template
            sources[entry_point.name] = entry_point.value
    return MappingProxyType(dict(sorted(found.items())))


@functools.cache
def _only_template_named(name: str) -> type[Template] | None:
    """Load just the entry point called ``name``: a run needs one template, not the
    imports of all of them. None when there is no such single entry point."""
    candidates = {
        entry_point.value: entry_point
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        if entry_point.name == name
    }
    if len(candidates) != 1:
        return None
    return _load(next(iter(candidates.values())))


def clear_cache() -> None:
    """Forget what was discovered (after installing a plugin, or in tests)."""
    installed_templates.cache_clear()
    _only_template_named.cache_clear()


def get_template(name: str) -> type[Template]:
    """The template called ``name``; an unknown name lists the installed ones. A duplicate
    or broken plugin of that name goes through full discovery, which warns about it."""
    single = _only_template_named(name)
    if single is not None:
        return single
    templates = installed_templates()
    try:
        return templates[name]
    except KeyError:
        raise UnknownTemplate(name, list(templates)) from None


def _json_path(base: str, parts: Any) -> str:
    path = base
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


MAX_VALUE_CHARS = 60
"""A message quotes at most this many characters of the offending value."""

_JSON_TYPES = {
    "string": "a string", "integer": "an integer", "number": "a number",
    "boolean": "a boolean (true or false)", "object": "an object", "array": "an array",
    "null": "null",
}


def short_value(value: Any) -> str:
    """The value's repr, cut to `MAX_VALUE_CHARS` characters with an ellipsis."""
    text = repr(value)
    if len(text) <= MAX_VALUE_CHARS:
        return text
    return text[: MAX_VALUE_CHARS - 1] + "…"


def _shorten_in(message: str, value: Any) -> str:
    """`message` with any full repr of `value` in it replaced by the short one."""
    full = repr(value)
    if len(full) > MAX_VALUE_CHARS and full in message:
        return message.replace(full, short_value(value))
    return message


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _a(json_type: str) -> str:
    return _JSON_TYPES.get(json_type, json_type)


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1


def _branch_errors(
    error: jsonschema.ValidationError, index: int
) -> list[jsonschema.ValidationError]:
    return [e for e in error.context or () if e.relative_schema_path and
            e.relative_schema_path[0] == index]


def _explain_alternatives(error: jsonschema.ValidationError) -> list[tuple[str, str]] | None:
    """anyOf/oneOf: the errors of the one branch the value was meant for, when there is one."""
    branches = error.validator_value
    instance = error.instance
    if not isinstance(branches, list) or not error.context:
        return None
    # Optional[T]: anyOf [T, null] and the value is not null, so it was meant to be a T.
    candidates = [i for i, branch in enumerate(branches) if not _is_null_schema(branch)]
    if instance is not None and len(candidates) == 1:
        return _explain_all(_branch_errors(error, candidates[0]))
    # Only one branch takes a value of this JSON type: the value was meant for that one.
    fitting = [i for i in candidates if not any(
        e.validator == "type" and list(e.absolute_path) == list(error.absolute_path)
        for e in _branch_errors(error, i)
    )]
    if len(fitting) == 1:
        return _explain_all(_branch_errors(error, fitting[0]))
    # A tagged union (pydantic's discriminator): the tag picks the branch.
    discriminator = error.schema.get("discriminator") if isinstance(error.schema, dict) else None
    if isinstance(discriminator, dict) and isinstance(instance, dict):
        tag = discriminator.get("propertyName")
        tags = {}
        for index, branch in enumerate(branches):
            const = branch.get("properties", {}).get(tag, {}).get("const") \
                if isinstance(branch, dict) else None
            if const is not None:
                tags[const] = index
        if tags and tag in instance and instance[tag] in tags:
            return _explain_all(_branch_errors(error, tags[instance[tag]]))
        if tags:
            allowed = ", ".join(repr(name) for name in tags)
            return [(_json_path("parameters", [*error.absolute_path, tag]),
                     f"must be one of {allowed}" if tag in instance else
                     f"required: one of {allowed}")]
    # Alternatives of plain types, e.g. string | integer | boolean.
    types = [branch.get("type") if isinstance(branch, dict) else None for branch in branches]
    if all(isinstance(t, str) for t in types) and _json_type(instance) not in types and not (
        _json_type(instance) == "integer" and "number" in types
    ):
        names = [_a(str(t)) for t in dict.fromkeys(types)]
        wanted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return [(_json_path("parameters", error.absolute_path),
                 f"must be {wanted}, not {_a(_json_type(instance))}")]
    return None


def _explain(error: jsonschema.ValidationError) -> list[tuple[str, str]]:
    """Short (path, message) pairs for one JSON Schema error, never echoing a long value."""
    path = _json_path("parameters", error.absolute_path)
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword in ("anyOf", "oneOf"):
        explained = _explain_alternatives(error)
        if explained:
            return explained
    elif keyword == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        extras = [key for key in instance if key not in known
                  and not any(re.search(p, key) for p in patterns)]
        allowed = f"; known fields: {', '.join(known)}" if known else ""
        return [(_json_path("parameters", [*error.absolute_path, key]),
                 f"unknown field{allowed}") for key in extras]
    elif keyword == "required" and isinstance(instance, dict):
        return [(_json_path("parameters", [*error.absolute_path, key]), "required")
                for key in expected if key not in instance]
    elif keyword == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        names = [_a(t) for t in wanted]
        text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return [(path, f"must be {text}, not {_a(_json_type(instance))}")]
    elif keyword == "maxLength" and isinstance(instance, str):
        return [(path, f"longer than {expected} characters ({len(instance)})")]
    elif keyword == "minLength" and isinstance(instance, str):
        if expected == 1:
            return [(path, "must not be empty")]
        return [(path, f"shorter than {expected} characters ({len(instance)})")]
    elif keyword == "pattern":
        return [(path, f"{short_value(instance)} does not match the pattern {expected}")]
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        relation = {"minimum": "at least", "maximum": "at most",
                    "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}[keyword]
        return [(path, f"must be {relation} {expected}, not {short_value(instance)}")]
    elif keyword in ("minItems", "maxItems") and isinstance(instance, list):
        relation = "at least" if keyword == "minItems" else "at most"
        return [(path, f"needs {relation} {expected} item{'s' * (expected != 1)}, "
                       f"has {len(instance)}")]
    elif keyword in ("minProperties", "maxProperties") and isinstance(instance, dict):
        relation = "at least" if keyword == "minProperties" else "at most"
        return [(path, f"needs {relation} {expected} entr{'ies' if expected != 1 else 'y'}, "
                       f"has {len(instance)}")]
    elif keyword == "enum" and isinstance(expected, list):
        allowed = ", ".join(short_value(choice) for choice in expected)
        return [(path, f"must be one of {allowed}, not {short_value(instance)}")]
    elif keyword == "const":
        return [(path, f"must be {short_value(expected)}, not {short_value(instance)}")]
    return [(path, _shorten_in(error.message, instance))]


def _explain_all(errors: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for error in sorted(errors, key=lambda e: [str(part) for part in e.absolute_path]):
        for problem in _explain(error):
            if problem not in found:
                found.append(problem)
    return found


def _pydantic_path(params: Any, detail: Mapping[str, Any]) -> str:
    """The field path of a pydantic error, without the union-member tags pydantic adds.

    pydantic's ``loc`` names the member of a union it tried (``values.team.str``,
    ``connection.sqlite.path``); those parts are not in the data, so they are dropped by
    walking the data along the location.
    """
    loc = list(detail["loc"])
    parts: list[Any] = []
    value = params
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        elif last and detail.get("type") == "missing":
            pass
        elif isinstance(part, str) and not (last and isinstance(value, dict) and
                                            detail.get("type") == "extra_forbidden"):
            continue  # a union tag
        parts.append(part)
    return _json_path("parameters", parts)


def _pydantic_message(detail: Mapping[str, Any]) -> str:
    message = str(detail["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return _shorten_in(message, detail.get("input"))


def _covering(path: str) -> set[str]:
    """Every path that covers ``path``: itself and each ancestor field or item, except the
    top-level "parameters", which covers only itself (a problem with one field does not
    hide the others). A set, so that checking thousands of problems stays linear."""
    cut = {path[:index] for index, char in enumerate(path) if char in ".["}
    cut.discard("parameters")
    return cut | {path}


@functools.lru_cache(maxsize=256)
def _validator(template: type[Template]) -> jsonschema.Draft202012Validator:
    """One validator per template class: generating the schema costs more than using it,
    and the operator validates every job at every reconcile."""
    return jsonschema.Draft202012Validator(template.parameters_schema())


def validate_parameters(template: type[Template], params: Any) -> list[tuple[str, str]]:
    """Field path and message for every problem in `params`; empty when they are valid.

    The JSON Schema is what admission and dashboards see, the pydantic model is what the
    template runs with (it also holds cross-field rules a schema cannot say); both must
    accept the parameters. Each field is reported once: where both object, the schema's
    message is kept unless pydantic's comes from the template's own rule (a value error),
    which says more. Messages quote at most `MAX_VALUE_CHARS` characters of a value.
    """
    validator = _validator(template)
    problems: dict[str, list[str]] = {}
    for path, message in _explain_all(validator.iter_errors(params)):
        problems.setdefault(path, []).append(message)
    schema_paths = set(problems)
    under_schema = Counter(ancestor for path in schema_paths for ancestor in _covering(path))
    # how many schema-reported paths each path covers
    generic: set[str] = set()  # paths holding only a generic pydantic message so far
    try:
        template.Parameters.model_validate(params)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            path = _pydantic_path(params, detail)
            message = _pydantic_message(detail)
            own_rule = detail["type"] in ("value_error", "assertion_error")
            if own_rule and (path in schema_paths or path in generic):
                # The template's own rule says more, also than another union member's
                # "should be a valid dictionary".
                problems[path] = [message]
                generic.discard(path)
                if path in schema_paths:
                    schema_paths.remove(path)
                    under_schema.subtract(_covering(path))
            elif not _covering(path) & problems.keys() and (
                own_rule or under_schema[path] <= 0
            ):
                problems[path] = [message]
                if not own_rule:
                    generic.add(path)
    return [(path, "; ".join(messages)) for path, messages in problems.items()]
