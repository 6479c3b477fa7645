"""The resync loop is what repairs drift and finds missed runs: nothing may end it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from urllib3.exceptions import ProtocolError

from job_operator.controller import handlers


def _body(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns"}}


def test_a_job_whose_resync_fails_does_not_end_the_loop(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
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

    monkeypatch.setattr(handlers, "DRIFT_CHECK_SECONDS", 0)
    monkeypatch.setattr(handlers, "_watched_dynamicjobs", watched)
    monkeypatch.setattr(handlers, "_resync_one", resync_one)

    async def two_passes() -> None:
        loop_task = asyncio.create_task(handlers._resync_forever())
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
