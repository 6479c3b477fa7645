from __future__ import annotations

from job_operator.controller.drift import holds, replacement


def test_server_defaults_are_not_drift() -> None:
    desired = {"spec": {"schedule": "* * * * *", "containers": [{"name": "a"}]}}
    live = {"metadata": {"resourceVersion": "9"},
            "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Allow",
                     "containers": [{"name": "a", "terminationMessagePath": "/dev/x"}]}}
    assert holds(desired, live)


def test_changed_missing_or_extra_list_items_are_drift() -> None:
    desired = {"spec": {"schedule": "0 * * * *", "args": ["run"]}}
    assert not holds(desired, {"spec": {"schedule": "5 * * * *", "args": ["run"]}})
    assert not holds(desired, {"spec": {"args": ["run"]}})
    assert not holds(desired, {"spec": {"schedule": "0 * * * *", "args": ["run", "x"]}})
    assert not holds({"a": {"b": 1}}, {"a": "b"})


def test_quantities_compare_by_value_only_where_they_are_quantities() -> None:
    assert holds({"requests": {"cpu": "0.5"}}, {"requests": {"cpu": "500m"}})
    assert not holds({"requests": {"cpu": "1"}}, {"requests": {"cpu": "500m"}})
    assert not holds({"schedule": "0.5"}, {"schedule": "500m"})


def test_a_replacement_keeps_what_others_put_on_the_object_and_drops_our_stale_keys() -> None:
    desired = {"kind": "CronJob", "metadata": {
        "name": "beat", "labels": {"dynamicjobs.io/job": "beat", "tags.dynamicjobs.io/team": "b"},
        "annotations": {"dynamicjobs.io/spec-hash": "new"}}, "spec": {"schedule": "* * * * *"}}
    live = {"kind": "CronJob", "metadata": {
        "name": "beat", "resourceVersion": "41", "finalizers": ["example.com/keep"],
        "labels": {"dynamicjobs.io/job": "beat", "tags.dynamicjobs.io/old": "gone",
                   "app.kubernetes.io/managed-by": "someone", "example.com/theirs": "kept"},
        "annotations": {"dynamicjobs.io/spec-hash": "old", "note": "kept"}},
        "spec": {"schedule": "0 0 * * *", "suspend": True}}
    body = replacement(desired, live)
    assert body["metadata"] == {
        "name": "beat", "resourceVersion": "41", "finalizers": ["example.com/keep"],
        "labels": {"example.com/theirs": "kept", "dynamicjobs.io/job": "beat",
                   "tags.dynamicjobs.io/team": "b"},
        "annotations": {"note": "kept", "dynamicjobs.io/spec-hash": "new"}}
    assert body["spec"] == {"schedule": "* * * * *"}, "the spec is ours alone"
    assert desired["metadata"].get("resourceVersion") is None, "the builder's dict is not edited"
