"""The chart lets every signed-in user read the template catalogue, and only that."""

from __future__ import annotations

from tests.chart.test_helm_chart import Render, helm, of_kind, render  # noqa: F401


def _catalogue_objects(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["metadata"]["name"].endswith("-catalogue-reader")]


def test_the_catalogue_reader_grants_reading_templates_to_every_authenticated_user(
        render: Render) -> None:  # noqa: F811
    role, binding = _catalogue_objects(render())
    assert role["kind"] == "ClusterRole"
    assert role["rules"] == [{"apiGroups": ["dynamicjobs.io"],
                              "resources": ["dynamicjobtemplates"],
                              "verbs": ["get", "list", "watch"]}]
    assert binding["kind"] == "ClusterRoleBinding"
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                    "name": "system:authenticated"}]


def test_turned_off_nothing_is_granted(render: Render) -> None:  # noqa: F811
    objects = render("--set", "rbac.catalogueForAllUsers=false")
    assert _catalogue_objects(objects) == []
    assert of_kind(objects, "ClusterRoleBinding"), "the operator's own bindings stay"
