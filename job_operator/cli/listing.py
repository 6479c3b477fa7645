"""``dynamicjobs list``: DynamicJobs as a table, filtered by tag, template, result, suspension."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from job_operator.cli.exits import OK, USAGE, CliError
from job_operator.cli.humane import NONE, age, short_time
from job_operator.cli.options import cluster_options, output_option
from job_operator.cli.output import as_list, dump, echo, note, table
from job_operator.cli.target import Target
from job_runner.api import Suspension, read_status

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster

RESULTS = ("Succeeded", "Failed", "TimedOut", "Cancelled", "Missed", "Running", "None")


def parse_tags(items: tuple[str, ...]) -> dict[str, str]:
    tags = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--tag {item}: write KEY=VALUE, e.g. --tag team=payments", USAGE)
        tags[key] = value
    return tags


def matches(body: Mapping[str, Any], *, tags: Mapping[str, str], template: str | None,
            result: str | None, suspended: bool | None) -> bool:
    spec = body.get("spec") or {}
    if template is not None and spec.get("template") != template:
        return False
    own_tags = spec.get("tags") or {}
    if any(own_tags.get(key) != value for key, value in tags.items()):
        return False
    if suspended is not None and bool(spec.get("suspend")) != suspended:
        return False
    if result is not None:
        last = read_status(body.get("status")).last_run
        if (last.result if last else "None") != result:
            return False
    return True


def _ready(status: Any) -> str:
    found = next((c for c in status.conditions if c.type == "Ready"), None)
    return found.status if found else "Unknown"


def row(body: Mapping[str, Any], *, wide: bool, with_namespace: bool) -> list[str]:
    metadata, spec = body.get("metadata") or {}, body.get("spec") or {}
    status = read_status(body.get("status"))
    suspension = Suspension.of(body)
    cells = [metadata.get("namespace", "")] if with_namespace else []
    description = status.schedule.description if status.schedule else spec.get("schedule", "")
    next_run = status.schedule.next_runs[0] if status.schedule and status.schedule.next_runs \
        else None
    suspended = "no" if suspension is None else (f"yes: {suspension.reason}"
                                                 if suspension.reason else "yes")
    cells += [metadata.get("name", ""), spec.get("template", ""), description, suspended,
              _ready(status), status.last_run.result if status.last_run else NONE,
              age(status.last_run.started_at) if status.last_run else NONE,
              short_time(next_run) if next_run and suspension is None else NONE]
    if wide:
        tags = ",".join(f"{k}={v}" for k, v in sorted((spec.get("tags") or {}).items()))
        cells += [spec.get("schedule", ""), spec.get("timeZone") or "UTC", tags or NONE,
                  age(metadata.get("creationTimestamp"))]
    return cells


HEADERS = ["NAME", "TEMPLATE", "SCHEDULE", "SUSPENDED", "READY", "LAST RESULT", "LAST RUN",
           "NEXT RUN"]
WIDE_HEADERS = [*HEADERS, "CRON", "TIME ZONE", "TAGS", "AGE"]


@click.command("list")
@cluster_options(all_namespaces=True)
@click.option("-l", "--selector", metavar="SELECTOR",
              help="Label selector, as kubectl's, e.g. tags.dynamicjobs.io/team=payments.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE",
              help="Only jobs with this tag (spec.tags); repeatable, all must match.")
@click.option("--template", metavar="NAME", help="Only jobs of this template.")
@click.option("--result", type=click.Choice(RESULTS),
              help="Only jobs whose last run had this result (None: never ran).")
@click.option("--suspended/--active", default=None,
              help="Only suspended jobs, or only active ones.")
@output_option()
def list_command(target: Target, cluster: Callable[[], Cluster], selector: str | None,
                 tags: tuple[str, ...],
                 template: str | None, result: str | None, suspended: bool | None,
                 output: str) -> int:
    """List DynamicJobs: schedule in words, suspension and its reason, last result, next run.

    Filters combine (all must hold). With kubectl, the same tags select by label:
    kubectl get dj -l tags.dynamicjobs.io/KEY=VALUE (docs/cli.md, "Tags").
    """
    wanted = parse_tags(tags)
    found = cluster().list_dynamicjobs(target.list_namespace(), selector)
    kept = [body for body in found
            if matches(body, tags=wanted, template=template, result=result,
                       suspended=suspended)]
    kept.sort(key=lambda b: (b["metadata"].get("namespace", ""), b["metadata"]["name"]))
    if output in ("json", "yaml"):
        echo(dump(as_list(kept), output))
        return OK
    if not kept:
        where = "any namespace" if target.all_namespaces else target.resolved_namespace()
        note(f"No DynamicJobs found in {where}" + (" matching the filters." if len(found)
                                                   else "."))
        return OK
    wide = output == "wide"
    headers = WIDE_HEADERS if wide else HEADERS
    if target.all_namespaces:
        headers = ["NAMESPACE", *headers]
    echo(table(headers, [row(body, wide=wide, with_namespace=target.all_namespaces)
                         for body in kept]))
    return OK
