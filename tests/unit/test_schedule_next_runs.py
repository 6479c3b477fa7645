"""Next run times as the CronJob controller computes them (robfig/cron v3 Next).

Cases marked "robfig" are taken from robfig/cron v3's own TestNext (spec_test.go),
rewritten for 5-field schedules plus a time zone, as Kubernetes passes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from job_operator.schedule import ScheduleError, next_runs


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def first_run(expression: str, zone: str | None, after: str) -> datetime | None:
    runs = next_runs(expression, zone, at(after), 1)
    return runs[0] if runs else None


NEXT_CASES = [
    # robfig: simple cases and wrap-arounds (in UTC)
    ("0/15 * * * *", None, "2012-07-09T14:45:00+00:00", "2012-07-09T15:00:00+00:00"),
    ("0/15 * * * *", None, "2012-07-09T14:59:59+00:00", "2012-07-09T15:00:00+00:00"),
    ("20-35/15 * * * *", None, "2012-07-09T15:45:00+00:00", "2012-07-09T16:20:00+00:00"),
    ("*/15 * * * *", None, "2012-07-09T23:46:00+00:00", "2012-07-10T00:00:00+00:00"),
    ("20-35/15 1/2 * * *", None, "2012-07-09T23:35:51+00:00", "2012-07-10T01:20:00+00:00"),
    ("20-35/15 1/2 */2 * *", None, "2012-07-09T23:35:51+00:00", "2012-07-11T01:20:00+00:00"),
    ("20-35/15 * 9-20 Jul *", None, "2012-07-09T23:35:51+00:00", "2012-07-10T00:20:00+00:00"),
    ("0 0 9 Apr-Oct ?", None, "2012-07-09T23:35:00+00:00", "2012-08-09T00:00:00+00:00"),
    # robfig: */5 has no star bit, so day of month OR Monday: Aug 1 matches */5
    ("0 0 */5 Apr,Aug,Oct Mon", None, "2012-07-09T23:35:00+00:00", "2012-08-01T00:00:00+00:00"),
    ("0 0 */5 Oct Mon", None, "2012-07-09T23:35:00+00:00", "2012-10-01T00:00:00+00:00"),
    ("0 0 * Feb Mon", None, "2012-07-09T23:35:00+00:00", "2013-02-04T00:00:00+00:00"),
    ("0 0 * Feb Mon/2", None, "2012-07-09T23:35:00+00:00", "2013-02-01T00:00:00+00:00"),
    ("* * * * *", None, "2012-12-31T23:59:45+00:00", "2013-01-01T00:00:00+00:00"),
    ("0 0 29 Feb ?", None, "2012-07-09T23:35:00+00:00", "2016-02-29T00:00:00+00:00"),
    # robfig: spring forward in New York; 02:30 does not exist on 2012-03-11
    ("30 2 11 Mar ?", "America/New_York", "2012-03-11T00:00:00-05:00", "2013-03-11T02:30:00-04:00"),
    ("0 * * * *", "America/New_York", "2012-03-11T00:00:00-05:00", "2012-03-11T01:00:00-05:00"),
    ("0 * * * *", "America/New_York", "2012-03-11T01:00:00-05:00", "2012-03-11T03:00:00-04:00"),
    ("0 * * * *", "America/New_York", "2012-03-11T03:00:00-04:00", "2012-03-11T04:00:00-04:00"),
    ("0 1 * * *", "America/New_York", "2012-03-11T00:00:00-05:00", "2012-03-11T01:00:00-05:00"),
    ("0 1 * * *", "America/New_York", "2012-03-11T01:00:00-05:00", "2012-03-12T01:00:00-04:00"),
    ("0 2 * * *", "America/New_York", "2012-03-11T00:00:00-05:00", "2012-03-12T02:00:00-04:00"),
    # robfig: fall back in New York; 01:00-01:59 happens twice on 2012-11-04
    ("30 2 04 Nov ?", "America/New_York", "2012-11-04T00:00:00-04:00", "2012-11-04T02:30:00-05:00"),
    ("30 1 04 Nov ?", "America/New_York", "2012-11-04T01:45:00-04:00", "2012-11-04T01:30:00-05:00"),
    ("0 * * * *", "America/New_York", "2012-11-04T01:00:00-04:00", "2012-11-04T01:00:00-05:00"),
    ("0 * * * *", "America/New_York", "2012-11-04T01:00:00-05:00", "2012-11-04T02:00:00-05:00"),
    ("0 1 * * *", "America/New_York", "2012-11-04T00:00:00-04:00", "2012-11-04T01:00:00-04:00"),
    ("0 1 * * *", "America/New_York", "2012-11-04T01:00:00-04:00", "2012-11-04T01:00:00-05:00"),
    ("0 1 * * *", "America/New_York", "2012-11-04T01:00:00-05:00", "2012-11-05T01:00:00-05:00"),
    ("0 2 * * *", "America/New_York", "2012-11-04T00:00:00-04:00", "2012-11-04T02:00:00-05:00"),
    ("0 3 * * *", "America/New_York", "2012-11-04T00:00:00-04:00", "2012-11-04T03:00:00-05:00"),
    ("0 3 3 * ?", "America/New_York", "2012-11-04T00:00:00-04:00", "2012-12-03T03:00:00-05:00"),
    # robfig issue 157: midnight did not exist in Sao Paulo on DST days
    ("0 9 10 * ?", "America/Sao_Paulo", "2018-10-17T05:00:00-04:00", "2018-11-10T06:00:00-05:00"),
    ("0 9 22 * ?", "America/Sao_Paulo", "2018-02-14T05:00:00-05:00", "2018-02-22T07:00:00-05:00"),
    # robfig TestNextWithTz: the zone of `after` does not matter, only the instant
    ("14 14 * * *", "Asia/Kolkata", "2016-01-03T13:09:03+05:30", "2016-01-03T14:14:00+05:30"),
    ("14 14 * * ?", "Asia/Kolkata", "2016-01-03T04:09:03+05:30", "2016-01-03T14:14:00+05:30"),
    # descriptors
    ("@hourly", None, "2026-05-01T10:00:00+00:00", "2026-05-01T11:00:00+00:00"),
    ("@daily", "Europe/Berlin", "2026-05-01T10:00:00+00:00", "2026-05-01T22:00:00+00:00"),
    ("@weekly", None, "2026-05-01T10:00:00+00:00", "2026-05-03T00:00:00+00:00"),
    ("@monthly", None, "2026-05-01T10:00:00+00:00", "2026-06-01T00:00:00+00:00"),
    ("@yearly", None, "2026-05-01T10:00:00+00:00", "2027-01-01T00:00:00+00:00"),
    # zones with non-hour offsets
    ("0 0 * * *", "Asia/Kathmandu", "2026-01-01T00:00:00+00:00", "2026-01-01T18:15:00+00:00"),
    ("0 0 * * *", "Australia/Lord_Howe", "2026-01-01T00:00:00+00:00", "2026-01-01T13:00:00+00:00"),
]


@pytest.mark.parametrize(("expression", "zone", "after", "expected"), NEXT_CASES)
def test_next_run(expression: str, zone: str | None, after: str, expected: str) -> None:
    assert first_run(expression, zone, after) == at(expected)


def test_results_are_aware_utc() -> None:
    [run] = next_runs("0 3 * * *", "Europe/Berlin", at("2026-07-01T00:00:00+00:00"), 1)
    assert run.tzinfo is UTC
    assert run == at("2026-07-01T01:00:00+00:00")


def test_strictly_after_even_when_after_is_a_run_time() -> None:
    runs = next_runs("0 * * * *", None, at("2026-07-01T10:00:00+00:00"), 2)
    assert runs == [at("2026-07-01T11:00:00+00:00"), at("2026-07-01T12:00:00+00:00")]


def test_fractional_seconds_round_down_like_go() -> None:
    after = at("2026-07-01T09:59:59.999999+00:00")
    assert next_runs("0 * * * *", None, after, 1) == [at("2026-07-01T10:00:00+00:00")]


def test_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_runs("0 * * * *", None, datetime(2026, 1, 1), 1)


def test_invalid_schedule_raises() -> None:
    with pytest.raises(ScheduleError):
        next_runs("0 0 * * 7", None, at("2026-01-01T00:00:00+00:00"))


class TestBerlin:
    """Europe/Berlin: 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25 03:00 CEST
    falls back to 02:00 CET."""

    def test_spring_gap_is_skipped_that_day(self) -> None:
        runs = next_runs("30 2 * * *", "Europe/Berlin", at("2026-03-27T12:00:00+00:00"), 3)
        assert runs == [
            at("2026-03-28T02:30:00+01:00"),
            at("2026-03-30T02:30:00+02:00"),
            at("2026-03-31T02:30:00+02:00"),
        ]

    def test_fall_overlap_fires_twice(self) -> None:
        runs = next_runs("30 2 * * *", "Europe/Berlin", at("2026-10-24T12:00:00+00:00"), 3)
        assert runs == [
            at("2026-10-25T02:30:00+02:00"),
            at("2026-10-25T02:30:00+01:00"),
            at("2026-10-26T02:30:00+01:00"),
        ]

    def test_hourly_across_spring_gap(self) -> None:
        runs = next_runs("0 * * * *", "Europe/Berlin", at("2026-03-29T00:30:00+01:00"), 3)
        assert runs == [
            at("2026-03-29T01:00:00+01:00"),
            at("2026-03-29T03:00:00+02:00"),
            at("2026-03-29T04:00:00+02:00"),
        ]


class TestNewYork:
    """America/New_York 2026: spring forward 03-08 02:00, fall back 11-01 02:00."""

    def test_spring_gap_is_skipped_that_day(self) -> None:
        runs = next_runs("30 2 * * *", "America/New_York", at("2026-03-07T12:00:00+00:00"), 2)
        assert runs == [at("2026-03-09T02:30:00-04:00"), at("2026-03-10T02:30:00-04:00")]

    def test_fall_overlap_fires_twice(self) -> None:
        runs = next_runs("30 1 * * *", "America/New_York", at("2026-10-31T12:00:00+00:00"), 3)
        assert runs == [
            at("2026-11-01T01:30:00-04:00"),
            at("2026-11-01T01:30:00-05:00"),
            at("2026-11-02T01:30:00-05:00"),
        ]
        assert runs[1] - runs[0] == timedelta(hours=1)


class TestDayOfMonthOrDayOfWeek:
    def test_both_restricted_means_either(self) -> None:
        # 2026-06-01 is a Monday; the 15th a Monday too; Fridays are 5, 12, 19, 26.
        runs = next_runs("0 0 1,15 * 5", None, at("2026-05-31T00:00:00+00:00"), 4)
        assert [run.day for run in runs] == [1, 5, 12, 15]

    def test_star_day_of_month_means_weekday_only(self) -> None:
        runs = next_runs("0 0 * * 5", None, at("2026-05-31T00:00:00+00:00"), 2)
        assert [run.day for run in runs] == [5, 12]

    def test_star_step_one_keeps_the_star(self) -> None:
        runs = next_runs("0 0 */1 * 5", None, at("2026-05-31T00:00:00+00:00"), 2)
        assert [run.day for run in runs] == [5, 12]

    def test_star_step_two_is_a_restriction(self) -> None:
        runs = next_runs("0 0 */2 * 5", None, at("2026-05-31T00:00:00+00:00"), 4)
        assert [run.day for run in runs] == [1, 3, 5, 7]

    def test_question_mark_is_a_star(self) -> None:
        runs = next_runs("0 0 ? * 5", None, at("2026-05-31T00:00:00+00:00"), 1)
        assert runs == [at("2026-06-05T00:00:00+00:00")]


def test_february_29_fires_in_the_next_leap_year() -> None:
    runs = next_runs("0 0 29 2 *", None, at("2026-03-01T00:00:00+00:00"), 2)
    assert runs == [at("2028-02-29T00:00:00+00:00"), at("2032-02-29T00:00:00+00:00")]


def test_february_29_beyond_five_years_is_not_found_like_robfig() -> None:
    # 2100 is not a leap year: after 2096 the next is 2104, past robfig's 5-year search.
    assert next_runs("0 0 29 2 *", None, at("2096-03-01T00:00:00+00:00"), 1) == []


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 2 *", "0 0 31 4,6,9,11 *",
                                        "0 0 , * *", ", * * * *"])
def test_never_firing_schedules_have_no_runs(expression: str) -> None:
    assert next_runs(expression, "Europe/Berlin", at("2026-01-01T00:00:00+00:00")) == []


def test_every_counts_from_after_in_whole_seconds() -> None:
    after = at("2026-01-01T00:00:10.7+00:00")
    runs = next_runs("@every 1h30m", "Europe/Berlin", after, 3)
    assert runs == [
        at("2026-01-01T01:30:10+00:00"),
        at("2026-01-01T03:00:10+00:00"),
        at("2026-01-01T04:30:10+00:00"),
    ]


def test_every_below_a_second_is_one_second() -> None:
    runs = next_runs("@every 10ms", None, at("2026-01-01T00:00:00+00:00"), 2)
    assert runs == [at("2026-01-01T00:00:01+00:00"), at("2026-01-01T00:00:02+00:00")]


def test_after_in_another_zone_is_the_same_instant() -> None:
    tokyo = timezone(timedelta(hours=9))
    after = datetime(2026, 7, 1, 9, 0, tzinfo=tokyo)
    assert next_runs("30 * * * *", None, after, 1) == [at("2026-07-01T00:30:00+00:00")]


def test_count_is_honoured() -> None:
    assert len(next_runs("* * * * *", None, at("2026-01-01T00:00:00+00:00"), 7)) == 7
