"""The Go standard-library behaviours the schedule rules reproduce."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from job_operator.schedule import golang, gotime
from job_operator.schedule.duration import DurationError, format_go_duration, parse_go_duration

SECOND = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("5s", 5 * SECOND),
        ("+5s", 5 * SECOND),
        ("-5s", -5 * SECOND),
        ("1h30m", 5400 * SECOND),
        ("1.5h", 5400 * SECOND),
        (".5s", SECOND // 2),
        ("5.s", 5 * SECOND),
        ("300ms", 300_000_000),
        ("2us", 2_000),
        ("2\u00b5s", 2_000),
        ("2\u03bcs", 2_000),
        ("7ns", 7),
        ("1h1m1s1ms", 3661 * SECOND + 1_000_000),
        ("2562047h47m16.854775807s", 2**63 - 1),
    ],
)
def test_go_durations(text: str, nanoseconds: int) -> None:
    assert parse_go_duration(text) == nanoseconds


@pytest.mark.parametrize(
    "text", ["", "5", "s", ".", "-", "1d", "5 m", " 5m", "5m ", "1e3s", "2562047h47m16.854775808s",
             "9999999999999999999ns"]
)
def test_go_duration_errors(text: str) -> None:
    with pytest.raises(DurationError):
        parse_go_duration(text)


def test_duration_format() -> None:
    assert [format_go_duration(s * SECOND) for s in (5400, 90, 5)] == ["1h30m0s", "1m30s", "5s"]


def test_fields_split_only_on_go_white_space() -> None:
    assert golang.fields("\u00a00\u3000*\t*\n") == ["0", "*", "*"]
    assert golang.fields("0\x1c0") == ["0\x1c0"]


@pytest.mark.parametrize(("text", "value"), [("5", 5), ("+5", 5), ("-0", 0), ("007", 7),
                                             ("9223372036854775807", 2**63 - 1)])
def test_atoi_accepts(text: str, value: int) -> None:
    assert golang.atoi(text) == value


@pytest.mark.parametrize("text", ["", "+", "1_0", "\u0665", " 5", "5 ", "9223372036854775808"])
def test_atoi_rejects(text: str) -> None:
    assert golang.atoi(text) is None


def test_to_lower_maps_dotted_capital_i_to_plain_i() -> None:
    assert golang.to_lower("FR\u0130") == "fri"


BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> int:
    return gotime.to_instant(datetime.fromisoformat(text).replace(tzinfo=UTC))


@pytest.mark.parametrize(
    ("zone", "wall", "expected_utc"),
    [
        # Gaps: Go ends up after the gap for positive offsets, before it for negative ones.
        (BERLIN, (2026, 3, 29, 2, 30), "2026-03-29T01:30:00"),
        (NEW_YORK, (2026, 3, 8, 2, 30), "2026-03-08T06:30:00"),
        # Overlaps: the later instant for Berlin, the earlier one for New York.
        (BERLIN, (2026, 10, 25, 2, 30), "2026-10-25T01:30:00"),
        (NEW_YORK, (2026, 11, 1, 1, 30), "2026-11-01T05:30:00"),
        # Field overflow is normalised.
        (BERLIN, (2026, 13, 32, 24, 60), "2027-02-02T00:00:00"),
    ],
)
def test_go_time_date(zone: ZoneInfo, wall: tuple[int, ...], expected_utc: str) -> None:
    year, month, day, hour, minute = wall
    assert gotime.date(year, month, day, hour, minute, 0, zone) == utc(expected_utc)
