"""The operator on the real control plane: admission, reconcile, status, drift, deletion."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from job_operator.controller.catalogue import publish_catalogue
from job_operator.kube import Kube
from job_runner.registry import installed_templates
from local_cluster.controlplane import ControlPlane
from tests.kube.dynamicjobs import DynamicJobs, manifest
from tests.kube.rbac import grant
from tests.kube.waiting import wait_for

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.usefixtures("operator")


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def _apply(kubectl: Kubectl, body: dict, kubeconfig: Path | None = None,
           ) -> subprocess.CompletedProcess[str]:
    return kubectl("apply", "-f", "-", input=yaml.safe_dump(body), check=False,
                   kubeconfig=kubeconfig)


def test_a_valid_job_gets_its_cronjob_and_a_ready_status(jobs: DynamicJobs, kubectl: Kubectl,
                                                          namespace: str) -> None:
    jobs.create("nightly", schedule="30 2 * * *", timeZone="Europe/Berlin",
                parameters={"message": "hi"}, tags={"team": "payments"})
    kubectl("wait", "--for=condition=Ready", "dj/nightly", "-n", namespace, "--timeout=60s")
    cronjob = jobs.cronjob("nightly")
    assert cronjob is not None
    assert (cronjob.spec.schedule, cronjob.spec.time_zone) == ("30 2 * * *", "Europe/Berlin")
    owner = cronjob.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.controller) == ("DynamicJob", "nightly", True)
    assert cronjob.metadata.labels["tags.dynamicjobs.io/team"] == "payments"
    status = jobs.get("nightly")["status"]
    assert status["observedGeneration"] == 1
    assert status["cronJobName"] == "nightly"
    assert "Europe/Berlin" in status["schedule"]["description"]
    assert len(status["schedule"]["nextRuns"]) == 5
    types = {c["type"]: c["status"] for c in status["conditions"]}
    assert types == {"Ready": "True"}, "Suspended and Degraded are there only while True"
    listed = json.loads(kubectl("get", "dynamicjobs", "-n", namespace, "-o", "json").stdout)
    assert {item["kind"] for item in listed["items"]} == {"DynamicJob"}
    events = json.loads(kubectl("get", "events", "-n", namespace, "-o", "json").stdout)
    assert [e["reason"] for e in events["items"]
            if e["involvedObject"]["name"] == "nightly"] == [], "its status says it is Ready"
    for kind in ("serviceaccount", "role", "rolebinding"):
        made = json.loads(kubectl("get", kind, "-n", namespace, "-l",
                                  "app.kubernetes.io/managed-by=dynamicjobs-operator",
                                  "-o", "json").stdout)
        assert made["items"] == [], f"runner pods need no {kind}: they never call the API"


def test_the_webhook_refuses_a_bad_job_naming_every_field(kubectl: Kubectl,
                                                           namespace: str) -> None:
    bad = manifest("b" * 53, namespace, template="heartbeat", schedule="0 3 * * 7",
                   timeZone="Mars/Olympus", parameters={"message": "x", "colour": "red"})
    refused = _apply(kubectl, bad)
    assert refused.returncode != 0
    for field in ("metadata.name", "spec.schedule", "spec.timeZone", "spec.parameters"):
        assert field in refused.stderr, refused.stderr
    unknown = _apply(kubectl, manifest("unknown", namespace, template="no-such-thing"))
    assert "spec.template" in unknown.stderr and "database-cleanup" in unknown.stderr


def test_an_update_reaches_the_cronjob_and_observed_generation(jobs: DynamicJobs) -> None:
    jobs.create("hourly", schedule="0 * * * *", tags={"team": "a"})
    wait_for(lambda: jobs.is_ready("hourly"), timeout=60, what="hourly to be Ready")
    jobs.patch_spec("hourly", schedule="15 * * * *", suspend=True, tags={"team": None})
    wait_for(lambda: jobs.is_ready("hourly") and jobs.get("hourly")["status"][
        "observedGeneration"] == 2, timeout=60, what="generation 2 to be reconciled")
    cronjob = jobs.cronjob("hourly")
    assert cronjob is not None
    assert (cronjob.spec.schedule, cronjob.spec.suspend) == ("15 * * * *", True)
    assert "tags.dynamicjobs.io/team" not in cronjob.metadata.labels, "a removed tag's label"


def test_a_cronjob_edited_or_deleted_by_hand_is_repaired(jobs: DynamicJobs,
                                                         api_client: client.ApiClient,
                                                         namespace: str) -> None:
    jobs.create("repaired", schedule="5 4 * * *")
    wait_for(lambda: jobs.is_ready("repaired"), timeout=60, what="repaired to be Ready")
    batch = client.BatchV1Api(api_client)
    batch.patch_namespaced_cron_job("repaired", namespace, {
        "metadata": {"labels": {"example.com/theirs": "kept"}},
        "spec": {"schedule": "* * * * *", "startingDeadlineSeconds": 7}})
    wait_for(lambda: (cj := jobs.cronjob("repaired")) and cj.spec.schedule == "5 4 * * *",
             timeout=60, what="the hand edit to be reverted")
    repaired = jobs.cronjob("repaired")
    assert repaired is not None
    assert repaired.spec.starting_deadline_seconds is None, "the spec is the DynamicJob's alone"
    assert repaired.metadata.labels["example.com/theirs"] == "kept", "others' labels stay"
    uid = jobs.cronjob("repaired").metadata.uid  # type: ignore[union-attr]
    batch.delete_namespaced_cron_job("repaired", namespace)
    wait_for(lambda: (cj := jobs.cronjob("repaired")) and cj.metadata.uid != uid,
             timeout=60, what="the deleted CronJob to be recreated")
    core = client.CoreV1Api(api_client)

    def events() -> list[tuple[str, str]]:
        return [(e.reason, e.message) for e in core.list_namespaced_event(namespace).items
                if e.involved_object.name == "repaired"]
    wait_for(lambda: ("Created", "created CronJob/repaired") in events(), timeout=30,
             what="an Event for the CronJob created again")
    assert ("Updated", "brought CronJob/repaired back in line with the spec") in events()


def test_deleting_the_job_deletes_its_cronjob_without_a_finalizer(jobs: DynamicJobs) -> None:
    jobs.create("short-lived")
    wait_for(lambda: jobs.cronjob("short-lived"), timeout=60, what="the CronJob")
    assert not jobs.get("short-lived")["metadata"].get("finalizers")
    jobs.delete("short-lived")
    wait_for(lambda: jobs.cronjob("short-lived") is None, timeout=60,
             what="the garbage collector to delete the CronJob")


def test_a_job_that_slipped_past_the_webhook_is_stalled_with_no_cronjob(
    jobs: DynamicJobs, api_client: client.ApiClient, webhook_down: None,
) -> None:
    jobs.create("slipped", schedule="61 * * * *")
    wait_for(lambda: (c := jobs.condition("slipped", "Stalled")) and c["status"] == "True",
             timeout=60, what="Stalled=True")
    stalled = jobs.condition("slipped", "Stalled")
    assert stalled is not None and "spec.schedule" in stalled["message"]
    ready = jobs.condition("slipped", "Ready")
    assert ready is not None and (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "spec.schedule" in ready["message"]
    assert jobs.cronjob("slipped") is None


def test_a_secret_the_user_may_not_read_is_refused(
    control_plane: ControlPlane, api_client: client.ApiClient, kubectl: Kubectl, namespace: str,
) -> None:
    grant(api_client, namespace, "bob", "edit-dynamicjobs", [client.V1PolicyRule(
        api_groups=["dynamicjobs.io"], resources=["dynamicjobs"],
        verbs=["get", "list", "create", "update", "patch"])])
    bob = control_plane.user_kubeconfig("bob")
    body = manifest("hook", namespace, template="webhook-trigger", parameters={
        "url": "https://hooks.example.com/deploy", "method": "POST",
        "headers": {"Authorization": {"secretRef": {"name": "deploy-token", "key": "token"}}},
    })
    refused = wait_for(lambda: (r := _apply(kubectl, body, bob)) and "deploy-token" in r.stderr
                       and r, timeout=30, what="the webhook to refuse bob")
    assert refused.returncode != 0
    assert "spec.parameters.headers.Authorization.secretRef" in refused.stderr

    grant(api_client, namespace, "bob", "read-deploy-token", [client.V1PolicyRule(
        api_groups=[""], resources=["secrets"], resource_names=["deploy-token"], verbs=["get"])])
    wait_for(lambda: _apply(kubectl, body, bob).returncode == 0, timeout=30,
             what="bob to be allowed once he may read the Secret")


def test_a_secret_the_user_may_not_read_is_refused_in_run_overrides_too(
    control_plane: ControlPlane, api_client: client.ApiClient, kubectl: Kubectl, namespace: str,
    jobs: DynamicJobs,
) -> None:
    grant(api_client, namespace, "carol", "run-dynamicjobs", [client.V1PolicyRule(
        api_groups=["dynamicjobs.io"], resources=["dynamicjobs"], verbs=["get", "patch"])])
    jobs.create("hook", template="webhook-trigger", suspend=True,
                parameters={"url": "https://hooks.example.com/deploy"})
    carol = control_plane.user_kubeconfig("carol")
    overrides = {"headers": {"Authorization": {"secretRef": {"name": "deploy-token",
                                                              "key": "token"}}}}

    def annotate() -> subprocess.CompletedProcess[str]:
        return kubectl("annotate", "dj/hook", "-n", namespace, "--overwrite",
                       "dynamicjobs.io/run-requested-at=now",
                       f"dynamicjobs.io/run-parameters={json.dumps(overrides)}",
                       check=False, kubeconfig=carol)

    refused = wait_for(lambda: (r := annotate()) and "deploy-token" in r.stderr and r,
                       timeout=30, what="the webhook to refuse carol's overrides")
    assert refused.returncode != 0
    assert ('metadata.annotations["dynamicjobs.io/run-parameters"]'
            ".headers.Authorization.secretRef") in refused.stderr
    annotations = jobs.get("hook")["metadata"].get("annotations") or {}
    assert "dynamicjobs.io/run-parameters" not in annotations

    grant(api_client, namespace, "carol", "read-deploy-token", [client.V1PolicyRule(
        api_groups=[""], resources=["secrets"], resource_names=["deploy-token"], verbs=["get"])])
    wait_for(lambda: annotate().returncode == 0, timeout=30,
             what="carol to be allowed once she may read the Secret")


def test_the_catalogue_lists_every_installed_template(kubectl: Kubectl) -> None:
    listed = json.loads(kubectl("get", "djt", "-o", "json").stdout)
    names = {item["metadata"]["name"] for item in listed["items"]}
    assert {"heartbeat", "database-cleanup", "email-notification", "data-export",
            "webhook-trigger", "data-sync", "report-generation", "backup"} <= names
    heartbeat = next(i for i in listed["items"] if i["metadata"]["name"] == "heartbeat")
    assert heartbeat["spec"]["parametersSchema"]["type"] == "object"
    assert heartbeat["spec"]["examples"]
    assert set(heartbeat["spec"]["outputsSchema"]["properties"]) == set(
        installed_templates()["heartbeat"].outputs_schema()["properties"]), "kept, not pruned"


def test_kubectl_explain_shows_the_models_descriptions(kubectl: Kubectl) -> None:
    explained = kubectl("explain", "dynamicjobs.spec.schedule").stdout
    assert "5-field cron" in explained
    explained = kubectl("explain", "dj.status.lastRun.attempts").stdout
    assert "retries included" in explained


def test_publishing_the_catalogue_removes_stale_templates(api_client: client.ApiClient) -> None:
    kube = Kube(api_client)
    kube.apply({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJobTemplate",
        "metadata": {"name": "retired-template",
                     "labels": {"app.kubernetes.io/managed-by": "dynamicjobs-operator"}},
        "spec": {"version": "0.1.0", "description": "gone", "parametersSchema": {}},
    })
    kube.apply({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJobTemplate",
        "metadata": {"name": "someone-elses"},
        "spec": {"version": "1.0.0", "description": "not ours", "parametersSchema": {}},
    })
    published, removed = publish_catalogue(kube)
    assert published == []
    assert removed == ["retired-template"]
    assert kube.get("DynamicJobTemplate", None, "retired-template") is None
    assert kube.get("DynamicJobTemplate", None, "someone-elses") is not None
    kube.delete("DynamicJobTemplate", None, "someone-elses")


def test_an_existing_object_of_the_same_name_is_never_taken_over(
    jobs: DynamicJobs, api_client: client.ApiClient, namespace: str
) -> None:
    batch = client.BatchV1Api(api_client)
    batch.create_namespaced_cron_job(namespace, client.V1CronJob(
        metadata=client.V1ObjectMeta(name="taken"),
        spec=client.V1CronJobSpec(schedule="0 0 1 1 *", suspend=True,
                                  job_template=client.V1JobTemplateSpec(spec=client.V1JobSpec(
                                      template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
                                          restart_policy="Never", containers=[client.V1Container(
                                              name="theirs", image="theirs:1")]))))),
    ))
    jobs.create("taken")
    wait_for(lambda: (c := jobs.condition("taken", "Stalled")) and c["reason"] == "NameTaken",
             timeout=60, what="Stalled NameTaken")
    assert "CronJob/taken already exists" in jobs.condition("taken", "Stalled")["message"]
    theirs = batch.read_namespaced_cron_job("taken", namespace)
    assert theirs.spec.schedule == "0 0 1 1 *"
    assert [c.name for c in theirs.spec.job_template.spec.template.spec.containers] == ["theirs"]
    assert not theirs.metadata.owner_references
