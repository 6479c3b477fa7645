"""``dynamicjobs describe NAME``: one job for a person: what, when, how it went, events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from job_operator.cli.exits import OK
from job_operator.cli.humane import NONE, RUN_HEADERS, age, run_row, short_time
from job_operator.cli.name_completion import dynamicjob_names
from job_operator.cli.options import cluster_options
from job_operator.cli.output import dump, echo, table
from job_operator.cli.target import Target
from job_runner.api import Suspension, read_status

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster

RECENT_RUNS_SHOWN = 5


def _field(label: str, value: str) -> str:
    return f"{label + ':' if label else '':<14}{value}"


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.splitlines()]


def describe_text(body: Mapping[str, Any], events: list[dict[str, Any]],
                  width: int | None = None) -> str:
    metadata, spec = body.get("metadata") or {}, body.get("spec") or {}
    status = read_status(body.get("status"))
    suspension = Suspension.of(body)
    lines = [_field("Name", metadata.get("name", "")),
             _field("Namespace", metadata.get("namespace", "")),
             _field("Template", spec.get("template", "")),
             _field("Schedule", f"{spec.get('schedule', '')}"
                                f" ({spec.get('timeZone') or 'UTC'})")]
    if status.schedule:
        lines.append(_field("", status.schedule.description))
    if suspension is None:
        lines.append(_field("Suspended", "no"))
    else:
        who = ", ".join(part for part in (
            f"by {suspension.by}" if suspension.by else "",
            f"since {short_time(suspension.since)}" if suspension.since else "") if part)
        lines.append(_field("Suspended", f"yes: {suspension.reason or '(no reason given)'}"
                                         + (f" ({who})" if who else "")))
    tags = ", ".join(f"{k}={v}" for k, v in sorted((spec.get("tags") or {}).items()))
    lines.append(_field("Tags", tags or NONE))
    depends = ", ".join(d.get("name", "") for d in spec.get("dependsOn") or [])
    if depends:
        lines.append(_field("Depends on", depends))
    lines.append(_field("CronJob", status.cron_job_name or NONE))
    lines.append("Next runs:")
    next_runs = status.schedule.next_runs if status.schedule else []
    lines += [f"  {short_time(run)}" for run in next_runs] or ["  " + NONE]
    lines.append("Conditions:")
    if status.conditions:
        lines += _indent(table(["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"], [
            [c.type, c.status, c.reason, age(c.last_transition_time), c.message]
            for c in status.conditions], width))
    else:
        lines.append("  " + NONE)
    lines.append(f"Recent runs (newest first; all of them: dynamicjobs history "
                 f"{metadata.get('name', '')}):")
    runs = status.recent_runs[:RECENT_RUNS_SHOWN]
    lines += _indent(table(RUN_HEADERS, [run_row(r, wide=False) for r in runs], width)) \
        if runs else ["  " + NONE]
    lines.append("Events:")
    ordered = sorted(events, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime")
                                              or ""))
    lines += _indent(table(["TYPE", "REASON", "AGE", "MESSAGE"], [
        [e.get("type", ""), e.get("reason", ""),
         age(e.get("lastTimestamp") or e.get("eventTime")), e.get("message", "")]
        for e in ordered], width)) if ordered else ["  " + NONE]
    return "\n".join(lines) + "\n"


@click.command("describe")
@click.argument("name", shell_complete=dynamicjob_names)
@cluster_options()
@click.option("-o", "--output", type=click.Choice(("text", "json", "yaml")), default="text",
              show_default=True, help="json/yaml: the object and its events.")
def describe_command(name: str, target: Target, cluster: Callable[[], Cluster],
                     output: str) -> int:
    """Show one DynamicJob: template, schedule in words and next runs, suspension and its
    reason, conditions, recent runs and events."""
    api = cluster()
    namespace = target.resolved_namespace()
    body = api.get_dynamicjob(namespace, name)
    events = api.events_about(namespace, name)
    if output == "text":
        echo(describe_text(body, events))
    else:
        echo(dump({"dynamicJob": body, "events": events}, output))
    return OK
