"""``dynamicjobs schedule EXPR``: a schedule in words and its next runs, offline."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from job_operator.cli.exits import OK, USAGE, CliError
from job_operator.cli.output import dump, echo
from job_operator.schedule import Schedule, ScheduleError
from job_operator.schedule.timezone import load_zone
from job_runner.api import ScheduleStatus, rfc3339


class Rfc3339(click.ParamType):
    name = "RFC3339"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"not an RFC 3339 time: {value!r}", param, ctx)
        if moment.tzinfo is None:
            self.fail(f"{value!r} needs an offset, e.g. Z or +01:00", param, ctx)
        return moment


@click.command("schedule")
@click.argument("expression", metavar="EXPR")
@click.option("--time-zone", metavar="TZ", help="IANA zone, as spec.timeZone.")
@click.option("--after", type=Rfc3339(), help="List runs after this time (default: now).")
@click.option("--count", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many runs to list.")
@click.option("-o", "--output", type=click.Choice(("text", "json", "yaml")), default="text",
              show_default=True)
def schedule_command(expression: str, time_zone: str | None, after: datetime | None,
                     count: int, output: str) -> int:
    """Explain a schedule and predict its next runs.

    EXPR is what spec.schedule takes: 5-field cron ("0 3 * * *") or @hourly, @daily, ...
    It is validated as the Kubernetes API server would, described in words, and the times
    the CronJob controller would start Jobs are listed.
    """
    after = after if after is not None else datetime.now(UTC)
    try:
        parsed = Schedule.parse(expression, time_zone)
    except ScheduleError as error:
        raise CliError(str(error), USAGE) from None
    info = parsed.info(now=after)  # DST changes ahead of --after, not of today
    runs = parsed.next_runs(after, count)
    if output != "text":
        document = {
            **ScheduleStatus(description=info.description,
                             next_runs=[rfc3339(run) for run in runs],
                             never_fires=info.never_fires).to_api(),
            "timeZone": info.time_zone,
            "warnings": info.warnings,
        }
        echo(dump(document, output))
        return OK
    lines = [info.description, *(f"warning: {warning}" for warning in info.warnings)]
    if runs:
        lines.append("Next runs:")
    zone = load_zone(time_zone)
    for run in runs:
        local = f"  {run.astimezone(zone).isoformat()} ({time_zone})" if time_zone else ""
        lines.append(f"  {run.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}{local}")  # for people: seconds
    echo("\n".join(lines) + "\n")
    return OK
