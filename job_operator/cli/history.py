"""``dynamicjobs history NAME``: every run the status records, newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from job_operator.cli.exits import OK
from job_operator.cli.humane import RUN_HEADERS, RUN_WIDE_HEADERS, run_row
from job_operator.cli.name_completion import dynamicjob_names
from job_operator.cli.options import cluster_options, output_option
from job_operator.cli.output import dump, echo, note, table
from job_operator.cli.target import Target
from job_runner.api import FINISHED_RESULTS, read_status

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster


@click.command("history")
@click.argument("name", shell_complete=dynamicjob_names)
@cluster_options()
@click.option("--result", type=click.Choice(sorted(FINISHED_RESULTS | {"Running"})),
              help="Only runs with this result.")
@output_option()
def history_command(name: str, target: Target, cluster: Callable[[], Cluster],
                    result: str | None, output: str) -> int:
    """Every recorded run of a DynamicJob: trigger, result, attempts, start, duration and
    message (-o wide: outputs, notifiers and overrides too; -o json/yaml: the records).

    The status keeps spec.historyLimit runs (default 10)."""
    namespace = target.resolved_namespace()
    body = cluster().get_dynamicjob(namespace, name)
    runs = [run for run in read_status(body.get("status")).recent_runs
            if result is None or run.result == result]
    if output in ("json", "yaml"):
        echo(dump([run.to_api() for run in runs], output))
        return OK
    if not runs:
        note(f"{namespace}/{name} has no recorded runs" + (f" with result {result}."
                                                             if result else " yet."))
        return OK
    wide = output == "wide"
    echo(table(RUN_WIDE_HEADERS if wide else RUN_HEADERS,
               [run_row(run, wide=wide) for run in runs]))
    return OK
