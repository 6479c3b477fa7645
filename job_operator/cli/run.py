"""``dynamicjobs run NAME``: ask the operator for a run now, and optionally wait for it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from job_operator.builders import manual_job_name
from job_operator.cli.exits import OK, PROBLEMS, TIMEOUT, USAGE, CliError
from job_operator.cli.name_completion import dynamicjob_names
from job_operator.cli.options import cluster_options
from job_operator.cli.output import dump, echo, note
from job_operator.cli.target import Target
from job_runner.api import FINISHED_RESULTS, read_status
from job_runner.contract import ANNOTATION_RUN_PARAMETERS, ANNOTATION_RUN_REQUESTED

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster

POLL_SECONDS = 1.0


def parse_overrides(params: list[str], params_file: Path | None) -> dict[str, Any]:
    """The overrides given on the command line; ValueError names the one at fault."""
    overrides: dict[str, Any] = {}
    if params_file is not None:
        try:
            loaded = json.loads(params_file.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"--params {params_file}: {error}") from error
        if not isinstance(loaded, dict):
            raise ValueError(f"--params {params_file}: must hold a JSON object")
        overrides.update(loaded)
    for item in params:
        key, json_value, value = _split_param(item)
        if json_value:
            try:
                overrides[key] = json.loads(value)
            except ValueError as error:
                raise ValueError(f"--param {item}: the value after := must be JSON "
                                 f"({error}); use KEY=VALUE for a string") from error
        else:
            overrides[key] = value
    return overrides


def _split_param(item: str) -> tuple[str, bool, str]:
    """KEY=VALUE or KEY:=JSON, whichever separator comes first."""
    plain, typed = item.find("="), item.find(":=")
    if typed != -1 and typed < plain:
        key, json_value, value = item[:typed], True, item[typed + 2:]
    elif plain != -1:
        key, json_value, value = item[:plain], False, item[plain + 1:]
    else:
        raise ValueError(f"--param {item}: write KEY=VALUE or KEY:=JSON")
    if not key:
        raise ValueError(f"--param {item}: the parameter name is empty")
    return key, json_value, value


def _wait(api: Cluster, namespace: str, name: str, request: str,
          timeout: float) -> dict[str, Any] | None:
    """Poll the status until the run of this request has finished, or time runs out."""
    run_id = manual_job_name(name, request)
    deadline = time.monotonic() + timeout
    announced = False
    while time.monotonic() < deadline:
        found = api.get_dynamicjob(namespace, name)
        status = read_status(found.get("status"))
        if status.last_handled_run_request == request and not announced:
            note(f"the operator started Job {run_id}")
            announced = True
        for run in status.recent_runs:
            if run.id == run_id and run.result in FINISHED_RESULTS:
                return run.to_api()
        time.sleep(POLL_SECONDS)
    return None


@click.command("run")
@click.argument("name", shell_complete=dynamicjob_names)
@cluster_options()
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Override one parameter for this run only: KEY=VALUE takes VALUE as a "
                   "string, KEY:=JSON a JSON value (a number, true, an object, ...); "
                   "repeatable.")
@click.option("--params", "params_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE.json",
              help="Override parameters from a JSON object; --param wins per key.")
@click.option("--wait", is_flag=True,
              help="Wait for the run to finish; exit 0 only if it succeeded.")
@click.option("--timeout", type=click.FloatRange(min=0), default=900.0, show_default=True,
              help="Seconds to wait with --wait.")
def run_command(name: str, target: Target, cluster: Callable[[], Cluster],
                params: tuple[str, ...], params_file: Path | None, wait: bool,
                timeout: float) -> int:
    """Start a run of a DynamicJob now.

    Sets dynamicjobs.io/run-requested-at on the DynamicJob; the operator starts one Job
    from its template and echoes the request in status.lastHandledRunRequest. Runs even
    when the job is suspended. Overrides (--param, --params) apply to this run only; they
    go in dynamicjobs.io/run-parameters and pass the webhook's checks.
    """
    try:
        overrides = parse_overrides(list(params), params_file)
    except ValueError as error:
        raise CliError(str(error), USAGE) from None
    api = cluster()
    namespace = target.resolved_namespace()
    request = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    patch = {"metadata": {"annotations": {
        ANNOTATION_RUN_REQUESTED: request,
        ANNOTATION_RUN_PARAMETERS: json.dumps(overrides, sort_keys=True) if overrides else None,
    }}}
    api.patch_dynamicjob(namespace, name, patch)
    note(f"requested a run of {namespace}/{name} ({request})")
    if not wait:
        return OK
    run = _wait(api, namespace, name, request, timeout)
    if run is None:
        raise CliError(f"no finished run of {namespace}/{name} after {timeout:.0f}s; "
                       f"`dynamicjobs history {name} -n {namespace}` shows it when it ends",
                       TIMEOUT)
    echo(dump(run, "json"))
    return OK if run["result"] == "Succeeded" else PROBLEMS
