"""Every rule a DynamicJob must meet, in one place for the webhook, the operator and the CLI.

Each rule returns problems as (field path, message) pairs so a refusal lists all of them,
each naming the field and how to fix it. Checks that need the API server (may the user read
a referenced Secret?) are passed in as a callable, so the offline CLI can skip them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from job_operator.schedule import validate_schedule, validate_time_zone
from job_runner.api import DynamicJob, DynamicJobSpec
from job_runner.registry import UnknownTemplate, get_template, validate_parameters
from job_runner.secrets import find_secret_refs

MAX_NAME_LENGTH = 52
"""A CronJob's name may be at most 52 characters (its Jobs append 11); ours is the DynamicJob's."""
MAX_SPEC_BYTES = 64 * 1024
MAX_NESTING = 16
LABEL_KEY_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


SecretAccessCheck = Callable[[str, str], str | None]
"""(namespace, secret name) -> None when the requesting user may read it, else the reason."""


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _pydantic_problems(error: ValidationError, prefix: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = ".".join(part for part in [prefix, *(str(p) for p in item["loc"])] if part)
        problems.append(Problem(path, item["msg"]))
    return problems


def check_bounds(body: Mapping[str, Any]) -> list[Problem]:
    problems = []
    name = body.get("metadata", {}).get("name") or ""
    if len(name) > MAX_NAME_LENGTH:
        problems.append(Problem(
            "metadata.name",
            f"{len(name)} characters is too long: at most {MAX_NAME_LENGTH}, "
            "because the CronJob takes the same name",
        ))
    spec = body.get("spec", {})
    size = len(json.dumps(spec, separators=(",", ":")))
    if size > MAX_SPEC_BYTES:
        problems.append(Problem(
            "spec", f"{size} bytes is too large: at most {MAX_SPEC_BYTES}; move bulk data out"
        ))
    if _depth(spec.get("parameters", {})) > MAX_NESTING:
        problems.append(Problem(
            "spec.parameters", f"nested deeper than {MAX_NESTING} levels"
        ))
    return problems


def check_tags(spec: DynamicJobSpec) -> list[Problem]:
    problems = []
    for key, value in spec.tags.items():
        if not LABEL_KEY_NAME.match(key):
            problems.append(Problem(
                f"spec.tags.{key}", "a tag name must be a label name: up to 63 letters, "
                "digits, '-', '_' or '.', starting and ending alphanumeric",
            ))
        if not LABEL_VALUE.match(value):
            problems.append(Problem(
                f"spec.tags.{key}", "a tag value must be a label value: up to 63 letters, "
                "digits, '-', '_' or '.', starting and ending alphanumeric",
            ))
    return problems


def check_template(spec: DynamicJobSpec) -> list[Problem]:
    try:
        template = get_template(spec.template)
    except UnknownTemplate as error:
        return [Problem("spec.template", str(error))]
    return [Problem(f"spec.{field}", message) for field, message in validate_parameters(
        template, spec.parameters
    )]


def check_secret_refs(
    spec: DynamicJobSpec, namespace: str | None, may_read: SecretAccessCheck | None
) -> list[Problem]:
    problems = []
    for field, ref in find_secret_refs(spec.parameters):
        selector = ref.secret_ref
        if may_read is not None and namespace:
            denial = may_read(namespace, selector.name)
            if denial:
                problems.append(Problem(
                    f"spec.{field}.secretRef",
                    f'you may not read Secret "{selector.name}" in namespace "{namespace}" '
                    f"({denial}); ask for get on that Secret or reference one you may read",
                ))
    return problems


def validate_dynamicjob(
    body: Mapping[str, Any], *, may_read_secret: SecretAccessCheck | None = None
) -> list[Problem]:
    """All problems of a DynamicJob body; an empty list means it is valid."""
    problems = check_bounds(body)
    try:
        job = DynamicJob.model_validate(body)
    except ValidationError as error:
        return problems + _pydantic_problems(error, "")
    spec = job.spec
    problems += [Problem(e.field, e.message) for e in validate_schedule(spec.schedule)]
    problems += [Problem(e.field, e.message) for e in validate_time_zone(spec.time_zone)]
    problems += check_tags(spec)
    problems += check_template(spec)
    problems += check_secret_refs(spec, job.metadata.namespace, may_read_secret)
    return problems


def format_problems(problems: list[Problem]) -> str:
    return "; ".join(str(problem) for problem in problems)
