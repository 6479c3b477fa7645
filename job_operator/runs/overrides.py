"""Parameter overrides for one manual run: the dynamicjobs.io/run-parameters annotation.

The annotation holds a JSON object. Each of its keys replaces that parameter of the spec
whole (no deep merge) for the run started by the next dynamicjobs.io/run-requested-at; the
spec itself is not changed, so scheduled runs keep their parameters. ``dynamicjobs run``
writes both annotations in one patch, and removes this one when a run has no overrides.

The overrides pass the same rules as the spec's parameters: the template's schema on the
merged result, size and nesting bounds, and (in the webhook, which knows the requesting
user) a SubjectAccessReview for every Secret the run they shape will use: those the
overrides name and also those of the spec's parameters they keep and of the notifiers that
run after it. An override needs no Secret of its own to leak one: changing only the
``url`` of a webhook-trigger whose spec sends an Authorization header from a Secret would
send that header to a host of the requester's choosing. The operator checks the schema
and bounds again before the run; like the spec's, Secret access is judged only at
admission.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from job_operator.validation import (
    MAX_NESTING,
    Problem,
    SecretAccessCheck,
    nesting_depth,
    secret_access_problems,
)
from job_runner.api.dynamicjob import parameter_sets
from job_runner.contract import ANNOTATION_RUN_PARAMETERS
from job_runner.registry import UnknownTemplate, get_template, validate_parameters
from job_runner.secrets import SecretRef, find_secret_refs
from job_runner.toolkit.unicode import surrogate_problems

FIELD = f'metadata.annotations["{ANNOTATION_RUN_PARAMETERS}"]'
MAX_OVERRIDE_BYTES = 8 * 1024
"""Each run records its overrides in status.recentRuns, so they are kept small."""
EXAMPLE = '{"message": "a manual run"}'


def annotation_value(body: Mapping[str, Any] | None, key: str) -> str | None:
    """One annotation of an object body (None for an absent body or annotation)."""
    annotations = ((body or {}).get("metadata") or {}).get("annotations") or {}
    value = annotations.get(key)
    return value if isinstance(value, str) else None


def requested_overrides(body: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The overrides the annotation asks for, or the problems that make it unusable."""
    text = annotation_value(body, ANNOTATION_RUN_PARAMETERS)
    if text is None:
        return {}, []
    if len(text.encode()) > MAX_OVERRIDE_BYTES:
        return {}, [Problem(FIELD, f"{len(text.encode())} bytes is too large: at most "
                                   f"{MAX_OVERRIDE_BYTES}")]
    try:
        overrides = json.loads(text)
    except json.JSONDecodeError as error:
        return {}, [Problem(FIELD, f"not valid JSON ({error.msg} at character {error.pos}); "
                                   f"write an object such as {EXAMPLE}")]
    except RecursionError:
        return {}, [Problem(FIELD, f"nested deeper than {MAX_NESTING} levels")]
    if not isinstance(overrides, dict):
        return {}, [Problem(FIELD, f"must be a JSON object of parameter names and values, "
                                   f"such as {EXAMPLE}")]
    if nesting_depth(overrides) > MAX_NESTING:
        return {}, [Problem(FIELD, f"nested deeper than {MAX_NESTING} levels")]
    unwritable = surrogate_problems(overrides, FIELD)
    if unwritable:  # JSON's \ud800 escapes decode to text no encoding can write
        return {}, [Problem(field, message) for field, message in unwritable]
    return overrides, []


def with_overrides(body: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the DynamicJob whose parameters carry the overrides."""
    merged = copy.deepcopy(dict(body))
    spec = merged.setdefault("spec", {})
    spec["parameters"] = {**(spec.get("parameters") or {}), **overrides}
    return merged


def override_problems(
    body: Mapping[str, Any], may_read_secret: SecretAccessCheck | None = None
) -> list[Problem]:
    """Everything wrong with the requested overrides; empty when there are none."""
    overrides, problems = requested_overrides(body)
    if problems or not overrides:
        return problems
    spec = body.get("spec") or {}
    try:
        template = get_template(spec.get("template", ""))
    except UnknownTemplate:
        return []  # the spec's own validation names the template
    parameters = spec.get("parameters") or {}
    already = set(validate_parameters(template, parameters))  # the spec's own, not ours
    merged = {**parameters, **overrides}
    for field, message in validate_parameters(template, merged):
        if _touches(field, overrides) or (field, message) not in already:
            problems.append(Problem(FIELD + field.removeprefix("parameters"), message))
    namespace = (body.get("metadata") or {}).get("namespace")
    references = secrets_of_the_run(spec, overrides)
    own = [(field, ref) for field, ref in references if field.startswith(FIELD)]
    problems += secret_access_problems(own, namespace, may_read_secret)
    if may_read_secret is None or not isinstance(namespace, str) or not namespace:
        return problems
    for field, ref in references:
        if field.startswith(FIELD):
            continue
        name = ref.secret_ref.name
        denial = may_read_secret(namespace, name)
        if denial:
            problems.append(Problem(FIELD, (
                f'you may not read Secret "{name}" in namespace "{namespace}" ({denial}), '
                f"which {field} hands to the run: a run with overrides could send it where "
                "the overrides say, so ask for get on that Secret or request the run "
                "without overrides")))
    return problems


def secrets_of_the_run(spec: Mapping[str, Any], overrides: Mapping[str, Any],
                       ) -> list[tuple[str, SecretRef]]:
    """Every Secret a run with these overrides hands to its templates, each once, with the
    field that names it: the overrides' own, those of the spec's parameters they keep, and
    the notifiers'. The pod of such a run receives all of them, and the overridden
    parameters decide where they are sent, so the requester must be allowed to read each."""
    parameters = spec.get("parameters") or {}
    kept = {key: value for key, value in parameters.items() if key not in overrides} \
        if isinstance(parameters, Mapping) else {}
    references = find_secret_refs(overrides, FIELD) + find_secret_refs(kept, "spec.parameters")
    references += [(f"spec.{field}", ref)
                   for path, notifier_parameters in parameter_sets(spec)[1:]
                   for field, ref in find_secret_refs(notifier_parameters, path)]
    unique: dict[str, tuple[str, SecretRef]] = {}  # access is judged per Secret, not key
    for field, ref in references:
        unique.setdefault(ref.secret_ref.name, (field, ref))
    return list(unique.values())


def _touches(field: str, overrides: Mapping[str, Any]) -> bool:
    """Whether a problem's path (``parameters.KEY...``) lies inside an overridden key."""
    top = re.split(r"[.\[]", field.removeprefix("parameters."), maxsplit=1)[0]
    return field != "parameters" and top in overrides


def overrides_changed(body: Mapping[str, Any], old: Mapping[str, Any] | None) -> bool:
    return (annotation_value(body, ANNOTATION_RUN_PARAMETERS)
            != annotation_value(old, ANNOTATION_RUN_PARAMETERS))
