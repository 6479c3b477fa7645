"""Cross-check the robfig port against a plain reading of the selected sets.

Away from DST changes, a schedule fires at every minute whose wall-clock fields are in
the sets (with the day-of-month/day-of-week rule). In UTC and a fixed-offset zone the
two must agree for any schedule; a seeded generator keeps the test deterministic.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from job_operator.schedule import next_runs, parse_schedule
from job_operator.schedule.parse import CronSpec, parse_spec

BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
START = datetime(2026, 5, 17, 13, 37, 21, tzinfo=UTC)


def random_field(rng: random.Random, low: int, high: int) -> str:
    kind = rng.choice(["star", "value", "range", "step", "list", "start-step", "question"])
    a, b = sorted(rng.sample(range(low, high + 1), 2))
    return {
        "star": "*",
        "question": "?",
        "value": str(a),
        "range": f"{a}-{b}",
        "step": f"*/{rng.randint(1, 5)}",
        "start-step": f"{a}/{rng.randint(1, 7)}",
        "list": f"{a},{b}",
    }[kind]


def brute_force(spec: CronSpec, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    day = after.astimezone(zone).date()
    for _ in range(6 * 366):
        dom_match = day.day in spec.days_of_month
        dow_match = (day.weekday() + 1) % 7 in spec.days_of_week
        day_ok = (dom_match and dow_match) if spec.dom_star or spec.dow_star \
            else (dom_match or dow_match)
        if day.month in spec.months and day_ok:
            for hour in sorted(spec.hours):
                for minute in sorted(spec.minutes):
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                    if moment > after:
                        found.append(moment.astimezone(UTC))
                        if len(found) == count:
                            return found
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize("zone_name", ["UTC", "Asia/Kolkata"])
def test_port_matches_the_sets_without_dst(zone_name: str) -> None:
    rng = random.Random(20260517)
    zone = ZoneInfo(zone_name)
    for _ in range(150):
        expression = " ".join(random_field(rng, low, high) for low, high in BOUNDS)
        spec = parse_spec(expression)
        assert isinstance(spec, CronSpec)
        expected = brute_force(spec, zone, START, 3)
        assert parse_schedule(expression).never_fires == (expected == []), expression
        assert next_runs(expression, zone_name, START, 3) == expected, expression
