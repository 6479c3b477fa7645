"""The resync loop is what repairs drift and finds missed runs: nothing may end it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from urllib3.exceptions import ProtocolError

from job_operator.controller.resync import resync_forever


def _body(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns"}}


def test_a_job_whose_resync_fails_does_not_end_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []
    listings = iter([RuntimeError("the list failed once")])

    def watched() -> list[dict[str, Any]]:
        failure = next(listings, None)
        if failure is not None:
            raise failure
        return [_body("broken"), _body("fine")]

    def resync_one(body: dict[str, Any]) -> bool:
        seen.append(body["metadata"]["name"])
        if body["metadata"]["name"] == "broken":
            raise ProtocolError("Connection aborted.")
        return False

    async def two_passes() -> None:
        loop_task = asyncio.create_task(resync_forever(0, watched, resync_one))
        try:
            while seen.count("fine") < 2:
                assert not loop_task.done(), "the resync loop ended"
                await asyncio.sleep(0.01)
        finally:
            loop_task.cancel()

    asyncio.run(asyncio.wait_for(two_passes(), timeout=10))
    assert seen[:4] == ["broken", "fine", "broken", "fine"]
    assert "resync of ns/broken failed" in caplog.text
    assert "cannot list DynamicJobs: RuntimeError" in caplog.text



def test_a_cancelled_loop_stops_its_pass_between_two_jobs() -> None:
    """The pass runs in one worker thread; cancelling the loop (the operator stopping)
    ends it after the job in hand instead of going through every job."""
    started, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def resync_one(body: dict[str, Any]) -> bool:
        seen.append(body["metadata"]["name"])
        started.set()
        release.wait(5)
        return False

    async def cancel_during_the_first_job() -> None:
        task = asyncio.create_task(resync_forever(
            60, lambda: [_body("first"), _body("second"), _body("third")], resync_one))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()  # asyncio.run waits for the worker thread before returning

    asyncio.run(asyncio.wait_for(cancel_during_the_first_job(), timeout=10))
    assert seen == ["first"]


def test_the_first_pass_starts_once_the_list_is_whole_not_a_period_later() -> None:
    """A restarted operator catches up at once: the first pass waits for the DynamicJob
    list (at most one period), then runs; later passes come a period apart."""
    listed = threading.Event()
    waited: list[float] = []
    seen: list[str] = []

    def wait_listed(timeout: float) -> bool:
        waited.append(timeout)
        return listed.wait(timeout)

    def resync_one(body: dict[str, Any]) -> bool:
        seen.append(body["metadata"]["name"])
        return False

    async def first_pass() -> None:
        loop_task = asyncio.create_task(
            resync_forever(3600, lambda: [_body("a")], resync_one, wait_listed))
        try:
            await asyncio.sleep(0.05)
            assert seen == [], "no pass before the list is whole"
            listed.set()
            while not seen:
                assert not loop_task.done(), "the resync loop ended"
                await asyncio.sleep(0.01)
        finally:
            loop_task.cancel()

    asyncio.run(asyncio.wait_for(first_pass(), timeout=10))
    assert seen == ["a"], "one pass, and the next one a period (an hour) later"
    assert waited == [3600]


def test_the_handlers_module_reads_no_settings_at_import() -> None:
    """Settings are read once, when the operator starts, not as a side effect of import:
    a setting that cannot be read does not break the import (it used to, through
    DRIFT_CHECK_SECONDS)."""
    env = {**os.environ, "DYNAMICJOBS_DRIFT_CHECK_SECONDS": "not a number"}
    result = subprocess.run([sys.executable, "-c", "import job_operator.controller.handlers"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
