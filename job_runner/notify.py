"""Notifications: after a run, the notifiers its DynamicJob names for that result.

A notifier is any catalogue template (email-notification, webhook-trigger, ...) run with
`Template.with_run`, in the run's pod, with a short deadline of its own. A notifier that
fails is recorded beside the run; it never changes the run's result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from job_runner.api import DynamicJobSpec
from job_runner.api.dynamicjob import Notifier
from job_runner.execute import execute
from job_runner.registry import UnknownTemplate, get_template
from job_runner.template import SecretRef

NOTIFY_BUDGET_SECONDS = 20.0
"""For all notifiers of a run together: within the pod's grace after the run's own
deadline (the operator's REPORT_GRACE_SECONDS, 30 s), so the status is still written."""
RUN_FIELDS = ("id", "result", "message", "trigger", "startedAt", "finishedAt")
SAMPLE_RUN = {"id": "nightly-29000000", "job": "nightly", "namespace": "default",
              "result": "Failed", "message": "what happened", "trigger": "Schedule",
              "startedAt": "2026-01-01T03:00:00Z", "finishedAt": "2026-01-01T03:00:05Z"}
"""What validation offers `with_run`, so a notifier's placeholders are checked up front."""


def notifiers_for(spec: DynamicJobSpec, result: str) -> list[Notifier]:
    if result in ("Failed", "TimedOut"):
        return list(spec.notifications.on_failure)
    if result == "Succeeded":
        return list(spec.notifications.on_success)
    if result == "Missed":
        return list(spec.notifications.on_missed_run)
    return []


def notify(spec: DynamicJobSpec, record: Mapping[str, Any], *, job: str, namespace: str,
           secrets: Callable[[SecretRef], str],
           clock: Callable[[], float] = time.monotonic) -> list[dict[str, Any]]:
    """Run the notifiers for ``record``'s result; one {template, result, message} each."""
    run = {"job": job, "namespace": namespace, **{k: record.get(k) for k in RUN_FIELDS}}
    results = []
    deadline = clock() + NOTIFY_BUDGET_SECONDS
    for index, notifier in enumerate(notifiers_for(spec, str(record["result"]))):
        remaining = deadline - clock()
        if remaining < 1:
            results.append({"template": notifier.template, "result": "Cancelled",
                            "message": "not sent: the notifiers' time budget ran out"})
            continue
        try:
            template = get_template(notifier.template)
        except UnknownTemplate as error:
            results.append({"template": notifier.template, "result": "Failed",
                            "message": str(error)})
            continue
        outcome = execute(
            template, template.with_run(dict(notifier.parameters), run),
            run_id=f"{record['id']}-notify-{index}", timeout_seconds=remaining,
            dry_run=spec.dry_run, secrets=secrets, job=job, namespace=namespace,
        )
        results.append({"template": notifier.template, "result": outcome.result,
                        "message": outcome.message})
    return results
