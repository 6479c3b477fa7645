"""How a status travels: the one way it is read from, and written to, the API server.

Writers build a `DynamicJobStatus` with only the fields they own and send
`status_patch(...)` as a JSON merge patch; readers take `read_status(...)`. No module
outside this package spells a status key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from job_runner.api.status import DynamicJobStatus


def status_patch(status: DynamicJobStatus) -> dict[str, Any]:
    """The merge patch that writes the fields set on ``status`` (camelCase on the wire).

    Only fields given when building ``status`` are written, so a writer never clears what
    another one owns; a field given as None is removed (null in a merge patch)."""
    fields = status.model_fields_set
    patch = status.model_dump(by_alias=True, exclude_none=True, mode="json", include=fields)
    for name in fields:
        if getattr(status, name) is None:
            patch[DynamicJobStatus.model_fields[name].alias or name] = None
    return patch


def read_status(raw: Any) -> DynamicJobStatus:
    """A stored status, parsed leniently: a field or a list entry that does not parse (a
    hand edit, another version) is left out, never the reason the rest is unreadable."""
    if not isinstance(raw, Mapping):
        return DynamicJobStatus()
    try:
        return DynamicJobStatus.model_validate(raw)
    except ValidationError:
        pass
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, list):
            value = [item for item in value if _parses({key: [item]})]
        if _parses({key: value}):
            kept[key] = value
    return DynamicJobStatus.model_validate(kept)


def _parses(status: Mapping[str, Any]) -> bool:
    try:
        DynamicJobStatus.model_validate(status)
    except ValidationError:
        return False
    return True
