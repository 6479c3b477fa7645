"""operator.logFormat json: every line the operator process writes is one JSON object,
leader election, the webhook, the metrics server and the controller alike."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from local_cluster.controlplane import ControlPlane
from local_cluster.devrun import operator_environment
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for


@pytest.fixture
def json_operator(control_plane: ControlPlane, operator: OperatorProcess, namespace: str,
                  tmp_path: Path, webhook_down: None) -> Iterator[OperatorProcess]:
    """An elected operator logging JSON, in place of the session's (paused meanwhile)."""
    operator.stop()
    env = {**os.environ, **operator_environment(control_plane, tmp_path),
           "DYNAMICJOBS_LOG_FORMAT": "json", "DYNAMICJOBS_LEASE_NAME": "json-logs",
           "DYNAMICJOBS_LEASE_NAMESPACE": namespace, "POD_ID": "json"}
    process = OperatorProcess(env, tmp_path / "operator.log", args=(f"--namespace={namespace}",))
    process.start()
    yield process
    process.stop()
    operator.start()


def test_every_log_line_is_a_json_object(json_operator: OperatorProcess,
                                         api_client: client.ApiClient, namespace: str) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("logged")
    wait_for(lambda: jobs.is_ready("logged"), timeout=60, what="logged Ready")
    wait_for(lambda: "resync: checked" in json_operator.log_text(), timeout=60,
             what="a resync pass logged")
    json_operator.stop()
    lines = [line for line in json_operator.log_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        record = json.loads(line)
        assert isinstance(record, dict) and {"message", "severity", "timestamp"} <= set(record)
        records.append(record)
    messages = [record["message"] for record in records]
    assert any(m.startswith("leading: holding Lease") for m in messages), "election"
    assert any(m.startswith("admission: serving") for m in messages), "webhook"
    assert any(m.startswith("metrics: serving") for m in messages), "metrics"
    assert any(m.startswith(f"[{namespace}/logged] reconciled: created") for m in messages), \
        "controller"
    assert any(m.startswith("released the Lease") for m in messages), "shutdown"
