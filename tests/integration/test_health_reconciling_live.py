"""On a real API server: every version of a DynamicJob, read back through a watch. A new
job's first status is already Ready (without conditions it read as in progress until
then); after a spec change the operator's first status says Reconciling=True while it
writes the CronJob, the last says Ready alone: no Reconciling, Stalled or Degraded (kstatus
reads each as False when absent)."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client, watch

from tests.kube.dynamicjobs import GROUP, PLURAL, VERSION, DynamicJobs
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.usefixtures("operator")


def _conditions(body: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in (body.get("status") or {}).get("conditions") or []}


def _statuses_since(api_client: client.ApiClient, namespace: str,
                    resource_version: str) -> list[dict[str, str]]:
    """The conditions of each version of ``watched`` after ``resource_version``."""
    stream = watch.Watch().stream(
        client.CustomObjectsApi(api_client).list_namespaced_custom_object, GROUP, VERSION,
        namespace, PLURAL, field_selector="metadata.name=watched",
        resource_version=resource_version, timeout_seconds=5)
    return [conditions for event in stream if (conditions := _conditions(event["object"]))]


def test_reconciling_is_true_while_the_operator_writes_then_ready(
        api_client: client.ApiClient, namespace: str) -> None:
    jobs = DynamicJobs(api_client, namespace)
    created = jobs.create("watched")
    wait_for(lambda: jobs.is_ready("watched"), timeout=60, what="watched Ready")
    first = _statuses_since(api_client, namespace, created["metadata"]["resourceVersion"])
    assert first, "the operator wrote no status"
    assert first[0]["Ready"] == "True" and "Reconciling" not in first[0], first

    changed = jobs.patch_spec("watched", schedule="30 3 * * *")
    wait_for(lambda: jobs.is_ready("watched"), timeout=60, what="watched Ready again")
    statuses = _statuses_since(api_client, namespace, changed["metadata"]["resourceVersion"])
    assert statuses, "the operator wrote no status for the change"
    assert statuses[0]["Reconciling"] == "True", statuses
    assert statuses[-1] == {"Ready": "True"}, statuses
    assert all("Reconciling" not in v and "Stalled" not in v for v in statuses[1:]), \
        "Reconciling goes once the CronJob is written, and stays gone"
