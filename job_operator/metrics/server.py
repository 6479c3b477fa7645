"""The operator's small HTTP server: ``/metrics`` and the liveness probe's ``/healthz``
over plain HTTP, on ports of their own, in a thread of its own.

Why not the admission server's port: that one speaks TLS with a certificate only the API
server is given the CA of, is written for the API server's requests alone (it refuses any
path but the webhook's), may be off (``webhook.enabled: false``), and its NetworkPolicy
admits only the API server. A scraper needs none of that, so metrics get a small aiohttp
app (aiohttp is there already, through kopf), started with the process like the webhook:
a standby serves it too, with ``dynamicjobs_operator_leader`` 0. The exposition is
rendered in a worker thread, so a scrape of thousands of DynamicJobs never holds the
server's loop, and sent gzipped to a scraper that accepts it. The same server answers the
kubelet's liveness probe (`job_operator.metrics.liveness`) at the ``--liveness`` address,
instead of kopf's endpoint, which exists only while kopf runs (not on a standby).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from job_operator.metrics.liveness import LIVENESS, Liveness

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricsAddress:
    port: int
    address: str = "0.0.0.0"  # noqa: S104 - in a pod, the Service routes here


@dataclass(frozen=True)
class HealthAddress:
    """Where the liveness probe calls: kopf's ``--liveness`` URL, which the chart sets."""

    port: int
    address: str
    path: str

    @classmethod
    def from_url(cls, url: str) -> HealthAddress:
        target = urlsplit(url)
        return cls(target.port or 80, target.hostname or "0.0.0.0", target.path or "/")  # noqa: S104


Exposition = Callable[[], str]
"""Series rendered outside the registry, appended to its text (the per-DynamicJob ones)."""


def exposition(registry: CollectorRegistry, extras: tuple[Exposition, ...]) -> bytes:
    return generate_latest(registry) + "".join(extra() for extra in extras).encode()


def metrics_app(registry: CollectorRegistry, *extras: Exposition,
                liveness: Liveness = LIVENESS, health_path: str = "/healthz") -> web.Application:
    async def metrics(_request: web.Request) -> web.Response:
        body = await asyncio.to_thread(exposition, registry, extras)
        response = web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
        response.enable_compression()  # gzip when asked (Prometheus asks): 3.5 MB -> 115 kB
        return response

    async def health(_request: web.Request) -> web.Response:
        status, body = await liveness.check()
        return web.Response(status=status, text=json.dumps(body),
                            content_type="application/json")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get(health_path, health)
    return app


class MetricsServer:
    """``start()`` binds and serves in a daemon thread; ``stop()`` closes the ports.
    ``/metrics`` and the health path are served at each address given."""

    def __init__(self, where: MetricsAddress | None, registry: CollectorRegistry,
                 *extras: Exposition, health: HealthAddress | None = None) -> None:
        self.where = where
        self.health = health
        self.registry = registry
        self.extras = extras
        self.port = self.health_port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        app = metrics_app(self.registry, *self.extras,
                          health_path=self.health.path if self.health else "/healthz")
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        if self.where is not None:
            self.port = self._listen(loop, runner, self.where.address, self.where.port)
            log.info("metrics: serving http://%s:%d/metrics", self.where.address, self.port)
        if self.health is not None:
            self.health_port = self._listen(loop, runner, self.health.address, self.health.port)
            log.info("liveness: serving http://%s:%d%s", self.health.address, self.health_port,
                     self.health.path)
        self._loop, self._runner = loop, runner
        self._thread = threading.Thread(target=loop.run_forever, name="metrics", daemon=True)
        self._thread.start()

    @staticmethod
    def _listen(loop: asyncio.AbstractEventLoop, runner: web.AppRunner, address: str,
                port: int) -> int:
        site = web.TCPSite(runner, address, port)
        loop.run_until_complete(site.start())
        sockets = getattr(site._server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else port

    def stop(self) -> None:
        loop, runner, thread = self._loop, self._runner, self._thread
        if loop is None or runner is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._runner = self._thread = None
