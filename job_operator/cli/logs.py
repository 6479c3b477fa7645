"""``dynamicjobs logs NAME [--run ID] [-f]``: a run's pod log, while its Job exists."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from job_operator.cli.exits import NOT_FOUND, OK, CliError
from job_operator.cli.name_completion import dynamicjob_names
from job_operator.cli.options import cluster_options
from job_operator.cli.output import note
from job_operator.cli.target import Target
from job_runner.api import RunRecord, read_status

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster


def _chosen_run(body: dict[str, Any], run_id: str | None) -> tuple[str, RunRecord | None]:
    status = read_status(body.get("status"))
    name = body["metadata"]["name"]
    if run_id is None:
        if status.last_run is None:
            raise CliError(f"{body['metadata']['namespace']}/{name} has not run yet; "
                           f"`dynamicjobs run {name}` starts a run", NOT_FOUND)
        return status.last_run.id, status.last_run
    record = next((r for r in status.recent_runs if r.id == run_id), None)
    return run_id, record


def _expired(namespace: str, name: str, run_id: str, record: RunRecord | None) -> CliError:
    kept = (f"; its record: {record.result}" + (f", {record.message}" if record.message
                                                 else "")) if record else ""
    return CliError(
        f"the log of run {run_id} of {namespace}/{name} is gone: its Job has expired (Jobs "
        f"are kept as spec.historyLimit says, manual ones a day){kept}; "
        f"`dynamicjobs history {name} -n {namespace}` shows what the status recorded",
        NOT_FOUND)


@click.command("logs")
@click.argument("name", shell_complete=dynamicjob_names)
@cluster_options()
@click.option("--run", "run_id", metavar="ID",
              help="The run (its Job's name, from `history`); default: the last run.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing as the run logs.")
def logs_command(name: str, target: Target, cluster: Callable[[], Cluster],
                 run_id: str | None, follow: bool) -> int:
    """Print the log of a run's pod (JSON lines from the runner).

    Logs live as long as the run's Job: after it expires the run's record stays in
    the status (`dynamicjobs history`), its log does not."""
    api = cluster()
    namespace = target.resolved_namespace()
    body = api.get_dynamicjob(namespace, name)
    chosen, record = _chosen_run(body, run_id)
    pods = sorted(api.run_pods(namespace, chosen),
                  key=lambda p: str(p["metadata"].get("creationTimestamp", "")))
    if not pods:
        if not api.run_job_exists(namespace, chosen):
            raise _expired(namespace, name, chosen, record)
        raise CliError(f"run {chosen} of {namespace}/{name} has no pod yet; try again "
                       "in a moment, or `kubectl describe job "
                       f"{chosen} -n {namespace}` says why", NOT_FOUND)
    for pod in pods:
        pod_name = pod["metadata"]["name"]
        if len(pods) > 1:
            note(f"==> pod {pod_name} <==")
        for chunk in api.pod_log(namespace, pod_name, follow=follow):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
    return OK
