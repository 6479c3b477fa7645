"""Browser-tier fixtures: the plugin built, the chart's roles for two users, the dashboard.

Real: the control plane, the operator with its admission webhook, the pod executor, RBAC
from the chart's aggregated roles, the plugin's production bundle, Debian's chromium.
Headlamp's frontend as published in @kinvolk/headlamp-plugin's lib/ (built by
ui/headlamp-plugin/harness), which loads the plugin with its own loader. Stood in for:
Headlamp's backend (tests/ui/dashboard.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from local_cluster.controlplane import ControlPlane
from tests.kube.fixtures import *  # noqa: F403
from tests.kube.waiting import wait_for
from tests.ui.dashboard import Dashboard

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "ui" / "headlamp-plugin"
DRIVER = Path(__file__).parent / "browser" / "scenarios.mjs"
ARTIFACTS = REPO / "ui" / "headlamp-plugin" / "test-artifacts"
USERS = {"viewer": "view", "editor": "edit", "team": None}
"""Test user -> the built-in ClusterRole bound to it cluster-wide (team: none; a test binds
it in its namespace only)."""


def _run(*args: str, cwd: Path = PLUGIN, timeout: float = 600) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="session")
def ui_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The plugin's folder as Headlamp installs it (main.js and package.json), built now,
    and Headlamp's frontend (built, or taken from the cache, by harness/build.sh)."""
    assert (PLUGIN / "node_modules" / ".bin" / "vite").exists(), (
        "ui/headlamp-plugin has no node_modules: run `npm ci` there (.ci/ui.sh does)")
    for stale in ARTIFACTS.glob("*-failure.png"):
        stale.unlink()
    _run("npm", "run", "--silent", "build")
    _run("bash", "harness/build.sh")
    folder = tmp_path_factory.mktemp("plugins") / "dynamicjobs"
    folder.mkdir()
    shutil.copy(PLUGIN / "dist" / "main.js", folder / "main.js")
    shutil.copy(PLUGIN / "package.json", folder / "package.json")
    return folder, PLUGIN / "harness" / "dist"


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "Debian's chromium is needed: apt-get install -y chromium (.ci/ui.sh does)"
    return found


@pytest.fixture(scope="session")
def chart_roles(control_plane: ControlPlane, api_client: client.ApiClient, crds: None) -> None:
    """The chart's aggregated ClusterRoles and catalogue reader, as `helm template` renders
    them, then each test user bound to a built-in role cluster-wide; ready once the
    aggregation controller has folded our rules into edit and view."""
    from local_cluster.binaries import ensure_binaries

    rendered = subprocess.run(
        [str(ensure_binaries().helm), "template", "ui", str(REPO / "helm" / "dynamicjobs"),
         "--namespace", "dynamicjobs-system", "--show-only", "templates/aggregated-roles.yaml",
         "--show-only", "templates/catalogue-reader.yaml"],
        capture_output=True, text=True, timeout=120, check=True).stdout
    rbac = client.RbacAuthorizationV1Api(api_client)
    for doc in (d for d in yaml.safe_load_all(rendered) if d):
        create = (rbac.create_cluster_role if doc["kind"] == "ClusterRole"
                  else rbac.create_cluster_role_binding)
        create(doc)
    for user, role in USERS.items():
        if role is None:
            continue
        rbac.create_cluster_role_binding({
            "metadata": {"name": f"ui-test-{user}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                          "name": user}],
        })
    authz = client.AuthorizationV1Api(api_client)

    def may(user: str, verb: str) -> bool:
        review = authz.create_subject_access_review({"spec": {"user": user, "resourceAttributes": {
            "group": "dynamicjobs.io", "resource": "dynamicjobs", "verb": verb}}})
        return bool(review.status.allowed)

    wait_for(lambda: may("editor", "create") and may("viewer", "list"), timeout=60,
             what="the aggregated edit and view roles to include DynamicJobs")


@pytest.fixture(scope="session")
def dashboard(control_plane: ControlPlane, chart_roles: None, ui_build: tuple[Path, Path],
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    plugin, frontend = ui_build
    users = {user: control_plane.user_kubeconfig(user) for user in USERS}
    with Dashboard(server=control_plane.server, users=users, frontend=frontend, plugin=plugin,
                   workdir=tmp_path_factory.mktemp("dashboard")) as running:
        yield running


Browse = Callable[..., None]


@pytest.fixture
def browse(dashboard: Dashboard, chromium: str, namespace: str) -> Browse:
    """``browse(scenario, **UI_vars)``: run one scenario of browser/scenarios.mjs in
    chromium; fails with its output. Screenshots go to ui/headlamp-plugin/test-artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)

    def run(scenario: str, **names: Any) -> None:
        env = {**os.environ, "UI_BASE_URL": dashboard.url, "UI_CHROMIUM": chromium,
               "UI_ARTIFACTS": str(ARTIFACTS), "UI_NAMESPACE": namespace,
               **{f"UI_{key.upper()}": str(value) for key, value in names.items()}}
        result = subprocess.run(["node", str(DRIVER), scenario], env=env, capture_output=True,
                                text=True, timeout=600, check=False)
        print(result.stdout)
        assert result.returncode == 0, (
            f"browser scenario {scenario} failed:\n{result.stdout}\n{result.stderr}")

    return run
