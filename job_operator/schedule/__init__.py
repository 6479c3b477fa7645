"""Schedule rules for DynamicJobs, agreeing exactly with Kubernetes CronJobs.

Validation mirrors the API server (robfig/cron v3 ``ParseStandard`` plus Kubernetes'
own ``TZ``/``timeZone`` rules); next run times mirror the CronJob controller
(robfig's ``Next`` walking wall-clock time in the job's zone). Without a time zone the
controller uses the kube-controller-manager's local zone; we assume UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from job_operator.schedule import gotime
from job_operator.schedule.describe import describe
from job_operator.schedule.dst import dst_warnings, utc_now
from job_operator.schedule.errors import SCHEDULE_FIELD, TIME_ZONE_FIELD, ScheduleError
from job_operator.schedule.never import reachability
from job_operator.schedule.nextruns import next_instant
from job_operator.schedule.parse import CronSpec, EverySpec, parse_spec, schedule_problems
from job_operator.schedule.timezone import load_zone, time_zone_problems

__all__ = [
    "SCHEDULE_FIELD",
    "TIME_ZONE_FIELD",
    "ScheduleError",
    "ScheduleInfo",
    "next_runs",
    "parse_schedule",
    "validate_schedule",
    "validate_time_zone",
]

_SHORTEST_DISTINCT_JOB_INTERVAL = 60


@dataclass(frozen=True)
class ScheduleInfo:
    expression: str
    time_zone: str | None
    description: str
    never_fires: bool
    warnings: list[str]


def validate_schedule(expression: str) -> list[ScheduleError]:
    """All problems the API server would report for ``spec.schedule``."""
    return schedule_problems(expression)


def validate_time_zone(name: str | None) -> list[ScheduleError]:
    """All problems the API server would report for ``spec.timeZone``."""
    return time_zone_problems(name)


def parse_schedule(expression: str, time_zone: str | None = None, *,
                   now: datetime | None = None) -> ScheduleInfo:
    """Describe a valid schedule; raises the first ScheduleError otherwise.

    Warnings include daylight-saving changes in the next ~400 days after ``now``
    (default: the current time) that skip or repeat a run.
    """
    problems = validate_schedule(expression) + validate_time_zone(time_zone)
    if problems:
        raise problems[0]
    spec = parse_spec(expression)
    reach = reachability(spec)
    warnings = list(reach.warnings)
    if isinstance(spec, EverySpec):
        warnings.extend(_every_warnings(spec))
    elif isinstance(spec, CronSpec) and time_zone is not None and not reach.never_fires:
        zone = load_zone(time_zone)
        assert zone is not None
        warnings.extend(dst_warnings(spec, zone, time_zone, now or utc_now()))
    return ScheduleInfo(
        expression=expression,
        time_zone=time_zone,
        description=describe(spec, time_zone),
        never_fires=reach.never_fires,
        warnings=warnings,
    )


def next_runs(expression: str, time_zone: str | None, after: datetime,
              count: int = 5) -> list[datetime]:
    """The next ``count`` times the CronJob controller would start a Job, strictly after
    ``after`` (which must be time zone-aware), as aware UTC datetimes.

    Fewer are returned when the controller would find none: a schedule that never fires,
    or no activation within robfig's five-year search window. For ``@every`` the
    controller counts from the CronJob's creation or last scheduled time; here ``after``
    stands in for that anchor.
    """
    problems = validate_schedule(expression) + validate_time_zone(time_zone)
    if problems:
        raise problems[0]
    spec = parse_spec(expression)
    zone = load_zone(time_zone)
    assert zone is not None
    if reachability(spec).never_fires:
        return []
    runs: list[datetime] = []
    instant: int | None = gotime.to_instant(after)
    while len(runs) < count:
        assert instant is not None
        instant = next_instant(spec, zone, instant)
        if instant is None:
            break
        runs.append(gotime.to_datetime(instant))
    return runs


def _every_warnings(spec: EverySpec) -> list[str]:
    warnings = ["@every runs are counted from the CronJob's creation or last scheduled "
                "time, not aligned to the clock; spec.timeZone has no effect on them"]
    if spec.requested_nanoseconds % 1_000_000_000 or spec.requested_nanoseconds < 1_000_000_000:
        warnings.append(f"@every {spec.duration_text}: the controller uses whole seconds, "
                        f"at least 1s; this runs every {spec.seconds}s")
    if spec.seconds < _SHORTEST_DISTINCT_JOB_INTERVAL:
        warnings.append("the CronJob controller names Jobs by the minute, so runs less than "
                        "1m apart collide and are not all started")
    return warnings
