"""Shell completion of object names: the DynamicJobs in the namespace the command line
names so far, or the catalogue's templates. Any failure completes nothing: a completion
must never print an error into the user's prompt."""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from job_operator.cli.options import App
from job_operator.cli.target import Target


def _target(context: click.Context) -> Target:
    params = context.params
    return Target(params.get("kubeconfig"), params.get("context"), params.get("namespace"))


def _connect(context: click.Context, target: Target) -> Any:
    app = context.find_object(App) or App()
    return app.connect(target)


def dynamicjob_names(context: click.Context, _param: click.Parameter,
                     incomplete: str) -> list[CompletionItem]:
    target = _target(context)
    try:
        found = _connect(context, target).list_dynamicjobs(target.resolved_namespace())
    except Exception:
        return []
    return [CompletionItem(body["metadata"]["name"],
                           help=(body.get("spec") or {}).get("template"))
            for body in found if body["metadata"]["name"].startswith(incomplete)]


def template_names(context: click.Context, _param: click.Parameter,
                   incomplete: str) -> list[CompletionItem]:
    try:
        found = _connect(context, _target(context)).templates()
    except Exception:
        return []
    return [CompletionItem(t["metadata"]["name"]) for t in found
            if t["metadata"]["name"].startswith(incomplete)]
