"""``dynamicjobs export NAME | -l SELECTOR | --all``: clean manifests to keep or move."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click
import yaml

from job_operator.cli.exits import NOT_FOUND, OK, USAGE, CliError
from job_operator.cli.name_completion import dynamicjob_names
from job_operator.cli.options import cluster_options
from job_operator.cli.output import as_list, dump, echo
from job_operator.cli.portable import portable
from job_operator.cli.target import Target

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster


@click.command("export")
@click.argument("name", required=False, shell_complete=dynamicjob_names)
@cluster_options(all_namespaces=True)
@click.option("-l", "--selector", metavar="SELECTOR",
              help="Every DynamicJob matching this label selector, e.g. "
                   "tags.dynamicjobs.io/team=payments.")
@click.option("--all", "everything", is_flag=True, help="Every DynamicJob in the namespace.")
@click.option("-o", "--output", type=click.Choice(("yaml", "json")), default="yaml",
              show_default=True, help="yaml: one document per job; json: a List.")
def export_command(name: str | None, target: Target, cluster: Callable[[], Cluster],
                   selector: str | None, everything: bool, output: str) -> int:
    """Write DynamicJobs as clean manifests, ready for Git or `dynamicjobs import`.

    No status, uid, resourceVersion, managedFields, operator bookkeeping, nor a pending
    run request (it would start a run where the manifest is applied). Tags are also
    written as tags.dynamicjobs.io/KEY labels."""
    chosen = sum(1 for given in (name, selector, everything) if given)
    if chosen != 1:
        raise CliError("say which: NAME, -l SELECTOR or --all (one of them)", USAGE)
    if target.all_namespaces and name:
        raise CliError("-A goes with -l or --all; for one job give -n NAMESPACE", USAGE)
    api = cluster()
    if name:
        bodies = [api.get_dynamicjob(target.resolved_namespace(), name)]
    else:
        bodies = api.list_dynamicjobs(target.list_namespace(), selector)
        if not bodies:
            where = "any namespace" if target.all_namespaces else target.resolved_namespace()
            raise CliError(f"no DynamicJob in {where}" + (f" matches {selector}" if selector
                                                          else ""), NOT_FOUND)
    bodies.sort(key=lambda b: (b["metadata"].get("namespace", ""), b["metadata"]["name"]))
    manifests = [portable(body) for body in bodies]
    if output == "json":
        echo(dump(manifests[0] if name else as_list(manifests), "json"))
    else:
        echo(yaml.safe_dump_all(manifests, sort_keys=False, allow_unicode=True))
    return OK
