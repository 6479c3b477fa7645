"""The Helm chart installed on the real local control plane.

There is no kubelet here, so the operator's pod never runs: these tests check that the API
server accepts every object the chart makes, that the operator's ServiceAccount gets what
it needs and nothing more (asked of the real RBAC authorizer), that the webhook certificate
survives an upgrade, and that uninstall removes everything but the shared CRDs. The
webhook is registered with failurePolicy Ignore and a namespaceSelector that matches only
the test's own namespace, so other tests in the session never reach it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.kube.waiting import wait_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "dynamicjobs"
Kubectl = Callable[..., subprocess.CompletedProcess[str]]
Helm = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def helm(kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    from local_cluster.binaries import ensure_binaries

    binary = ensure_binaries().helm
    home = tmp_path_factory.mktemp("helm-home")
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(binary), f"--kubeconfig={kubeconfig}", *args],
            capture_output=True, text=True, env=env, timeout=180, check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stderr}")
        return result

    return run


def _isolating_values(namespace: str) -> list[str]:
    return [
        "--set", "webhook.failurePolicy=Ignore",
        "--set", "webhook.timeoutSeconds=5",
        "--set", "webhook.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name="
        + namespace,
    ]


@pytest.fixture
def release(helm: Helm, namespace: str, crds: None) -> Iterator[Callable[..., str]]:
    """``install(*values_args)`` installs the chart in ``namespace``; uninstalled after."""
    name = f"dj-{namespace.removeprefix('t-')}"
    installed = []

    def install(*args: str) -> str:
        helm("install", name, str(CHART), "--namespace", namespace, "--wait=false",
             *_isolating_values(namespace), *args)
        installed.append(name)
        return name

    yield install
    for each in installed:
        helm("uninstall", each, "--namespace", namespace, check=False)


def get(kubectl: Kubectl, *args: str) -> dict[str, Any]:
    return dict(json.loads(kubectl("get", *args, "-o", "json").stdout))


def can_i(kubectl: Kubectl, subject: str, *args: str) -> bool:
    result = kubectl("auth", "can-i", f"--as={subject}", *args, check=False)
    answer = result.stdout.strip()
    assert answer in ("yes", "no"), result.stdout + result.stderr
    return answer == "yes"


def _sa(namespace: str, release: str) -> str:
    return f"system:serviceaccount:{namespace}:{release}-dynamicjobs"


def test_install_is_accepted_and_grants_the_operator_exactly_its_needs(
    release: Callable[..., str], namespace: str, kubectl: Kubectl, helm: Helm,
) -> None:
    name = release(
        "--set", "jobs[0].name=from-values",
        "--set", "jobs[0].template=heartbeat",
        "--set", "jobs[0].schedule=@daily",
        "--set", "jobs[0].parameters.message=declared in values",
    )
    full = f"{name}-dynamicjobs"
    status = json.loads(helm("status", name, "--namespace", namespace, "-o", "json").stdout)
    assert status["info"]["status"] == "deployed"
    notes = helm("get", "notes", name, "--namespace", namespace).stdout
    assert f"{namespace}/from-values (heartbeat, \"@daily\")" in notes, notes
    assert "watches every namespace" in notes
    assert "image.repository is the chart's placeholder" in notes, notes

    for target in (f"serviceaccount/{full}", f"deployment/{full}",
                   f"service/{full}-webhook", f"secret/{full}-webhook-tls"):
        labels = get(kubectl, "-n", namespace, target)["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == name, target
    for cluster_role in ("cluster", "namespaced", "edit", "view"):
        get(kubectl, "clusterrole", f"{full}-{cluster_role}")
    for binding in ("cluster", "namespaced"):
        assert get(kubectl, "clusterrolebinding", f"{full}-{binding}")["subjects"] == [
            {"kind": "ServiceAccount", "name": full, "namespace": namespace}]
    webhook = get(kubectl, "validatingwebhookconfiguration", full)["webhooks"][0]
    assert webhook["clientConfig"]["service"]["path"] == "/validate-dynamicjob"
    assert webhook["clientConfig"]["caBundle"]
    job = get(kubectl, "-n", namespace, "dynamicjob", "from-values")
    assert job["spec"]["parameters"] == {"message": "declared in values"}
    for crd in ("dynamicjobs.dynamicjobs.io", "dynamicjobtemplates.dynamicjobs.io"):
        conditions = get(kubectl, "crd", crd)["status"]["conditions"]
        assert {"type": "Established", "status": "True"}.items() <= next(
            c for c in conditions if c["type"] == "Established").items()

    operator = _sa(namespace, name)
    needed = [
        ("get", "dynamicjobs.dynamicjobs.io"), ("list", "dynamicjobs.dynamicjobs.io"),
        ("watch", "dynamicjobs.dynamicjobs.io"),
        ("patch", "dynamicjobs.dynamicjobs.io", "--subresource=status"),
        ("create", "cronjobs.batch"), ("update", "cronjobs.batch"), ("delete", "cronjobs.batch"),
        ("watch", "cronjobs.batch"), ("list", "jobs.batch"), ("create", "jobs.batch"),
        ("list", "pods"), ("create", "events"),
    ]
    for verb, *what in needed:
        for where in ("-n", namespace), ("-n", "default"):
            assert can_i(kubectl, operator, verb, *what, *where), (verb, what, where)
    for verb, *what in [
        ("create", "dynamicjobtemplates.dynamicjobs.io"),
        ("delete", "dynamicjobtemplates.dynamicjobs.io"),
        ("list", "customresourcedefinitions.apiextensions.k8s.io"),
        ("create", "subjectaccessreviews.authorization.k8s.io"),
    ]:
        assert can_i(kubectl, operator, verb, *what), (verb, what)
    refused = [
        ("get", "secrets"), ("list", "secrets"), ("watch", "secrets"),
        ("delete", "dynamicjobs.dynamicjobs.io"), ("create", "dynamicjobs.dynamicjobs.io"),
        ("patch", "dynamicjobs.dynamicjobs.io"), ("update", "dynamicjobs.dynamicjobs.io"),
        ("patch", "events"),
        ("delete", "pods"), ("delete", "jobs.batch"), ("patch", "jobs.batch"),
        ("patch", "cronjobs.batch"), ("get", "pods"), ("watch", "pods"),
        ("create", "serviceaccounts"), ("create", "serviceaccounts", "--subresource=token"),
        ("create", "roles"), ("create", "rolebindings"), ("delete", "roles"),
        ("escalate", "roles"), ("bind", "roles"), ("create", "clusterroles"),
        ("patch", "validatingwebhookconfigurations.admissionregistration.k8s.io"),
    ]
    for verb, *what in refused:
        assert not can_i(kubectl, operator, verb, *what, "-n", namespace), (verb, what)
    assert not can_i(kubectl, operator, "get", "secrets", "--all-namespaces")


def test_namespaced_watch_grants_only_in_the_watched_namespace(
    release: Callable[..., str], namespace: str, kubectl: Kubectl, helm: Helm,
) -> None:
    name = release("--set", f"watch.namespaces[0]={namespace}",
                   "--set", "image.repository=registry.example.com/platform/dynamicjobs")
    full = f"{name}-dynamicjobs"
    notes = helm("get", "notes", name, "--namespace", namespace).stdout
    assert "placeholder" not in notes, notes
    get(kubectl, "-n", namespace, "role", full)
    get(kubectl, "-n", namespace, "rolebinding", full)
    missing = kubectl("get", "clusterrole", f"{full}-namespaced", check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr
    operator = _sa(namespace, name)
    assert can_i(kubectl, operator, "create", "cronjobs.batch", "-n", namespace)
    assert can_i(kubectl, operator, "watch", "dynamicjobs.dynamicjobs.io", "-n", namespace)
    assert not can_i(kubectl, operator, "create", "cronjobs.batch", "-n", "default")
    assert not can_i(kubectl, operator, "watch", "dynamicjobs.dynamicjobs.io", "-n", "default")
    assert can_i(kubectl, operator, "patch", "dynamicjobtemplates.dynamicjobs.io")
    args = get(kubectl, "-n", namespace, "deployment", full)["spec"]["template"]["spec"][
        "containers"][0]["args"]
    assert f"--namespace={namespace}" in args and "--all-namespaces" not in args


def test_upgrade_keeps_the_webhook_certificate(
    release: Callable[..., str], namespace: str, kubectl: Kubectl, helm: Helm,
) -> None:
    name = release()
    full = f"{name}-dynamicjobs"
    before = get(kubectl, "-n", namespace, "secret", f"{full}-webhook-tls")["data"]
    helm("upgrade", name, str(CHART), "--namespace", namespace, "--wait=false",
         *_isolating_values(namespace), "--set", "operator.driftCheckSeconds=120")
    after = get(kubectl, "-n", namespace, "secret", f"{full}-webhook-tls")["data"]
    assert after == before
    bundle = get(kubectl, "validatingwebhookconfiguration", full)["webhooks"][0][
        "clientConfig"]["caBundle"]
    assert bundle == before["ca.crt"]
    env = get(kubectl, "-n", namespace, "deployment", full)["spec"]["template"]["spec"][
        "containers"][0]["env"]
    assert {"name": "DYNAMICJOBS_DRIFT_CHECK_SECONDS", "value": "120"} in env


def test_uninstall_removes_everything_but_the_crds(
    release: Callable[..., str], namespace: str, kubectl: Kubectl, helm: Helm,
) -> None:
    name = release()
    full = f"{name}-dynamicjobs"
    helm("uninstall", name, "--namespace", namespace)
    gone = [
        ("clusterrole", f"{full}-cluster"), ("clusterrole", f"{full}-namespaced"),
        ("clusterrole", f"{full}-edit"), ("clusterrole", f"{full}-view"),
        ("clusterrolebinding", f"{full}-cluster"), ("validatingwebhookconfiguration", full),
        ("-n", namespace, "deployment", full), ("-n", namespace, "serviceaccount", full),
        ("-n", namespace, "service", f"{full}-webhook"),
        ("-n", namespace, "secret", f"{full}-webhook-tls"),
    ]
    def deleted(what: tuple[str, ...]) -> bool:
        return "NotFound" in kubectl("get", *what, check=False).stderr

    for what in gone:
        wait_for(partial(deleted, what), timeout=30, what=f"{' '.join(what)} to be deleted")
    get(kubectl, "crd", "dynamicjobs.dynamicjobs.io")
    get(kubectl, "crd", "dynamicjobtemplates.dynamicjobs.io")
