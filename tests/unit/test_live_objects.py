"""LiveObjects: the watch-fed view the reconcile reads instead of GETs."""

from __future__ import annotations

from typing import Any

from job_operator.controller.live import LiveObjects
from job_operator.kube import packed, trimmed, unpacked


def _cronjob(version: str, schedule: str = "0 3 * * *") -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "beat", "namespace": "ns", "resourceVersion": version,
                         "managedFields": [{"manager": "x"}]},
            "spec": {"schedule": schedule}, "status": {"active": []}}


def _view(watched: dict[Any, list[dict[str, Any]]]) -> LiveObjects:
    """Over a CronJob watch that holds ``watched``, {(namespace, name): [body]}."""
    def read(namespace: str, name: str) -> dict[str, Any] | None:
        found = watched.get((namespace, name))
        return found[0] if found else None
    return LiveObjects({"CronJob": read}, list)


def test_trimmed_keeps_who_changed_it_when_and_the_status_but_not_the_field_sets() -> None:
    body = _cronjob("1")
    body["metadata"]["managedFields"] = [{"manager": "x", "operation": "Apply",
                                          "time": "2026-12-01T10:00:00Z",
                                          "fieldsV1": {"f:spec": {}}}]
    kept = trimmed(body)
    assert kept["metadata"]["managedFields"] == [
        {"manager": "x", "operation": "Apply", "time": "2026-12-01T10:00:00Z"}]
    assert kept["status"] == {"active": []}
    assert "fieldsV1" in body["metadata"]["managedFields"][0], "the watched body is unchanged"


def test_what_we_applied_stands_in_until_the_watch_delivers_it_or_newer() -> None:
    watched: dict[Any, list[dict[str, Any]]] = {("ns", "beat"): [trimmed(_cronjob("5"))]}
    live = _view(watched)
    live.applied(_cronjob("7", schedule="0 4 * * *"))
    assert live.get("CronJob", "ns", "beat")["spec"]["schedule"] == "0 4 * * *"
    watched[("ns", "beat")] = [trimmed(_cronjob("8", schedule="0 5 * * *"))]
    assert live.get("CronJob", "ns", "beat")["spec"]["schedule"] == "0 5 * * *"


def test_an_object_only_we_know_of_is_returned_and_a_deleted_one_forgotten() -> None:
    live = _view({})
    assert live.get("CronJob", "ns", "beat") is None
    live.applied(_cronjob("3"))
    assert live.get("CronJob", "ns", "beat") is not None
    live.forget("CronJob", "ns", "beat")
    assert live.get("CronJob", "ns", "beat") is None


def test_the_echo_of_our_own_write_is_recognised_and_another_write_is_not() -> None:
    live = _view({})
    live.applied(_cronjob("3"))
    assert live.is_own_echo("CronJob", "ns", "beat", "3")
    assert not live.is_own_echo("CronJob", "ns", "beat", "4")
    assert not live.is_own_echo("CronJob", "ns", "other", "3")


def test_dynamicjobs_are_read_like_any_watched_kind() -> None:
    bodies = {("ns", "a"): {"metadata": {"name": "a", "resourceVersion": "4"}}}
    live = LiveObjects({"DynamicJob": lambda ns, name: bodies.get((ns, name))},
                       lambda: list(bodies.values()))
    assert [body["metadata"]["name"] for body in live.dynamicjobs()] == ["a"]
    assert live.get("DynamicJob", "ns", "a") == bodies[("ns", "a")]
    assert live.get("DynamicJob", "ns", "b") is None


def test_packed_is_the_trimmed_body_and_each_read_a_copy_of_its_own() -> None:
    body = _cronjob("1")
    body["metadata"]["managedFields"][0]["fieldsV1"] = {"f:spec": {}}
    data = packed(body)
    assert unpacked(data) == trimmed(body)
    first = unpacked(data)
    first["spec"]["schedule"] = "changed by a reader"
    assert unpacked(data)["spec"]["schedule"] == "0 3 * * *"
