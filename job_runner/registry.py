"""The template catalogue: every template installed under the entry-point group.

Built-in templates are found exactly like third-party plugins, through the
``dynamicjobs.templates`` entry points in the distribution metadata. Discovery is cached;
a duplicate name or a plugin that fails to load is warned about and skipped, never fatal.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import warnings
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


def get_template(name: str) -> type[Template]:
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


def validate_parameters(template: type[Template], params: Any) -> list[tuple[str, str]]:
    """Field path and message for every problem in `params`; empty when they are valid.

    The JSON Schema is what admission and dashboards see, the pydantic model is what the
    template runs with (it also holds cross-field rules a schema cannot say); both must
    accept the parameters.
    """
    validator = jsonschema.Draft202012Validator(template.parameters_schema())
    schema_errors = sorted(
        validator.iter_errors(params), key=lambda e: [str(part) for part in e.absolute_path]
    )
    errors = [(_json_path("parameters", e.absolute_path), e.message) for e in schema_errors]
    try:
        template.Parameters.model_validate(params)
    except ValidationError as error:
        reported = {path for path, _ in errors}
        for detail in error.errors(include_url=False):
            path = _json_path("parameters", detail["loc"])
            if path not in reported:
                errors.append((path, detail["msg"]))
    return errors
