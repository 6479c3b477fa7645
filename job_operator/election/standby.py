"""Run the controllers only while this process leads: a standby waits for the Lease.

While waiting, the process serves ``--liveness`` itself (kopf's endpoint starts only with
kopf), so the kubelet does not restart a healthy standby. The admission webhook is served
by every replica all along (see `job_operator.admission.server`), leader or not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from job_operator.election.leader import LeaderElector, LeaseSettings
from job_operator.kube import Kube, load_client
from job_operator.metrics.registry import LEADER

log = logging.getLogger(__name__)
EXIT_LEASE_LOST = 3


@contextlib.contextmanager
def health_endpoint(url: str | None) -> Iterator[None]:
    """Answer 200 at ``url``'s path until the block ends (nothing when ``url`` is None)."""
    if not url:
        yield
        return
    target = urlsplit(url)
    path = target.path or "/"

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path.split("?", 1)[0] == path
            body = b'{"standby": true}' if found else b""
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((target.hostname or "0.0.0.0", target.port or 80), Health)  # noqa: S104
    thread = threading.Thread(target=server.serve_forever, name="standby-health", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _exit_lost() -> None:
    """Another replica may lead now: stop acting at once, without cleanup that writes."""
    logging.shutdown()
    os._exit(EXIT_LEASE_LOST)


def run_elected(settings: LeaseSettings, liveness_url: str | None,
                run: Callable[[], int]) -> int:
    """Wait for the Lease, then ``run()`` while renewing it; release it afterwards."""
    elector = LeaderElector(
        Kube(load_client(), request_timeout=settings.renew_deadline_seconds), settings)
    stop = threading.Event()
    with _stop_on_signals(stop), health_endpoint(liveness_url):
        acquired = elector.acquire(stop)
        if acquired and stop.is_set():  # told to stop as the Lease was won: give it back
            elector.release()
        if not acquired or stop.is_set():
            log.info("stopped while standing by")
            return 0
    # Until kopf installs its own handlers, a stop signal unwinds through the release below.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _interrupt)
    done = threading.Event()
    LEADER.set(1)
    keeper = threading.Thread(target=elector.keep, args=(done, _exit_lost),
                              name="lease-renewal", daemon=True)
    keeper.start()
    try:
        return run()
    except KeyboardInterrupt:
        log.info("stopped before the controllers started")
        return 0
    finally:
        LEADER.set(0)
        done.set()
        keeper.join(timeout=settings.retry_seconds + 5)
        elector.release()
