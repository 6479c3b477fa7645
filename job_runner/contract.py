"""The contract between operator and runner: the names both sides must spell the same.

The operator stamps these labels and annotations on the objects it builds and sets these
environment variables in the runner's pod; the runner (and the operator's watches) read
them back. Both sides import them from here, so a rename cannot break one side only.
Secret env var names are derived per reference in `job_runner.secrets`, under
`SECRET_ENV_PREFIX`.
"""

from __future__ import annotations

# Labels and annotations on the CronJob, its Jobs and pods, and the runner's RBAC objects.
MANAGED_BY = "dynamicjobs-operator"
"""The value of `LABEL_MANAGED_BY` on everything the operator builds."""
FIELD_MANAGER = "dynamicjobs-operator"
"""The server-side-apply field manager of the operator's writes."""
LABEL_JOB = "dynamicjobs.io/job"
"""The DynamicJob an object belongs to (its metadata.name)."""
LABEL_TEMPLATE = "dynamicjobs.io/template"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
TAG_LABEL_PREFIX = "tags.dynamicjobs.io/"
"""Prefix of the labels made from spec.tags."""
LABEL_JOB_NAME = "batch.kubernetes.io/job-name"
"""Set by the Job controller on a Job's pods: the run id of the pod's run."""
ANNOTATION_SPEC_HASH = "dynamicjobs.io/spec-hash"
ANNOTATION_RUN_REQUESTED = "dynamicjobs.io/run-requested-at"
"""On a DynamicJob: a new value asks for a run now (and on the manual run's Job)."""
ANNOTATION_RUN_PARAMETERS = "dynamicjobs.io/run-parameters"
"""On a DynamicJob: parameter overrides for requested runs (and on the manual run's Job)."""
ANNOTATION_TRIGGER = "dynamicjobs.io/trigger"
"""On a Job the operator starts itself: Manual, Dependency or Schedule."""
ANNOTATION_UPSTREAM_RUN = "dynamicjobs.io/upstream-run"
ANNOTATION_NOTIFIES_RUN = "dynamicjobs.io/notifies-run"
"""On a Job that only runs notifiers for a run (a missed one): it is no run itself."""

# The runner pod's environment, set by the operator's builders.
ENV_SPEC = "DYNAMICJOBS_SPEC"
"""The spec snapshot the CronJob was built from (compact JSON)."""
ENV_JOB = "DYNAMICJOBS_JOB"
"""The DynamicJob's name."""
ENV_NAMESPACE = "DYNAMICJOBS_NAMESPACE"
ENV_POD_NAME = "DYNAMICJOBS_POD_NAME"
ENV_RUN_ID = "DYNAMICJOBS_RUN_ID"
"""The run's id: its Job's name (from the pod's `LABEL_JOB_NAME` label)."""
ENV_TRIGGER = "DYNAMICJOBS_TRIGGER"
"""Manual or Dependency for Jobs the operator starts; unset (Schedule) for the CronJob's."""
ENV_PARAMETER_OVERRIDES = "DYNAMICJOBS_PARAMETER_OVERRIDES"
"""A manual run's overrides (JSON), so its record can show them."""
ENV_NOTIFY_RUN = "DYNAMICJOBS_NOTIFY_RUN"
"""A run record (JSON) whose notifiers this pod runs, and nothing else (a missed run)."""
ENV_WEBHOOK_ALLOW_CIDRS = "DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS"
"""Admin policy: networks a template may connect to although they are internal."""
ENV_WEBHOOK_DENY_CIDRS = "DYNAMICJOBS_WEBHOOK_DENY_CIDRS"
"""Admin policy: extra networks refused (wins over allow)."""
ENV_DESTINATION_ROOTS = "DYNAMICJOBS_DESTINATION_ROOTS"
"""Admin policy: directories (comma list) a template may write files under."""
RUNNER_POLICY_ENV = (ENV_WEBHOOK_ALLOW_CIDRS, ENV_WEBHOOK_DENY_CIDRS, ENV_DESTINATION_ROOTS)
"""The admin policy the operator copies from its own environment into every runner pod."""
TERMINATION_MESSAGE_PATH = "/dev/termination-log"
"""Where the runner writes its run record (JSON) for the operator: the container's
terminationMessagePath, which the kubelet reads into the pod's status when it ends."""
TERMINATION_MESSAGE_LIMIT = 4096
"""The kubelet keeps at most this many bytes of a container's termination message."""
ENV_TERMINATION_MESSAGE_PATH = "DYNAMICJOBS_TERMINATION_MESSAGE_PATH"
"""Set only where no kubelet mounts the file (the local pod executor's process mode): the
path to write the termination message to instead of `TERMINATION_MESSAGE_PATH`."""
SECRET_ENV_PREFIX = "DJ_SECRET_"  # noqa: S105 - a name prefix, no secret
"""Prefix of the variables that carry Secret values (`job_runner.secrets.secret_env_name`)."""
