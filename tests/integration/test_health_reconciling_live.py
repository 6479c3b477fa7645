"""On a real API server: every version of a new DynamicJob, from its creation on, read
back through a watch. The operator's first status says Reconciling=True while it writes
the CronJob and its RBAC; the last says Ready, Reconciling=False, and Degraded=False
with no run yet."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client, watch

from tests.kube.dynamicjobs import GROUP, PLURAL, VERSION, DynamicJobs
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.usefixtures("operator")


def _conditions(body: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in (body.get("status") or {}).get("conditions") or []}


def test_reconciling_is_true_while_the_operator_writes_then_ready(
        api_client: client.ApiClient, namespace: str) -> None:
    jobs = DynamicJobs(api_client, namespace)
    created = jobs.create("watched")
    wait_for(lambda: jobs.is_ready("watched"), timeout=60, what="watched Ready")
    versions = []
    stream = watch.Watch().stream(
        client.CustomObjectsApi(api_client).list_namespaced_custom_object, GROUP, VERSION,
        namespace, PLURAL, field_selector="metadata.name=watched",
        resource_version=created["metadata"]["resourceVersion"], timeout_seconds=5)
    for event in stream:
        versions.append(_conditions(event["object"]))
    statuses = [v for v in versions if v]
    assert statuses, "the operator wrote no status"
    assert statuses[0]["Reconciling"] == "True" and statuses[0]["Ready"] == "Unknown"
    assert statuses[-1] == {**statuses[-1], "Ready": "True", "Reconciling": "False",
                            "Stalled": "False", "Degraded": "False"}
    assert all(v["Reconciling"] == "False" for v in statuses[1:]), \
        "Reconciling goes back to False once the objects are written, and stays"
