"""Which schedules and time zones Kubernetes accepts, and how we explain rejections.

Verdicts follow robfig/cron v3.0.1 ParseStandard (vendored by Kubernetes) plus the API
server's validateScheduleFormat / validateTimeZone.
"""

from __future__ import annotations

import pytest

from job_operator.schedule import (
    ScheduleError,
    parse_schedule,
    validate_schedule,
    validate_time_zone,
)

ACCEPTED = [
    ("0 3 * * *", "plain daily"),
    ("*/15 * * * *", "star with step"),
    ("0 0 * * 0", "Sunday is 0"),
    ("0 0 * * 6", "Saturday is 6"),
    ("0 0 * * SUN-SAT", "day names, range"),
    ("0 0 * * mon,Wed,FRI", "day names are case-insensitive"),
    ("0 0 1 JAN-dec *", "month names, range"),
    ("0 0 ? * *", "? in day of month"),
    ("0 0 * * ?", "? in day of week"),
    ("? ? ? ? ?", "? is a star in any field"),
    ("0/5 * * * *", "a/n means a-max/n"),
    ("5/15 * * * *", "a/n with a non-zero start"),
    ("1-10/3 * * * *", "range with step"),
    ("0 0 1,15 * *", "list"),
    ("0 0 1,,15 * *", "empty list items are skipped"),
    ("0 0 , * *", "an all-empty list is accepted (and never fires)"),
    ("*/1 * * * *", "step 1"),
    ("*/100 * * * *", "step above the range selects only the start"),
    ("59 23 31 12 *", "all maxima"),
    ("0 0 31 2 *", "impossible date is still accepted"),
    ("+5 * * * *", "Go's Atoi accepts a plus sign"),
    ("007 * * * *", "leading zeros"),
    ("*-5 * * * *", "robfig ignores what follows *-"),
    ("0\t0 * *  *", "tabs and repeated spaces separate fields"),
    ("  0 0 * * *  ", "surrounding spaces are ignored"),
    ("0 0 * * FR\u0130", "Go lowercases the dotted capital I to i"),
    ("@yearly", "descriptor"),
    ("@annually", "descriptor"),
    ("@monthly", "descriptor"),
    ("@weekly", "descriptor"),
    ("@daily", "descriptor"),
    ("@midnight", "descriptor"),
    ("@hourly", "descriptor"),
    ("@every 5m", "@every with a Go duration"),
    ("@every 1h30m", "@every compound duration"),
    ("@every 1.5h", "@every fractional duration"),
    ("@every 0", "zero duration (runs every second)"),
    ("@every -5m", "negative duration (clamped to one second)"),
    ("@every 500ms", "sub-second duration (clamped to one second)"),
]

REJECTED = [
    ("", "must not be empty"),
    ("   ", "expected exactly 5 fields, found 0"),
    ("0 0 * * 7", "day of week) \"7\": above maximum 6"),
    ("0 0 32 * *", "day of month) \"32\": above maximum 31"),
    ("0 0 0 * *", "day of month) \"0\": below minimum 1"),
    ("60 * * * *", "minute) \"60\": above maximum 59"),
    ("0 24 * * *", "hour) \"24\": above maximum 23"),
    ("0 0 * 13 *", "month) \"13\": above maximum 12"),
    ("0 0 * 0 *", "month) \"0\": below minimum 1"),
    ("*/0 * * * *", "step must be a positive number"),
    ("5/0 * * * *", "step must be a positive number"),
    ("5-1 * * * *", "range start 5 is after its end 1"),
    ("0 0 * * FRI-MON", "range start 5 is after its end 1"),
    ("1-2-3 * * * *", "too many hyphens"),
    ("*/2/3 * * * *", "too many slashes"),
    ("-5 * * * *", "not a number"),
    ("5- * * * *", "not a number"),
    ("*/x * * * *", "step \"x\" is not"),
    ("*/-1 * * * *", "is not a non-negative whole number"),
    ("0 0 L * *", "L, W and # are not supported"),
    ("0 0 15W * *", "L, W and # are not supported"),
    ("0 0 * * 1#2", "L, W and # are not supported"),
    ("0 0 * * 5L", "L, W and # are not supported"),
    ("0 0 * JANUARY *", "not a number or a name"),
    ("0 0 * * MONDAY", "not a number or a name"),
    ("0 0 1 * */jan", "is not a non-negative whole number"),
    ("0 0 0 * * *", "expected exactly 5 fields, found 6"),
    ("0 0 * *", "expected exactly 5 fields, found 4"),
    ("1_0 * * * *", "not a number"),
    ("\u0665 * * * *", "not a number"),  # Arabic-Indic five: Go's Atoi is ASCII-only
    ("99999999999999999999 * * * *", "not a number"),
    ("0\x1c0 * * *", "expected exactly 5 fields"),  # Python splits on U+001C, Go does not
    ("TZ=UTC 0 * * * *", "set the zone in spec.timeZone"),
    ("CRON_TZ=Europe/Berlin 0 3 * * *", "set the zone in spec.timeZone"),
    ("0 0 * * * TZ", "contains \"TZ\""),
    ("@reboot", "unknown descriptor"),
    ("@DAILY", "unknown descriptor"),
    ("@daily ", "unknown descriptor"),
    (" @daily", "expected exactly 5 fields, found 1"),
    ("@every", "unknown descriptor"),
    ("@every 5", "missing unit"),
    ("@every 5x", "unknown unit"),
    ("@every  5m", "invalid duration"),
    ("@every 1d", "unknown unit"),
    ("@every .", "invalid duration"),
    ("@every 9999999999h", "invalid duration"),
]


@pytest.mark.parametrize(("expression", "reason"), ACCEPTED)
def test_kubernetes_accepts(expression: str, reason: str) -> None:
    assert validate_schedule(expression) == [], reason


@pytest.mark.parametrize(("expression", "fragment"), REJECTED)
def test_kubernetes_rejects_with_a_precise_message(expression: str, fragment: str) -> None:
    problems = validate_schedule(expression)
    assert problems, f"{expression!r} must be rejected"
    assert all(problem.field == "spec.schedule" for problem in problems)
    assert fragment in " | ".join(problem.message for problem in problems)


def test_message_names_field_position_value_and_bound() -> None:
    [problem] = validate_schedule("0 0 32 * *")
    assert str(problem) == 'spec.schedule: field 3 (day of month) "32": above maximum 31'


def test_sunday_as_seven_suggests_zero() -> None:
    [problem] = validate_schedule("0 0 * * 7")
    assert "use 0 or SUN for Sunday" in problem.message


def test_every_bad_field_is_reported() -> None:
    problems = validate_schedule("60 24 32 13 7")
    assert [p.message.split(":")[0] for p in problems] == [
        'field 1 (minute) "60"',
        'field 2 (hour) "24"',
        'field 3 (day of month) "32"',
        'field 4 (month) "13"',
        'field 5 (day of week) "7"',
    ]


def test_tz_prefix_also_reports_problems_in_the_rest() -> None:
    messages = [p.message for p in validate_schedule("TZ=UTC 0 0 32 * *")]
    assert len(messages) == 2
    assert "spec.timeZone" in messages[0]
    assert '"32": above maximum 31' in messages[1]


TIME_ZONES_ACCEPTED = [
    None,
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Argentina/Buenos_Aires",
    "Etc/GMT+5",
    "Etc/GMT-14",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "EST5EDT",
    "GMT",
]

TIME_ZONES_REJECTED = [
    ("", "must not be empty"),
    ("Local", "is not allowed"),
    ("local", "is not allowed"),
    ("LOCAL", "is not allowed"),
    ("europe/berlin", 'did you mean "Europe/Berlin"'),
    ("Mars/Olympus", "unknown time zone"),
    ("Europe/Berlin ", "not a zone name"),
    ("/Europe/Berlin", "not a zone name"),
    ("Europe//Berlin", "not a zone name"),
    ("Europe/../Berlin", "not a zone name"),
    ("Europe/-Berlin", "not a zone name"),
    ("America/Abcdefghijklmno", "not a zone name"),  # a part longer than 14 characters
    ("Europe/Ber..lin", "unknown time zone"),
    ("America", "unknown time zone"),  # a directory, not a zone
    ("+01:00", "not a zone name"),
    ("CET+1", "unknown time zone"),
]


@pytest.mark.parametrize("name", TIME_ZONES_ACCEPTED)
def test_time_zone_accepted(name: str | None) -> None:
    assert validate_time_zone(name) == []


@pytest.mark.parametrize(("name", "fragment"), TIME_ZONES_REJECTED)
def test_time_zone_rejected(name: str, fragment: str) -> None:
    problems = validate_time_zone(name)
    assert problems, f"{name!r} must be rejected"
    assert all(problem.field == "spec.timeZone" for problem in problems)
    assert fragment in problems[0].message


def test_parse_schedule_raises_the_first_problem() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule("0 0 32 * *", "Mars/Olympus")
    assert caught.value.field == "spec.schedule"
    assert isinstance(caught.value, ValueError)


def test_parse_schedule_checks_the_time_zone() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule("0 3 * * *", "Mars/Olympus")
    assert caught.value.field == "spec.timeZone"
