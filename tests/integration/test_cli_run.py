"""``dynamicjobs run`` on the control plane: the request reaches the operator, a refused
override changes nothing, --wait gives up with exit 7."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from job_operator.cli import exits
from tests.integration.test_cli_inspect import cli, ready
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

REQUESTED = "dynamicjobs.io/run-requested-at"


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str,
         operator: OperatorProcess) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def test_a_run_request_is_seen_by_the_operator(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, jobs: DynamicJobs) -> None:
    jobs.create("nightly", suspend=True)
    ready(jobs, "nightly")
    code, _, err = cli(capsys, kubeconfig, "run", "nightly", "-n", jobs.namespace,
                       "-p", "message=by hand")
    assert code == 0 and err.startswith(f"requested a run of {jobs.namespace}/nightly (")
    annotations = jobs.get("nightly")["metadata"]["annotations"]
    request = annotations[REQUESTED]
    assert annotations["dynamicjobs.io/run-parameters"] == '{"message": "by hand"}'
    wait_for(lambda: jobs.get("nightly").get("status", {}).get("lastHandledRunRequest")
             == request, timeout=60, what="the operator to echo the request")


def test_a_refused_override_changes_nothing(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, jobs: DynamicJobs) -> None:
    jobs.create("nightly", suspend=True)
    ready(jobs, "nightly")
    code, _, err = cli(capsys, kubeconfig, "run", "nightly", "-n", jobs.namespace,
                       "-p", "message:=5")
    assert code == exits.PROBLEMS
    assert 'metadata.annotations["dynamicjobs.io/run-parameters"].message' in err
    assert REQUESTED not in (jobs.get("nightly")["metadata"].get("annotations") or {})


def test_wait_gives_up_with_its_own_exit_code(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, jobs: DynamicJobs) -> None:
    jobs.create("nightly", suspend=True)
    ready(jobs, "nightly")
    code, out, err = cli(capsys, kubeconfig, "run", "nightly", "-n", jobs.namespace,
                         "--wait", "--timeout", "2")
    assert (code, out) == (exits.TIMEOUT, "")
    assert "no finished run of" in err and "dynamicjobs history nightly" in err
