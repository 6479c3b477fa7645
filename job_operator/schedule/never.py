"""Decide, from the selected sets alone, whether a schedule can ever fire.

Kubernetes accepts ``0 0 30 2 *``; robfig's Next then searches five years and gives up,
and the CronJob never creates a Job. Reasoning over the sets is exact and instant:
every month contains every weekday, so only the day-of-month/month pairing can fail,
and February 29 exists in leap years.
"""

from __future__ import annotations

from dataclasses import dataclass

from job_operator.schedule.parse import CronSpec, EverySpec, Spec

_LONGEST_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31,
                  11: 30, 12: 31}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


@dataclass(frozen=True)
class Reachability:
    never_fires: bool
    warnings: tuple[str, ...]


def reachability(spec: Spec) -> Reachability:
    if isinstance(spec, EverySpec):
        return Reachability(False, ())
    empty = _empty_field(spec)
    if empty:
        return Reachability(True, (f"never fires: the {empty} field selects nothing",))
    days_by_dow_or_any_day = bool(spec.days_of_week) and (spec.dom_star or not spec.dow_star)
    if days_by_dow_or_any_day:
        # Either every day of the month is allowed and some weekday is, or (both fields
        # restricted) a matching weekday alone is enough: every month has one.
        return Reachability(False, ())
    if not spec.days_of_week and (spec.dom_star or spec.dow_star):
        return Reachability(True, ("never fires: the day-of-week field selects no day",))
    pairs = [(month, day) for month in sorted(spec.months) for day in sorted(spec.days_of_month)
             if day <= _LONGEST_MONTH[month]]
    if not pairs:
        return Reachability(True, (f"never fires: {_impossible_dates(spec)}; "
                                   "the CronJob will be accepted but never create a Job",))
    if all(pair == (2, 29) for pair in pairs):
        return Reachability(False, ("fires only on February 29, in leap years; the CronJob "
                                    "controller looks at most 5 years ahead, so around "
                                    "2100 (not a leap year) it may report no next run",))
    return Reachability(False, ())


def _empty_field(spec: CronSpec) -> str | None:
    for label, values in (("minute", spec.minutes), ("hour", spec.hours),
                          ("month", spec.months)):
        if not values:
            return label
    if not spec.days_of_month and not spec.days_of_week:
        return "day-of-month and day-of-week"
    if not spec.days_of_month and spec.dow_star:
        return "day-of-month"
    return None


def _impossible_dates(spec: CronSpec) -> str:
    days = ", ".join(str(day) for day in sorted(spec.days_of_month))
    months = ", ".join(_MONTH_NAMES[month - 1] for month in sorted(spec.months))
    return f"day {days} never occurs in {months}"
