"""The DynamicJob work queue: a key waits once however often it is added, is handed to
one worker at a time, and comes back after a delay when asked."""

from __future__ import annotations

import threading
import time

from job_operator.controller.workqueue import WorkQueue


def test_adds_of_one_key_coalesce_and_their_flags_are_ored() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for key, flag in (("a", False), ("b", False), ("a", True), ("a", False)):
        queue.add(key, flag)
    assert len(queue) == 2
    assert queue.get() == ("a", True)
    assert queue.get() == ("b", False)
    assert len(queue) == 0


def test_a_key_added_while_a_worker_has_it_waits_until_that_worker_is_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    assert queue.get() == ("a", False)
    queue.add("a", True)
    queue.add("b")
    assert queue.get() == ("b", False), "a is still being handled"
    queue.done("b")
    queue.done("a")
    assert queue.get() == ("a", True)


def test_a_key_added_after_a_delay_is_handed_out_once_it_is_due() -> None:
    queue: WorkQueue[str] = WorkQueue()
    added = time.monotonic()
    queue.add_after("late", 0.2)
    queue.add("now")
    assert queue.get() == ("now", False)
    assert queue.get() == ("late", False)
    assert time.monotonic() - added >= 0.2


def test_shutdown_wakes_a_waiting_worker_and_later_adds_are_ignored() -> None:
    queue: WorkQueue[str] = WorkQueue()
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    queue.shutdown()
    worker.join(timeout=10)
    assert not worker.is_alive() and got == [None]
    queue.add("a")
    assert queue.get() is None
