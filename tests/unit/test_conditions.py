from __future__ import annotations

from job_operator.controller.conditions import Observation, merge_conditions, ready, stalled


def test_unchanged_status_keeps_transition_time_so_nothing_is_rewritten() -> None:
    first = merge_conditions([], ready("ok"), 1, "2026-01-01T00:00:00Z")
    again = merge_conditions(first, ready("ok"), 1, "2026-01-01T00:05:00Z")
    assert again == first


def test_a_status_change_moves_transition_time_and_keeps_others() -> None:
    first = merge_conditions([], [*ready("ok"), Observation("TemplateFound", "True", "Found")],
                             1, "2026-01-01T00:00:00Z")
    later = merge_conditions(first, stalled("InvalidSpec", "spec.schedule: bad"), 2,
                             "2026-01-01T00:05:00Z")
    by_type = {c.type: c for c in later}
    assert by_type["Ready"].status == "False"
    assert by_type["Ready"].last_transition_time == "2026-01-01T00:05:00Z"
    assert by_type["Stalled"].message == "spec.schedule: bad"
    assert by_type["TemplateFound"].last_transition_time == "2026-01-01T00:00:00Z"
    assert [c.type for c in later][:3] == ["Ready", "Reconciling", "Stalled"]
    assert all(c.observed_generation in (1, 2) for c in later)
