"""Notifications: after a run, the notifiers its DynamicJob names for that result.

A notifier is any catalogue template (email-notification, webhook-trigger, ...) run with
`Template.with_run`, in the run's pod, with a short deadline of its own. A notifier that
fails is recorded beside the run; it never changes the run's result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from job_runner.api import DynamicJobSpec, NotificationRecord, RunRecord
from job_runner.api.dynamicjob import Notifier
from job_runner.execute import execute
from job_runner.registry import UnknownTemplate, get_template
from job_runner.template import SecretRef

NOTIFY_BUDGET_SECONDS = 20.0
"""For all notifiers of a run together: within the pod's grace after the run's own
deadline (the operator's REPORT_GRACE_SECONDS, 30 s), so the status is still written."""
SAMPLE_RUN = {"job": "nightly", "namespace": "default", **RunRecord(
    id="nightly-29000000", result="Failed", message="what happened", trigger="Schedule",
    started_at="2026-01-01T03:00:00.000Z", finished_at="2026-01-01T03:00:05.000Z").summary()}
"""What validation offers `with_run`, so a notifier's placeholders are checked up front."""


def notifiers_for(spec: DynamicJobSpec, result: str) -> list[Notifier]:
    if result in ("Failed", "TimedOut"):
        return list(spec.notifications.on_failure)
    if result == "Succeeded":
        return list(spec.notifications.on_success)
    if result == "Missed":
        return list(spec.notifications.on_missed_run)
    return []


def notify(spec: DynamicJobSpec, record: RunRecord, *, job: str, namespace: str,
           secrets: Callable[[SecretRef], str],
           clock: Callable[[], float] = time.monotonic) -> list[NotificationRecord]:
    """Run the notifiers for ``record``'s result; one record of how each went."""
    run: dict[str, Any] = {"job": job, "namespace": namespace, **record.summary()}
    results = []
    deadline = clock() + NOTIFY_BUDGET_SECONDS
    for index, notifier in enumerate(notifiers_for(spec, record.result)):
        remaining = deadline - clock()
        if remaining < 1:
            results.append(NotificationRecord(
                template=notifier.template, result="Cancelled",
                message="not sent: the notifiers' time budget ran out"))
            continue
        try:
            template = get_template(notifier.template)
        except UnknownTemplate as error:
            results.append(NotificationRecord(template=notifier.template, result="Failed",
                                              message=str(error)))
            continue
        outcome = execute(
            template, template.with_run(dict(notifier.parameters), run),
            run_id=f"{record.id}-notify-{index}", timeout_seconds=remaining,
            dry_run=spec.dry_run, secrets=secrets, job=job, namespace=namespace,
        )
        results.append(NotificationRecord(template=notifier.template, result=outcome.result,
                                          message=outcome.message))
    return results
