from __future__ import annotations

from job_operator.controller.drift import holds


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
