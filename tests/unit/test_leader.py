"""Leader election: one holder at a time, expiry by the candidate's own clock, release."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import MaxRetryError

from job_operator.election.leader import LeaderElector, LeaseSettings


class LeaseStore:
    """The API server's part: one Lease, optimistic concurrency by resourceVersion."""

    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.version = 0
        self.failing = False

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        self._maybe_fail()
        return copy.deepcopy(self.lease)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._maybe_fail()
        if self.lease is not None:
            raise ApiException(status=409, reason="AlreadyExists")
        return self._store(obj)

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._maybe_fail()
        assert self.lease is not None
        if obj["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]:
            raise ApiException(status=409, reason="Conflict")
        return self._store(obj)

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        self.lease = copy.deepcopy(obj)
        self.lease["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(self.lease)

    def _maybe_fail(self) -> None:
        if self.failing:
            raise ApiException(status=503, reason="Unavailable")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _candidate(store: LeaseStore, clock: Clock, identity: str) -> LeaderElector:
    settings = LeaseSettings(namespace="ops", name="dynamicjobs", identity=identity,
                             lease_seconds=15, renew_deadline_seconds=10, retry_seconds=2)
    return LeaderElector(store, settings, clock=clock)  # type: ignore[arg-type]


def test_the_first_candidate_takes_the_lease_and_the_second_stands_by() -> None:
    store, clock = LeaseStore(), Clock()
    a, b = _candidate(store, clock, "a"), _candidate(store, clock, "b")
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    assert store.lease is not None and store.lease["spec"]["holderIdentity"] == "a"
    clock.now += 14
    assert a.try_acquire_or_renew(), "the holder renews"
    clock.now += 14
    assert not b.try_acquire_or_renew(), "a renewed lease is not expired for b"


def test_an_unrenewed_lease_is_taken_after_its_duration_by_the_standbys_clock() -> None:
    store, clock = LeaseStore(), Clock()
    a, b = _candidate(store, clock, "a"), _candidate(store, clock, "b")
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    clock.now += 14.9
    assert not b.try_acquire_or_renew()
    clock.now += 0.2
    assert b.try_acquire_or_renew()
    assert store.lease is not None
    assert store.lease["spec"]["holderIdentity"] == "b"
    assert store.lease["spec"]["leaseTransitions"] == 1


def test_a_stale_renew_time_does_not_count_as_expired_clock_skew() -> None:
    """A holder whose clock is far behind writes old renewTimes; the lease still holds."""
    store, clock = LeaseStore(), Clock()
    a, b = _candidate(store, clock, "a"), _candidate(store, clock, "b")
    assert a.try_acquire_or_renew()
    assert store.lease is not None
    store.lease["spec"]["renewTime"] = "2001-01-01T00:00:00.000000Z"
    assert not b.try_acquire_or_renew()


def test_two_candidates_racing_for_a_free_lease_cannot_both_win() -> None:
    store, clock = LeaseStore(), Clock()
    a, b, c = (_candidate(store, clock, name) for name in "abc")
    assert a.try_acquire_or_renew()
    a.release()
    free_as_b_saw_it = store.get("Lease", "ops", "dynamicjobs")
    assert c.try_acquire_or_renew()
    store.get = lambda *_: copy.deepcopy(free_as_b_saw_it)  # type: ignore[method-assign]
    assert not b.try_acquire_or_renew(), "b's write carries the old resourceVersion"
    assert store.lease is not None and store.lease["spec"]["holderIdentity"] == "c"


def test_a_released_lease_is_free_at_once() -> None:
    store, clock = LeaseStore(), Clock()
    a, b = _candidate(store, clock, "a"), _candidate(store, clock, "b")
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    a.release()
    assert b.try_acquire_or_renew()
    b_lease = store.lease
    a.release()
    assert store.lease == b_lease, "releasing a lease someone else holds changes nothing"


def _fast(elector: LeaderElector) -> LeaderElector:
    elector.settings = LeaseSettings(namespace="ops", name="dynamicjobs",
                                     identity=elector.identity, lease_seconds=15,
                                     renew_deadline_seconds=10, retry_seconds=0.001)
    return elector


def test_the_leader_gives_up_when_it_cannot_renew_within_the_deadline() -> None:
    store, clock = LeaseStore(), Clock()
    a = _fast(_candidate(store, clock, "a"))
    assert a.acquire(threading.Event())
    store.failing = True
    lost: list[float] = []
    lock = threading.Lock()

    def one_second_per_look() -> float:
        with lock:
            clock.now += 1
            return clock.now

    a.clock = one_second_per_look
    started = clock.now
    a.keep(threading.Event(), lambda: lost.append(clock.now))
    assert len(lost) == 1, "on_lost is called once"
    assert lost[0] - started >= 10, "not before the renew deadline"


def test_a_leader_that_sees_another_holder_gives_up_at_once() -> None:
    store, clock = LeaseStore(), Clock()
    a = _fast(_candidate(store, clock, "a"))
    assert a.acquire(threading.Event())
    assert store.lease is not None
    store.lease["spec"]["holderIdentity"] = "b"
    lost: list[str] = []
    a.keep(threading.Event(), lambda: lost.append("lost"))
    assert lost == ["lost"]
    assert clock.now == 1000.0, "at once: no time had to pass"
    assert store.lease["spec"]["holderIdentity"] == "b", "and it did not take it back"


def test_a_keeping_leader_never_takes_a_free_lease() -> None:
    store, clock = LeaseStore(), Clock()
    a = _candidate(store, clock, "a")
    assert a.try_acquire_or_renew()
    a.release()
    version = store.version
    assert not a.try_acquire_or_renew(renew_only=True)
    assert store.version == version, "nothing written"


def test_any_error_of_the_client_counts_as_not_holding() -> None:
    """The client raises urllib3's own errors for a dropped connection or a timeout."""
    store, clock = LeaseStore(), Clock()
    candidate = _fast(_candidate(store, clock, "a"))
    stop = threading.Event()
    calls: list[int] = []

    def unreachable(*_: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            stop.set()
        raise MaxRetryError(None, "https://api", "connection refused")  # type: ignore[arg-type]

    store.get = unreachable  # type: ignore[assignment,method-assign]
    assert not candidate.acquire(stop)
    assert len(calls) == 3
    candidate.release()  # logs, does not raise


def test_a_standby_stops_waiting_when_told_to() -> None:
    store, clock = LeaseStore(), Clock()
    assert _candidate(store, clock, "a").try_acquire_or_renew()
    stop = threading.Event()
    stop.set()
    assert not _candidate(store, clock, "b").acquire(stop)


@pytest.mark.parametrize("env", [
    {"DYNAMICJOBS_LEASE_NAME": "x", "DYNAMICJOBS_LEASE_SECONDS": "5"},
    {"DYNAMICJOBS_LEASE_NAME": "x", "DYNAMICJOBS_LEASE_RETRY_SECONDS": "10"},
])
def test_inconsistent_timings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="retry < renew deadline < lease duration"):
        LeaseSettings.from_env(env)


def test_election_is_off_without_a_lease_name_and_identities_differ() -> None:
    assert LeaseSettings.from_env({}) is None
    one = LeaseSettings.from_env({"DYNAMICJOBS_LEASE_NAME": "x", "POD_ID": "pod-1"})
    two = LeaseSettings.from_env({"DYNAMICJOBS_LEASE_NAME": "x", "POD_ID": "pod-1"})
    assert one is not None and two is not None
    assert one.identity.startswith("pod-1_") and one.identity != two.identity
