"""``dynamicjobs suspend NAME --reason TEXT`` and ``resume NAME``.

One merge patch sets ``spec.suspend`` and the reason annotations (job_runner.api.suspension)
under our field manager. A field a GitOps tool applies server-side is not taken from it
without ``--force``: it would set its own value back at its next sync.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from job_operator.cli.exits import CONFLICT, OK, USAGE, CliError
from job_operator.cli.gitops import FIELD_MANAGER, appliers_of, last_applied_value
from job_operator.cli.name_completion import dynamicjob_names
from job_operator.cli.options import cluster_options
from job_operator.cli.output import note
from job_operator.cli.target import Target
from job_runner.api import (
    ANNOTATION_SUSPEND_REASON,
    ANNOTATION_SUSPENDED_AT,
    ANNOTATION_SUSPENDED_BY,
    SUSPENSION_ANNOTATIONS,
    Suspension,
    rfc3339,
)
from job_runner.api.suspension import REASON_MAX_LENGTH

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster

SUSPEND_FIELD = ("spec", "suspend")


def checked_reason(text: str) -> str:
    reason = " ".join(text.split())
    if not reason:
        raise CliError("--reason is empty; say why, e.g. --reason 'database migration "
                       "until Friday'", USAGE)
    if len(reason) > REASON_MAX_LENGTH:
        raise CliError(f"--reason is {len(reason)} characters; at most {REASON_MAX_LENGTH}",
                       USAGE)
    return reason


def _guard_gitops(body: dict[str, Any], wanted: bool, force: bool) -> None:
    """Refuse (unless forced) when a server-side applier owns spec.suspend; warn when the
    last client-side apply declared another value."""
    name = f"{body['metadata']['namespace']}/{body['metadata']['name']}"
    owners = appliers_of(body, SUSPEND_FIELD, ignore=FIELD_MANAGER)
    if owners and not force:
        raise CliError(
            f"DynamicJob {name}: spec.suspend is applied by {', '.join(owners)} (GitOps); it "
            "would set it back at its next sync: change suspend in the source (Git), or "
            "pass --force to change it here anyway", CONFLICT)
    declared, value = last_applied_value(body, SUSPEND_FIELD)
    if declared and value is not wanted:
        note(f"warning: the last `kubectl apply` of {name} declared suspend: "
             f"{str(value).lower()}; applying that file again undoes this")


def _user(api: Cluster) -> str | None:
    try:
        return api.who_am_i()
    except CliError:
        return None


@click.command("suspend")
@click.argument("name", shell_complete=dynamicjob_names)
@cluster_options()
@click.option("--reason", required=True, metavar="TEXT",
              help="Why; kept on the object and shown by list, describe and kubectl get.")
@click.option("--force", is_flag=True,
              help="Take spec.suspend even from a GitOps tool that applies it.")
def suspend_command(name: str, target: Target, cluster: Callable[[], Cluster], reason: str,
                    force: bool) -> int:
    """Stop a DynamicJob's scheduled runs, saying why.

    Sets spec.suspend: true and the dynamicjobs.io/suspend-reason, suspended-by and
    suspended-at annotations. A run in progress goes on; `dynamicjobs run` still starts
    runs by hand; `resume` undoes it."""
    reason = checked_reason(reason)
    api = cluster()
    namespace = target.resolved_namespace()
    body = api.get_dynamicjob(namespace, name)
    _guard_gitops(body, True, force)
    annotations = {ANNOTATION_SUSPEND_REASON: reason,
                   ANNOTATION_SUSPENDED_AT: rfc3339(datetime.now(UTC)),
                   ANNOTATION_SUSPENDED_BY: _user(api)}
    api.patch_dynamicjob(namespace, name, {"spec": {"suspend": True},
                                           "metadata": {"annotations": annotations}})
    note(f"suspended {namespace}/{name}: {reason}")
    return OK


@click.command("resume")
@click.argument("name", shell_complete=dynamicjob_names)
@cluster_options()
@click.option("--force", is_flag=True,
              help="Take spec.suspend even from a GitOps tool that applies it.")
def resume_command(name: str, target: Target, cluster: Callable[[], Cluster],
                   force: bool) -> int:
    """Let a suspended DynamicJob run on schedule again; its reason is removed."""
    api = cluster()
    namespace = target.resolved_namespace()
    body = api.get_dynamicjob(namespace, name)
    was = Suspension.of(body)
    _guard_gitops(body, False, force)
    api.patch_dynamicjob(namespace, name, {
        "spec": {"suspend": False},
        "metadata": {"annotations": dict.fromkeys(SUSPENSION_ANNOTATIONS)}})
    if was is None:
        note(f"{namespace}/{name} was not suspended")
    else:
        note(f"resumed {namespace}/{name}" + (f" (suspended for: {was.reason})"
                                             if was.reason else ""))
    return OK
