"""suspend/resume on the control plane: the CronJob follows, kubectl shows the reason,
a GitOps applier's field is not taken, a user who may not patch changes nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from job_operator.cli import exits
from local_cluster.controlplane import ControlPlane
from tests.integration.test_cli_inspect import cli, ready
from tests.kube.dynamicjobs import DynamicJobs, manifest
from tests.kube.operator_process import OperatorProcess
from tests.kube.rbac import grant
from tests.kube.waiting import wait_for

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
REASON = "dynamicjobs.io/suspend-reason"


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str,
         operator: OperatorProcess) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def cronjob_suspended(jobs: DynamicJobs, name: str) -> bool | None:
    found = jobs.cronjob(name)
    return None if found is None else bool(found.spec.suspend)


def test_suspend_with_a_reason_then_resume(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, kubectl: Kubectl,
        jobs: DynamicJobs) -> None:
    jobs.create("nightly")
    ready(jobs, "nightly")
    ns = jobs.namespace
    code, _, err = cli(capsys, kubeconfig, "suspend", "nightly", "-n", ns,
                       "--reason", "orders-db migration until Friday")
    assert code == 0, err
    wait_for(lambda: cronjob_suspended(jobs, "nightly") is True, timeout=60,
             what="the CronJob to be suspended")
    annotations = jobs.get("nightly")["metadata"]["annotations"]
    assert annotations[REASON] == "orders-db migration until Friday"
    assert annotations["dynamicjobs.io/suspended-by"] == "local-admin"  # the cert's CN
    condition = wait_for(lambda: (c := jobs.condition("nightly", "Suspended"))
                         and c["status"] == "True" and c, timeout=60,
                         what="the Suspended condition")
    assert condition["reason"] == "SuspendedWithReason"
    assert condition["message"].startswith("orders-db migration until Friday (by local-admin")
    assert jobs.is_ready("nightly"), "a suspended job in sync stays Ready"

    shown = kubectl("get", "dj", "nightly", "-n", ns).stdout
    header, line = shown.splitlines()
    assert "SUSPEND REASON" in header
    assert "orders-db migration until Friday" in line

    _, out, _ = cli(capsys, kubeconfig, "list", "-n", ns)
    assert "yes: orders-db migration until Friday" in out

    code, _, err = cli(capsys, kubeconfig, "resume", "nightly", "-n", ns)
    assert code == 0
    assert err == f"resumed {ns}/nightly (suspended for: orders-db migration until Friday)\n"
    wait_for(lambda: cronjob_suspended(jobs, "nightly") is False, timeout=60,
             what="the CronJob to run again")
    assert REASON not in (jobs.get("nightly")["metadata"].get("annotations") or {})
    wait_for(lambda: jobs.condition("nightly", "Suspended") is None, timeout=60,
             what="Suspended gone after resume (there only while True)")


def test_a_gitops_applier_keeps_its_field(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, kubectl: Kubectl,
        jobs: DynamicJobs) -> None:
    body = manifest("synced", jobs.namespace, suspend=False)
    kubectl("apply", "--server-side", "--field-manager=kustomize-controller", "-f", "-",
            input=yaml.safe_dump(body))
    code, _, err = cli(capsys, kubeconfig, "suspend", "synced", "-n", jobs.namespace,
                       "--reason", "x")
    assert code == exits.CONFLICT
    assert "spec.suspend is applied by kustomize-controller" in err
    assert jobs.get("synced")["spec"]["suspend"] is False


def test_a_user_who_may_only_read_changes_nothing(
        capsys: pytest.CaptureFixture[str], control_plane: ControlPlane,
        api_client: client.ApiClient, jobs: DynamicJobs) -> None:
    jobs.create("nightly")
    grant(api_client, jobs.namespace, "viewer", "view-dynamicjobs", [client.V1PolicyRule(
        api_groups=["dynamicjobs.io"], resources=["dynamicjobs"], verbs=["get", "list"])])
    viewer = control_plane.user_kubeconfig("viewer")
    code, _, err = cli(capsys, viewer, "suspend", "nightly", "-n", jobs.namespace,
                       "--reason", "x")
    assert code == exits.FORBIDDEN
    assert 'User "viewer" cannot patch' in err
    stored = jobs.get("nightly")
    assert stored["spec"].get("suspend") in (None, False)
    assert REASON not in (stored["metadata"].get("annotations") or {})
