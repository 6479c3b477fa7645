"""A work queue of object keys, as client-go's workqueue has it: what waits is a key, never
a body, so a burst of thousands of events costs a set entry each, and the worker reads the
newest body when it gets to the key.

- A key waits at most once however often it is added (events for one object coalesce).
- A key is handled by one worker at a time: added while a worker has it, it waits until
  that worker is done, and is then handed out again.
- A key can be added back after a delay (a retry); the delay is waited for by the
  workers' own ``get``, no timer thread. A key has at most one delayed add, the earliest
  asked for, so retries of one key never pile up.

Each key carries a flag, OR-ed over its adds: the DynamicJob workers use it for "reconcile
even if the spec did not change" (an object it owns changed).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class WorkQueue(Generic[K]):
    def __init__(self) -> None:
        self._ready: deque[K] = deque()
        self._flags: dict[K, bool] = {}
        """Every key added and not yet handed out, with its flag."""
        self._processing: set[K] = set()
        self._delayed: list[tuple[float, int, K]] = []
        self._due: dict[K, tuple[float, bool]] = {}
        """The one delayed add of each key that has one: when it is due, and its flag (an
        entry of ``_delayed`` with another time is stale)."""
        self._order = itertools.count()
        self._shut = False
        self._changed = threading.Condition()

    def add(self, key: K, flag: bool = False) -> None:
        with self._changed:
            self._add(key, flag)

    def add_after(self, key: K, delay: float, flag: bool = False) -> None:
        with self._changed:
            if self._shut:
                return
            due = time.monotonic() + delay
            earlier, its_flag = self._due.get(key, (due, False))
            self._due[key] = (min(due, earlier), flag or its_flag)
            if due <= earlier:
                heapq.heappush(self._delayed, (due, next(self._order), key))
                self._changed.notify()

    def get(self) -> tuple[K, bool] | None:
        """The next key and its flag, once one is due (blocks); None once shut down. The
        caller must call `done` with the key when it has handled it."""
        with self._changed:
            while True:
                if self._shut:
                    return None
                self._move_due()
                if self._ready:
                    key = self._ready.popleft()
                    self._processing.add(key)
                    return key, self._flags.pop(key)
                wait = self._delayed[0][0] - time.monotonic() if self._delayed else None
                self._changed.wait(wait)

    def done(self, key: K) -> None:
        with self._changed:
            self._processing.discard(key)
            if key in self._flags:
                self._ready.append(key)
                self._changed.notify()

    def shutdown(self) -> None:
        """Wake every waiting worker with None; later adds are ignored."""
        with self._changed:
            self._shut = True
            self._changed.notify_all()

    def __len__(self) -> int:
        """Keys waiting, due or delayed."""
        with self._changed:
            return len(self._flags) + len(self._due)

    def _add(self, key: K, flag: bool) -> None:
        if self._shut:
            return
        waiting = key in self._flags
        self._flags[key] = self._flags.get(key, False) or flag
        if not waiting and key not in self._processing:
            self._ready.append(key)
            self._changed.notify()

    def _move_due(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            due, _, key = heapq.heappop(self._delayed)
            if key in self._due and self._due[key][0] == due:
                self._add(key, self._due.pop(key)[1])
