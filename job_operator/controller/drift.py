"""Does a live object still hold everything the builder wants (server defaults are fine),
and what replaces it when it does not."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kubernetes.utils import parse_quantity

from job_runner.contract import LABEL_MANAGED_BY

_QUANTITY_KEYS = {"cpu", "memory", "ephemeral-storage", "sizeLimit"}
_OWN_DOMAIN = "dynamicjobs.io"


def _same_quantity(want: Any, have: Any) -> bool:
    try:
        return bool(parse_quantity(want) == parse_quantity(have))
    except (ValueError, TypeError):
        return False


def holds(desired: Any, live: Any, parent: str = "") -> bool:
    """True when every field of ``desired`` is in ``live`` with an equal value.

    Fields that only ``live`` has (defaults the API server filled in, status, metadata it
    owns) do not count as drift. Lists must match item by item; quantities match by value,
    since the API server may rewrite "0.5" as "500m".
    """
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        return all(key in live and holds(value, live[key], key) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return False
        return all(holds(want, have, parent) for want, have in zip(desired, live, strict=True))
    if desired == live:
        return True
    return parent in _QUANTITY_KEYS and _same_quantity(desired, live)


def _own_key(key: str) -> bool:
    """A label or annotation key the builders set: managed-by, or one in our domain or a
    subdomain of it (tags.dynamicjobs.io/)."""
    domain = key.split("/", 1)[0] if "/" in key else ""
    return key == LABEL_MANAGED_BY or domain == _OWN_DOMAIN or domain.endswith(
        "." + _OWN_DOMAIN)


def replacement(desired: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """What a PUT writes over ``live``: all of ``desired``, on the version it was judged
    against, keeping the labels, annotations and finalizers others put on the object.
    Ours (the dynamicjobs.io domains and managed-by) come from ``desired`` alone, so one
    the builder stopped setting, such as a removed tag's label, goes."""
    body = copy.deepcopy(dict(desired))
    metadata, current = body["metadata"], live.get("metadata") or {}
    metadata["resourceVersion"] = current.get("resourceVersion")
    for field in ("labels", "annotations"):
        kept = {key: value for key, value in (current.get(field) or {}).items()
                if not _own_key(key)}
        merged = {**kept, **(metadata.get(field) or {})}
        if merged:
            metadata[field] = merged
    if current.get("finalizers"):
        metadata["finalizers"] = list(current["finalizers"])
    return body
