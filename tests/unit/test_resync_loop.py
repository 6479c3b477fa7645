"""The resync loop is what repairs drift and finds missed runs: nothing may end it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
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



def test_the_handlers_module_reads_no_settings_at_import() -> None:
    """Settings are read once, when the operator starts, not as a side effect of import:
    a setting that cannot be read does not break the import (it used to, through
    DRIFT_CHECK_SECONDS)."""
    env = {**os.environ, "DYNAMICJOBS_DRIFT_CHECK_SECONDS": "not a number"}
    result = subprocess.run([sys.executable, "-c", "import job_operator.controller.handlers"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
