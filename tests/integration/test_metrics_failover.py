"""Run counts across a failover: two real operator replicas electing through a Lease, runs
recorded in the status the way the runner records them, and /metrics read from both
processes with the Prometheus text parser. The new leader reports the totals the old one
did (from the status), never the old totals again on top, and counts on from there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from prometheus_client.parser import text_string_to_metric_families

from job_operator.kube import Kube
from job_runner.api import RunRecord
from job_runner.report import StatusReporter
from local_cluster.controlplane import ControlPlane
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess, elected_replica
from tests.kube.waiting import wait_for

LEASE = "dynamicjobs-metrics"
Totals = dict[tuple[str, str], float]


@pytest.fixture
def replicas(control_plane: ControlPlane, operator: OperatorProcess, namespace: str,
             tmp_path: Path, webhook_down: None) -> Iterator[Callable[[str], OperatorProcess]]:
    """Replicas electing through a Lease; the session's operator (no election) paused."""
    operator.stop()
    started: list[OperatorProcess] = []

    def replica(name: str) -> OperatorProcess:
        process = elected_replica(control_plane, namespace, LEASE, name, tmp_path / name)
        started.append(process)
        process.start()
        return process

    yield replica
    for process in started:
        process.stop()
    operator.start()


def _samples(process: OperatorProcess, name: str) -> dict[tuple[str, ...], float]:
    found = {}
    for family in text_string_to_metric_families(process.metrics()):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sample.labels[k] for k in sorted(sample.labels))] = sample.value
    return found


def _leader(process: OperatorProcess) -> float:
    return _samples(process, "dynamicjobs_operator_leader")[()]


def _totals(process: OperatorProcess, job: str) -> Totals:
    """runs_total of ``job`` by (result, trigger); labels sorted: name, namespace, result,
    template, trigger."""
    return {(labels[2], labels[4]): value for labels, value in
            _samples(process, "dynamicjobs_job_runs_total").items() if labels[0] == job}


def _record(reporter: StatusReporter, run_id: str, result: str, minute: int,
            trigger: str = "Schedule") -> None:
    started = f"2026-12-01T08:{minute:02d}:00.000Z"
    assert reporter.record(RunRecord(
        id=run_id, result=result, trigger=trigger,  # type: ignore[arg-type]
        started_at=started, finished_at=f"2026-12-01T08:{minute:02d}:05.000Z"),
        history_limit=10)


def test_run_counts_survive_a_failover_without_counting_a_run_twice(
    replicas: Callable[[str], OperatorProcess], api_client: client.ApiClient, namespace: str,
    kubeconfig: Path,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    first = replicas("first")
    wait_for(lambda: _leader(first) == 1, timeout=60, what="first to lead")
    second = replicas("second")
    wait_for(lambda: "standby: Lease" in second.log_text(), timeout=60, what="second standby")
    jobs.create("counted", schedule="0 4 * * *")
    wait_for(lambda: jobs.is_ready("counted"), timeout=60, what="counted Ready")

    reporter = StatusReporter(Kube(config.new_client_from_config(str(kubeconfig))),
                              namespace, "counted")
    _record(reporter, "counted-1", "Succeeded", 1)
    _record(reporter, "counted-2", "Succeeded", 2, trigger="Manual")
    _record(reporter, "counted-3", "Failed", 3)
    before = {("Succeeded", "Schedule"): 1.0, ("Succeeded", "Manual"): 1.0,
              ("Failed", "Schedule"): 1.0}
    wait_for(lambda: _totals(first, "counted") == before, timeout=30,
             what="the leader to count the three runs")
    assert _leader(second) == 0 and _totals(second, "counted") == {}, \
        "a standby exports no job series, so sums over replicas count each run once"
    wait_for(lambda: (jobs.condition("counted", "Degraded") or {}).get("reason")
             == "LastRunFailed", timeout=30, what="Degraded after the failed run")

    first.kill()
    wait_for(lambda: _leader(second) == 1, timeout=60, what="second to take over")
    wait_for(lambda: _totals(second, "counted") == before, timeout=30,
             what="the new leader to report the same totals")

    _record(reporter, "counted-4", "Succeeded", 4)
    after = {**before, ("Succeeded", "Schedule"): 2.0}
    wait_for(lambda: _totals(second, "counted") == after, timeout=30,
             what="the new leader to count the new run once")
    wait_for(lambda: jobs.condition("counted", "Degraded") is None, timeout=30,
             what="a success to clear Degraded (there only while True)")
