"""The builders turn a DynamicJob into exactly the objects we expect, valid for Kubernetes."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from job_operator.builders import build_cronjob, desired_objects
from job_operator.settings import Settings
from job_runner.api import DynamicJob

KUBERNETES_VERSION = "1.37.0"
SETTINGS = Settings.from_env({"DYNAMICJOBS_RUNNER_IMAGE": "registry.local/dynamicjobs:1.2.3"})


def _job(**spec: Any) -> DynamicJob:
    return DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1",
        "kind": "DynamicJob",
        "metadata": {"name": "nightly", "namespace": "team-a", "uid": "uid-1", "generation": 3},
        "spec": {"template": "heartbeat", "schedule": "0 3 * * *", **spec},
    })


OWNER = {
    "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob", "name": "nightly",
    "uid": "uid-1", "controller": True, "blockOwnerDeletion": True,
}
LABELS = {
    "dynamicjobs.io/job": "nightly",
    "dynamicjobs.io/template": "heartbeat",
    "app.kubernetes.io/managed-by": "dynamicjobs-operator",
}


def test_cronjob_matches_the_expected_manifest() -> None:
    cronjob = build_cronjob(_job(parameters={"message": "hi"}, timeZone="Europe/Berlin"), SETTINGS)
    spec_json = (
        '{"concurrencyPolicy":"Forbid","dependsOn":[],"dryRun":false,"historyLimit":10,'
        '"notifications":{"onFailure":[],"onMissedRun":[],"onSuccess":[]},'
        '"parameters":{"message":"hi"},'
        '"resources":{"limits":{"memory":"256Mi"},'
        '"requests":{"cpu":"50m","memory":"64Mi"}},"retries":{"backoffSeconds":30,"limit":0},'
        '"schedule":"0 3 * * *","suspend":false,"tags":{},"template":"heartbeat",'
        '"timeZone":"Europe/Berlin","timeoutSeconds":3600}'
    )
    assert cronjob == {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "nightly",
            "namespace": "team-a",
            "labels": LABELS,
            "ownerReferences": [OWNER],
            "annotations": {"dynamicjobs.io/spec-hash": cronjob["metadata"]["annotations"][
                "dynamicjobs.io/spec-hash"]},
        },
        "spec": {
            "schedule": "0 3 * * *",
            "timeZone": "Europe/Berlin",
            "suspend": False,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 10,
            "failedJobsHistoryLimit": 10,
            "jobTemplate": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": 3630,
                    "template": {
                        "metadata": {"labels": LABELS},
                        "spec": {
                            "restartPolicy": "Never",
                            "automountServiceAccountToken": False,
                            "securityContext": {
                                "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "containers": [{
                                "name": "runner",
                                "image": "registry.local/dynamicjobs:1.2.3",
                                "imagePullPolicy": "IfNotPresent",
                                "command": ["python", "-m", "job_runner"],
                                "args": ["run", "--from-env"],
                                "env": [
                                    {"name": "DYNAMICJOBS_SPEC", "value": spec_json},
                                    {"name": "DYNAMICJOBS_JOB", "value": "nightly"},
                                    {"name": "DYNAMICJOBS_NAMESPACE", "value": "team-a"},
                                    {"name": "DYNAMICJOBS_POD_NAME", "valueFrom": {
                                        "fieldRef": {"fieldPath": "metadata.name"}}},
                                    {"name": "DYNAMICJOBS_RUN_ID", "valueFrom": {"fieldRef": {
                                        "fieldPath":
                                            "metadata.labels['batch.kubernetes.io/job-name']"}}},
                                ],
                                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                              "limits": {"memory": "256Mi"}},
                                "securityContext": {
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "runAsNonRoot": True,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                                "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File",
                            }],
                            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                        },
                    },
                },
            },
        },
    }


@pytest.mark.parametrize("spec", [
    {},
    {"timeZone": "America/New_York", "startingDeadlineSeconds": 120, "suspend": True},
    {"concurrencyPolicy": "Replace", "timeoutSeconds": 60, "historyLimit": 3,
     "tags": {"team": "payments"}, "resources": {"requests": {"cpu": "1"}, "limits": {}}},
])
def test_every_object_is_valid_for_kubernetes(spec: dict[str, Any]) -> None:
    for obj in desired_objects(_job(**spec), SETTINGS):
        kubernetes_validate.validate(copy.deepcopy(obj), KUBERNETES_VERSION, strict=True)


def test_optional_fields_map_onto_the_cronjob() -> None:
    spec = build_cronjob(_job(
        startingDeadlineSeconds=120, suspend=True, concurrencyPolicy="Replace",
        timeoutSeconds=60, historyLimit=3, tags={"team": "payments"},
    ), SETTINGS)["spec"]
    assert spec["startingDeadlineSeconds"] == 120
    assert spec["suspend"] is True
    assert spec["concurrencyPolicy"] == "Replace"
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 90
    assert spec["successfulJobsHistoryLimit"] == spec["failedJobsHistoryLimit"] == 3
    assert spec["jobTemplate"]["metadata"]["labels"]["tags.dynamicjobs.io/team"] == "payments"
    assert spec["timeZone"] == "Etc/UTC", "no zone means UTC, not the controller's local zone"


def test_secret_references_become_secret_key_ref_env_never_values() -> None:
    job = _job(template="webhook-trigger", parameters={
        "url": "https://hooks.example.com/x",
        "headers": {"Authorization": {"secretRef": {"name": "hook", "key": "token"}}},
    })
    cronjob = build_cronjob(job, SETTINGS)
    env = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    from_secrets = [e for e in env if "secretKeyRef" in e.get("valueFrom", {})]
    assert [e["valueFrom"]["secretKeyRef"] for e in from_secrets] == [
        {"name": "hook", "key": "token"}]


def test_a_dynamicjob_is_one_cronjob_whose_pods_hold_no_api_credentials() -> None:
    """Runners report in their termination message; no per-job ServiceAccount, Role or
    RoleBinding exists, and no token is mounted into a runner pod."""
    objects = desired_objects(_job(), SETTINGS)
    assert [obj["kind"] for obj in objects] == ["CronJob"]
    pod = objects[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert "serviceAccountName" not in pod


PLACED_ENV = {
    "DYNAMICJOBS_RUNNER_IMAGE": "registry.local/dynamicjobs:1.2.3",
    "DYNAMICJOBS_RUNNER_IMAGE_PULL_SECRETS": "registry-a,registry-b",
    "DYNAMICJOBS_RUNNER_NODE_SELECTOR": '{"pool": "batch"}',
    "DYNAMICJOBS_RUNNER_TOLERATIONS":
        '[{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]',
    "DYNAMICJOBS_RUNNER_PRIORITY_CLASS_NAME": "batch-low",
    "DYNAMICJOBS_RUNNER_RESOURCES":
        '{"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}}',
}
PLACED = Settings.from_env(PLACED_ENV)


def _pod_spec(job: DynamicJob, settings: Settings) -> dict[str, Any]:
    spec: dict[str, Any] = build_cronjob(job, settings)["spec"]["jobTemplate"]["spec"][
        "template"]["spec"]
    return spec


def test_the_admins_placement_reaches_every_runner_pod() -> None:
    spec = _pod_spec(_job(), PLACED)
    assert {key: spec[key] for key in (
        "imagePullSecrets", "nodeSelector", "tolerations", "priorityClassName")} == {
        "imagePullSecrets": [{"name": "registry-a"}, {"name": "registry-b"}],
        "nodeSelector": {"pool": "batch"},
        "tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
        "priorityClassName": "batch-low",
    }
    assert spec["containers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}}
    for obj in desired_objects(_job(), PLACED):
        kubernetes_validate.validate(copy.deepcopy(obj), KUBERNETES_VERSION, strict=True)


def test_without_placement_values_the_pod_has_none_of_those_fields() -> None:
    spec = _pod_spec(_job(), SETTINGS)
    assert not {"imagePullSecrets", "nodeSelector", "tolerations", "priorityClassName"} & set(spec)


@pytest.mark.parametrize(("resources", "expected"), [
    ({"requests": {"memory": "512Mi"}},
     {"requests": {"memory": "512Mi"}, "limits": {"memory": "1Gi"}}),
    ({"limits": {"memory": "2Gi", "cpu": "2"}},
     {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "2Gi", "cpu": "2"}}),
    ({"requests": {"cpu": "1"}, "limits": {}}, {"requests": {"cpu": "1"}}),
])
def test_a_jobs_own_requests_or_limits_replace_the_defaults_each_as_a_whole(
    resources: dict[str, Any], expected: dict[str, Any],
) -> None:
    spec = _pod_spec(_job(resources=resources), PLACED)
    assert spec["containers"][0]["resources"] == expected


def test_an_empty_default_leaves_runner_pods_without_requests_or_limits() -> None:
    settings = Settings.from_env({"DYNAMICJOBS_RUNNER_RESOURCES": "{}"})
    assert _pod_spec(_job(), settings)["containers"][0]["resources"] == {}


def test_a_built_pod_never_shares_the_settings_objects() -> None:
    spec = _pod_spec(_job(), PLACED)
    spec["tolerations"][0]["value"] = "changed"
    spec["nodeSelector"]["pool"] = "changed"
    spec["containers"][0]["resources"]["limits"]["memory"] = "changed"
    again = _pod_spec(_job(), PLACED)
    assert again["tolerations"][0]["value"] == again["nodeSelector"]["pool"] == "batch"
    assert again["containers"][0]["resources"]["limits"]["memory"] == "1Gi"


@pytest.mark.parametrize(("name", "text", "message"), [
    ("DYNAMICJOBS_RUNNER_TOLERATIONS", "[{", "DYNAMICJOBS_RUNNER_TOLERATIONS is not JSON"),
    ("DYNAMICJOBS_RUNNER_NODE_SELECTOR", '["a"]',
     "DYNAMICJOBS_RUNNER_NODE_SELECTOR must be a JSON dict"),
])
def test_malformed_placement_settings_fail_naming_the_variable(
    name: str, text: str, message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({name: text})


def test_a_placement_the_admin_removes_changes_the_cronjob() -> None:
    """The operator applies a CronJob only when the live one lacks a built field; a removed
    field is dropped by that apply, so removing one must change a field: the hash."""
    with_selector = build_cronjob(_job(), PLACED)
    without = build_cronjob(_job(), Settings.from_env(
        {name: value for name, value in PLACED_ENV.items()
         if name != "DYNAMICJOBS_RUNNER_NODE_SELECTOR"}))
    assert (with_selector["metadata"]["annotations"]["dynamicjobs.io/spec-hash"]
            != without["metadata"]["annotations"]["dynamicjobs.io/spec-hash"])
