"""Warn when a schedule's times fall into a zone's daylight-saving gap or overlap, where
the CronJob controller skips a run or runs twice (robfig's Next walks wall-clock time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from job_operator.schedule import gotime
from job_operator.schedule.parse import CronSpec

_HORIZON_SECONDS = 400 * 86400
_PROBE_STEP = 6 * 3600  # offsets never change twice within six hours


def dst_warnings(spec: CronSpec, zone: tzinfo, zone_name: str, now: datetime) -> list[str]:
    warnings = []
    for instant, before, after in _transitions(zone, gotime.to_instant(now)):
        start, end = sorted((instant + before, instant + after))
        first_day = datetime.fromtimestamp(start, UTC).date()
        affected = _scheduled_wall_times(spec, start % 86400, end % 86400, first_day)
        if not affected:
            continue
        day = datetime.fromtimestamp(instant, zone).date().isoformat()
        times = ", ".join(affected[:3]) + (", ..." if len(affected) > 3 else "")
        if after > before:
            warnings.append(f"on {day} clocks in {zone_name} skip ahead: runs at {times} "
                            "would be skipped that day")
        else:
            warnings.append(f"on {day} clocks in {zone_name} go back: runs at {times} "
                            "would happen twice that day")
    return warnings


def _transitions(zone: tzinfo, start: int) -> list[tuple[int, int, int]]:
    """(first instant of the new offset, old offset, new offset) over the horizon."""
    found = []
    previous = gotime.offset_at(start, zone)
    for probe in range(start + _PROBE_STEP, start + _HORIZON_SECONDS, _PROBE_STEP):
        offset = gotime.offset_at(probe, zone)
        if offset != previous:
            low, high = probe - _PROBE_STEP, probe
            while high - low > 1:
                middle = (low + high) // 2
                if gotime.offset_at(middle, zone) == previous:
                    low = middle
                else:
                    high = middle
            found.append((high, previous, offset))
            previous = offset
    return found


def _scheduled_wall_times(spec: CronSpec, start: int, end: int, first_day: date) -> list[str]:
    """Scheduled hh:mm whose second-of-day lies in [start, end) on a day the schedule runs;
    the range starts on ``first_day`` and may wrap midnight into the next day."""
    times = []
    for hour in sorted(spec.hours):
        for minute in sorted(spec.minutes):
            second = hour * 3600 + minute * 60
            if start <= end:
                day = first_day if start <= second < end else None
            elif second >= start:
                day = first_day
            else:
                day = first_day + timedelta(days=1) if second < end else None
            if day is not None and _runs_on(spec, day):
                times.append(f"{hour:02d}:{minute:02d}")
    return times


def _runs_on(spec: CronSpec, day: date) -> bool:
    """robfig's day rule: with both day fields restricted, either one matching will do."""
    if day.month not in spec.months:
        return False
    dom_match = day.day in spec.days_of_month
    dow_match = (day.weekday() + 1) % 7 in spec.days_of_week
    if spec.dom_star or spec.dow_star:
        return dom_match and dow_match
    return dom_match or dow_match


def utc_now() -> datetime:
    return datetime.now(UTC)
