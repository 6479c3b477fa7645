"""The builders turn a DynamicJob into exactly the objects we expect, valid for Kubernetes."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from job_operator.builders import build_cronjob, build_runner_rbac, desired_objects
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
                            "serviceAccountName": "nightly-runner",
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


def test_runner_rbac_reaches_only_its_own_dynamicjob() -> None:
    service_account, role, binding = build_runner_rbac(_job())
    assert service_account["metadata"]["name"] == "nightly-runner"
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"]
        assert rule["resourceNames"] == ["nightly"], (
            "every grant names its object: Events, which cannot be, are the operator's")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "nightly-runner", "namespace": "team-a"}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
