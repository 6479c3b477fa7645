"""The schedule from presets (or a cron expression) and a time zone, shown in words with
its next five runs before it is taken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from job_operator.cli.exits import USAGE, CliError
from job_operator.cli.wizard.ask import Asker, whole_number
from job_operator.schedule import Schedule, ScheduleError

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _clock(text: str) -> tuple[int, int]:
    hour, sep, minute = text.partition(":")
    try:
        parsed = int(hour), int(minute or "0")
    except ValueError:
        parsed = (-1, -1)
    if not sep and not minute:
        parsed = (parsed[0], 0)
    if not (0 <= parsed[0] <= 23 and 0 <= parsed[1] <= 59):
        raise ValueError(f"{text!r} is not a time of day like 02:30")
    return parsed


def _day(text: str) -> int:
    short = text.strip().lower()[:3]
    if short not in DAYS:
        raise ValueError(f"{text!r} is not a day of the week (mon, tue, ...)")
    return DAYS.index(short)


def _cron(text: str) -> str:
    try:
        Schedule.parse(text, None)
    except ScheduleError as error:
        raise ValueError(str(error)) from None
    return text


def _from_preset(asker: Asker, preset: str) -> str:
    flag = "--schedule EXPR"
    if preset == "custom":
        return str(asker.text("Cron expression", flag=flag, check=_cron,
                              hint='5 fields, e.g. "0 2 * * 1-5", or @daily'))
    if preset == "minutes":
        every = asker.text("Every how many minutes", flag=flag, default="15",
                           check=whole_number(1, 59, "minutes"))
        return f"*/{every} * * * *"
    if preset == "hourly":
        minute = asker.text("At minute", flag=flag, default="0",
                            check=whole_number(0, 59, "minute"))
        return f"{minute} * * * *"
    hour, minute = asker.text("At (HH:MM)", flag=flag, default="02:00", check=_clock)
    if preset == "daily":
        return f"{minute} {hour} * * *"
    if preset == "weekdays":
        return f"{minute} {hour} * * 1-5"
    if preset == "weekly":
        day = asker.text("On (mon, tue, ...)", flag=flag, default="mon", check=_day)
        return f"{minute} {hour} * * {day}"
    day = asker.text("On day of the month", flag=flag, default="1",
                     check=whole_number(1, 31, "day of the month"))
    return f"{minute} {hour} {day} * *"


PRESETS = [("hourly", "hourly"), ("daily", "daily, at a time"),
           ("weekdays", "Monday to Friday, at a time"), ("weekly", "weekly, a day and a time"),
           ("monthly", "monthly, a day of the month and a time"),
           ("minutes", "every N minutes"), ("custom", "a cron expression")]


def ask_schedule(asker: Asker, expression: str | None,
                 time_zone: str | None) -> tuple[str, str | None]:
    """(schedule, time zone); each given by a flag is taken as it is (and checked)."""
    while True:
        chosen = expression or _from_preset(asker, asker.choice(
            "Schedule", PRESETS, flag="--schedule EXPR", default=1))
        zone = time_zone if time_zone is not None else asker.text(
            "Time zone (IANA)", flag="--time-zone TZ", default="UTC",
            check=_zone_checker(chosen))
        try:
            parsed = Schedule.parse(chosen, None if zone in ("", "UTC") else zone)
        except ScheduleError as error:
            raise CliError(f"--schedule/--time-zone: {error}", USAGE) from None
        info = parsed.info()
        asker.say(f"  {info.description}")
        for warning in info.warnings:
            asker.say(f"  warning: {warning}")
        for run in parsed.next_runs(datetime.now(UTC), 5):
            local = run.astimezone(parsed.zone) if zone not in ("", "UTC") else None
            asker.say(f"    {run:%Y-%m-%d %H:%M} UTC" + (f"  ({local:%a %H:%M} {zone})"
                                                          if local else ""))
        if expression or asker.confirm("Use this schedule?", default=True):
            return chosen, None if zone in ("", "UTC") else zone
        time_zone = None


def _zone_checker(expression: str) -> Callable[[str], str]:
    def check(typed: str) -> str:
        try:
            Schedule.parse(expression, None if typed == "UTC" else typed)
        except ScheduleError as error:
            raise ValueError(str(error)) from None
        return typed

    return check
