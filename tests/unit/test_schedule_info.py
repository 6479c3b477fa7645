"""ScheduleInfo: never-fires detection, warnings and descriptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from job_operator.schedule import parse_schedule

NEVER_FIRES = [
    ("0 0 30 2 *", "day 30 never occurs in February"),
    ("0 0 31 2 *", "day 31 never occurs in February"),
    ("0 0 31 4,6,9,11 *", "day 31 never occurs in April, June, September, November"),
    ("0 0 30,31 FEB ?", "day 30, 31 never occurs in February"),
    ("0 0 , * *", "day-of-month field selects nothing"),
    ("0 0 * * ,", "day-of-week field selects no day"),
    (", * * * *", "minute field selects nothing"),
    ("0 , * * *", "hour field selects nothing"),
    ("0 0 * , *", "month field selects nothing"),
]

FIRES = [
    "0 0 29 2 *",   # leap years
    "0 0 30 2 1",   # both restricted: every Monday in February
    "0 0 31 * *",
    "0 0 31 2,3 *",
    "0 0 , * 1",    # empty day of month but a weekday, both restricted
    "@yearly",
    "@every 1m",
]


@pytest.mark.parametrize(("expression", "reason"), NEVER_FIRES)
def test_never_fires_is_flagged_with_the_reason(expression: str, reason: str) -> None:
    info = parse_schedule(expression)
    assert info.never_fires
    assert any(reason in warning for warning in info.warnings), info.warnings


@pytest.mark.parametrize("expression", FIRES)
def test_schedules_that_fire_are_not_flagged(expression: str) -> None:
    assert not parse_schedule(expression).never_fires


def test_february_29_warns_about_leap_years() -> None:
    info = parse_schedule("0 0 29 2 *")
    assert any("leap years" in warning for warning in info.warnings)


def test_info_keeps_expression_and_zone() -> None:
    info = parse_schedule("0 3 * * *", "Europe/Berlin", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert (info.expression, info.time_zone, info.warnings) == ("0 3 * * *", "Europe/Berlin", [])


DESCRIPTIONS = [
    ("0 3 * * *", "Europe/Berlin", "At 03:00, every day (Europe/Berlin)"),
    ("*/15 * * * *", "UTC", "Every 15 minutes (UTC)"),
    ("0 0 1 * 1", "UTC", "At 00:00, on day 1 of the month, or on Monday (UTC)"),
    ("0 0 ? * MON", "UTC", "At 00:00, only on Monday (UTC)"),
    ("0 0 */1 * 5", "UTC", "At 00:00, only on Friday (UTC)"),
    ("@daily", "Asia/Tokyo", "At 00:00, every day (Asia/Tokyo)"),
    ("@hourly", "UTC", "Every hour (UTC)"),
    ("@weekly", "UTC", "At 00:00, only on Sunday (UTC)"),
    ("@monthly", "UTC", "At 00:00, on day 1 of the month (UTC)"),
    ("@yearly", "UTC", "At 00:00, on day 1 of the month, only in January (UTC)"),
    ("+5 * * * *", "UTC", "At 5 minutes past the hour (UTC)"),
    ("*-3 * * * *", "UTC", "Every minute (UTC)"),
    ("@every 1h30m", "UTC",
     "Every 1h30m0s, counted from the CronJob's creation or last scheduled time (UTC)"),
]


@pytest.mark.parametrize(("expression", "zone", "expected"), DESCRIPTIONS)
def test_description(expression: str, zone: str, expected: str) -> None:
    assert parse_schedule(expression, zone).description == expected


def test_description_without_zone_says_utc_is_assumed() -> None:
    description = parse_schedule("0 3 * * *").description
    assert description == "At 03:00, every day (UTC)"


def test_every_warns_that_runs_are_not_clock_aligned() -> None:
    warnings = parse_schedule("@every 1h").warnings
    assert any("not aligned to the clock" in warning for warning in warnings)
    assert not any("collide" in warning for warning in warnings)


def test_every_below_a_minute_warns_about_job_names() -> None:
    warnings = parse_schedule("@every 30s").warnings
    assert any("collide" in warning for warning in warnings)


def test_every_with_sub_second_part_warns_about_rounding() -> None:
    warnings = parse_schedule("@every 1500ms").warnings
    assert any("this runs every 1s" in warning for warning in warnings)


NEW_YEAR_2026 = datetime(2026, 1, 1, tzinfo=UTC)


def test_dst_gap_and_overlap_are_warned_about() -> None:
    warnings = parse_schedule("30 2 * * *", "Europe/Berlin", now=NEW_YEAR_2026).warnings
    assert warnings == [
        "on 2026-03-29 clocks in Europe/Berlin skip ahead: runs at 02:30 would be skipped "
        "that day",
        "on 2026-10-25 clocks in Europe/Berlin go back: runs at 02:30 would happen twice "
        "that day",
    ]


def test_dst_overlap_in_new_york() -> None:
    warnings = parse_schedule("30 1 * * *", "America/New_York", now=NEW_YEAR_2026).warnings
    assert warnings == ["on 2026-11-01 clocks in America/New_York go back: runs at 01:30 "
                        "would happen twice that day"]


@pytest.mark.parametrize(("expression", "zone"), [("0 3 * * *", "Europe/Berlin"),
                                                  ("30 2 * * *", "UTC"),
                                                  ("30 2 * * *", "Asia/Kolkata")])
def test_no_dst_warning_when_no_run_is_affected(expression: str, zone: str) -> None:
    assert parse_schedule(expression, zone, now=NEW_YEAR_2026).warnings == []


def test_half_hour_dst_shift() -> None:
    warnings = parse_schedule("15 2 * * *", "Australia/Lord_Howe", now=NEW_YEAR_2026).warnings
    assert any("2026-10-04" in w and "02:15 would be skipped" in w for w in warnings)
