"""Leader election over a coordination.k8s.io Lease: one active operator, the others standby.

kopf's own peering freezes *every* operator when two share a priority, so it cannot give
one active replica plus a standby. This follows client-go's leaderelection instead:

- A candidate takes the Lease when it is free, released, or expired. Expiry is judged by
  the candidate's own clock, from when it last saw the Lease *change*, never by comparing
  the holder's renewTime with the local clock, so clock skew between nodes cannot make two
  leaders.
- Every write is a PUT carrying the resourceVersion it read, so of two candidates racing
  for a free Lease exactly one wins (the other gets 409).
- The leader renews every ``retry_seconds``, each call bounded by a timeout. If it cannot
  renew for ``renew_deadline_seconds`` (less than the lease duration), judged by a watchdog
  on the clock, or sees another holder, it must stop acting before anyone else may start:
  the operator process exits, and its pod restarts as a standby.
- On a clean shutdown the leader releases the Lease, so the standby takes over at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubernetes.client.exceptions import ApiException

from job_operator.kube import Kube

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseSettings:
    namespace: str
    name: str
    identity: str
    lease_seconds: int = 15
    renew_deadline_seconds: float = 10.0
    retry_seconds: float = 2.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LeaseSettings | None:
        """None when leader election is off (no ``DYNAMICJOBS_LEASE_NAME``)."""
        env = os.environ if environ is None else environ
        name = env.get("DYNAMICJOBS_LEASE_NAME")
        if not name:
            return None
        settings = cls(
            namespace=env.get("DYNAMICJOBS_LEASE_NAMESPACE") or "default",
            name=name,
            identity=f"{env.get('POD_ID') or socket.gethostname()}_{uuid.uuid4().hex[:8]}",
            lease_seconds=int(env.get("DYNAMICJOBS_LEASE_SECONDS", "15")),
            renew_deadline_seconds=float(env.get("DYNAMICJOBS_LEASE_RENEW_DEADLINE_SECONDS",
                                                 "10")),
            retry_seconds=float(env.get("DYNAMICJOBS_LEASE_RETRY_SECONDS", "2")),
        )
        if not settings.retry_seconds < settings.renew_deadline_seconds < settings.lease_seconds:
            raise ValueError("leader election needs retry < renew deadline < lease duration, "
                             f"not {settings.retry_seconds} / {settings.renew_deadline_seconds}"
                             f" / {settings.lease_seconds} seconds")
        return settings


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(self, kube: Kube, settings: LeaseSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.kube = kube
        self.settings = settings
        self.clock = clock
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self._last_renewal = 0.0

    @property
    def identity(self) -> str:
        return self.settings.identity

    def try_acquire_or_renew(self, *, renew_only: bool = False) -> bool:
        """One attempt: True when this candidate holds the Lease afterwards. With
        ``renew_only`` (a leader keeping it) a Lease that is not ours is never taken: a
        leader that lost it must stop, not take it back."""
        settings = self.settings
        lease = self.kube.get("Lease", settings.namespace, settings.name)
        if lease is None:
            return not renew_only and self._write(self._fresh_lease(), create=True)
        spec = lease.setdefault("spec", {})
        self._observe(spec)
        holder = spec.get("holderIdentity")
        if renew_only and holder != self.identity:
            return False
        duration = spec.get("leaseDurationSeconds") or settings.lease_seconds
        if holder and holder != self.identity and self.clock() < self._observed_at + duration:
            return False
        now = _now()
        if holder != self.identity:
            spec["acquireTime"] = now
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        spec.update(holderIdentity=self.identity, renewTime=now,
                    leaseDurationSeconds=settings.lease_seconds)
        return self._write(lease, create=False)

    def acquire(self, stop: threading.Event) -> bool:
        """Wait until this candidate leads (True) or ``stop`` is set (False)."""
        announced: str | None = None
        while not stop.is_set():
            if self._attempt():
                log.info("leading: holding Lease %s/%s as %s", self.settings.namespace,
                         self.settings.name, self.identity)
                return True
            current = self._observed[0] if self._observed else None
            if current != announced:
                log.info("standby: Lease %s/%s is held by %s", self.settings.namespace,
                         self.settings.name, current)
                announced = current
            stop.wait(self.settings.retry_seconds)
        return False

    def keep(self, stop: threading.Event, on_lost: Callable[[], None]) -> None:
        """Renew until ``stop`` is set. ``on_lost`` is called (once) as soon as the Lease is
        seen held by another, or when no renewal succeeded for the renew deadline. A watchdog
        judges the deadline by the clock alone, so a call that hangs cannot keep a deposed
        leader acting."""
        lost = threading.Event()

        def lose(why: str) -> None:
            if not lost.is_set():
                lost.set()
                log.error("lost the Lease %s/%s: %s", self.settings.namespace,
                          self.settings.name, why)
                on_lost()

        watchdog = threading.Thread(target=self._watch_deadline, args=(stop, lost, lose),
                                    name="lease-watchdog", daemon=True)
        watchdog.start()
        while not stop.wait(self.settings.retry_seconds) and not lost.is_set():
            if self._attempt(renew_only=True):
                continue
            holder = self._observed[0] if self._observed else None
            if holder is not None and holder != self.identity:
                lose(f"it is held by {holder} now")
        watchdog.join()

    def _watch_deadline(self, stop: threading.Event, lost: threading.Event,
                        lose: Callable[[str], None]) -> None:
        while not stop.wait(self.settings.retry_seconds / 2) and not lost.is_set():
            if self.clock() - self._last_renewal >= self.settings.renew_deadline_seconds:
                lose(f"not renewed for {self.settings.renew_deadline_seconds:.0f} s")

    def release(self) -> None:
        """Give the Lease up (only if still ours), so a standby need not wait for expiry."""
        try:
            lease = self.kube.get("Lease", self.settings.namespace, self.settings.name)
            spec = (lease or {}).get("spec") or {}
            if lease is None or spec.get("holderIdentity") != self.identity:
                return
            spec.update(holderIdentity=None, leaseDurationSeconds=1, renewTime=_now())
            self.kube.replace(lease)
            log.info("released the Lease %s/%s", self.settings.namespace, self.settings.name)
        except Exception as error:
            log.warning("could not release the Lease (a standby takes it when it expires): "
                        "%s: %s", type(error).__name__, error)

    def _attempt(self, *, renew_only: bool = False) -> bool:
        """One attempt that never raises: any failure (an API error, a timeout, a dropped
        connection, which the client raises as urllib3 errors) counts as not holding."""
        try:
            held = self.try_acquire_or_renew(renew_only=renew_only)
        except Exception as error:
            log.warning("Lease %s/%s: %s: %s", self.settings.namespace, self.settings.name,
                        type(error).__name__, error)
            return False
        if held:
            self._last_renewal = self.clock()
        return held

    def _observe(self, spec: Mapping[str, Any]) -> None:
        record = (spec.get("holderIdentity"), spec.get("renewTime"),
                  spec.get("leaseDurationSeconds"), spec.get("leaseTransitions"))
        if record != self._observed:
            self._observed, self._observed_at = record, self.clock()

    def _fresh_lease(self) -> dict[str, Any]:
        now = _now()
        return {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": self.settings.name, "namespace": self.settings.namespace},
            "spec": {"holderIdentity": self.identity, "leaseDurationSeconds":
                     self.settings.lease_seconds, "acquireTime": now, "renewTime": now,
                     "leaseTransitions": 0},
        }

    def _write(self, lease: dict[str, Any], *, create: bool) -> bool:
        try:
            written = self.kube.create(lease) if create else self.kube.replace(lease)
        except ApiException as error:
            if error.status == 409:
                return False  # someone else wrote first; look again next time
            raise
        self._observe(written.get("spec") or {})
        return True
