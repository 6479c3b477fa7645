"""Schedule rules for DynamicJobs, agreeing exactly with Kubernetes CronJobs.

Validation mirrors the API server (robfig/cron v3 ``ParseStandard`` plus Kubernetes'
own ``TZ``/``timeZone`` rules); next run times mirror the CronJob controller
(robfig's ``Next`` walking wall-clock time in the job's zone). Without a time zone the
controller uses the kube-controller-manager's local zone; we assume UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property, lru_cache

from job_operator.schedule import gotime
from job_operator.schedule.describe import describe
from job_operator.schedule.dst import dst_warnings, utc_now
from job_operator.schedule.errors import SCHEDULE_FIELD, TIME_ZONE_FIELD, ScheduleError
from job_operator.schedule.never import reachability
from job_operator.schedule.nextruns import next_instant
from job_operator.schedule.parse import (
    CronSpec,
    EverySpec,
    ScheduleProblems,
    Spec,
    parse_spec,
    schedule_problems,
)
from job_operator.schedule.timeline import RunCache, walk
from job_operator.schedule.timezone import load_zone, time_zone_problems

__all__ = [
    "SCHEDULE_FIELD",
    "TIME_ZONE_FIELD",
    "Schedule",
    "ScheduleError",
    "ScheduleInfo",
    "check_schedule",
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


@dataclass(frozen=True)
class Schedule:
    """A valid schedule and time zone, parsed once.

    What is shown about it is computed only when asked for: the description, the next
    runs, the warnings (whose daylight-saving part scans ~400 days of the zone).
    Build one with :func:`check_schedule` or :meth:`parse`.
    """

    expression: str
    time_zone: str | None
    spec: Spec = field(repr=False)
    zone: tzinfo = field(repr=False)

    @classmethod
    def parse(cls, expression: str, time_zone: str | None = None) -> Schedule:
        """The schedule; raises the first ScheduleError of either field otherwise."""
        schedule, problems = check_schedule(expression, time_zone)
        if schedule is None:
            raise problems[0]
        return schedule

    @cached_property
    def never_fires(self) -> bool:
        return reachability(self.spec).never_fires

    @cached_property
    def description(self) -> str:
        return describe(self.spec, self.time_zone)

    def next_runs(self, after: datetime, count: int = 5) -> list[datetime]:
        """The next ``count`` times the CronJob controller would start a Job, strictly
        after ``after`` (which must be time zone-aware), as aware UTC datetimes.

        Fewer are returned when the controller would find none: a schedule that never
        fires, or no activation within robfig's five-year search window. For ``@every``
        the controller counts from the CronJob's creation or last scheduled time; here
        ``after`` stands in for that anchor.
        """
        if self.never_fires:
            return []
        instant = gotime.to_instant(after)
        assert instant is not None
        if isinstance(self.spec, CronSpec):
            runs = self._calendar.runs_after(instant, count)
        else:
            runs = self._every_runs(instant, count)
        return [gotime.to_datetime(run) for run in runs]

    @cached_property
    def _calendar(self) -> RunCache:
        return RunCache(lambda instant: next_instant(self.spec, self.zone, instant))

    def _every_runs(self, instant: int, count: int) -> list[int]:
        runs, _ = walk(lambda at: next_instant(self.spec, self.zone, at), instant,
                       lambda _: False, count)
        return runs

    def warnings(self, now: datetime | None = None) -> list[str]:
        """What may surprise: a schedule that never fires, @every quirks, and
        daylight-saving changes in the ~400 days after ``now`` (default: the current
        time) that skip or repeat a run."""
        reach = reachability(self.spec)
        warnings = list(reach.warnings)
        if isinstance(self.spec, EverySpec):
            warnings.extend(_every_warnings(self.spec))
        elif isinstance(self.spec, CronSpec) and self.time_zone is not None \
                and not reach.never_fires:
            warnings.extend(dst_warnings(self.spec, self.zone, self.time_zone,
                                         now or utc_now()))
        return warnings

    def info(self, now: datetime | None = None) -> ScheduleInfo:
        return ScheduleInfo(expression=self.expression, time_zone=self.time_zone,
                            description=self.description, never_fires=self.never_fires,
                            warnings=self.warnings(now))


def check_schedule(expression: str, time_zone: str | None,
                   ) -> tuple[Schedule | None, list[ScheduleError]]:
    """The parsed schedule, or None and every problem the API server would report for
    ``spec.schedule`` and ``spec.timeZone``: one parse for both the verdict and the value.

    A schedule is a value: the same expression and zone give the same (shared) Schedule,
    so its description and next runs are worked out once for every job that uses it."""
    schedule, problems = _checked(expression, time_zone)
    return schedule, list(problems)


@lru_cache(maxsize=4096)
def _checked(expression: str, time_zone: str | None,
             ) -> tuple[Schedule | None, tuple[ScheduleError, ...]]:
    problems: list[ScheduleError] = []
    spec: Spec | None = None
    try:
        spec = parse_spec(expression)
    except ScheduleProblems as error:
        problems += error.errors
    problems += time_zone_problems(time_zone)
    zone = load_zone(time_zone) if not problems else None
    if spec is None or zone is None:
        return None, tuple(problems)
    return Schedule(expression, time_zone, spec, zone), ()


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
    (default: the current time) that skip or repeat a run. A caller that needs more than
    this description keeps the :class:`Schedule` instead of parsing again.
    """
    return Schedule.parse(expression, time_zone).info(now)


def next_runs(expression: str, time_zone: str | None, after: datetime,
              count: int = 5) -> list[datetime]:
    """``Schedule.parse(expression, time_zone).next_runs(after, count)``."""
    return Schedule.parse(expression, time_zone).next_runs(after, count)


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
