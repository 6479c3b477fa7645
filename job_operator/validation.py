"""Every rule a DynamicJob must meet, in one place for the webhook, the operator and the CLI.

Each rule returns problems as (field path, message) pairs so a refusal lists all of them,
each naming the field and how to fix it. Checks that need the API server (may the user read
a referenced Secret?) are passed in as a callable, so the offline CLI can skip them.

:func:`validate_dynamicjob` parses the body once and hands the result on
(:class:`Validated`): callers use its ``job`` and ``schedule`` rather than parsing again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from job_operator.dependencies import dependency_problems, depends_on
from job_operator.schedule import (
    Schedule,
    ScheduleError,
    check_schedule,
    validate_schedule,
    validate_time_zone,
)
from job_runner.api import DynamicJob
from job_runner.api.dynamicjob import NOTIFIER_KINDS, parameter_sets
from job_runner.notify import SAMPLE_RUN
from job_runner.registry import UnknownTemplate, get_template, validate_parameters
from job_runner.secrets import SecretRef, find_secret_refs

MAX_NAME_LENGTH = 52
"""A CronJob's name may be at most 52 characters (its Jobs append 11); ours is the DynamicJob's."""
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
"""What the API server requires of a custom resource's (and a CronJob's) metadata.name."""
MAX_SPEC_BYTES = 64 * 1024
MAX_NESTING = 16
"""How deep the job's or a notifier's parameters may nest (objects and lists)."""
MAX_SPEC_NESTING = MAX_NESTING + 4
"""How deep the whole spec may nest: a notifier's parameters sit 4 levels below spec.
Checked before anything recursive (json, pydantic, jsonschema) reads the spec, so that a
hostile object stored while the webhook was down is a problem, not a RecursionError."""
LABEL_KEY_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class Validated:
    """A DynamicJob body judged once.

    ``job`` is the parsed DynamicJob (its spec and metadata; the status is not parsed,
    it stays the writers' business), present only when there are no problems.
    ``schedule`` is the parsed schedule and time zone whenever those two fields are
    valid, even if others are not, so that an invalid job's status can still show it.
    """

    problems: list[Problem]
    job: DynamicJob | None = None
    schedule: Schedule | None = None

    @property
    def valid(self) -> bool:
        return not self.problems


SecretAccessCheck = Callable[[str, str], str | None]
"""(namespace, secret name) -> None when the requesting user may read it, else the reason."""


def nesting_depth(value: Any) -> int:
    """How deep objects and lists nest; iterative, so hostile depth cannot overflow the stack."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else None
        if children is not None:
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in children)
    return deepest


_PYDANTIC_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "literal_error": "must be one of {expected}",
    "string_too_long": "longer than {max_length} characters",
    "string_too_short": "shorter than {min_length} characters",
    "string_pattern_mismatch": "must match {pattern}",
    "too_long": "more than {max_length} entries",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        template = _PYDANTIC_MESSAGES.get(item["type"])
        message = template.format(**item.get("ctx", {})) if template else item["msg"]
        value = item.get("input")
        if item["type"] not in ("missing", "extra_forbidden") and not isinstance(
            value, (dict, list)
        ):
            message += f", not {_short(value)}"
        problems.append(Problem(path, message))
    return problems


def check_name(metadata: Mapping[str, Any]) -> list[Problem]:
    """The name the API server accepts for a DynamicJob and for the CronJob of that name."""
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        return []  # the structural check reports it
    problems = []
    if len(name) > MAX_NAME_LENGTH:
        problems.append(Problem(
            "metadata.name",
            f"{len(name)} characters is too long: at most {MAX_NAME_LENGTH}, "
            "because the CronJob takes the same name",
        ))
    if not DNS_SUBDOMAIN.match(name):
        problems.append(Problem(
            "metadata.name",
            f"{_short(name)} is not a DNS-1123 subdomain: use lowercase letters, digits, "
            "'-' and '.', starting and ending with a letter or digit",
        ))
    return problems


def check_nesting(spec: Mapping[str, Any]) -> list[Problem]:
    """Depth limits, found without recursion (hostile depth must not overflow the stack)."""
    problems = [Problem(f"spec.{path}", f"nested deeper than {MAX_NESTING} levels of "
                        "objects and lists; flatten it")
                for path, parameters in parameter_sets(spec)
                if nesting_depth(parameters) > MAX_NESTING]
    if not problems and nesting_depth(spec) > MAX_SPEC_NESTING:
        problems.append(Problem("spec", f"nested deeper than {MAX_SPEC_NESTING} levels of "
                                "objects and lists"))
    return problems


def check_size(spec: Mapping[str, Any]) -> list[Problem]:
    """The spec's size as JSON; only for a spec that passed check_nesting (json recurses)."""
    size = len(json.dumps(spec, separators=(",", ":"), default=str))
    if size > MAX_SPEC_BYTES:
        return [Problem(
            "spec", f"{size} bytes is too large: at most {MAX_SPEC_BYTES}; move bulk data out"
        )]
    return []


def check_tags(tags: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for key, value in tags.items():
        if not LABEL_KEY_NAME.match(key):
            problems.append(Problem(
                f"spec.tags.{key}", "a tag name must be a label name: up to 63 letters, "
                "digits, '-', '_' or '.', starting and ending alphanumeric",
            ))
        if not isinstance(value, str) or not LABEL_VALUE.match(value):
            problems.append(Problem(
                f"spec.tags.{key}", "a tag value must be a label value: up to 63 letters, "
                "digits, '-', '_' or '.', starting and ending alphanumeric",
            ))
    return problems


def check_template(name: str, parameters: Any, prefix: str = "spec",
                   notifier: bool = False) -> list[Problem]:
    """The template exists and takes these parameters. A notifier's parameters are checked
    as they will run: with the run's fields offered (placeholders such as {result})."""
    try:
        template = get_template(name)
    except UnknownTemplate as error:
        return [Problem(f"{prefix}.template", str(error))]
    if notifier and isinstance(parameters, Mapping):
        parameters = template.with_run(dict(parameters), SAMPLE_RUN)
    return [Problem(f"{prefix}.{field}", message) for field, message in validate_parameters(
        template, parameters
    )]


def check_notifiers(notifications: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for kind in NOTIFIER_KINDS:
        notifiers = notifications.get(kind)
        for index, notifier in enumerate(notifiers if isinstance(notifiers, list) else []):
            if isinstance(notifier, Mapping) and isinstance(notifier.get("template"), str):
                problems += check_template(notifier["template"], notifier.get("parameters", {}),
                                           prefix=f"spec.notifications.{kind}[{index}]",
                                           notifier=True)
    return problems


def check_secret_refs(
    spec: Mapping[str, Any], namespace: str | None, may_read: SecretAccessCheck | None
) -> list[Problem]:
    """Every Secret referenced by the job's or a notifier's parameters."""
    references = [(f"spec.{field}", ref) for path, parameters in parameter_sets(spec)
                  for field, ref in find_secret_refs(parameters, path)]
    return secret_access_problems(references, namespace, may_read)


def secret_access_problems(
    references: list[tuple[str, SecretRef]], namespace: str | None,
    may_read: SecretAccessCheck | None,
) -> list[Problem]:
    """A problem for each referenced Secret the requesting user may not read."""
    if may_read is None or not namespace:
        return []
    problems = []
    for field, ref in references:
        name = ref.secret_ref.name
        denial = may_read(namespace, name)
        if denial:
            problems.append(Problem(
                f"{field}.secretRef",
                f'you may not read Secret "{name}" in namespace "{namespace}" '
                f"({denial}); ask for get on that Secret or reference one you may read",
            ))
    return problems


def validate_dynamicjob(
    body: Mapping[str, Any],
    *,
    may_read_secret: SecretAccessCheck | None = None,
    siblings: Mapping[str, list[str]] | None = None,
) -> Validated:
    """All problems of a DynamicJob body at once, and the body parsed (see Validated).

    Structural problems (types, bounds, unknown fields) do not hide the others: each
    semantic rule runs on its field whenever that field itself is well-formed. Only a
    spec nested too deeply stops the rest: every other rule would recurse into it.
    ``siblings`` (the other jobs of the namespace and their dependsOn) enables the cycle
    check.
    """
    metadata, spec = body.get("metadata"), body.get("spec")
    if not isinstance(metadata, Mapping):
        return Validated([Problem("metadata", "required: an object with at least a name")])
    if not isinstance(spec, Mapping):
        return Validated([Problem("spec",
                                  "required: an object with at least template and schedule")])
    problems = check_name(metadata)
    too_deep = check_nesting(spec)
    if too_deep:
        return Validated(problems + too_deep)
    problems += check_size(spec)
    job = None
    try:
        job = DynamicJob.model_validate({k: v for k, v in body.items() if k != "status"})
    except ValidationError as error:
        problems += _pydantic_problems(error)
    malformed = {problem.field for problem in problems}

    def usable(field: str, kind: type | tuple[type, ...]) -> bool:
        return f"spec.{field}" not in malformed and isinstance(spec.get(field), kind)

    schedule, schedule_problems = _schedule(spec, usable("schedule", str),
                                            usable("timeZone", (str, type(None))))
    problems += [Problem(e.field, e.message) for e in schedule_problems]
    if usable("tags", Mapping):
        problems += check_tags(spec["tags"])
    if usable("dependsOn", list) and isinstance(metadata.get("name"), str):
        problems += [Problem(field, message) for field, message in dependency_problems(
            metadata["name"], depends_on(spec), siblings)]
    parameters = spec.get("parameters", {})
    if usable("template", str) and isinstance(parameters, Mapping):
        problems += check_template(spec["template"], parameters)
    if usable("notifications", Mapping):
        problems += check_notifiers(spec["notifications"])
    namespace = metadata.get("namespace")
    problems += check_secret_refs(spec, namespace if isinstance(namespace, str) else None,
                                  may_read_secret)
    return Validated(problems, job if not problems else None, schedule)


def _schedule(spec: Mapping[str, Any], schedule_usable: bool, zone_usable: bool,
              ) -> tuple[Schedule | None, list[ScheduleError]]:
    """The schedule parsed once, for its verdict and its value; each field is judged only
    if it is well-formed."""
    if schedule_usable and zone_usable:
        return check_schedule(spec["schedule"], spec.get("timeZone"))
    if schedule_usable:
        return None, validate_schedule(spec["schedule"])
    if zone_usable:
        return None, validate_time_zone(spec.get("timeZone"))
    return None, []


def format_problems(problems: list[Problem]) -> str:
    return "; ".join(str(problem) for problem in problems)
