"""``dynamicjobs import FILE|DIR|-``: validate offline, then server-side apply, all or none.

Three passes, so a bad input changes nothing: every DynamicJob is checked offline (the
rules of ``validate``); then each is applied as a server-side dry run, which runs the
admission webhook (Secret access, the cluster's catalogue, dependency cycles) and RBAC;
only when all pass is each applied for real, under our field manager.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from job_operator.cli import manifests
from job_operator.cli.exits import CONFLICT, NOT_FOUND, OK, PROBLEMS, USAGE, CliError
from job_operator.cli.options import cluster_options
from job_operator.cli.output import echo, note
from job_operator.cli.portable import portable
from job_operator.cli.target import Target
from job_operator.cli.validate import dependency_graphs, load_all, problems_of

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster


def _documents(results: list[manifests.FileResult]) -> list[manifests.Document]:
    """The DynamicJobs of the input; CliError listing every offline problem."""
    lines, found = [], []
    graphs = dependency_graphs(results)
    for result in results:
        if result.error is not None:
            lines.append(result.error)
            continue
        for document in result.documents:
            if not document.is_dynamicjob():
                note(f"{document.location}: skipped: {document.describe()}, not a DynamicJob")
                continue
            metadata = document.body.get("metadata") or {}
            name = metadata.get("name") if isinstance(metadata, dict) else None
            siblings = {other: ups for other, ups in graphs.get(
                metadata.get("namespace") if isinstance(metadata, dict) else None, {}).items()
                if other != name}
            lines += [f"{document.location} {name or '<unnamed>'}: {p.field}: {p.message}"
                      for p in problems_of(document, siblings)]
            found.append(document)
    if lines:
        raise CliError("\n".join([*lines, "invalid manifests (see above): nothing was "
                                  "imported; `dynamicjobs validate` checks them offline"]),
                       PROBLEMS)
    if not found:
        raise CliError("no DynamicJob in the input; nothing was imported", USAGE)
    return found


def _placed(documents: list[manifests.Document], target: Target) -> list[dict[str, Any]]:
    """Clean manifests, each in its namespace (the file's, else -n or the context's)."""
    default = target.resolved_namespace()
    bodies, seen = [], set()
    for document in documents:
        given = (document.body.get("metadata") or {}).get("namespace")
        if target.namespace and given and given != target.namespace:
            raise CliError(f"{document.location}: the manifest's namespace {given!r} is not "
                           f"-n {target.namespace}; drop -n, or the namespace from the file",
                           USAGE)
        body = portable(document.body, default)
        key = (body["metadata"]["namespace"], body["metadata"]["name"])
        if key in seen:
            raise CliError(f"{document.location}: {key[0]}/{key[1]} is in the input twice",
                           USAGE)
        seen.add(key)
        bodies.append(body)
    return bodies


def _declared(body: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    metadata = body.get("metadata") or {}
    return body.get("spec"), metadata.get("labels") or {}, metadata.get("annotations") or {}


def _verdict(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if before is None:
        return "created"
    return "unchanged" if _declared(before) == _declared(after) else "configured"


def _current(api: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return api.get_dynamicjob(namespace, name)
    except CliError as error:
        if error.code == NOT_FOUND:
            return None
        raise


@click.command("import")
@click.argument("files", metavar="FILE|DIR|-...", nargs=-1, required=True,
                type=click.Path(allow_dash=True))
@cluster_options()
@click.option("--dry-run", is_flag=True,
              help="Only show each object's verdict, the webhook's included; write nothing.")
@click.option("--force-conflicts", is_flag=True,
              help="Take fields another field manager (a GitOps tool) applies.")
def import_command(files: tuple[str, ...], target: Target, cluster: Callable[[], Cluster],
                   dry_run: bool, force_conflicts: bool) -> int:
    """Create or update DynamicJobs from manifests (export's, or any), all or none.

    Each is checked offline, then applied as a server-side dry run (the admission
    webhook's verdict), then, when every one passed, server-side applied with the
    field manager dynamicjobs-cli. Status and bookkeeping in the input are ignored, as
    is a pending run request. Prints one verdict per object: created, configured or
    unchanged."""
    results, io_error = load_all(list(files))
    if io_error:
        raise CliError("some input could not be read (see above); nothing was imported",
                       USAGE)
    bodies = _placed(_documents(results), target)
    api = cluster()
    verdicts = []
    for body in bodies:
        metadata = body["metadata"]
        before = _current(api, metadata["namespace"], metadata["name"])
        try:
            after = api.apply_dynamicjob(body, dry_run=True, force=force_conflicts)
        except CliError as error:
            fix = ("\nanother field manager applies those fields (a GitOps tool?): change them "
                   "at their source, or pass --force-conflicts to take them"
                   if error.code == CONFLICT else "")
            raise CliError(f"{error.message}{fix}\nnothing was imported", error.code) from None
        verdicts.append((body, before, after))
    for body, before, after in verdicts:
        metadata = body["metadata"]
        if not dry_run:
            after = api.apply_dynamicjob(body, dry_run=False, force=force_conflicts)
        suffix = " (server dry run)" if dry_run else ""
        echo(f"dynamicjob {metadata['namespace']}/{metadata['name']} "
             f"{_verdict(before, after)}{suffix}\n")
    return OK
