"""DependencyIndex is shared by threads: the watch updates it while reconciles (in other
threads) read the siblings. Under 10 creates/s that raised
"dictionary changed size during iteration" and failed reconciles (issue 8, break 3)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from job_operator.dependencies import DependencyIndex

HAMMER_SECONDS = 1.5


def _job(name: str, *upstreams: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns"},
            "spec": {"dependsOn": [{"name": u} for u in upstreams]}}


@pytest.fixture
def fast_thread_switches() -> Iterator[None]:
    """Switch threads as often as CPython allows, so a race shows within the time bound."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _hammer(index: DependencyIndex, reader: Callable[[], object]) -> list[BaseException]:
    """Writers add and remove jobs while readers iterate; the errors any thread raised."""
    errors: list[BaseException] = []
    stop = threading.Event()

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                while not stop.is_set():
                    work()
            except BaseException as error:  # the test reports any failure
                errors.append(error)
                stop.set()
        return run

    def writer(prefix: str) -> Callable[[], None]:
        def work() -> None:
            for i in range(50):
                index.update(_job(f"{prefix}-{i}", "base"))
            for i in range(50):
                index.remove("ns", f"{prefix}-{i}")
        return work

    threads = [threading.Thread(target=guarded(writer(f"w{n}"))) for n in range(3)]
    threads += [threading.Thread(target=guarded(lambda: (reader(), None)[1]))
                for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + HAMMER_SECONDS
    while time.monotonic() < deadline and not stop.is_set():
        stop.wait(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()
    return errors


@pytest.mark.usefixtures("fast_thread_switches")
def test_siblings_while_jobs_come_and_go() -> None:
    index = DependencyIndex(lambda namespace, name: None)
    for i in range(200):
        index.update(_job(f"steady-{i}", "base"))
    assert _hammer(index, lambda: index.siblings("ns", "steady-0")) == []


def test_a_snapshot_does_not_change_under_its_reader() -> None:
    index = DependencyIndex(lambda namespace, name: None)
    index.update(_job("a", "b"))
    siblings = index.siblings("ns", "c")
    index.update(_job("d", "a"))
    index.remove("ns", "a")
    assert siblings == {"a": ["b"]}
    assert index.siblings("ns", "c") == {"d": ["a"]}


def test_dependents_follow_changes_of_dependson() -> None:
    bodies = {name: _job(name) for name in ("a", "b", "c")}
    index = DependencyIndex(lambda namespace, name: bodies.get(name))
    index.update(_job("b", "a"))
    index.update(_job("c", "a", "b"))
    assert [d["metadata"]["name"] for d in index.dependents("ns", "a")] == ["b", "c"]
    index.update(_job("c", "b"))
    assert [d["metadata"]["name"] for d in index.dependents("ns", "a")] == ["b"]
    index.remove("ns", "b")
    assert index.dependents("ns", "a") == [] and index.siblings("ns", "x") == {"c": ["b"]}
