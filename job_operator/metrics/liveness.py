"""Whether this process is well, for the kubelet's liveness probe (the ``--liveness`` URL).

Answered by the operator's own aiohttp server (`job_operator.metrics.server`), the one that
serves ``/metrics``, on every replica: a standby is well while it waits for the Lease; a
leader once its startup (catalogue, informers, resync) is done and kopf's event loop still
runs a callback within a few seconds, since a loop stuck in blocking code is what a
restart cures. Until startup is done the answer is 503, so whoever waits for the
controllers (the tests, ``./dev run``) polls this URL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

LOOP_ANSWER_SECONDS = 5.0


@dataclass
class Liveness:
    standing_by: bool = False
    _controllers: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def controllers_started(self, loop: asyncio.AbstractEventLoop) -> None:
        self.standing_by, self._controllers = False, loop

    def controllers_stopped(self) -> None:
        self._controllers = None

    async def check(self, timeout: float = LOOP_ANSWER_SECONDS) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body to answer a probe with."""
        loop = self._controllers
        if loop is not None:
            try:
                answered = asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop)
                await asyncio.wait_for(asyncio.wrap_future(answered), timeout)
            except (TimeoutError, RuntimeError):
                return 503, {"controllers": "not answering"}
            return 200, {"controllers": "running"}
        if self.standing_by:
            return 200, {"standby": True}
        return 503, {"controllers": "starting"}


LIVENESS = Liveness()
