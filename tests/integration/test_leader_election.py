"""Several operator replicas: one leads through a Lease, a standby takes over when it goes,
and every replica, standby or not, answers admission."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from local_cluster.controlplane import ControlPlane
from local_cluster.webhook import CONFIGURATION_NAME, register_webhook
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess, elected_replica
from tests.kube.waiting import wait_for

LEASE = "dynamicjobs-operator"


@pytest.fixture
def plain_operator_stopped(operator: OperatorProcess) -> Iterator[None]:
    """The session's operator (no election) would act too: pause it for this test."""
    operator.stop()
    yield
    operator.start()


@pytest.fixture
def replica(control_plane: ControlPlane, namespace: str, tmp_path: Path,
            plain_operator_stopped: None, webhook_down: None,
            ) -> Iterator[Callable[[str], OperatorProcess]]:
    """Make an operator replica that elects through the Lease; all are stopped at the end."""
    started: dict[str, OperatorProcess] = {}

    def replica(name: str) -> OperatorProcess:
        process = elected_replica(control_plane, namespace, LEASE, name, tmp_path / name)
        started[name] = process
        return process

    yield replica
    for process in started.values():
        process.stop()


def _refusal(jobs: DynamicJobs, schedule: str) -> str | None:
    try:
        jobs.create("refused", schedule=schedule)
    except ApiException as error:
        return str(error.body) if error.status == 422 else None
    jobs.delete("refused")
    return None


def _holder(api_client: client.ApiClient, namespace: str) -> str:
    lease = client.CoordinationV1Api(api_client).read_namespaced_lease(LEASE, namespace)
    return lease.spec.holder_identity or ""


def _standby(process: OperatorProcess) -> OperatorProcess:
    process.start()
    wait_for(lambda: "standby: Lease" in process.log_text(), timeout=60,
             what=f"{process.log.parent.name} to stand by")
    url = f"http://127.0.0.1:{process.liveness_port}/healthz"
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert json.loads(answer.read()) == {"standby": True}, "alive while standing by"
    return process


def _reconciles(process: OperatorProcess, name: str, jobs: DynamicJobs,
                api_client: client.ApiClient) -> None:
    """``process`` holds the Lease (once any earlier holder is gone) and is the one that
    reconciles a new DynamicJob."""
    wait_for(lambda: _holder(api_client, jobs.namespace).startswith(f"{name}_"), timeout=60,
             what=f"{name} to hold the Lease")
    job = f"led-by-{name}"
    jobs.create(job)
    wait_for(lambda: jobs.is_settled(job), timeout=60, what=f"{job} Ready")
    # A standby runs no controller at all: the reconcile's log line in this replica's log
    # shows that it handled the job. It is written just after the status: poll for it.
    handled = f"[{jobs.namespace}/{job}] reconciled: created CronJob"
    wait_for(lambda: handled in process.log_text(), timeout=30,
             what=f"{name}'s log to show it handled {job}")


def test_one_replica_leads_and_a_standby_takes_over_on_stop_and_on_crash(
    replica: Callable[[str], OperatorProcess], api_client: client.ApiClient, namespace: str,
    control_plane: ControlPlane,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    first = replica("first")
    first.start()
    wait_for(lambda: _holder(api_client, namespace).startswith("first_"), timeout=60,
             what="the first replica to take the Lease")
    second = _standby(replica("second"))

    admission = client.AdmissionregistrationV1Api(api_client)
    register_webhook(api_client, int(second.env["DYNAMICJOBS_WEBHOOK_PORT"]),
                     control_plane.ca_cert)
    refused = wait_for(lambda: _refusal(jobs, "61 * * * *"), timeout=30,
                       what="the standby's webhook to refuse a bad schedule")
    assert "spec.schedule" in refused
    admission.delete_validating_webhook_configuration(CONFIGURATION_NAME)  # second dies later

    _reconciles(first, "first", jobs, api_client)
    assert "Handler" not in second.log_text(), "a standby must not act"

    first.stop()
    assert "released the Lease" in first.log_text()
    _reconciles(second, "second", jobs, api_client)

    third = _standby(replica("third"))
    second.kill()
    _reconciles(third, "third", jobs, api_client)

    fourth = _standby(replica("fourth"))
    fourth.stop()
    assert fourth.process is not None and fourth.process.returncode == 0
    assert "stopped while standing by" in fourth.log_text()
    assert _holder(api_client, namespace).startswith("third_")
