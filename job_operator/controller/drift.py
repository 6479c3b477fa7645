"""Does a live object still hold everything the builder wants? (Server defaults are fine.)"""

from __future__ import annotations

from typing import Any

from kubernetes.utils import parse_quantity

_QUANTITY_KEYS = {"cpu", "memory", "ephemeral-storage", "sizeLimit"}


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
