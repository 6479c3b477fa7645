"""Secret references: finding them in parameters and passing their values as env vars.

The operator turns each `SecretRef` in a spec into an env var of the runner's pod (through
``valueFrom.secretKeyRef``) named by `secret_env_name`; the runner reads it back with
`env_secret_resolver`. Both sides share this module, so the names always agree.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from job_runner.contract import SECRET_ENV_PREFIX
from job_runner.template import SecretRef, TemplateError

MAX_ENV_NAME = 100
_NOT_ENV_CHAR = re.compile(r"[^A-Z0-9]")


def find_secret_refs(params: Any, path: str = "parameters") -> list[tuple[str, SecretRef]]:
    """Every secret reference in a parameter value, with its field path.

    Accepts raw JSON-like values (dicts, lists) or pydantic models. A dict counts as a
    reference when its only key is ``secretRef`` and it is a valid one.
    """
    if isinstance(params, SecretRef):
        return [(path, params)]
    if isinstance(params, BaseModel):
        return find_secret_refs(params.model_dump(by_alias=True, mode="json"), path)
    if isinstance(params, Mapping):
        if set(params) == {"secretRef"}:
            try:
                return [(path, SecretRef.model_validate(params))]
            except ValidationError:
                return []
        found: list[tuple[str, SecretRef]] = []
        for key, value in params.items():
            found.extend(find_secret_refs(value, f"{path}.{key}"))
        return found
    if isinstance(params, list | tuple):
        found = []
        for index, value in enumerate(params):
            found.extend(find_secret_refs(value, f"{path}[{index}]"))
        return found
    return []


def secret_env_name(ref: SecretRef) -> str:
    """A deterministic, collision-resistant env var name for a secret reference.

    The readable part is lossy ("a-b" and "a_b" both read A_B), so a hash of the exact
    name and key follows it.
    """
    name, key = ref.secret_ref.name, ref.secret_ref.key
    digest = hashlib.sha256(f"{name}\0{key}".encode()).hexdigest()[:6].upper()
    readable = f"{_NOT_ENV_CHAR.sub('_', name.upper())}_{_NOT_ENV_CHAR.sub('_', key.upper())}"
    room = MAX_ENV_NAME - len(SECRET_ENV_PREFIX) - len(digest) - 1
    return f"{SECRET_ENV_PREFIX}{readable[:room]}_{digest}"


def env_secret_resolver(environ: Mapping[str, str]) -> Callable[[SecretRef], str]:
    """A resolver for `RunContext.secrets` that reads the env vars the operator sets."""

    def resolve(ref: SecretRef) -> str:
        env_name = secret_env_name(ref)
        try:
            return environ[env_name]
        except KeyError:
            raise TemplateError(
                f"{ref.describe()} is not available to the runner "
                f"(environment variable {env_name} is not set)"
            ) from None

    return resolve
