"""kstatus-compatible conditions: Ready, Reconciling, Stalled, Suspended and Degraded.

`kubectl wait --for=condition=Ready`, Argo CD and Flux's kstatus read Ready/Reconciling/
Stalled. When a job is not Ready, Ready's reason says why (InvalidSpec, NameTaken,
Refused) and its message names each field and the fix, as Flux and cert-manager do;
ScheduleValid, TemplateFound and CronJobSynced, which said the same again, are gone
after 0.1 (`RETIRED`: a status 0.1 wrote loses them at its next write). Ready with
reason NeverFires is a job in sync whose valid schedule matches no date. Suspended says
the schedule is paused, and why, apart from reconciliation: a suspended job that is in
sync is still Ready. Degraded says the runs go wrong, also apart from reconciliation: the
newest finished run failed or a scheduled run was missed since
(`job_operator.metrics.health`), so a job in sync whose runs fail is Ready and Degraded,
never Healthy in a dashboard.

Reconciling is True while the operator is changing owned objects (from just before its
first write to the status written after the last); Ready and Stalled say where that
ended. Reconciling, Stalled, Suspended and Degraded are abnormal-true: each is there only
while True (`ONLY_WHILE_TRUE`), as Flux keeps Reconciling and Stalled, and as a Job has
no Suspended until it is suspended; kstatus, Argo CD and Flux read an absent one as
False. A healthy job's status holds Ready alone: every condition costs the API server
about 0.35 ms of CPU in each status write (its list-map entry and managed fields;
measured on the local control plane).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from job_operator.metrics.health import run_health
from job_runner.api import Condition, Suspension

Status = Literal["True", "False", "Unknown"]
CONDITION_ORDER = ("Ready", "Reconciling", "Stalled", "Suspended", "Degraded")
ONLY_WHILE_TRUE = frozenset({"Reconciling", "Stalled", "Suspended", "Degraded"})
RETIRED = frozenset({"ScheduleValid", "TemplateFound", "CronJobSynced"})
"""Condition types of 0.1 that Ready's reason and message now carry."""
REFUSED_REASONS = frozenset({"Refused", "StatusRefused"})
"""Stalled because the API server refused an owned object or the status: the same request
would be refused again, so nothing is tried until the spec changes."""
MAX_MESSAGE = 8192
"""Characters of a condition's message. Thousands of problems (10,000 bad parameters) would
otherwise make a status the API server refuses to store."""


def bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE:
        return message
    rest = len(message) - MAX_MESSAGE
    return f"{message[:MAX_MESSAGE]}... ({rest} more characters)"


@dataclass(frozen=True)
class Observation:
    type: str
    status: Status
    reason: str
    message: str = ""


def merge_conditions(
    current: Iterable[Condition], observed: Iterable[Observation], generation: int | None,
    now: str,
) -> list[Condition]:
    """New conditions from observations; a condition whose status did not change keeps its
    lastTransitionTime, so an unchanged object produces an identical list (and no write).
    One of `ONLY_WHILE_TRUE` observed False is removed, and so is every `RETIRED` one."""
    previous = {condition.type: condition for condition in current
                if condition.type not in RETIRED}
    merged = dict(previous)
    for seen in observed:
        if seen.type in ONLY_WHILE_TRUE and seen.status == "False":
            merged.pop(seen.type, None)
            continue
        before = previous.get(seen.type)
        changed = before is None or before.status != seen.status
        merged[seen.type] = Condition(
            type=seen.type,
            status=seen.status,
            reason=seen.reason,
            message=bounded(seen.message),
            last_transition_time=now if changed or before is None else before.last_transition_time,
            observed_generation=generation,
        )
    rank = {name: index for index, name in enumerate(CONDITION_ORDER)}
    return sorted(merged.values(), key=lambda c: (rank.get(c.type, len(rank)), c.type))


def ready(message: str, reason: str = "Reconciled") -> list[Observation]:
    return [
        Observation("Ready", "True", reason, message),
        Observation("Reconciling", "False", "Reconciled"),
        Observation("Stalled", "False", "Reconciled"),
    ]


def stalled(reason: str, message: str) -> list[Observation]:
    return [
        Observation("Ready", "False", reason, message),
        Observation("Reconciling", "False", reason),
        Observation("Stalled", "True", reason, message),
    ]


def suspended(body: Mapping[str, Any]) -> Observation:
    """From ``spec.suspend`` and the reason annotations `dynamicjobs suspend` writes; the
    operator only reads them, so it never fights a GitOps tool over them."""
    found = Suspension.of(body)
    if found is None:
        return Observation("Suspended", "False", "Active")
    message = found.reason or "spec.suspend is true"
    if found.by:
        message += f" (by {found.by}{f' at {found.since}' if found.since else ''})"
    reason = "SuspendedWithReason" if found.reason else "SuspendedInSpec"
    return Observation("Suspended", "True", reason, message)


def reconciling(message: str, current: Iterable[Condition]) -> list[Observation]:
    """Work in progress: Reconciling True; Ready stays as it was, or Unknown for a job
    never reconciled before."""
    observed = [Observation("Reconciling", "True", "Progressing", message),
                Observation("Stalled", "False", "Progressing")]
    if not any(condition.type == "Ready" for condition in current):
        observed.append(Observation("Ready", "Unknown", "Progressing", message))
    return observed


def degraded(body: Mapping[str, Any]) -> Observation:
    """From the runs in the status."""
    health = run_health(body.get("status"))
    return Observation("Degraded", "True" if health.degraded else "False", health.reason,
                       health.message)


def health_changed(body: Mapping[str, Any]) -> bool:
    """The stored Degraded condition no longer says what the runs say (a run was just
    recorded): the status needs a write. Absent says not degraded. False for a job not
    reconciled yet (no conditions at all), which its first reconcile will cover."""
    conditions = [c for c in (body.get("status") or {}).get("conditions") or []
                  if isinstance(c, Mapping)]
    if not conditions:
        return False
    stored = next((c for c in conditions if c.get("type") == "Degraded"), None)
    wanted = degraded(body)
    if stored is None:
        return wanted.status == "True"
    return (stored.get("status"), stored.get("reason"), stored.get("message", "")) != (
        wanted.status, wanted.reason, bounded(wanted.message))
