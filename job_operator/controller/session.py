"""kopf's HTTP session to the API server, with a bounded connection pool.

kopf's own session allows any number of connections (``limit=0``). When a thousand
DynamicJobs are created at once, each one's patch opens a TLS connection of its own: the
operator spent 40 % of its event loop on handshakes and its RSS went from 210 to 440 MiB
in five seconds, heap that fragmentation never gave back (benchmarks/load.py, py-spy).
A bounded pool queues those requests on kept-alive connections instead.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import kopf

REQUEST_CONNECTIONS = 16
"""Connections for requests (patches, Events, lists), beside the watch streams."""
STREAMS_PER_NAMESPACE = 4
"""kopf watches the runs' Jobs in each namespace it serves (or once for the whole cluster;
the DynamicJobs and CronJobs are watched by the operator's own informers, on its own
client); four leaves room for more watched resources without starving requests."""


def connection_limit(namespaces: tuple[str, ...]) -> int | None:
    """The pool size for the watched ``namespaces``; None for glob patterns, whose number
    of watch streams grows with the cluster (kopf's own unbounded session then)."""
    if any(char in pattern for pattern in namespaces for char in "*?[!"):
        return None
    return REQUEST_CONNECTIONS + STREAMS_PER_NAMESPACE * max(1, len(namespaces))


def bounded_session(info: kopf.ConnectionInfo, connections: int) -> kopf.AiohttpSession:
    """The credentials of ``info`` on a session of at most ``connections`` connections."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, ssl=info.as_ssl_context()),
        headers=info.as_http_headers(),
    )
    return kopf.AiohttpSession(server=info.server, priority=info.priority,
                               default_namespace=info.default_namespace,
                               expiration=info.expiration, aiohttp_session=session)


async def login(namespaces: tuple[str, ...], **kwargs: Any
                ) -> kopf.ConnectionInfo | kopf.AiohttpSession | None:
    """kopf's usual login (in-cluster service account, else kubeconfig), bounded. Async,
    as the session must belong to kopf's event loop."""
    info = kopf.login_via_client(**kwargs)
    limit = connection_limit(namespaces)
    if info is None or limit is None:
        return info
    return bounded_session(info, limit)
