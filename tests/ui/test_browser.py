"""The Headlamp plugin inside Headlamp's frontend, in a real browser (Debian's chromium), against
the real API server.

The operator and its webhook run, and the pod executor runs the runner's pods; the browser
acts as two users through the dashboard stand-in (tests/ui/dashboard.py): ``viewer`` (the
built-in view role) and ``editor`` (edit), each with the chart's aggregated rules. Every
scenario also scans each view with axe-core and saves screenshots.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from local_cluster.pod_executor import PodExecutor
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.fixtures import scratch_namespace
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for
from tests.ui.conftest import Browse
from tests.ui.dashboard import Dashboard


def ready(jobs: DynamicJobs, name: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        body = jobs.get(name)
        conditions = body.get("status", {}).get("conditions", [])
        is_ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
        return body if is_ready else None

    return wait_for(probe, timeout=90, what=f"DynamicJob {name} Ready")


def test_a_viewer_finds_the_plugin_in_headlamp_and_sees_no_action(
    operator: OperatorProcess, api_client: client.ApiClient, namespace: str,
    browse: Browse, dashboard: Dashboard,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("nightly-beat", schedule="0 3 * * *", tags={"team": "a"})
    with scratch_namespace(api_client) as elsewhere:
        others = DynamicJobs(api_client, elsewhere)
        others.create("elsewhere-beat")
        ready(jobs, "nightly-beat")
        ready(others, "elsewhere-beat")

        browse("viewer", job="nightly-beat", other="elsewhere-beat")

    viewer_writes = [r for r in dashboard.forwarded
                     if r[0] == "viewer" and r[1] in ("PATCH", "PUT", "DELETE")]
    assert viewer_writes == []


def test_a_namespace_user_lists_their_namespace_and_filters(
    operator: OperatorProcess, api_client: client.ApiClient, namespace: str, browse: Browse,
) -> None:
    client.RbacAuthorizationV1Api(api_client).create_namespaced_role_binding(namespace, {
        "metadata": {"name": "team-view"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "team"}],
    })
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("team-beat", tags={"team": "a"})
    jobs.create("other-beat", tags={"team": "b"})
    for name in ("team-beat", "other-beat"):
        ready(jobs, name)

    browse("namespace-user", job="team-beat", other="other-beat")


def test_a_refused_create_shows_the_webhook_message_then_the_job_is_created(
    operator: OperatorProcess, api_client: client.ApiClient, namespace: str,
    browse: Browse, dashboard: Dashboard,
) -> None:
    browse("create-refused-then-created", new_job="made-in-browser")

    refused = [r for r in dashboard.forwarded
               if r[:2] == ("editor", "POST") and "dryRun=All" in r[2] and r[3] >= 400]
    assert refused, "the refusal was the API server's (a dry-run create it answered with an error)"
    created = DynamicJobs(api_client, namespace).get("made-in-browser")
    assert created["spec"]["template"] == "heartbeat"
    assert created["spec"]["schedule"] == "0 2 * * 1-5"
    assert created["spec"]["timeZone"] == "Europe/Berlin"
    assert created["spec"]["parameters"] == {"message": "made in the browser"}
    assert "notifications" not in created["spec"]
    assert len(created["status"]["schedule"]["nextRuns"]) == 5


def test_run_now_leads_to_a_recorded_run(
    operator: OperatorProcess, pod_executor: PodExecutor, api_client: client.ApiClient,
    namespace: str, browse: Browse,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("on-demand", schedule="0 3 1 1 *")
    ready(jobs, "on-demand")

    browse("run-now", job="on-demand", override="pressed in the browser")

    runs = jobs.get("on-demand")["status"]["recentRuns"]
    manual = [run for run in runs if run["trigger"] == "Manual"]
    assert len(manual) == 1
    assert manual[0]["result"] == "Succeeded"
    assert manual[0]["parameterOverrides"] == {"message": "pressed in the browser"}


def test_suspend_resume_clone_export_edit_and_delete_as_the_cli_would(
    operator: OperatorProcess, api_client: client.ApiClient, namespace: str, browse: Browse,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("act-on-me", schedule="0 3 * * *", tags={"team": "a"})
    ready(jobs, "act-on-me")

    browse("actions", job="act-on-me")

    body = jobs.get("act-on-me")
    annotations = body["metadata"]["annotations"]
    assert body["spec"]["suspend"] is True
    assert annotations["dynamicjobs.io/suspend-reason"] == "database migration until Friday"
    assert annotations["dynamicjobs.io/suspended-by"] == "editor"
    assert annotations["dynamicjobs.io/suspended-at"].endswith("Z")

    def copy_gone() -> bool:
        try:
            jobs.get("act-on-me-copy")
        except ApiException as error:
            return error.status == 404
        return False

    wait_for(copy_gone, timeout=60, what="the deleted clone to be gone")


def test_the_list_and_the_form_work_390_pixels_wide(
    operator: OperatorProcess, api_client: client.ApiClient, namespace: str, browse: Browse,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("pocket-beat")
    ready(jobs, "pocket-beat")

    browse("narrow", job="pocket-beat")
