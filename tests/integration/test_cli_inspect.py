"""list, describe, history and logs on the local control plane, with the real operator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from job_operator.cli import exits
from job_operator.cli.main import main
from job_runner.api import DynamicJobStatus, RunRecord, status_patch
from local_cluster.controlplane import ControlPlane, free_port
from tests.kube.dynamicjobs import GROUP, PLURAL, VERSION, DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str,
         operator: OperatorProcess) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def cli(capsys: pytest.CaptureFixture[str], kubeconfig: Path, *argv: str,
        ) -> tuple[int, str, str]:
    code = main([*argv, "--kubeconfig", str(kubeconfig)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def record_run(jobs: DynamicJobs, name: str, run: RunRecord) -> None:
    """Write a run into the status as the runner does (status subresource, merge patch)."""
    patch = status_patch(DynamicJobStatus(last_run=run, recent_runs=[run]))
    jobs.api.patch_namespaced_custom_object_status(
        GROUP, VERSION, jobs.namespace, PLURAL, name, {"status": patch})


def ready(jobs: DynamicJobs, *names: str) -> None:
    for name in names:
        wait_for(lambda name=name: jobs.is_ready(name), timeout=60, what=f"{name} Ready")


def test_list_filters_and_all_namespaces(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, jobs: DynamicJobs) -> None:
    jobs.create("nightly", tags={"team": "payments"})
    jobs.create("beat", template="heartbeat", suspend=True)
    ready(jobs, "nightly", "beat")
    ns = jobs.namespace

    code, out, _ = cli(capsys, kubeconfig, "list", "-n", ns)
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][:2] == ["NAME", "TEMPLATE"]
    assert [row[0] for row in rows[1:]] == ["beat", "nightly"]
    assert "At 03:00, every day (UTC)" in out

    _, out, _ = cli(capsys, kubeconfig, "list", "-n", ns, "--tag", "team=payments")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["nightly"]
    _, out, _ = cli(capsys, kubeconfig, "list", "-n", ns, "--suspended")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["beat"]

    code, out, _ = cli(capsys, kubeconfig, "list", "-A", "-o", "json")
    mine = [item["metadata"]["name"] for item in json.loads(out)["items"]
            if item["metadata"]["namespace"] == ns]
    assert (code, mine) == (0, ["beat", "nightly"])


def test_describe_history_and_logs_of_an_expired_run(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, jobs: DynamicJobs) -> None:
    jobs.create("nightly")
    ready(jobs, "nightly")
    ns = jobs.namespace
    code, out, err = cli(capsys, kubeconfig, "history", "nightly", "-n", ns)
    assert (code, out) == (0, "")
    assert "has no recorded runs yet" in err

    run = RunRecord(id="nightly-29000000", trigger="Schedule", result="Failed", attempts=2,
                    started_at="2026-11-28T02:00:00.000Z", finished_at="2026-11-28T02:01:30.000Z",
                    message="connection refused", outputs={"rows": 0})
    record_run(jobs, "nightly", run)

    code, out, _ = cli(capsys, kubeconfig, "history", "nightly", "-n", ns)
    assert code == 0
    assert out.splitlines()[1].split()[:6] == [
        "nightly-29000000", "Schedule", "Failed", "2", "2026-11-28T02:00:00Z", "1m30s"]

    def described() -> str:
        code, out, _ = cli(capsys, kubeconfig, "describe", "nightly", "-n", ns)
        assert code == 0
        return out if "RunFailed" in out.split("Events:")[1] else ""

    out = wait_for(described, timeout=30, what="the operator's Event about the run")
    assert "Warning   RunFailed" in out and "run nightly-29000000: connection refused" in out
    assert "At 03:00, every day (UTC)" in out
    assert ["Ready", "True"] in [line.split()[:2] for line in out.splitlines()]
    assert "connection refused" in out

    code, out, err = cli(capsys, kubeconfig, "logs", "nightly", "-n", ns)
    assert (code, out) == (exits.NOT_FOUND, "")
    assert "its Job has expired" in err and "its record: Failed, connection refused" in err


def test_a_user_without_rights_is_refused_with_the_fix(
        capsys: pytest.CaptureFixture[str], control_plane: ControlPlane,
        jobs: DynamicJobs) -> None:
    jobs.create("nightly")
    eve = control_plane.user_kubeconfig("eve")
    for argv in (["list", "-n", jobs.namespace], ["describe", "nightly", "-n", jobs.namespace]):
        code, out, err = cli(capsys, eve, *argv)
        assert (code, out) == (exits.FORBIDDEN, "")
        assert 'User "eve" cannot' in err
        assert f"`kubectl auth can-i --list -n {jobs.namespace}`" in err


def test_a_job_that_does_not_exist(capsys: pytest.CaptureFixture[str], kubeconfig: Path,
                                   namespace: str, crds: None) -> None:
    code, _, err = cli(capsys, kubeconfig, "describe", "ghost", "-n", namespace)
    assert code == exits.NOT_FOUND
    assert err == (f"error: DynamicJob {namespace}/ghost not found; `dynamicjobs list -n "
                   f"{namespace}` shows the DynamicJobs there (-A: every namespace)\n")


def test_an_unreachable_api_server(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   control_plane: ControlPlane) -> None:
    closed = free_port()
    config: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": f"https://127.0.0.1:{closed}",
                                               "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    code, _, err = cli(capsys, path, "list")
    assert code == exits.CLUSTER
    assert f"cannot reach the API server at https://127.0.0.1:{closed}" in err
    assert "kubectl cluster-info" in err


def test_names_complete_from_the_cluster(capsys: pytest.CaptureFixture[str],
                                         kubeconfig: Path, jobs: DynamicJobs) -> None:
    from job_operator.cli.main import kubectl_complete

    jobs.create("nightly")
    jobs.create("nightly-eu")
    jobs.create("beat")
    kubectl_complete(["describe", "--kubeconfig", str(kubeconfig), "-n", jobs.namespace,
                      "nig"])
    assert capsys.readouterr().out.splitlines() == [
        "nightly\theartbeat", "nightly-eu\theartbeat", ":4"]
