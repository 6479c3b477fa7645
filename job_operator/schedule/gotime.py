"""Go's wall-clock arithmetic, on instants held as whole Unix seconds.

robfig/cron's ``Next`` builds times with ``time.Date`` and moves them with ``AddDate``
and ``Add``. Predicting the CronJob controller around DST changes means resolving a
wall-clock time that falls in a gap or an overlap exactly as ``time.Date`` does, which
is neither Python's ``fold=0`` nor ``fold=1`` in general (it depends on the sign of the
zone's offset), so it is reproduced here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Wall:
    """The wall-clock fields of an instant in a zone; ``weekday`` is 0 for Sunday, as Go."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    weekday: int


def wall(instant: int, zone: tzinfo) -> Wall:
    local = datetime.fromtimestamp(instant, zone)
    return Wall(
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.second,
        (local.weekday() + 1) % 7,
    )


def offset_at(instant: int, zone: tzinfo) -> int:
    offset = datetime.fromtimestamp(instant, zone).utcoffset()
    assert offset is not None
    return offset // _SECOND


def date(year: int, month: int, day: int, hour: int, minute: int, second: int,
         zone: tzinfo) -> int:
    """``time.Date``: normalise overflowing fields, then pick the instant Go picks.

    Go reads the wall time as if it were UTC, looks up the zone's offset at that
    instant, and if subtracting it leaves that zone period, uses the offset in force at
    the adjusted instant instead.
    """
    extra_years, month_index = divmod(month - 1, 12)
    first_of_month = datetime(year + extra_years, month_index + 1, 1)
    as_if_utc = (
        (first_of_month - _EPOCH) // _SECOND
        + (day - 1) * 86400
        + hour * 3600
        + minute * 60
        + second
    )
    first_guess = offset_at(as_if_utc, zone)
    return as_if_utc - offset_at(as_if_utc - first_guess, zone)


def add_date(instant: int, months: int, days: int, zone: tzinfo) -> int:
    """``t.AddDate(0, months, days)``: move the wall date, keep the wall clock."""
    fields = wall(instant, zone)
    return date(fields.year, fields.month + months, fields.day + days,
                fields.hour, fields.minute, fields.second, zone)


def truncate_to_minute(instant: int) -> int:
    """``t.Truncate(time.Minute)``: works on absolute time, not on the wall clock."""
    return instant - instant % 60


def to_instant(moment: datetime) -> int:
    """Whole Unix seconds, rounding down like Go's ``t.Add(-t.Nanosecond())``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time zone-aware datetime is required")
    return (moment.astimezone(UTC).replace(tzinfo=None) - _EPOCH) // _SECOND


def to_datetime(instant: int) -> datetime:
    return datetime.fromtimestamp(instant, UTC)
