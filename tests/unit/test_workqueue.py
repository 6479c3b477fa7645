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


def test_a_key_has_one_delayed_add_the_earliest_with_the_flags_ored() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for delay, flag in ((60.0, True), (0.05, False), (30.0, False)):
        queue.add_after("retry", delay, flag)
    assert len(queue) == 1, "retries of one key do not pile up"
    assert queue.get() == ("retry", True)
    queue.done("retry")
    assert len(queue) == 0, "the later delayed adds went with the earliest"


def test_a_delayed_add_wakes_a_worker_already_waiting() -> None:
    queue: WorkQueue[str] = WorkQueue()
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    queue.add_after("late", 0.05)
    worker.join(timeout=10)
    assert not worker.is_alive() and got == [("late", False)]
