"""Jobs that run after other jobs succeed (``spec.dependsOn``).

The rules (no self-dependency, no duplicates, no cycles in a namespace) and the bookkeeping
the operator needs to start a downstream run once per upstream success: an in-memory index
of who depends on whom, fed by the watch, and the upstream runs that are recent enough to
act on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from job_runner.api import parse_time, read_status

TRIGGER_WINDOW = timedelta(hours=23)
"""Act on upstream successes this recent. Shorter than the downstream Job's time to live,
so a Job's deterministic name still exists (and blocks a second start) for as long as its
upstream run counts as fresh, even across operator restarts."""


def depends_on(spec: Mapping[str, Any]) -> list[str]:
    entries = spec.get("dependsOn") or []
    return [e["name"] for e in entries if isinstance(e, Mapping) and isinstance(e.get("name"), str)]


def find_cycle(edges: Mapping[str, Iterable[str]], start: str | None = None) -> list[str] | None:
    """A path that comes back to its start, e.g. ["a", "b", "a"], or None; searched from
    ``start`` first, so a cycle through it is told from its point of view."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for upstream in edges.get(node, ()):
            if state.get(upstream) == "open":
                return [*path[path.index(upstream):], upstream]
            if upstream not in state and (cycle := visit(upstream)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in [*([start] if start else []), *edges]:
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def dependency_problems(
    name: str, upstreams: list[str], siblings: Mapping[str, list[str]] | None
) -> list[tuple[str, str]]:
    """(field, message) pairs; ``siblings`` maps the other jobs of the namespace to their
    dependsOn names (None offline, when they are unknown: cycles are then not checked)."""
    problems = []
    if name in upstreams:
        problems.append(("spec.dependsOn", f"{name} cannot depend on itself"))
    duplicates = sorted({u for u in upstreams if upstreams.count(u) > 1})
    if duplicates:
        problems.append(("spec.dependsOn", f"listed more than once: {', '.join(duplicates)}"))
    if siblings is not None and name not in upstreams:
        cycle = find_cycle({**siblings, name: upstreams}, start=name)
        if cycle and name in cycle:
            problems.append(("spec.dependsOn", "a dependency cycle: " + " -> ".join(cycle)
                             + "; remove one of these dependsOn entries"))
    return problems


def fresh_successes(body: Mapping[str, Any], now: datetime) -> list[str]:
    """Ids of this job's real (not dry) succeeded runs that finished within TRIGGER_WINDOW,
    oldest first."""
    found = []
    for run in read_status(body.get("status")).recent_runs:
        finished = parse_time(run.finished_at)
        if run.result != "Succeeded" or finished is None or run.dry_run:
            continue  # a dry run only planned: nothing happened to depend on
        if now - finished <= TRIGGER_WINDOW:
            found.append((finished, run.id))
    return [run_id for _, run_id in sorted(found)]


BodyReader = Callable[[str, str], "Mapping[str, Any] | None"]
"""(namespace, name) -> the DynamicJob as the operator last saw it, or None."""


class DependencyIndex:
    """Who depends on whom, per namespace: each job's dependsOn names, extracted once when
    its body arrives, and the reverse, so that finding a job's dependents costs a lookup,
    not a scan of the namespace. Bodies are not kept here: ``read`` gives the current one
    (the operator's informer holds every DynamicJob already).

    Shared by threads (the watch updates it while reconciles read it), so every access
    holds one lock, and readers get copies that later updates do not change.
    """

    def __init__(self, read: BodyReader) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._upstreams: dict[str, dict[str, tuple[str, ...]]] = {}
        """namespace -> job -> the jobs it depends on (only jobs that depend on any)."""
        self._downstreams: dict[str, dict[str, set[str]]] = {}
        """namespace -> job -> the jobs that depend on it."""

    def update(self, body: Mapping[str, Any]) -> None:
        metadata = body["metadata"]
        namespace, name = metadata["namespace"], metadata["name"]
        upstreams = tuple(depends_on(body.get("spec") or {}))
        with self._lock:
            if self._upstreams.get(namespace, {}).get(name, ()) != upstreams:
                self._unlink(namespace, name)
                self._link(namespace, name, upstreams)

    def remove(self, namespace: str, name: str) -> None:
        with self._lock:
            self._unlink(namespace, name)

    def get(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self._read(namespace, name)

    def siblings(self, namespace: str, name: str) -> dict[str, list[str]]:
        """The dependsOn names of every other job in the namespace that has any (only
        those can be part of a cycle)."""
        with self._lock:
            return {other: list(upstreams)
                    for other, upstreams in self._upstreams.get(namespace, {}).items()
                    if other != name}

    def dependents(self, namespace: str, upstream: str) -> list[Mapping[str, Any]]:
        """The jobs that depend on ``upstream``, by name."""
        with self._lock:
            names = sorted(self._downstreams.get(namespace, {}).get(upstream, ()))
        return [body for name in names if (body := self._read(namespace, name)) is not None]

    def _link(self, namespace: str, name: str, upstreams: tuple[str, ...]) -> None:
        if not upstreams:
            return
        self._upstreams.setdefault(namespace, {})[name] = upstreams
        downstreams = self._downstreams.setdefault(namespace, {})
        for upstream in upstreams:
            downstreams.setdefault(upstream, set()).add(name)

    def _unlink(self, namespace: str, name: str) -> None:
        jobs = self._upstreams.get(namespace, {})
        downstreams = self._downstreams.get(namespace, {})
        for upstream in jobs.pop(name, ()):
            dependents = downstreams.get(upstream, set())
            dependents.discard(name)
            if not dependents:
                downstreams.pop(upstream, None)
        for table in (self._upstreams, self._downstreams):
            if not table.get(namespace, True):
                del table[namespace]
