"""The one timestamp form of the API: RFC 3339, UTC, milliseconds (``2026-12-01T10:00:00.123Z``).

Every time the operator and the runner write into a status comes from `rfc3339`, so that
two runs in the same second still sort by time. Times written by older versions (whole
seconds) and by Kubernetes itself (a Job's ``startTime``) are compared through
`parse_time`, never as strings: ``...:00Z`` sorts after ``...:00.123Z`` as text.
"""

from __future__ import annotations

from datetime import UTC, datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""What a missing or unreadable time counts as when ordering: older than any real one."""


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC with milliseconds; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> str:
    return rfc3339(datetime.now(UTC))


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 time at any precision; None when missing or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def normalised(text: str | None) -> str | None:
    """A time written elsewhere (Kubernetes, an older version) in this API's one form."""
    moment = parse_time(text)
    return rfc3339(moment) if moment is not None else None


def sort_key(text: str | None) -> datetime:
    """For ``sorted``: by the time itself, whatever its precision."""
    return parse_time(text) or EPOCH


def latest(*texts: str | None) -> str | None:
    """The latest of some times, as written; None when none is set."""
    present = [text for text in texts if text]
    return max(present, key=sort_key) if present else None
