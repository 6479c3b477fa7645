"""DST warnings name only transition days on which the schedule runs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from job_operator.schedule.dst import dst_warnings
from job_operator.schedule.parse import CronSpec, parse_spec

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, tzinfo=UTC)
"""Berlin's next transitions: Sunday 2027-03-28 (02:00 -> 03:00), Sunday 2027-10-31."""


def _warnings(expression: str) -> list[str]:
    spec = parse_spec(expression)
    assert isinstance(spec, CronSpec)
    return dst_warnings(spec, BERLIN, "Europe/Berlin", NOW)


def test_weekdays_only_never_meet_berlins_sunday_transitions() -> None:
    assert _warnings("0 2 * * 1-5") == []


def test_every_day_and_sundays_are_warned_about() -> None:
    for expression in ("0 2 * * *", "30 2 * * 0", "30 2 * * SUN"):
        found = _warnings(expression)
        assert len(found) == 2, expression
        assert "2027-03-28" in found[0] and "skipped" in found[0]
        assert "2027-10-31" in found[1] and "twice" in found[1]


def test_day_of_month_and_month_are_honoured() -> None:
    assert _warnings("0 2 28 3 *") == [
        "on 2027-03-28 clocks in Europe/Berlin skip ahead: runs at 02:00 would be skipped "
        "that day"]
    assert _warnings("0 2 1 * *") == []
    assert len(_warnings("0 2 1 * 0")) == 2, "both day fields restricted: either one matches"
