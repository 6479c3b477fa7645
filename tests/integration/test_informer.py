"""The informer against the real API server: it lists, follows the watch, and tells."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from job_operator.controller.informer import LISTED, Informer
from job_operator.kube import Kube
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.integration
SELECTOR = "app.kubernetes.io/managed-by=dynamicjobs-operator"


def _account(name: str, labelled: bool = True) -> dict[str, Any]:
    labels = {"app.kubernetes.io/managed-by": "dynamicjobs-operator"} if labelled else {}
    return {"metadata": {"name": name, "labels": labels}}


def test_it_lists_follows_changes_and_deletions_and_ignores_the_unlabelled(
    api_client: client.ApiClient, namespace: str,
) -> None:
    core = client.CoreV1Api(api_client)
    core.create_namespaced_service_account(namespace, _account("before"))
    seen: list[tuple[str, str]] = []
    informer = Informer(Kube(api_client), "ServiceAccount", SELECTOR, namespace,
                        on_event=lambda kind, event, body: seen.append(
                            (event, body["metadata"]["name"]))).start()
    try:
        wait_for(informer.listed.is_set, timeout=30, what="the first list")
        listed = informer.get(namespace, "before")
        assert listed is not None
        assert (listed["kind"], listed["apiVersion"]) == ("ServiceAccount", "v1"), (
            "a LIST's items lack kind and apiVersion; the store has them as a GET would")
        assert informer.get(namespace, "default") is None, "not ours: no label"
        core.create_namespaced_service_account(namespace, _account("after"))
        core.create_namespaced_service_account(namespace, _account("theirs", labelled=False))
        core.patch_namespaced_service_account(
            "after", namespace, {"metadata": {"annotations": {"x": "1"}}})
        wait_for(lambda: (informer.get(namespace, "after") or {}).get("metadata", {})
                 .get("annotations", {}).get("x") == "1", timeout=30, what="the change")
        core.delete_namespaced_service_account("before", namespace)
        wait_for(lambda: informer.get(namespace, "before") is None, timeout=30,
                 what="the deletion")
        assert informer.get(namespace, "theirs") is None
        assert seen[0] == (LISTED, "before"), "the first list is told, each object once"
        assert ("DELETED", "before") in seen and ("ADDED", "after") in seen
        assert all(name != "theirs" for _, name in seen)
        stored = informer.get(namespace, "after")
        assert stored is not None
        assert all("fieldsV1" not in entry for entry in stored["metadata"]["managedFields"])
    finally:
        informer.stop()


def test_a_list_comes_in_pages_of_one_snapshot(api_client: client.ApiClient,
                                               namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    names = [f"paged-{i}" for i in range(5)]
    for name in names:
        core.create_namespaced_service_account(namespace, _account(name))
    pages = list(Kube(api_client).list_pages("ServiceAccount", namespace, SELECTOR,
                                             page_size=2))
    assert [len(items) for items, _ in pages] == [2, 2, 1]
    assert sorted(item["metadata"]["name"] for items, _ in pages for item in items) == names
    assert len({version for _, version in pages}) == 1, "every page is of the same list"
