"""Run the controllers only while this process leads: a standby waits for the Lease.

While waiting, the liveness endpoint (`job_operator.metrics.liveness`) answers that it
stands by, so the kubelet does not restart a healthy standby. The admission webhook is
served by every replica all along (see `job_operator.admission.server`), leader or not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator

from job_operator.election.leader import LeaderElector, LeaseSettings
from job_operator.kube import Kube, load_client
from job_operator.metrics.liveness import LIVENESS
from job_operator.metrics.registry import LEADER

log = logging.getLogger(__name__)
EXIT_LEASE_LOST = 3


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


def run_elected(settings: LeaseSettings, run: Callable[[], int]) -> int:
    """Wait for the Lease, then ``run()`` while renewing it; release it afterwards."""
    elector = LeaderElector(
        Kube(load_client(), request_timeout=settings.renew_deadline_seconds), settings)
    stop = threading.Event()
    LIVENESS.standing_by = True
    with _stop_on_signals(stop):
        acquired = elector.acquire(stop)
        LIVENESS.standing_by = False
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
