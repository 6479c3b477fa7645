"""export -> delete -> import restores an equal spec; import's dry run shows the webhook's
verdict; clone; tags select with kubectl -- all on the control plane, operator running."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from job_operator.cli import exits
from local_cluster.controlplane import ControlPlane
from tests.integration.test_cli_inspect import cli, ready
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.rbac import grant
from tests.kube.waiting import wait_for

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str,
         operator: OperatorProcess) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def gone(jobs: DynamicJobs, name: str) -> bool:
    try:
        jobs.get(name)
    except ApiException as error:
        return error.status == 404
    return False


def test_export_delete_import_restores_an_equal_spec(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, kubectl: Kubectl,
        jobs: DynamicJobs, tmp_path: Path) -> None:
    ns = jobs.namespace
    jobs.create("nightly", tags={"team": "payments"}, timeZone="Europe/Berlin",
                retries={"limit": 2, "backoffSeconds": 30},
                parameters={"message": "nightly batch window is alive"})
    jobs.create("beat", schedule="*/5 * * * *")
    ready(jobs, "nightly", "beat")
    assert cli(capsys, kubeconfig, "suspend", "nightly", "-n", ns, "--reason", "moving")[0] == 0
    kubectl("annotate", "dj/nightly", "-n", ns, "dynamicjobs.io/run-requested-at=2026-01-01")
    before = {name: jobs.get(name)["spec"] for name in ("nightly", "beat")}

    code, out, _ = cli(capsys, kubeconfig, "export", "--all", "-n", ns)
    assert code == 0
    exported = tmp_path / "jobs.yaml"
    exported.write_text(out)
    documents = list(yaml.safe_load_all(out))
    assert [d["metadata"]["name"] for d in documents] == ["beat", "nightly"]
    assert all("status" not in d and "uid" not in d["metadata"] for d in documents)
    assert "run-requested-at" not in out

    for name in ("nightly", "beat"):
        jobs.delete(name)
    for name in ("nightly", "beat"):
        wait_for(lambda name=name: gone(jobs, name), timeout=60, what=f"{name} deleted")

    code, out, err = cli(capsys, kubeconfig, "import", str(exported))
    assert code == 0, err
    assert out.splitlines() == [f"dynamicjob {ns}/beat created",
                                f"dynamicjob {ns}/nightly created"]
    after = {name: jobs.get(name)["spec"] for name in ("nightly", "beat")}
    assert after == before
    restored = jobs.get("nightly")["metadata"]
    assert restored["annotations"]["dynamicjobs.io/suspend-reason"] == "moving"
    assert "dynamicjobs.io/run-requested-at" not in restored["annotations"]
    assert any(entry["manager"] == "dynamicjobs-cli" and entry["operation"] == "Apply"
               for entry in restored["managedFields"])
    ready(jobs, "nightly", "beat")

    code, out, _ = cli(capsys, kubeconfig, "import", str(exported))
    assert (code, out.split()[-1]) == (0, "unchanged")

    selected = kubectl("get", "dj", "-n", ns, "-l", "tags.dynamicjobs.io/team=payments",
                       "-o", "name").stdout.split()
    assert selected == ["dynamicjob.dynamicjobs.io/nightly"]
    _, out, _ = cli(capsys, kubeconfig, "list", "-n", ns, "-l",
                    "tags.dynamicjobs.io/team=payments")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["nightly"]


def test_import_dry_run_shows_the_webhooks_verdict_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], control_plane: ControlPlane,
        api_client: client.ApiClient, jobs: DynamicJobs, tmp_path: Path) -> None:
    ns = jobs.namespace
    grant(api_client, ns, "dana", "edit-dynamicjobs", [client.V1PolicyRule(
        api_groups=["dynamicjobs.io"], resources=["dynamicjobs"],
        verbs=["get", "list", "create", "update", "patch"])])
    dana = control_plane.user_kubeconfig("dana")
    hook = {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "hook", "namespace": ns},
            "spec": {"template": "webhook-trigger", "schedule": "0 3 * * *", "parameters": {
                "url": "https://ci.example.com/trigger",
                "headers": {"Authorization": {"secretRef": {"name": "ci-token",
                                                            "key": "header"}}}}}}
    plain = {**hook, "metadata": {"name": "plain", "namespace": ns},
             "spec": {"template": "heartbeat", "schedule": "0 3 * * *"}}
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump_all([plain, hook]))

    code, out, err = wait_for(
        lambda: (r := cli(capsys, dana, "import", "--dry-run", str(path)))[0] != 0 and r,
        timeout=30, what="the webhook to refuse dana's Secret reference")
    assert (code, out) == (exits.PROBLEMS, "")
    assert "spec.parameters.headers.Authorization.secretRef" in err
    assert err.splitlines()[-1] == "nothing was imported"
    assert gone(jobs, "plain") and gone(jobs, "hook")

    path.write_text(yaml.safe_dump(plain))
    code, out, _ = cli(capsys, dana, "import", "--dry-run", str(path))
    assert (code, out) == (0, f"dynamicjob {ns}/plain created (server dry run)\n")
    assert gone(jobs, "plain")


def test_clone(capsys: pytest.CaptureFixture[str], kubeconfig: Path,
               jobs: DynamicJobs) -> None:
    ns = jobs.namespace
    jobs.create("nightly", tags={"team": "payments"}, parameters={"message": "eu"})
    code, _, err = cli(capsys, kubeconfig, "clone", "nightly", "nightly-us", "-n", ns,
                       "-p", "message=us", "--schedule", "0 9 * * *", "--suspend")
    assert code == 0, err
    copy = jobs.get("nightly-us")
    assert copy["spec"]["parameters"] == {"message": "us"}
    assert (copy["spec"]["schedule"], copy["spec"]["suspend"]) == ("0 9 * * *", True)
    assert copy["spec"]["tags"] == {"team": "payments"}
    ready(jobs, "nightly-us")

    code, _, err = cli(capsys, kubeconfig, "clone", "nightly", "nightly-us", "-n", ns)
    assert code == exits.CONFLICT
    assert f"DynamicJob {ns}/nightly-us already exists" in err


def test_import_does_not_take_fields_another_applier_owns(
        capsys: pytest.CaptureFixture[str], kubeconfig: Path, kubectl: Kubectl,
        jobs: DynamicJobs, tmp_path: Path) -> None:
    ns = jobs.namespace
    body = {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "synced", "namespace": ns},
            "spec": {"template": "heartbeat", "schedule": "0 3 * * *"}}
    kubectl("apply", "--server-side", "--field-manager=kustomize-controller", "-f", "-",
            input=yaml.safe_dump(body))
    changed = {**body, "spec": {**body["spec"], "schedule": "0 4 * * *"}}
    path = tmp_path / "synced.yaml"
    path.write_text(yaml.safe_dump(changed))
    code, out, err = cli(capsys, kubeconfig, "import", str(path))
    assert (code, out) == (exits.CONFLICT, "")
    assert "kustomize-controller" in err and "--force-conflicts" in err
    assert jobs.get("synced")["spec"]["schedule"] == "0 3 * * *"
    code, out, _ = cli(capsys, kubeconfig, "import", "--force-conflicts", str(path))
    assert (code, out) == (0, f"dynamicjob {ns}/synced configured\n")
    assert jobs.get("synced")["spec"]["schedule"] == "0 4 * * *"
