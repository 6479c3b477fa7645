from __future__ import annotations

from job_operator.controller.conditions import (
    Observation,
    merge_conditions,
    ready,
    reconciling,
    stalled,
    suspended,
)
from job_runner.api import Condition


def test_unchanged_status_keeps_transition_time_so_nothing_is_rewritten() -> None:
    first = merge_conditions([], ready("ok"), 1, "2026-01-01T00:00:00Z")
    again = merge_conditions(first, ready("ok"), 1, "2026-01-01T00:05:00Z")
    assert again == first


def test_a_status_change_moves_transition_time_and_keeps_others() -> None:
    paused = Observation("Suspended", "True", "SuspendedInSpec")
    first = merge_conditions([], [*ready("ok"), paused], 1, "2026-01-01T00:00:00Z")
    later = merge_conditions(first, stalled("InvalidSpec", "spec.schedule: bad"), 2,
                             "2026-01-01T00:05:00Z")
    by_type = {c.type: c for c in later}
    assert by_type["Ready"].status == "False"
    assert by_type["Ready"].last_transition_time == "2026-01-01T00:05:00Z"
    assert by_type["Stalled"].message == "spec.schedule: bad"
    assert by_type["Suspended"].last_transition_time == "2026-01-01T00:00:00Z"
    assert [c.type for c in later][:2] == ["Ready", "Stalled"]
    assert all(c.observed_generation in (1, 2) for c in later)


def test_reconciling_and_stalled_are_there_only_while_true() -> None:
    healthy = merge_conditions([], ready("ok"), 1, "2026-01-01T00:00:00Z")
    assert [c.type for c in healthy] == ["Ready"], "kstatus reads an absent one as False"
    working = merge_conditions(healthy, reconciling("applying CronJob/x", healthy), 2,
                               "2026-01-01T00:01:00Z")
    assert {c.type: c.status for c in working} == {"Ready": "True", "Reconciling": "True"}
    stuck = merge_conditions(working, stalled("InvalidSpec", "spec.schedule: bad"), 2,
                             "2026-01-01T00:02:00Z")
    assert {c.type: c.status for c in stuck} == {"Ready": "False", "Stalled": "True"}
    again = merge_conditions(stuck, ready("ok"), 3, "2026-01-01T00:03:00Z")
    assert [(c.type, c.status) for c in again] == [("Ready", "True")]


def test_suspended_reads_spec_suspend_and_the_reason_annotations() -> None:
    assert suspended({"spec": {}}) == Observation("Suspended", "False", "Active")
    assert suspended({"spec": {"suspend": True}}) == Observation(
        "Suspended", "True", "SuspendedInSpec", "spec.suspend is true")
    body = {"spec": {"suspend": True}, "metadata": {"annotations": {
        "dynamicjobs.io/suspend-reason": "orders-db migration",
        "dynamicjobs.io/suspended-by": "alice",
        "dynamicjobs.io/suspended-at": "2026-12-01T10:00:00.000Z"}}}
    assert suspended(body) == Observation(
        "Suspended", "True", "SuspendedWithReason",
        "orders-db migration (by alice at 2026-12-01T10:00:00.000Z)")
    body["spec"]["suspend"] = False
    assert suspended(body).status == "False", "a reason left behind does not suspend"


def test_the_conditions_0_1_wrote_besides_ready_go_at_the_next_write() -> None:
    """ScheduleValid, TemplateFound and CronJobSynced said what Ready's reason says."""
    at = "2026-01-01T00:00:00Z"
    stored = [Condition(type=kind, status="True", reason=reason, last_transition_time=at,
                        observed_generation=1)
              for kind, reason in (("Ready", "Reconciled"), ("ScheduleValid", "Valid"),
                                   ("TemplateFound", "Found"), ("CronJobSynced", "Synced"))]
    upgraded = merge_conditions(stored, ready("ok"), 1, "2026-01-01T00:05:00Z")
    assert [(c.type, c.last_transition_time) for c in upgraded] == [("Ready", at)]
