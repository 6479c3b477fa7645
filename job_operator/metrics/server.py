"""``/metrics`` over plain HTTP, on a port of its own, in a thread of its own.

Why not the admission server's port: that one speaks TLS with a certificate only the API
server is given the CA of, is written for the API server's requests alone (it refuses any
path but the webhook's), may be off (``webhook.enabled: false``), and its NetworkPolicy
admits only the API server. A scraper needs none of that, so metrics get a small aiohttp
app (aiohttp is there already, through kopf), started with the process like the webhook:
a standby serves it too, with ``dynamicjobs_operator_leader`` 0. The exposition is
rendered in a worker thread, so a scrape of thousands of DynamicJobs never holds the
server's loop, and sent gzipped to a scraper that accepts it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricsAddress:
    port: int
    address: str = "0.0.0.0"  # noqa: S104 - in a pod, the Service routes here


Exposition = Callable[[], str]
"""Series rendered outside the registry, appended to its text (the per-DynamicJob ones)."""


def exposition(registry: CollectorRegistry, extras: tuple[Exposition, ...]) -> bytes:
    return generate_latest(registry) + "".join(extra() for extra in extras).encode()


def metrics_app(registry: CollectorRegistry, *extras: Exposition) -> web.Application:
    async def metrics(_request: web.Request) -> web.Response:
        body = await asyncio.to_thread(exposition, registry, extras)
        response = web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
        response.enable_compression()  # gzip when asked (Prometheus asks): 3.5 MB -> 115 kB
        return response

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


class MetricsServer:
    """``start()`` binds and serves in a daemon thread; ``stop()`` closes the port."""

    def __init__(self, where: MetricsAddress, registry: CollectorRegistry,
                 *extras: Exposition) -> None:
        self.where = where
        self.registry = registry
        self.extras = extras
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        runner = web.AppRunner(metrics_app(self.registry, *self.extras), access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, self.where.address, self.where.port)
        loop.run_until_complete(site.start())
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self.where.port
        self._loop, self._runner = loop, runner
        self._thread = threading.Thread(target=loop.run_forever, name="metrics", daemon=True)
        self._thread.start()
        log.info("metrics: serving http://%s:%d/metrics", self.where.address, self.port)

    def stop(self) -> None:
        loop, runner, thread = self._loop, self._runner, self._thread
        if loop is None or runner is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._runner = self._thread = None
