"""The run timeline answers as the calendar walk does, from any anchor, and reuses it."""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

from job_operator.schedule.nextruns import next_instant
from job_operator.schedule.parse import CronSpec, parse_spec
from job_operator.schedule.timeline import RunCache

BERLIN = ZoneInfo("Europe/Berlin")
START = 1_796_000_000  # 2026-12-01


def _walk(spec: CronSpec, instant: int, count: int) -> list[int]:
    runs: list[int] = []
    at: int | None = instant
    while len(runs) < count:
        assert at is not None
        at = next_instant(spec, BERLIN, at)
        if at is None:
            break
        runs.append(at)
    return runs


def _spec(expression: str) -> CronSpec:
    spec = parse_spec(expression)
    assert isinstance(spec, CronSpec)
    return spec


def test_any_anchor_in_any_order_gets_the_walks_answer() -> None:
    chooser = random.Random(7)
    for expression in ("0 3 * * *", "*/7 * * * *", "30 2 * * 0", "0 0 29 2 *", "5 4 1 * 1"):
        spec = _spec(expression)
        cache = RunCache(lambda at, spec=spec: next_instant(spec, BERLIN, at), max_runs=64)
        for _ in range(200):
            anchor = START + chooser.randrange(-40 * 86400, 40 * 86400)
            count = chooser.choice((1, 2, 5))
            assert cache.runs_after(anchor, count) == _walk(spec, anchor, count), (
                expression, anchor, count)


def test_a_thousand_anchors_in_one_span_cost_a_few_steps() -> None:
    spec = _spec("0 3 * * *")
    steps = 0

    def step(at: int) -> int | None:
        nonlocal steps
        steps += 1
        return next_instant(spec, BERLIN, at)

    cache = RunCache(step)
    now = START + 3600 * 30
    anchors = [now - 2 * second for second in range(1000)]  # jobs made in the last 33 min
    random.Random(3).shuffle(anchors)
    for anchor in anchors:
        assert cache.runs_after(anchor, 2) == _walk(spec, anchor, 2)
        assert cache.runs_after(now, 5) == _walk(spec, now, 5)
    # An anchor before the timeline's start costs one step (the run after it is the
    # timeline's first); in any order, new earliest anchors are few.
    assert steps <= 30, f"{steps} calendar steps for 2,000 questions"
