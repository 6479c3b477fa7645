"""The catalogue for users who hold only namespace-scoped roles, on the control plane.

A RoleBinding cannot grant a cluster-scoped kind, so a namespace's view role, even with the
chart's rule naming dynamicjobtemplates (which it aggregates into the built-in ``view``),
lets such a user read no template. The user is bound to the chart's rule directly, so the
test shows what that rule grants whatever else the cluster aggregates. The chart's
catalogue reader (``rbac.catalogueForAllUsers``, rendered by helm here) lets every
authenticated user read it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, utils

from job_operator.cli import exits
from local_cluster.controlplane import ControlPlane
from tests.integration.test_cli_inspect import cli
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

CHART = Path(__file__).resolve().parents[2] / "helm" / "dynamicjobs"


def chart_catalogue_reader() -> list[dict[str, Any]]:
    """The chart's catalogue-reader ClusterRole and binding, as helm renders them."""
    from local_cluster.binaries import ensure_binaries

    rendered = subprocess.run(
        [str(ensure_binaries().helm), "template", "dynamicjobs", str(CHART),
         "--show-only", "templates/catalogue-reader.yaml"],
        capture_output=True, text=True, check=True, timeout=120).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def chart_view_role(name: str) -> dict[str, Any]:
    """The chart's view rule (helm/dynamicjobs/templates/aggregated-roles.yaml)."""
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name,
                         "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
            "rules": [{"apiGroups": ["dynamicjobs.io"],
                       "resources": ["dynamicjobs", "dynamicjobtemplates"],
                       "verbs": ["get", "list", "watch"]}]}


@pytest.fixture
def viewer(control_plane: ControlPlane, api_client: client.ApiClient, namespace: str,
           operator: OperatorProcess) -> Iterator[Path]:
    """A user with the chart's view role in one namespace (a RoleBinding), nothing else."""
    rbac = client.RbacAuthorizationV1Api(api_client)
    role = f"{namespace}-dynamicjobs-view"
    utils.create_from_dict(api_client, chart_view_role(role))
    rbac.create_namespaced_role_binding(namespace, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="nina-view"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                  name=role),
        subjects=[client.RbacV1Subject(kind="User", name="nina",
                                       api_group="rbac.authorization.k8s.io")]))
    yield control_plane.user_kubeconfig("nina")
    rbac.delete_cluster_role(role)


@pytest.fixture
def catalogue_reader(api_client: client.ApiClient) -> Iterator[None]:
    objects = chart_catalogue_reader()
    assert [o["kind"] for o in objects] == ["ClusterRole", "ClusterRoleBinding"]
    for body in objects:
        utils.create_from_dict(api_client, body)
    yield
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.delete_cluster_role_binding(objects[1]["metadata"]["name"])
    rbac.delete_cluster_role(objects[0]["metadata"]["name"])


def test_a_namespace_viewer_reads_the_catalogue_only_with_the_reader_binding(
        capsys: pytest.CaptureFixture[str], namespace: str, viewer: Path,
        request: pytest.FixtureRequest) -> None:
    wait_for(lambda: cli(capsys, viewer, "list", "-n", namespace)[0] == 0, timeout=30,
             what="nina's RoleBinding to take effect")
    code, out, err = cli(capsys, viewer, "templates")
    assert (code, out) == (exits.FORBIDDEN, "")
    assert 'User "nina" cannot list resource "dynamicjobtemplates"' in err
    assert "ask an admin to let every user read the catalogue" in err

    request.getfixturevalue("catalogue_reader")
    code, out, err = wait_for(lambda: (r := cli(capsys, viewer, "templates"))[0] == 0 and r,
                              timeout=30, what="nina to read the catalogue")
    assert "heartbeat" in [line.split()[0] for line in out.splitlines()[1:]]
    code, out, _ = cli(capsys, viewer, "templates", "heartbeat")
    assert code == 0 and out.startswith("heartbeat 1.0.0")
