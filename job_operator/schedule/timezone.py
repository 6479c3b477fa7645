"""``spec.timeZone`` as Kubernetes validates it (``validateTimeZone``) and loads it
(Go's ``time.LoadLocation``)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, tzinfo
from functools import lru_cache

from job_operator.schedule.errors import TIME_ZONE_FIELD, ScheduleError, quote

# Kubernetes' validTimeZoneCharacters, applied to each "/"-separated part.
_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}", re.ASCII)
_EXAMPLE = 'an IANA name such as "Europe/Berlin" or "UTC"'


def time_zone_problems(name: str | None) -> list[ScheduleError]:
    """Every reason the API server would reject this ``spec.timeZone``; empty if none.

    None (the field left out) is valid: the controller then uses its own local zone.
    """
    if name is None:
        return []
    if name == "":
        return [_error(f"must not be empty; leave the field out or give {_EXAMPLE}")]
    for part in name.split("/"):
        if part in (".", "..") or part.startswith("-") or not _PART.fullmatch(part):
            return [_error(f"unknown time zone {quote(name)}: not a zone name; give {_EXAMPLE}")]
    if name.lower() == "local":
        return [_error(f"{quote(name)} is not allowed: the zone must be explicit; give {_EXAMPLE}")]
    if load_zone(name) is None:
        return [_error(f"unknown time zone {quote(name)}{_case_hint(name)}; give {_EXAMPLE}")]
    return []


def load_zone(name: str | None) -> tzinfo | None:
    """The zone Go's LoadLocation would load, or None where it fails.

    None and "UTC" are UTC: without a time zone the controller uses the
    kube-controller-manager's local zone, and our control planes run with TZ=UTC.
    """
    if name is None or name == "UTC":
        return UTC
    if ".." in name or name.startswith(("/", "\\")):
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _case_hint(name: str) -> str:
    match = _zones_by_lowercase().get(name.lower())
    return f" (names are case-sensitive: did you mean {quote(match)}?)" if match else ""


@lru_cache(maxsize=1)
def _zones_by_lowercase() -> dict[str, str]:
    return {zone.lower(): zone for zone in zoneinfo.available_timezones()}


def _error(message: str) -> ScheduleError:
    return ScheduleError(TIME_ZONE_FIELD, message)
