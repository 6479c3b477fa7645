"""The CronJob controller's next run times: robfig/cron v3.0.1 ``SpecSchedule.Next`` and
``ConstantDelaySchedule.Next``, step for step, in the job's zone."""

from __future__ import annotations

from datetime import tzinfo

from job_operator.schedule import gotime
from job_operator.schedule.parse import CronSpec, EverySpec, Spec

_YEARS_SEARCHED = 5  # robfig returns the zero time when nothing fires within this


def next_instant(spec: Spec, zone: tzinfo, after: int) -> int | None:
    """The first activation strictly after ``after`` (Unix seconds), or None as robfig's
    zero time when nothing fires within five years."""
    if isinstance(spec, EverySpec):
        return after + spec.seconds
    return _CronWalk(spec, zone, after + 1).run()


class _CronWalk:
    """Advance month, then day, hour, minute and second until each matches; a field that
    wraps around restarts the search from the month (robfig's ``goto WRAP``)."""

    def __init__(self, spec: CronSpec, zone: tzinfo, start: int) -> None:
        self.spec = spec
        self.zone = zone
        self.t = start
        self.reset = False  # robfig's "added": the time below the field was zeroed
        self.year_limit = gotime.wall(start, zone).year + _YEARS_SEARCHED

    def run(self) -> int | None:
        while True:
            if gotime.wall(self.t, self.zone).year > self.year_limit:
                return None
            if self._month() and self._day() and self._hour() and self._minute() and \
                    self._second():
                return self.t

    def _zero_below(self, instant: int) -> None:
        if not self.reset:
            self.reset = True
            self.t = instant

    def _month(self) -> bool:
        fields = gotime.wall(self.t, self.zone)
        while fields.month not in self.spec.months:
            self._zero_below(gotime.date(fields.year, fields.month, 1, 0, 0, 0, self.zone))
            self.t = gotime.add_date(self.t, 1, 0, self.zone)
            fields = gotime.wall(self.t, self.zone)
            if fields.month == 1:
                return False
        return True

    def _day(self) -> bool:
        fields = gotime.wall(self.t, self.zone)
        while not self._day_matches(fields):
            self._zero_below(
                gotime.date(fields.year, fields.month, fields.day, 0, 0, 0, self.zone))
            self.t = gotime.add_date(self.t, 0, 1, self.zone)
            fields = gotime.wall(self.t, self.zone)
            if fields.hour != 0:
                # Midnight missing or repeated (DST): robfig pulls the time back to 00:xx.
                shift = 24 - fields.hour if fields.hour > 12 else -fields.hour
                self.t += shift * 3600
                fields = gotime.wall(self.t, self.zone)
            if fields.day == 1:
                return False
        return True

    def _day_matches(self, fields: gotime.Wall) -> bool:
        dom_match = fields.day in self.spec.days_of_month
        dow_match = fields.weekday in self.spec.days_of_week
        if self.spec.dom_star or self.spec.dow_star:
            return dom_match and dow_match
        return dom_match or dow_match

    def _hour(self) -> bool:
        fields = gotime.wall(self.t, self.zone)
        while fields.hour not in self.spec.hours:
            self._zero_below(gotime.date(fields.year, fields.month, fields.day, fields.hour,
                                         0, 0, self.zone))
            self.t += 3600
            fields = gotime.wall(self.t, self.zone)
            if fields.hour == 0:
                return False
        return True

    def _minute(self) -> bool:
        fields = gotime.wall(self.t, self.zone)
        while fields.minute not in self.spec.minutes:
            self._zero_below(gotime.truncate_to_minute(self.t))
            self.t += 60
            fields = gotime.wall(self.t, self.zone)
            if fields.minute == 0:
                return False
        return True

    def _second(self) -> bool:
        """Kubernetes schedules always fire at second 0."""
        fields = gotime.wall(self.t, self.zone)
        while fields.second != 0:
            self.reset = True
            self.t += 1
            fields = gotime.wall(self.t, self.zone)
            if fields.second == 0:
                return False
        return True
