"""``python -m job_operator``: run the operator against the configured cluster.

Flags are kopf's ``run`` flags (``--namespace``, ``--all-namespaces``, ``--standalone``,
...); without a namespace flag the operator watches the whole cluster. ``--liveness=URL``
is served by the operator's own HTTP server with ``/metrics``, on a standby too, not by
kopf (`job_operator.metrics.liveness`).

The admission webhook is served from the start, by every replica. With
``DYNAMICJOBS_LEASE_NAME`` set, the controllers (kopf) run only while this process holds
that Lease (see `job_operator.election.leader`): several replicas give one active operator and
standbys.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import kopf
from kopf import cli

from job_operator.election.leader import LeaseSettings
from job_operator.metrics.registry import LEADER
from job_operator.settings import Settings

if TYPE_CHECKING:
    from job_operator.admission.server import AdmissionServer
    from job_operator.metrics.server import MetricsServer


def _flag_values(args: list[str], *names: str) -> list[str]:
    """The values of a flag given as ``--flag=value`` or ``--flag value``."""
    found = []
    for index, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if name in names and equals:
            found.append(value)
        elif arg in names and index + 1 < len(args):
            found.append(args[index + 1])
    return found


def _run_kopf(args: list[str]) -> int:
    cli.main(["run", "--module", "job_operator.controller.handlers", *args], standalone_mode=False)
    return 0


def _start_admission(settings: Settings) -> AdmissionServer | None:
    """The webhook's server, started; None when no certificate is configured."""
    webhook = settings.webhook
    if webhook is None:
        return None
    from job_operator.admission.server import AdmissionServer
    from job_operator.admission.webhook import judge, review_response
    from job_operator.kube import Kube, load_client

    kube = Kube(load_client())
    server = AdmissionServer(webhook, lambda review: review_response(
        review, lambda request: judge(request, kube)))
    server.start()
    return server


def _start_http(settings: Settings, liveness_url: str | None) -> MetricsServer | None:
    """``/metrics`` and the liveness endpoint, from the start, on every replica (see
    `job_operator.metrics.server` for why not on the webhook's port)."""
    if settings.metrics_port is None and liveness_url is None:
        return None
    from job_operator.metrics import JOBS, REGISTRY
    from job_operator.metrics.server import HealthAddress, MetricsAddress, MetricsServer

    where = (None if settings.metrics_port is None
             else MetricsAddress(settings.metrics_port, settings.metrics_address))
    health = HealthAddress.from_url(liveness_url) if liveness_url else None
    server = MetricsServer(where, REGISTRY, JOBS.exposition, health=health)
    server.start()
    return server


def _without_flag(args: list[str], flag: str) -> tuple[list[str], str | None]:
    """``args`` without ``flag`` (``--flag=value`` or ``--flag value``), and its value."""
    rest: list[str] = []
    value = None
    words = iter(args)
    for word in words:
        if word == flag:
            value = next(words, None)
        elif word.startswith(f"{flag}="):
            value = word.split("=", 1)[1]
        else:
            rest.append(word)
    return rest, value


def _configure_logging(args: list[str], log_format: str) -> list[str]:
    """kopf's handler for every logger (root), in JSON when chosen; kopf's own ``run``
    configures it again from the same flags, so its lines match ours."""
    if log_format == "json" and not _flag_values(args, "--log-format"):
        args = [*args, "--log-format=json"]
    chosen = kopf.LogFormat.JSON if log_format == "json" else kopf.LogFormat.FULL
    kopf.configure(verbose="--verbose" in args, debug="--debug" in args, log_format=chosen)
    return args


RECURSION_LIMIT = 25_000
"""The API server stores JSON nested up to 10,000 levels (its decoder's limit), and kopf
decodes, diffs and copies each watched object recursively, before any handler of ours
runs: at Python's default limit (1,000) one DynamicJob with 1,000 levels in its
parameters (stored while the webhook was down) ended the watch and crash-looped the
operator. With this limit every object the API server can hold is decoded; our own
validation then measures depth without recursion and marks such a job Stalled before
anything else (pydantic, jsonschema, json.dumps) reads it. Measured: 10,000 levels
decode, encode and deep-copy within 25,000 in the main thread and in a worker thread
with the default 8 MiB stack."""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    namespaces = _flag_values(args, "--namespace", "-n")
    if namespaces:
        os.environ["DYNAMICJOBS_NAMESPACES"] = ",".join(namespaces)
    elif "--all-namespaces" not in args and "-A" not in args:
        args.append("--all-namespaces")
    settings = Settings.from_env()
    args = _configure_logging(args, settings.log_format)
    lease = LeaseSettings.from_env()
    args, liveness_url = _without_flag(args, "--liveness")
    metrics = _start_http(settings, liveness_url)
    admission = _start_admission(settings)
    try:
        if lease is None:
            LEADER.set(1)
            return _run_kopf(args)
        from job_operator.election.standby import run_elected

        return run_elected(lease, lambda: _run_kopf(args))
    finally:
        LEADER.set(0)
        if admission is not None:
            admission.stop()
        if metrics is not None:
            metrics.stop()


if __name__ == "__main__":
    sys.exit(main())
