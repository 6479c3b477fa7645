"""One Event per finished run, told by the operator; nothing twice across a restart."""

from __future__ import annotations

from typing import Any

from job_operator.runs.announce import RunAnnouncer, run_event


def _job(run_id: str | None, result: str = "Succeeded") -> dict[str, Any]:
    status = {} if run_id is None else {"lastRun": {
        "id": run_id, "result": result, "startedAt": "2026-12-01T10:00:00.000Z",
        "message": "did it"}}
    return {"metadata": {"namespace": "ns", "name": "beat"}, "status": status}


def test_a_run_that_finishes_while_watched_is_told_once() -> None:
    announcer = RunAnnouncer()
    assert announcer.observe(_job(None), first_listing=False) is None
    assert announcer.observe(_job("beat-1", "Running"), first_listing=False) is None
    run = announcer.observe(_job("beat-1"), first_listing=False)
    assert run is not None and run_event(run) == (False, "RunSucceeded", "run beat-1: did it")
    assert announcer.observe(_job("beat-1"), first_listing=False) is None
    failed = announcer.observe(_job("beat-2", "Failed"), first_listing=False)
    assert failed is not None and run_event(failed)[:2] == (True, "RunFailed")


def test_the_first_listing_tells_nothing_so_a_restart_repeats_no_event() -> None:
    announcer = RunAnnouncer()
    assert announcer.observe(_job("beat-1"), first_listing=True) is None
    assert announcer.observe(_job("beat-1"), first_listing=False) is None
    assert announcer.observe(_job("beat-2"), first_listing=False) is not None


def test_a_run_the_operator_told_itself_is_not_told_again() -> None:
    announcer = RunAnnouncer()
    announcer.observe(_job(None), first_listing=True)
    announcer.told("ns", "beat", "beat-9")
    assert announcer.observe(_job("beat-9", "Failed"), first_listing=False) is None
