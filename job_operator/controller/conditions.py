"""kstatus-compatible conditions: Ready, Reconciling, Stalled, plus the specific ones.

`kubectl wait --for=condition=Ready`, Argo CD and Flux's kstatus read Ready/Reconciling/
Stalled; ScheduleValid, TemplateFound and CronJobSynced say which part is wrong.
Suspended says whether the schedule is paused, and why, apart from reconciliation: a
suspended job that is in sync is still Ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from job_runner.api import Condition, Suspension

Status = Literal["True", "False", "Unknown"]
CONDITION_ORDER = ("Ready", "Reconciling", "Stalled", "ScheduleValid", "TemplateFound",
                   "CronJobSynced", "Suspended")
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
    lastTransitionTime, so an unchanged object produces an identical list (and no write)."""
    previous = {condition.type: condition for condition in current}
    merged = dict(previous)
    for seen in observed:
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


def ready(message: str) -> list[Observation]:
    return [
        Observation("Ready", "True", "Reconciled", message),
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
