"""How far croniter is from the CronJob's own rules: the figures behind docs/schedules.md.

    uv pip install croniter   # not a dependency of the project: this script alone needs it
    .venv/bin/python -m benchmarks.croniter_comparison

Two comparisons, each against `job_operator.schedule`, whose verdicts the integration test
`test_schedule_agrees_with_apiserver` proves equal to the real kube-apiserver's, and whose
next runs follow robfig/cron v3.0.1 (the CronJob controller's parser) step for step:

1. accept/refuse verdicts on the hard cases of that integration test;
2. the next run after instants around daylight-saving changes, in zones with a DST gap or
   overlap, for schedules whose times fall into it.
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib import metadata
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]

from benchmarks.recording import record
from job_operator.schedule import next_runs, validate_schedule
from tests.integration.test_schedule_agrees_with_apiserver import SCHEDULES

DST_SCHEDULES = ["30 2 * * *", "0 2 * * *", "15 1 * * *", "*/30 1-3 * * *", "0 * * * *",
                 "59 1 * * *", "0 3 * * *"]
DST_ZONES = {
    "Europe/Berlin": ["2026-03-28T12:00:00Z", "2026-10-24T12:00:00Z"],
    "America/New_York": ["2026-03-07T12:00:00Z", "2026-10-31T12:00:00Z"],
    "Australia/Lord_Howe": ["2026-04-04T00:00:00Z", "2026-10-03T00:00:00Z"],
}
STEPS = 6
"""Consecutive next runs compared from each starting instant."""


def croniter_accepts(expression: str) -> bool:
    try:
        return bool(croniter.is_valid(expression))
    except Exception:
        return False


def croniter_next(expression: str, zone: str, after: datetime, count: int) -> list[datetime]:
    it = croniter(expression, after.astimezone(ZoneInfo(zone)))
    return [it.get_next(datetime).astimezone(UTC) for _ in range(count)]


def main() -> None:
    verdict_differences = [
        expression for expression in SCHEDULES
        if croniter_accepts(expression) != (not validate_schedule(expression))
    ]
    compared = differing = 0
    examples: list[str] = []
    for zone, starts in DST_ZONES.items():
        for start in starts:
            after = datetime.fromisoformat(start)
            for expression in DST_SCHEDULES:
                ours = next_runs(expression, zone, after, STEPS)
                theirs = croniter_next(expression, zone, after, STEPS)
                compared += 1
                if ours != theirs:
                    differing += 1
                    first = next(i for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
                                 if a != b)
                    if len(examples) < 6:
                        examples.append(f"{expression!r} in {zone} after {start}: controller "
                                        f"{ours[first]:%Y-%m-%dT%H:%MZ}, croniter "
                                        f"{theirs[first]:%Y-%m-%dT%H:%MZ}")
    record("croniter_comparison", {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "croniter": metadata.version("croniter"),
        "verdict_cases": len(SCHEDULES),
        "verdict_differences": len(verdict_differences),
        "verdict_difference_examples": verdict_differences[:12],
        "dst_sequences_compared": compared,
        "dst_sequences_differing": differing,
        "dst_examples": examples,
        "baseline": "job_operator.schedule (agrees with kube-apiserver v1.37 in CI)",
    })


if __name__ == "__main__":
    main()
