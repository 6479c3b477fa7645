"""The runner's record in its termination message: written without any API, read back by
the operator, and cut to the kubelet's 4 KiB without ever becoming unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from job_runner.api import AttemptRecord, NotificationRecord, RunRecord
from job_runner.cluster import EXIT_FAILED, run_from_env
from job_runner.contract import (
    ENV_JOB,
    ENV_NAMESPACE,
    ENV_PARAMETER_OVERRIDES,
    ENV_RUN_ID,
    ENV_SPEC,
    ENV_TERMINATION_MESSAGE_PATH,
    ENV_TRIGGER,
    TERMINATION_MESSAGE_LIMIT,
)
from job_runner.termination import read_termination_message, termination_message


def _record(**fields: object) -> RunRecord:
    return RunRecord.model_validate({
        "id": "beat-29000000", "result": "Failed", "startedAt": "2026-12-01T10:00:00.000Z",
        "finishedAt": "2026-12-01T10:00:09.000Z", "attempts": 2, **fields})


def test_a_record_that_fits_is_written_whole() -> None:
    record = _record(message="boom", outputs={"rows": 3})
    assert read_termination_message(termination_message(record).decode()) == record


@pytest.mark.parametrize("fields", [
    {"message": "x" * 10_000},
    {"outputs": {"report": "y" * 10_000}},
    {"attemptHistory": [AttemptRecord(attempt=n, result="Failed", message="z" * 900,
                                      started_at="2026-12-01T10:00:00.000Z",
                                      finished_at="2026-12-01T10:00:01.000Z")
                        for n in range(1, 40)]},
    {"notifications": [NotificationRecord(template="webhook-trigger", result="Failed",
                                          message="n" * 3000) for _ in range(5)]},
    {"message": "é" * 5000, "outputs": {"k": "€" * 5000}},
])
def test_a_record_too_big_is_cut_to_the_limit_and_says_so(fields: dict[str, object]) -> None:
    record = _record(**fields)
    message = termination_message(record)
    assert len(message) <= TERMINATION_MESSAGE_LIMIT
    cut = read_termination_message(message.decode())
    assert cut is not None, "a cut record is still a record"
    assert (cut.id, cut.result, cut.attempts, cut.started_at, cut.finished_at) == (
        record.id, record.result, record.attempts, record.started_at, record.finished_at)
    assert "termination message" in cut.message


@pytest.mark.parametrize("message", [None, "", "OOMKilled", "{\"id\": 1}", "[]"])
def test_anything_but_a_record_reads_as_none(message: str | None) -> None:
    assert read_termination_message(message) is None


def test_the_runner_reports_in_the_file_and_needs_no_api(tmp_path: Path) -> None:
    """No KUBECONFIG, no service-account token: the run still ends with its record."""
    message = tmp_path / "termination-log"
    spec = {"template": "heartbeat", "schedule": "* * * * *", "parameters": {"message": "hi"}}
    code = run_from_env({
        ENV_SPEC: json.dumps(spec), ENV_JOB: "beat", ENV_NAMESPACE: "ops",
        ENV_RUN_ID: "beat-manual-1", ENV_TRIGGER: "Manual",
        ENV_PARAMETER_OVERRIDES: '{"message": "hi"}',
        ENV_TERMINATION_MESSAGE_PATH: str(message),
    })
    assert code == 0
    record = read_termination_message(message.read_text())
    assert record is not None
    assert (record.id, record.trigger, record.result) == ("beat-manual-1", "Manual", "Succeeded")
    assert record.parameter_overrides == {"message": "hi"}


def test_an_invalid_snapshot_is_reported_as_a_failed_run(tmp_path: Path) -> None:
    message = tmp_path / "termination-log"
    code = run_from_env({ENV_SPEC: "{}", ENV_JOB: "beat", ENV_NAMESPACE: "ops",
                         ENV_RUN_ID: "beat-1", ENV_TERMINATION_MESSAGE_PATH: str(message)})
    assert code == EXIT_FAILED
    record = read_termination_message(message.read_text())
    assert record is not None and record.result == "Failed"
    assert "spec snapshot is invalid" in record.message
