"""What kopf keeps on a DynamicJob: it finds new and changed specs from
status.observedGeneration, and a handler that succeeds leaves nothing to write."""

from __future__ import annotations

from typing import Any

import kopf

from job_operator.controller.handled import ObservedGenerationDiffBase, RetryOnlyProgressStorage


def _body(generation: int, observed: int | None) -> kopf.Body:
    raw: dict[str, Any] = {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "generation": generation,
                     "labels": {"team": "a"}},
        "spec": {"template": "heartbeat", "schedule": "* * * * *"},
    }
    if observed is not None:
        raw["status"] = {"observedGeneration": observed}
    return kopf.Body(raw)


def test_a_job_never_reconciled_has_no_diff_base_so_kopf_creates() -> None:
    assert ObservedGenerationDiffBase().fetch(body=_body(1, None)) is None


def test_a_handled_generation_is_its_own_diff_base_so_nothing_changed() -> None:
    storage = ObservedGenerationDiffBase()
    body = _body(3, 3)
    assert storage.fetch(body=body) == storage.build(body=body)


def test_a_generation_not_yet_handled_differs_in_its_spec_only() -> None:
    storage = ObservedGenerationDiffBase()
    body = _body(4, 3)
    old, new = storage.fetch(body=body), storage.build(body=body)
    assert old is not None and "spec" not in old
    assert {key: value for key, value in new.items() if key != "spec"} == old


def test_storing_writes_nothing() -> None:
    storage = ObservedGenerationDiffBase()
    body = _body(1, None)
    patch = kopf.Patch()
    storage.store(body=body, patch=patch, essence=storage.build(body=body))
    assert not patch


def test_a_handler_done_at_once_leaves_no_progress_and_no_marker() -> None:
    storage = RetryOnlyProgressStorage(prefix="dynamicjobs.io")
    body = _body(1, None)
    patch = kopf.Patch()
    storage.store(key=kopf.HandlerId("reconcile_dynamicjob"),
                  record={"started": "2026-12-01T00:00:00Z", "success": True}, body=body,
                  patch=patch)
    assert patch, "while a handler runs or retries, its progress is kept"
    storage.purge(key=kopf.HandlerId("reconcile_dynamicjob"), body=body, patch=patch)
    assert not patch.get("metadata", {}).get("annotations"), patch


def test_the_essence_is_kopfs_own_without_copying_what_it_drops() -> None:
    """The same essence as kopf's DiffBaseStorage.build, on a body with everything kopf
    drops (managedFields, status, its own marked annotations, kubectl's last-applied)."""
    raw: dict[str, Any] = {
        **_body(2, 1),
        "metadata": {
            "name": "beat", "namespace": "ns", "generation": 2, "uid": "u-1",
            "resourceVersion": "77", "labels": {"team": "a"},
            "annotations": {"note": "kept", "other.io/kopf-managed": "yes",
                            "other.io/last-handled-configuration": "{}",
                            "kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
        },
        "status": {"observedGeneration": 1, "conditions": [{"type": "Ready"}]},
    }
    body = kopf.Body(raw)
    ours = ObservedGenerationDiffBase().build(body=body)
    assert ours == kopf.AnnotationsDiffBaseStorage().build(body=body)
    assert ours == {"spec": raw["spec"], "metadata": {
        "labels": {"team": "a"}, "annotations": {"note": "kept"}}}
    ours["spec"]["schedule"] = "changed"  # type: ignore[index]
    assert raw["spec"]["schedule"] == "* * * * *", "the essence is a copy"
