"""Objects no webhook would let in, stored while it was down: the operator survives them,
marks each Stalled with the reason, and keeps serving the other jobs (issue 8, break 2)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from kubernetes import client

from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def _deep_manifest(name: str, namespace: str, depth: int) -> str:
    """As JSON text: Python's own encoder and the API client's would recurse too deeply."""
    nested = '{"a":' * depth + "{}" + "}" * depth
    return ('{"apiVersion":"dynamicjobs.io/v1alpha1","kind":"DynamicJob","metadata":'
            f'{{"name":"{name}","namespace":"{namespace}"}},"spec":{{"template":"heartbeat",'
            f'"schedule":"0 3 * * *","suspend":true,"parameters":{{"x":{nested}}}}}}}')


def _stalled_message(kubectl: Kubectl, namespace: str, name: str) -> str | None:
    """Read through kubectl's jsonpath: the test's own client cannot decode the object."""
    result = kubectl("get", "dynamicjob", name, "-n", namespace, "-o",
                     'jsonpath={.status.conditions[?(@.type=="Stalled")]}', check=False)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    condition = json.loads(result.stdout)
    return str(condition["message"]) if condition.get("status") == "True" else None


@pytest.mark.usefixtures("webhook_down")
@pytest.mark.parametrize("depth", [1_000, 9_990])  # 9,990: near the API server's 10,000
def test_a_deeply_nested_job_is_stalled_and_the_others_keep_working(
    operator: OperatorProcess, jobs: DynamicJobs, kubectl: Kubectl, namespace: str, depth: int,
) -> None:
    kubectl("create", "-f", "-", input=_deep_manifest("deep", namespace, depth))
    jobs.create("fine-before", template="heartbeat", schedule="0 3 * * *")
    wait_for(lambda: jobs.is_ready("fine-before"), timeout=60, what="fine-before Ready")
    wait_for(lambda: _stalled_message(kubectl, namespace, "deep"), timeout=60,
             what="the deep job Stalled")
    message = _stalled_message(kubectl, namespace, "deep")
    assert message is not None and "spec.parameters" in message and "16 levels" in message
    assert jobs.cronjob("deep") is None
    jobs.create("fine-after", template="heartbeat", schedule="0 3 * * *")
    wait_for(lambda: jobs.is_ready("fine-after"), timeout=60, what="fine-after Ready")
    assert operator.process is not None and operator.process.poll() is None
