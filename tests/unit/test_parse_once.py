"""One reconcile parses the DynamicJob once and its schedule once (issue 7, point 2);
benchmarks/parse_counts.py prints the same figures."""

from __future__ import annotations

from benchmarks.parse_counts import measure


def test_a_reconcile_parses_the_job_once_and_a_schedule_once_per_process() -> None:
    figures = measure()
    assert figures["first reconcile"] == {"DynamicJob": 1, "schedule": 1}
    assert figures["unchanged reconcile"] == {"DynamicJob": 1}


def test_the_missed_run_check_reuses_the_reconcile_s_parse() -> None:
    assert measure()["missed-run check"] == {}
