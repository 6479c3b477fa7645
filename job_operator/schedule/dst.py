"""Warn when a schedule's times fall into a zone's daylight-saving gap or overlap, where
the CronJob controller skips a run or runs twice (robfig's Next walks wall-clock time)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from job_operator.schedule import gotime
from job_operator.schedule.parse import CronSpec

_HORIZON_SECONDS = 400 * 86400
_PROBE_STEP = 6 * 3600  # offsets never change twice within six hours


def dst_warnings(spec: CronSpec, zone: tzinfo, zone_name: str, now: datetime) -> list[str]:
    warnings = []
    for instant, before, after in _transitions(zone, gotime.to_instant(now)):
        start, end = sorted((instant + before, instant + after))
        affected = _scheduled_wall_times(spec, start % 86400, end % 86400)
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


def _scheduled_wall_times(spec: CronSpec, start: int, end: int) -> list[str]:
    """Scheduled hh:mm whose second-of-day lies in [start, end) (which may wrap midnight)."""
    times = []
    for hour in sorted(spec.hours):
        for minute in sorted(spec.minutes):
            second = hour * 3600 + minute * 60
            inside = start <= second < end if start <= end else (second >= start or second < end)
            if inside:
                times.append(f"{hour:02d}:{minute:02d}")
    return times


def utc_now() -> datetime:
    return datetime.now(UTC)
