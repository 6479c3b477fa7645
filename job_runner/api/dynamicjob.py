"""The DynamicJob resource: a template, its parameters and a schedule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from job_runner.api.base import ApiModel, Resource
from job_runner.api.status import DynamicJobStatus

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$"


class Retries(ApiModel):
    """How often a failed run is tried again inside the same pod."""

    limit: int = Field(default=0, ge=0, le=10)
    """Attempts after the first one; 0 means no retry."""
    backoff_seconds: int = Field(default=30, ge=1, le=3600)
    """Wait before the first retry; each further retry waits twice as long."""


class Dependency(ApiModel):
    """Another DynamicJob in the same namespace."""

    name: str = Field(min_length=1, max_length=52, pattern=DNS_LABEL)
    """Its metadata.name."""


class Notifier(ApiModel):
    """A template run to tell people about a run: email-notification, webhook-trigger, ..."""

    template: str = Field(min_length=1, max_length=63, pattern=DNS_LABEL)
    """The catalogue template that notifies."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Its parameters. The run's id, job, namespace, result and message are offered to the
    template: email placeholders {job}, {result}, {message}, ...; a webhook without a body
    sends the run as JSON."""


class Notifications(ApiModel):
    """Who hears about runs. Each notifier runs in the run's pod, right after it (for a
    missed run, in a pod the operator starts)."""

    on_failure: list[Notifier] = Field(default_factory=list, max_length=5)
    """After a run that Failed or TimedOut."""
    on_success: list[Notifier] = Field(default_factory=list, max_length=5)
    """After a run that Succeeded."""
    on_missed_run: list[Notifier] = Field(default_factory=list, max_length=5)
    """When a scheduled run did not start: the CronJob controller skipped it (the previous
    run still going under concurrencyPolicy Forbid, startingDeadlineSeconds passed) or was
    not running. These run in a pod of their own, started by the operator."""


NOTIFIER_KINDS = ("onFailure", "onSuccess", "onMissedRun")


def parameter_sets(spec: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(field path under spec, parameters) of the job and of each notifier, from the
    camelCase spec: everything that may hold Secret references."""
    found: list[tuple[str, Any]] = [("parameters", spec.get("parameters") or {})]
    notifications = spec.get("notifications")
    if isinstance(notifications, Mapping):
        for kind in NOTIFIER_KINDS:
            notifiers = notifications.get(kind)
            for index, notifier in enumerate(notifiers if isinstance(notifiers, list) else []):
                if isinstance(notifier, Mapping):
                    found.append((f"notifications.{kind}[{index}].parameters",
                                  notifier.get("parameters") or {}))
    return found


class ResourceList(ApiModel):
    """Amounts of CPU and memory, as Kubernetes quantities."""

    cpu: str | None = Field(default=None, pattern=QUANTITY)
    """CPU, e.g. "100m" (a tenth of a core) or "1"."""
    memory: str | None = Field(default=None, pattern=QUANTITY)
    """Memory, e.g. "128Mi" or "1Gi"."""


class ResourceRequirements(ApiModel):
    """CPU and memory for the runner's container."""

    requests: ResourceList = Field(default_factory=lambda: ResourceList(cpu="50m", memory="64Mi"))
    """Resources the scheduler reserves for each run."""
    limits: ResourceList = Field(default_factory=lambda: ResourceList(memory="256Mi"))
    """Hard caps; a run above the memory limit is killed (OOMKilled)."""


class DynamicJobSpec(ApiModel):
    """What to run, with which parameters, and when."""

    template: str = Field(min_length=1, max_length=63, pattern=DNS_LABEL)
    """Name of a template in the catalogue (`kubectl get dynamicjobtemplates`)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """The template's parameters, checked against its JSON Schema. Credentials are
    references, `{secretRef: {name, key}}`, to Secrets in the same namespace."""
    schedule: str = Field(min_length=1, max_length=256)
    """When to run: 5-field cron ("0 3 * * *") or @hourly, @daily, @weekly, @monthly, @yearly."""
    time_zone: str | None = Field(default=None, max_length=128)
    """IANA time zone of the schedule, e.g. "Europe/Berlin"; UTC when unset (the CronJob
    gets Etc/UTC, whatever zone the controller-manager runs in)."""
    suspend: bool = False
    """True stops future runs; a run in progress goes on."""
    concurrency_policy: Literal["Allow", "Forbid", "Replace"] = "Forbid"
    """What happens when a run is due while the previous one is still running."""
    starting_deadline_seconds: int | None = Field(default=None, ge=0)
    """A run that cannot start within this many seconds of its time is counted as missed."""
    timeout_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600)
    """Hard limit of one run, retries included."""
    retries: Retries = Field(default_factory=Retries)
    """Retries of a failed run."""
    depends_on: list[Dependency] = Field(default_factory=list, max_length=20)
    """Also run after each success of these DynamicJobs (same namespace), besides the
    schedule; with `suspend: true`, only then. Cycles are refused."""
    notifications: Notifications = Field(default_factory=Notifications)
    """Templates run after a failed or a successful run, to tell people."""
    history_limit: int = Field(default=10, ge=1, le=100)
    """How many runs `status.recentRuns` and the kept Jobs remember."""
    dry_run: bool = False
    """Plan only: each run reports what it would do and changes nothing."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """CPU and memory of each run's pod."""
    tags: dict[str, str] = Field(default_factory=dict, max_length=16)
    """Labels (`tags.dynamicjobs.io/KEY`) for the CronJob, its Jobs and pods, to select them."""


class DynamicJob(Resource):
    """A scheduled job built from a catalogue template."""

    kind: ClassVar[str] = "DynamicJob"
    plural: ClassVar[str] = "dynamicjobs"
    short_names: ClassVar[tuple[str, ...]] = ("dj",)
    scope: ClassVar[str] = "Namespaced"

    spec: DynamicJobSpec
    status: DynamicJobStatus = Field(default_factory=DynamicJobStatus)
