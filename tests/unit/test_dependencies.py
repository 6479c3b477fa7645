"""dependsOn: the rules, and one downstream run per upstream success."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from job_operator.builders import dependency_job_name
from job_operator.dependencies import DependencyIndex, find_cycle, fresh_successes
from job_operator.runs.dependent import start_dependent_runs
from job_operator.settings import Settings
from job_operator.validation import validate_dynamicjob
from tests.unit.fakes import FakeKube

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SETTINGS = Settings.from_env({})


def _job(name: str, *upstreams: str, runs: list[dict[str, Any]] | None = None,
         created: str = "2026-11-27T00:00:00Z") -> dict[str, Any]:
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}",
                     "creationTimestamp": created},
        "spec": {"template": "heartbeat", "schedule": "0 3 * * *", "suspend": True,
                 "dependsOn": [{"name": u} for u in upstreams]},
        "status": {"recentRuns": runs or []},
    }


def _run(run_id: str, finished: str, result: str = "Succeeded", **extra: Any) -> dict[str, Any]:
    return {"id": run_id, "result": result, "startedAt": finished, "finishedAt": finished,
            **extra}


def test_cycles_are_found_with_their_path() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]


def test_self_duplicate_and_cyclic_dependencies_are_refused() -> None:
    assert [p.field for p in validate_dynamicjob(_job("a", "a")).problems] == ["spec.dependsOn"]
    duplicate = validate_dynamicjob(_job("a", "b", "b")).problems
    assert "listed more than once: b" in duplicate[0].message
    cyclic = validate_dynamicjob(_job("a", "b"), siblings={"b": ["c"], "c": ["a"]}).problems
    assert [p.message for p in cyclic] == [
        "a dependency cycle: a -> b -> c -> a; remove one of these dependsOn entries"]
    assert validate_dynamicjob(_job("a", "b"), siblings={"b": ["c"], "c": []}).problems == []


def test_only_recent_real_successes_count() -> None:
    body = _job("up", runs=[
        _run("old", "2026-11-26T11:00:00Z"),
        _run("failed", "2026-11-28T11:00:00Z", result="Failed"),
        _run("planned", "2026-11-28T11:10:00Z", dryRun=True),
        _run("fresh-2", "2026-11-28T11:30:00Z"),
        _run("fresh-1", "2026-11-28T11:20:00Z"),
    ])
    assert fresh_successes(body, NOW) == ["fresh-1", "fresh-2"]


class JobsKube(FakeKube):
    def __init__(self) -> None:
        super().__init__({})
        self.jobs: dict[str, dict[str, Any]] = {}

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        if kind == "Job":
            return self.jobs.get(name)
        return super().get(kind, namespace, name)

    def create(self, obj: Any) -> dict[str, Any]:
        self.jobs[obj["metadata"]["name"]] = copy.deepcopy(dict(obj))
        return dict(obj)


def _indexed(*bodies: dict[str, Any]) -> DependencyIndex:
    """An index over these bodies, updated in the order given (as the watch would)."""
    known: dict[tuple[str, str], dict[str, Any]] = {}
    index = DependencyIndex(lambda namespace, name: known.get((namespace, name)))
    for body in bodies:
        known[(body["metadata"]["namespace"], body["metadata"]["name"])] = body
        index.update(body)
    return index


def test_each_upstream_success_starts_one_downstream_run_whoever_is_seen_first() -> None:
    upstream = _job("export", runs=[_run("export-1", "2026-11-28T11:00:00Z")])
    downstream = _job("report", "export")
    kube, index = JobsKube(), _indexed(downstream, upstream)
    started = start_dependent_runs(upstream, index, kube, SETTINGS, NOW)
    name = dependency_job_name("report", "export", "export-1")
    assert started == [("report", name)]
    job = kube.jobs[name]
    assert job["metadata"]["annotations"]["dynamicjobs.io/trigger"] == "Dependency"
    assert job["metadata"]["annotations"]["dynamicjobs.io/upstream-run"] == "export/export-1"
    assert start_dependent_runs(upstream, index, kube, SETTINGS, NOW) == []
    assert start_dependent_runs(downstream, index, kube, SETTINGS, NOW) == []
    assert len(kube.jobs) == 1


def test_a_dependency_added_later_does_not_replay_older_successes() -> None:
    upstream = _job("export", runs=[_run("export-1", "2026-11-28T11:00:00Z")])
    downstream = _job("report", "export", created="2026-11-28T11:30:00Z")
    kube, index = JobsKube(), _indexed(upstream, downstream)
    assert start_dependent_runs(downstream, index, kube, SETTINGS, NOW) == []


def test_an_invalid_downstream_is_not_started() -> None:
    upstream = _job("export", runs=[_run("export-1", "2026-11-28T11:00:00Z")])
    downstream = _job("report", "export")
    downstream["spec"]["schedule"] = "61 * * * *"
    kube, index = JobsKube(), _indexed(downstream)
    assert start_dependent_runs(upstream, index, kube, SETTINGS, NOW) == []
