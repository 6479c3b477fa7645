"""The liveness endpoint: served with /metrics by the operator's own HTTP server, it
answers for a standby, for controllers still starting, running, and stuck."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from job_operator.__main__ import _without_flag
from job_operator.metrics.liveness import Liveness
from job_operator.metrics.registry import REGISTRY
from job_operator.metrics.server import HealthAddress, MetricsServer


def _ask(liveness: Liveness, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
    return asyncio.run(liveness.check(timeout))


@pytest.fixture
def controllers_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    # A probe's task that the stuck loop had not run yet: finished here, not left pending.
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def test_starting_is_not_yet_alive_and_a_standby_is() -> None:
    liveness = Liveness()
    assert _ask(liveness) == (503, {"controllers": "starting"})
    liveness.standing_by = True
    assert _ask(liveness) == (200, {"standby": True})


def test_running_controllers_answer_and_a_stuck_loop_does_not(
        controllers_loop: asyncio.AbstractEventLoop) -> None:
    liveness = Liveness(standing_by=True)
    liveness.controllers_started(controllers_loop)
    assert _ask(liveness) == (200, {"controllers": "running"})
    release = threading.Event()
    controllers_loop.call_soon_threadsafe(release.wait)  # blocking code in the loop
    try:
        assert _ask(liveness, timeout=0.5) == (503, {"controllers": "not answering"})
    finally:
        release.set()
    liveness.controllers_stopped()
    assert _ask(liveness)[0] == 503


def test_the_operator_server_answers_the_probe_at_the_liveness_url() -> None:
    server = MetricsServer(None, REGISTRY,
                           health=HealthAddress.from_url("http://127.0.0.1:0/alive"))
    server.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{server.health_port}/alive", timeout=10)
    finally:
        server.stop()
    assert refused.value.code == 503
    assert json.loads(refused.value.read()) == {"controllers": "starting"}


def test_the_liveness_flag_is_taken_out_of_kopfs_arguments() -> None:
    assert _without_flag(["-A", "--liveness=http://0.0.0.0:8080/healthz", "--standalone"],
                         "--liveness") == (["-A", "--standalone"], "http://0.0.0.0:8080/healthz")
    assert _without_flag(["--liveness", "http://x:1/h", "-A"], "--liveness") == (
        ["-A"], "http://x:1/h")
    assert _without_flag(["-A"], "--liveness") == (["-A"], None)
