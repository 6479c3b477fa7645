"""A template's parameters asked for one by one, as its JSON Schema describes them.

Each answer is turned into its JSON type and checked against that parameter's schema
while it is typed (a wrong one is asked again, with the reason). Secret references are
asked as a Secret's name and key; nested objects field by field; maps key by key; lists
and free-form values as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from pydantic import BaseModel, TypeAdapter, ValidationError

from job_operator.cli.catalogue import type_of
from job_operator.cli.wizard.ask import Asker
from job_runner.template import SECRET_REF_MARKER

SKIP: Any = object()
"""An optional parameter left out: the template's default applies."""
MAX_MAP_ENTRIES = 50


def _variants(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = schema.get("anyOf") or schema.get("oneOf") or []
    return [v for v in found if v.get("type") != "null"]


def _checker(schema: Mapping[str, Any], label: str) -> Any:
    validator = Draft202012Validator(dict(schema))

    def check(value: Any) -> Any:
        error = best_match(validator.iter_errors(value))
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
            raise ValueError(f"{label}{where}: {error.message}")
        return value

    return check


def _convert(kind: str | None, text: str) -> Any:
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if kind in ("array", "object", None):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON ({error.msg}); e.g. [\"a\", \"b\"] or {{\"k\": 1}}"
                             ) from None
    return text


def _flag(label: str) -> str:
    top = label.split(".")[0]
    return f"-p {top}=VALUE (or -p {top}:=JSON)"


def _model_checker(model: type[BaseModel] | None, name: str) -> Callable[[Any], Any] | None:
    """The template's own rule for one top-level parameter (what its schema cannot say,
    e.g. that a URL is http or https), when the template is installed here too."""
    field = model.model_fields.get(name) if model is not None else None
    if field is None:
        field = next((f for f in (model.model_fields.values() if model else [])
                      if f.alias == name), None)
    if field is None:
        return None
    shape: Any = field.annotation
    if field.metadata:
        shape = Annotated.__class_getitem__((shape, *field.metadata))  # type: ignore[attr-defined]
    adapter: TypeAdapter[Any] = TypeAdapter(shape)

    def check(value: Any) -> Any:
        try:
            adapter.validate_python(value)
        except ValidationError as error:
            first = error.errors()[0]
            raise ValueError(f"{name}: {str(first['msg']).removeprefix('Value error, ')}"
                             ) from None
        return value

    return check


class ParameterQuestions:
    """Asks for the parameters of one template; ``given`` (from -p) are not asked.
    ``model``: the template's Parameters, when installed here, to check each answer by
    the template's own rules too."""

    def __init__(self, asker: Asker, model: type[BaseModel] | None = None) -> None:
        self.asker = asker
        self.model = model

    def ask_object(self, schema: Mapping[str, Any], given: Mapping[str, Any],
                   prefix: str = "") -> dict[str, Any]:
        required = [name for name in schema.get("required") or []]
        properties = schema.get("properties") or {}
        ordered = [*(n for n in required if n in properties),
                   *(n for n in properties if n not in required)]
        answers: dict[str, Any] = {}
        for name in ordered:
            sub = properties[name]
            if name in given:
                answers[name] = given[name]
                continue
            value = self.ask(f"{prefix}{name}", sub, name in required,
                             None if prefix else _model_checker(self.model, name))
            if value is not SKIP:
                answers[name] = value
        return answers

    def ask(self, label: str, schema: Mapping[str, Any], required: bool,
            rule: Callable[[Any], Any] | None = None) -> Any:
        hint = " ".join(str(schema.get("description") or "").split())
        hint = f"{hint} ({type_of(schema)}{', required' if required else ''})".strip()
        if schema.get(SECRET_REF_MARKER):
            return self._secret(label, required, hint)
        variants = _variants(schema)
        secret = [v for v in variants if v.get(SECRET_REF_MARKER)]
        plain = [v for v in variants if not v.get(SECRET_REF_MARKER)]
        if secret and plain:
            if self.asker.confirm(f"Take {label} from a Secret?", default=False):
                return self._secret(label, required, hint)
            return self.ask(label, {**plain[0], "description": schema.get("description")},
                            required, rule)
        if len(plain) == 1 and "type" not in schema:
            return self.ask(label, {**plain[0], **{k: v for k, v in schema.items()
                                                   if k not in ("anyOf", "oneOf")}}, required,
                            rule)
        kind = schema.get("type")
        if "enum" in schema:
            return self._enum(label, schema, required, hint)
        if kind == "boolean":
            default = bool(schema.get("default", False))
            self.asker.say(f"{label}: {hint}")
            answer = self.asker.confirm(f"{label}?", default=default)
            return SKIP if answer == default and not required else answer
        if kind == "object" and schema.get("properties"):
            self.asker.say(f"{label}: {hint}")
            if not required and not self.asker.confirm(f"Set {label}?", default=False):
                return SKIP
            return self.ask_object(schema, {}, f"{label}.")
        if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
            return self._map(label, schema, required, hint)
        return self._typed(label, schema, required, hint, rule)

    def _typed(self, label: str, schema: Mapping[str, Any], required: bool,
               hint: str, rule: Callable[[Any], Any] | None = None) -> Any:
        kind = schema.get("type")
        by_schema = _checker(schema, label)

        def check(value: Any) -> Any:
            by_schema(value)
            return rule(value) if rule is not None else value

        default = schema.get("default")
        shown = "" if default is None else (default if isinstance(default, str)
                                            else json.dumps(default))
        answer = self.asker.text(label, flag=_flag(label), hint=hint,
                                 default=None if required and default is None else shown,
                                 check=lambda typed: check(_convert(kind, typed)))
        if not required and (answer == "" or answer == default):
            return SKIP
        return answer

    def _enum(self, label: str, schema: Mapping[str, Any], required: bool, hint: str) -> Any:
        options = [(value, str(value)) for value in schema["enum"]]
        default = schema.get("default")
        index = schema["enum"].index(default) if default in schema["enum"] else None
        self.asker.say(f"{label}: {hint}")
        value = self.asker.choice(label, options, flag=_flag(label), default=index)
        return SKIP if not required and value == default else value

    def _secret(self, label: str, required: bool, hint: str) -> Any:
        self.asker.say(f"{label}: from a Secret in the job's namespace. {hint}")
        name = self.asker.text(f"{label}: Secret name", flag=_flag(label),
                               default=None if required else "", check=_secret_name)
        if name == "":
            return SKIP
        key = self.asker.text(f"{label}: key in Secret {name}", flag=_flag(label),
                              check=_secret_key)
        return {"secretRef": {"name": name, "key": key}}

    def _map(self, label: str, schema: Mapping[str, Any], required: bool, hint: str) -> Any:
        self.asker.say(f"{label}: {hint}; one entry at a time, an empty name to finish")
        entries: dict[str, Any] = {}
        while len(entries) < MAX_MAP_ENTRIES:
            key = self.asker.text(f"{label}: name", flag=_flag(label), default="")
            if key == "":
                break
            entries[key] = self.ask(f"{label}.{key}", schema["additionalProperties"], True)
        return entries if entries or required else SKIP


def _secret_name(text: str) -> str:
    from job_operator.validation import DNS_SUBDOMAIN

    if not DNS_SUBDOMAIN.match(text) or len(text) > 253:
        raise ValueError(f"{text!r} is not a Secret name (lowercase letters, digits, '-', '.')")
    return text


def _secret_key(text: str) -> str:
    if not text or any(not (c.isalnum() or c in "-._") for c in text):
        raise ValueError(f"{text!r} is not a Secret key (letters, digits, '-', '_', '.')")
    return text
