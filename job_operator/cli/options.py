"""The options that every cluster command shares, spelled as kubectl spells them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from job_operator.cli.output import FORMATS
from job_operator.cli.target import Target

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster

F = TypeVar("F", bound=Callable[..., Any])


def _connect(target: Target) -> Cluster:
    """Imports the Kubernetes client only now: offline commands and completion of command
    names start without it."""
    from job_operator.cli.cluster import Cluster

    return Cluster(target.api_client())


@dataclass
class App:
    """What commands get from the group: how to reach a cluster (tests give a fake)."""

    connect: Callable[[Target], Cluster] = field(default=_connect)


def cluster_options(*, all_namespaces: bool = False) -> Callable[[F], F]:
    """``--kubeconfig``, ``--context``, ``-n`` (and ``-A`` for listing commands); the
    command receives them as ``target`` and the cluster connection as ``cluster``."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, kubeconfig: str | None, context: str | None,
                    namespace: str | None, all_namespaces: bool = False,
                    **kwargs: Any) -> Any:
            target = Target(kubeconfig, context, namespace, all_namespaces)
            app = click.get_current_context().find_object(App) or App()
            return command(*args, target=target, cluster=lambda: app.connect(target),
                           **kwargs)

        options = [
            click.option("--kubeconfig", metavar="FILE", envvar=None,
                         help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config)."),
            click.option("--context", metavar="NAME", help="Kubeconfig context to use."),
            click.option("-n", "--namespace", metavar="NS",
                         help="Namespace (default: the context's, else default)."),
        ]
        if all_namespaces:
            options.append(click.option("-A", "--all-namespaces", "all_namespaces",
                                        is_flag=True, help="Every namespace you may read."))
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def output_option(default: str = "table",
                  choices: tuple[str, ...] = FORMATS) -> Callable[[F], F]:
    return click.option("-o", "--output", type=click.Choice(choices), default=default,
                        show_default=True, help="Output format.")
