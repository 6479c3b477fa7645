"""The operator's metrics: run counts from the status, once per run id; the per-job
gauges; the operator's own series; and /metrics served over real HTTP on loopback."""

from __future__ import annotations

import gzip
import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from job_operator.admission.server import answer_body, verdict
from job_operator.admission.webhook import review_response
from job_operator.metrics import REGISTRY
from job_operator.metrics.jobs import JobCollector, RunTally, expected_interval
from job_operator.metrics.server import MetricsAddress, MetricsServer
from job_operator.validation import Problem
from job_runner.api import DynamicJobStatus, RunRecord, ScheduleStatus, status_patch


def _run(run_id: str, result: str, minute: int, trigger: str = "Schedule") -> RunRecord:
    started = f"2026-12-01T10:{minute:02d}:00.000Z"
    finished = None if result == "Running" else f"2026-12-01T10:{minute:02d}:30.000Z"
    return RunRecord(id=run_id, result=result, trigger=trigger,  # type: ignore[arg-type]
                     started_at=started, finished_at=finished)


def _body(runs: list[RunRecord], version: str = "1", **status: Any) -> dict[str, Any]:
    """A DynamicJob whose status is built through the API's models, as the runner writes it."""
    newest_first = sorted(runs, key=RunRecord.started, reverse=True)
    written = status_patch(DynamicJobStatus(
        last_run=newest_first[0] if newest_first else None, recent_runs=newest_first,
        **status))
    return {"metadata": {"namespace": "team", "name": "nightly", "resourceVersion": version,
                         "creationTimestamp": "2026-12-01T09:00:00Z"},
            "spec": {"template": "heartbeat", "schedule": "*/10 * * * *"},
            "status": {key: value for key, value in written.items() if value is not None}}


def _scrape(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _unix(clock: str) -> float:
    return datetime.fromisoformat(f"2026-12-01T{clock}+00:00").timestamp()


JOB = (("name", "nightly"), ("namespace", "team"), ("template", "heartbeat"))


def _runs_total(samples: dict[Any, float], result: str, trigger: str = "Schedule") -> float:
    key = ("dynamicjobs_job_runs_total",
           tuple(sorted((*JOB, ("result", result), ("trigger", trigger)))))
    return samples.get(key, 0.0)


def test_each_run_is_counted_once_by_its_id_however_often_it_is_seen() -> None:
    tally = RunTally()
    tally.observe(_body([_run("a", "Succeeded", 0), _run("b", "Running", 10)], "1"))
    assert tally.totals("team", "nightly") == {("Succeeded", "Schedule"): 1}
    tally.observe(_body([_run("a", "Succeeded", 0), _run("b", "Failed", 10)], "2"))
    tally.observe(_body([_run("a", "Succeeded", 0), _run("b", "Failed", 10)], "3"))
    tally.observe(_body([_run("a", "Succeeded", 0), _run("b", "Failed", 10),
                         _run("c", "Succeeded", 20, trigger="Manual")], "4"))
    assert tally.totals("team", "nightly") == {
        ("Succeeded", "Schedule"): 1, ("Failed", "Schedule"): 1, ("Succeeded", "Manual"): 1}


def test_a_run_pushed_out_of_the_history_is_not_counted_again_nor_uncounted() -> None:
    tally = RunTally()
    tally.observe(_body([_run("a", "Succeeded", 0), _run("b", "Succeeded", 10)], "1"))
    tally.observe(_body([_run("b", "Succeeded", 10), _run("c", "Succeeded", 20)], "2"))
    assert tally.totals("team", "nightly") == {("Succeeded", "Schedule"): 3}


def test_a_new_leader_reports_the_same_totals_from_the_same_status() -> None:
    """What failover means for the counts: the totals are a function of the status."""
    history = [_run("a", "Succeeded", 0), _run("b", "Failed", 10), _run("c", "Missed", 20)]
    old, new = RunTally(), RunTally()
    for version, seen in enumerate((history[:1], history[:2], history), start=1):
        old.observe(_body(seen, str(version)))
    new.observe(_body(history, "3"))
    assert old.totals("team", "nightly") == new.totals("team", "nightly") == {
        ("Succeeded", "Schedule"): 1, ("Failed", "Schedule"): 1, ("Missed", "Schedule"): 1}


def test_a_deleted_job_takes_its_counts_with_it() -> None:
    tally = RunTally()
    tally.observe(_body([_run("a", "Succeeded", 0)]))
    tally.forget("team", "nightly")
    assert tally.totals("team", "nightly") == {}


def test_the_expected_interval_is_the_longest_gap_between_the_next_runs() -> None:
    weekdays_at_two = ["2026-12-03T02:00:00.000Z", "2026-12-04T02:00:00.000Z",
                       "2026-12-07T02:00:00.000Z", "2026-12-08T02:00:00.000Z"]
    assert expected_interval(weekdays_at_two) == 3 * 86400
    assert expected_interval(["2026-12-03T02:00:00.000Z"]) is None
    assert expected_interval([]) is None


@pytest.fixture
def collected() -> Iterator[tuple[CollectorRegistry, JobCollector, list[dict[str, Any]]]]:
    registry = CollectorRegistry()
    collector = JobCollector(RunTally())
    bodies: list[dict[str, Any]] = []
    registry.register(collector)
    collector.attach(lambda: bodies)
    yield registry, collector, bodies


def test_the_scrape_has_each_jobs_series_from_its_status(collected: Any) -> None:
    registry, _, bodies = collected
    schedule = ScheduleStatus(description="every 10 minutes", next_runs=[
        "2026-12-01T10:30:00.000Z", "2026-12-01T10:40:00.000Z", "2026-12-01T10:50:00.000Z"])
    body = _body([_run("a", "Succeeded", 0), _run("b", "Failed", 10)], schedule=schedule,
                 last_successful_time="2026-12-01T10:00:30.000Z",
                 last_failure_time="2026-12-01T10:10:30.000Z")
    body["status"]["conditions"] = [
        {"type": "Ready", "status": "True", "reason": "Reconciled", "lastTransitionTime": "x"}]
    bodies.append(body)
    samples = _scrape(registry)

    def value(name: str) -> float:
        return samples[(f"dynamicjobs_job_{name}", JOB)]

    assert _runs_total(samples, "Succeeded") == 1 and _runs_total(samples, "Failed") == 1
    assert value("last_run_timestamp_seconds") == _unix("10:10:00")
    assert value("last_success_timestamp_seconds") == _unix("10:00:30")
    assert value("next_run_timestamp_seconds") == _unix("10:30:00")
    assert value("expected_interval_seconds") == 600.0
    assert value("ready") == 1.0 and value("stalled") == 0.0 and value("suspended") == 0.0
    assert value("degraded") == 1.0 and value("last_run_failed") == 1.0
    assert value("run_missed") == 0.0
    assert ("dynamicjobs_job_last_missed_timestamp_seconds", JOB) not in samples


def test_a_standby_exports_no_job_series(collected: Any) -> None:
    registry, collector, bodies = collected
    bodies.append(_body([_run("a", "Succeeded", 0)]))
    collector.attach(None)
    assert not any(name.startswith("dynamicjobs_job_") for name, _ in _scrape(registry))


def test_labels_are_object_names_only_never_runs(collected: Any) -> None:
    registry, _, bodies = collected
    bodies.append(_body([_run(f"run-{i}", "Succeeded", i) for i in range(30)]))
    labels = {key for _, labelset in _scrape(registry) for key, _ in labelset}
    assert labels == {"namespace", "name", "template", "result", "trigger"}


def _review(operation: str = "CREATE") -> bytes:
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": "u", "operation": operation,
                                   "object": {"spec": {}}}}).encode()


def _count(verdict_name: str) -> float:
    return REGISTRY.get_sample_value("dynamicjobs_webhook_requests_total",
                                     {"verdict": verdict_name}) or 0.0


def test_webhook_answers_are_counted_by_verdict() -> None:
    before = {name: _count(name) for name in ("allowed", "denied", "error")}

    def refuse(_request: Any) -> list[Problem]:
        return [Problem("spec.schedule", "bad")]

    def broken(_request: Any) -> list[Problem]:
        raise RuntimeError("the API server is down")

    answer_body(_review(), lambda review: review_response(review, lambda _r: []))
    answer_body(_review(), lambda review: review_response(review, refuse))
    answer_body(_review(), lambda review: review_response(review, broken))
    answer_body(b"not json", lambda review: {})
    assert {name: _count(name) - before[name] for name in before} == {
        "allowed": 1, "denied": 1, "error": 2}
    assert verdict(200, {"response": {"allowed": True}}) == "allowed"


def test_metrics_are_served_over_http_with_the_leader_gauge() -> None:
    server = MetricsServer(MetricsAddress(0, "127.0.0.1"), REGISTRY)
    server.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics",
                                    timeout=10) as answer:
            content_type = answer.headers["Content-Type"]
            text = answer.read().decode()
    finally:
        server.stop()
    assert content_type.startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"dynamicjobs_operator_leader", "dynamicjobs_reconcile_duration_seconds",
            "dynamicjobs_webhook_requests", "dynamicjobs_resync_pass_duration_seconds",
            "dynamicjobs_api_errors", "process_resident_memory_bytes"} <= names


def test_a_scrape_recomputes_only_the_jobs_whose_version_changed(collected: Any) -> None:
    registry, _, bodies = collected
    bodies.append(_body([_run("a", "Succeeded", 0)], "1"))
    assert _runs_total(_scrape(registry), "Succeeded") == 1
    bodies[0] = _body([_run("a", "Succeeded", 0), _run("b", "Succeeded", 10)], "1")
    assert _runs_total(_scrape(registry), "Succeeded") == 1, "same version: kept samples"
    bodies[0]["metadata"]["resourceVersion"] = "2"
    assert _runs_total(_scrape(registry), "Succeeded") == 2
    bodies.clear()
    assert not any(name.startswith("dynamicjobs_job_") for name, _ in _scrape(registry))


def test_the_kept_exposition_is_what_prometheus_client_renders(collected: Any) -> None:
    registry, collector, bodies = collected
    odd = _body([_run("a", "Succeeded", 0), _run("b", "TimedOut", 10)], "1")
    odd["spec"]["template"] = 'quote" back\\slash\nnewline'
    bodies += [odd, _body([_run("c", "Failed", 20, trigger="Manual")], "7")]
    bodies[1]["metadata"]["name"] = "other"
    for version in ("1", "1", "2"):  # rendered, kept, rendered again
        bodies[0]["metadata"]["resourceVersion"] = version
        assert collector.exposition() == generate_latest(registry).decode()


def test_the_server_appends_the_job_series_to_the_registry(collected: Any) -> None:
    _, collector, bodies = collected
    bodies.append(_body([_run("a", "Succeeded", 0)]))
    server = MetricsServer(MetricsAddress(0, "127.0.0.1"), REGISTRY, collector.exposition)
    server.start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{server.port}/metrics",
                                         headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            encoding, sent = answer.headers.get("Content-Encoding"), answer.read()
    finally:
        server.stop()
    assert encoding == "gzip"
    families = {f.name for f in text_string_to_metric_families(gzip.decompress(sent).decode())}
    assert {"dynamicjobs_operator_leader", "dynamicjobs_job_runs",
            "dynamicjobs_job_info"} <= families
