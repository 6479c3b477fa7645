"""``dynamicjobs clone SRC NEW``: a new DynamicJob from another's spec, with changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from job_operator.cli.exits import CONFLICT, OK, PROBLEMS, USAGE, CliError
from job_operator.cli.name_completion import dynamicjob_names
from job_operator.cli.options import cluster_options
from job_operator.cli.output import note
from job_operator.cli.portable import portable, tag_labels
from job_operator.cli.run import parse_overrides
from job_operator.cli.target import Target
from job_operator.cli.validate import body_problems
from job_runner.api import SUSPENSION_ANNOTATIONS

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster


@click.command("clone")
@click.argument("source", metavar="SRC", shell_complete=dynamicjob_names)
@click.argument("new_name", metavar="NEW")
@cluster_options()
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Set one parameter of the copy: KEY=VALUE (a string) or KEY:=JSON; "
                   "repeatable.")
@click.option("--schedule", metavar="EXPR", help="The copy's schedule.")
@click.option("--time-zone", metavar="TZ", help="The copy's time zone.")
@click.option("--suspend", is_flag=True, help="Create the copy suspended.")
@click.option("--dry-run", is_flag=True, help="Check with the webhook; create nothing.")
def clone_command(source: str, new_name: str, target: Target,
                  cluster: Callable[[], Cluster], params: tuple[str, ...],
                  schedule: str | None, time_zone: str | None, suspend: bool,
                  dry_run: bool) -> int:
    """Create NEW in the same namespace from SRC's spec, labels and annotations, with the
    changes given. SRC's status, history and suspension reason are not copied."""
    try:
        overrides = parse_overrides(list(params), None)
    except ValueError as error:
        raise CliError(str(error), USAGE) from None
    api = cluster()
    namespace = target.resolved_namespace()
    body = portable(api.get_dynamicjob(namespace, source))
    metadata, spec = body["metadata"], body["spec"]
    metadata["name"] = new_name
    annotations = {k: v for k, v in (metadata.pop("annotations", None) or {}).items()
                   if k not in SUSPENSION_ANNOTATIONS}
    if annotations:
        metadata["annotations"] = annotations
    spec["parameters"] = {**(spec.get("parameters") or {}), **overrides}
    if schedule is not None:
        spec["schedule"] = schedule
    if time_zone is not None:
        spec["timeZone"] = time_zone
    if suspend:
        spec["suspend"] = True
    metadata["labels"] = tag_labels(metadata.get("labels") or {}, spec)
    problems = body_problems(body, {})
    if problems:
        raise CliError("\n".join(f"{namespace}/{new_name}: {p.field}: {p.message}"
                                 for p in problems) + "\nnothing was created", PROBLEMS)
    try:
        api.create_dynamicjob(body, dry_run=dry_run)
    except CliError as error:
        if error.code == CONFLICT:
            raise CliError(f"DynamicJob {namespace}/{new_name} already exists; choose another "
                           f"name (`dynamicjobs describe {new_name} -n {namespace}` shows "
                           "it)", CONFLICT) from None
        raise
    note(f"{'would create' if dry_run else 'created'} {namespace}/{new_name} "
         f"(from {source})" + (" (server dry run)" if dry_run else ""))
    return OK
