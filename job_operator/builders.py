"""Pure builders: a DynamicJob in, the plain dicts of the objects that run it out.

Nothing here talks to the API; tests compare the output with expected dicts and with
kubernetes-validate. Each object is owned by the DynamicJob (controller reference), so
deleting the DynamicJob garbage-collects all of them without a finalizer.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from job_operator.settings import RunnerPodSettings, Settings
from job_runner.api import DynamicJob, RunRecord
from job_runner.api.dynamicjob import parameter_sets
from job_runner.contract import (
    ANNOTATION_NOTIFIES_RUN,
    ANNOTATION_RUN_PARAMETERS,
    ANNOTATION_RUN_REQUESTED,
    ANNOTATION_SPEC_HASH,
    ANNOTATION_TRIGGER,
    ANNOTATION_UPSTREAM_RUN,
    ENV_JOB,
    ENV_NAMESPACE,
    ENV_NOTIFY_RUN,
    ENV_PARAMETER_OVERRIDES,
    ENV_POD_NAME,
    ENV_RUN_ID,
    ENV_SPEC,
    ENV_TRIGGER,
    LABEL_JOB,
    LABEL_JOB_NAME,
    LABEL_MANAGED_BY,
    LABEL_TEMPLATE,
    MANAGED_BY,
    TAG_LABEL_PREFIX,
    TERMINATION_MESSAGE_PATH,
)
from job_runner.secrets import find_secret_refs, secret_env_name

RUNNER_UID = 65532
REPORT_GRACE_SECONDS = 30
"""The pod outlives the runner's own deadline by this much, so a timed-out run is reported."""
UTC_ZONE = "Etc/UTC"
"""A CronJob without timeZone follows the controller-manager's local zone, which the
operator cannot know; so a spec without one gets UTC, as its next runs and missed runs
are computed."""
TRIGGERED_JOB_TTL_SECONDS = 24 * 3600
"""A manual or dependency run's Job is not counted by the CronJob's history limits; it goes
after a day (its run stays in status.recentRuns)."""


def spec_snapshot(job: DynamicJob) -> str:
    """The spec as the runner receives it: compact JSON with sorted keys."""
    return json.dumps(job.spec.to_api(), sort_keys=True, separators=(",", ":"))


def job_labels(job: DynamicJob) -> dict[str, str]:
    labels = {
        LABEL_JOB: job.metadata.name,
        LABEL_TEMPLATE: job.spec.template,
        LABEL_MANAGED_BY: MANAGED_BY,
    }
    labels.update({TAG_LABEL_PREFIX + key: value for key, value in job.spec.tags.items()})
    return labels


def owner_reference(job: DynamicJob) -> dict[str, Any]:
    return {
        "apiVersion": job.api_version,
        "kind": "DynamicJob",
        "name": job.metadata.name,
        "uid": job.metadata.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _metadata(job: DynamicJob, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": job.metadata.namespace,
        "labels": job_labels(job),
        "ownerReferences": [owner_reference(job)],
    }


def _secret_env(job: DynamicJob) -> list[dict[str, Any]]:
    """One variable per Secret key that the job's or a notifier's parameters reference."""
    env: dict[str, dict[str, Any]] = {}
    references = [found for path, parameters in parameter_sets(job.spec.to_api())
                  for found in find_secret_refs(parameters, path)]
    for _, ref in references:
        name = secret_env_name(ref)
        selector = ref.secret_ref
        env[name] = {
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": selector.name, "key": selector.key}},
        }
    return [env[name] for name in sorted(env)]


def _runner_env(job: DynamicJob, settings: Settings) -> list[dict[str, Any]]:
    return [
        {"name": ENV_SPEC, "value": spec_snapshot(job)},
        {"name": ENV_JOB, "value": job.metadata.name},
        {"name": ENV_NAMESPACE, "value": job.metadata.namespace},
        {"name": ENV_POD_NAME, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": ENV_RUN_ID, "valueFrom": {"fieldRef": {
            "fieldPath": f"metadata.labels['{LABEL_JOB_NAME}']"}}},
        *({"name": name, "value": value} for name, value in settings.runner_env),
        *_secret_env(job),
    ]


def _resources(job: DynamicJob, defaults: Mapping[str, Mapping[str, Any]] | None,
               ) -> dict[str, Any]:
    """The DynamicJob's requests and its limits, each where it sets them, else the admin's
    defaults (when the chart gives any), else the model's."""
    own = job.spec.resources
    out = {}
    for kind in ("requests", "limits"):
        if kind in own.model_fields_set or defaults is None:
            out[kind] = getattr(own, kind).model_dump(exclude_none=True)
        else:
            out[kind] = dict(defaults.get(kind) or {})
    return {key: value for key, value in out.items() if value}


def _placement(pod: RunnerPodSettings) -> dict[str, Any]:
    """The admin's pod-level settings of runner pods (copies: callers edit what we build)."""
    placement: dict[str, Any] = {}
    if pod.image_pull_secrets:
        placement["imagePullSecrets"] = [{"name": name} for name in pod.image_pull_secrets]
    if pod.priority_class_name:
        placement["priorityClassName"] = pod.priority_class_name
    if pod.node_selector:
        placement["nodeSelector"] = dict(pod.node_selector)
    if pod.tolerations:
        placement["tolerations"] = copy.deepcopy(list(pod.tolerations))
    return placement


def build_pod_spec(job: DynamicJob, settings: Settings) -> dict[str, Any]:
    """A pod that meets the "restricted" Pod Security Standard and holds no credentials for
    the API: the runner reports its run in its termination message, which the operator
    reads from the finished pod and writes into the DynamicJob's status."""
    return {
        **_placement(settings.runner_pod),
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUNNER_UID,
            "runAsGroup": RUNNER_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [{
            "name": "runner",
            "image": settings.runner_image,
            "imagePullPolicy": settings.image_pull_policy,
            "command": ["python", "-m", "job_runner"],
            "args": ["run", "--from-env"],
            "env": _runner_env(job, settings),
            "resources": _resources(job, settings.runner_pod.resources),
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - its own emptyDir
            "terminationMessagePath": TERMINATION_MESSAGE_PATH,
            "terminationMessagePolicy": "File",
        }],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
    }


def _built_from_hash(job: DynamicJob, settings: Settings) -> str:
    """The spec and the admin's runner pod settings. A live object that holds every field
    we build counts as up to date, so without the settings here a placement the admin
    removes (say a nodeSelector) would never be applied, and never dropped."""
    pod = settings.runner_pod
    placement = json.dumps({"pod": _placement(pod), "resources": pod.resources},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{spec_snapshot(job)}\n{placement}".encode()).hexdigest()[:16]


def build_cronjob(job: DynamicJob, settings: Settings) -> dict[str, Any]:
    spec = job.spec
    metadata = _metadata(job, job.metadata.name)
    metadata["annotations"] = {ANNOTATION_SPEC_HASH: _built_from_hash(job, settings)}
    cron_spec: dict[str, Any] = {
        "schedule": spec.schedule,
        "suspend": spec.suspend,
        "concurrencyPolicy": spec.concurrency_policy,
        "successfulJobsHistoryLimit": spec.history_limit,
        "failedJobsHistoryLimit": spec.history_limit,
        "jobTemplate": {
            "metadata": {"labels": job_labels(job)},
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": spec.timeout_seconds + REPORT_GRACE_SECONDS,
                "template": {
                    "metadata": {"labels": job_labels(job)},
                    "spec": build_pod_spec(job, settings),
                },
            },
        },
    }
    cron_spec["timeZone"] = spec.time_zone or UTC_ZONE
    if spec.starting_deadline_seconds is not None:
        cron_spec["startingDeadlineSeconds"] = spec.starting_deadline_seconds
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata, "spec": cron_spec}


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


MAX_JOB_NAME = 63
"""A Job's name becomes the value of its pods' LABEL_JOB_NAME label."""


def _triggered_name(dynamicjob_name: str, kind: str, key: str) -> str:
    suffix = f"-{kind}-{_short_hash(key)}"
    return dynamicjob_name[:MAX_JOB_NAME - len(suffix)].rstrip("-") + suffix


def manual_job_name(dynamicjob_name: str, request: str) -> str:
    """Deterministic, so a request seen twice (a restart, a retry) creates one Job."""
    return _triggered_name(dynamicjob_name, "manual", f"{dynamicjob_name}/{request}")


def dependency_job_name(dynamicjob_name: str, upstream: str, upstream_run: str) -> str:
    """Deterministic per upstream run, so each success starts one downstream run."""
    return _triggered_name(dynamicjob_name, "after", f"{dynamicjob_name}/{upstream}/{upstream_run}")


def _triggered_job(job: DynamicJob, settings: Settings, name: str, trigger: str,
                   annotations: dict[str, str], extra_env: dict[str, str] | None = None,
                   ) -> dict[str, Any]:
    """A Job run now from the same template as the CronJob's, marked with its trigger."""
    template = build_cronjob(job, settings)["spec"]["jobTemplate"]
    container = template["spec"]["template"]["spec"]["containers"][0]
    env = {ENV_TRIGGER: trigger, **(extra_env or {})}
    container["env"] = [*container["env"],
                        *({"name": key, "value": value} for key, value in env.items())]
    metadata = _metadata(job, name)
    metadata["annotations"] = {ANNOTATION_TRIGGER: trigger, **annotations}
    spec = {**template["spec"], "ttlSecondsAfterFinished": TRIGGERED_JOB_TTL_SECONDS}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}


def build_manual_job(job: DynamicJob, settings: Settings, request: str,
                     overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``job`` already carries the overrides in its parameters; they are also passed on
    by themselves, so the run's record can show what was changed for it."""
    annotations = {ANNOTATION_RUN_REQUESTED: request}
    extra_env = {}
    if overrides:
        annotations[ANNOTATION_RUN_PARAMETERS] = extra_env[ENV_PARAMETER_OVERRIDES] = json.dumps(
            overrides, sort_keys=True, separators=(",", ":"))
    return _triggered_job(job, settings, manual_job_name(job.metadata.name, request),
                          "Manual", annotations, extra_env)


def build_dependency_job(job: DynamicJob, settings: Settings, upstream: str,
                         upstream_run: str) -> dict[str, Any]:
    return _triggered_job(
        job, settings, dependency_job_name(job.metadata.name, upstream, upstream_run),
        "Dependency", {ANNOTATION_UPSTREAM_RUN: f"{upstream}/{upstream_run}"})


def missed_run_job_name(dynamicjob_name: str, run_id: str) -> str:
    """Deterministic per missed run, so it is notified about once."""
    return _triggered_name(dynamicjob_name, "missed", run_id)


def build_missed_run_job(job: DynamicJob, settings: Settings,
                         record: RunRecord) -> dict[str, Any]:
    """A Job that runs only the onMissedRun notifiers for ``record`` (the runner sees
    ENV_NOTIFY_RUN) and adds their outcome to that record."""
    return _triggered_job(
        job, settings, missed_run_job_name(job.metadata.name, record.id), "Schedule",
        {ANNOTATION_NOTIFIES_RUN: record.id},
        {ENV_NOTIFY_RUN: json.dumps(record.to_api(), sort_keys=True, separators=(",", ":"))})


def desired_objects(job: DynamicJob, settings: Settings) -> list[dict[str, Any]]:
    """Everything a DynamicJob needs: its CronJob. (Runner pods need no ServiceAccount, Role
    or RoleBinding of their own, since they never call the API.)"""
    return [build_cronjob(job, settings)]
