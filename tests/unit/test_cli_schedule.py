"""``dynamicjobs schedule``: text and JSON output, exit codes."""

from __future__ import annotations

import json

import pytest

from job_operator.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_lists_runs_in_utc_and_in_the_zone(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "schedule", "0 3 * * *", "--time-zone", "Europe/Berlin",
                         "--after", "2026-11-27T12:00:00Z", "--count", "2")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "At 03:00, every day (Europe/Berlin)",
        "Next runs:",
        "  2026-11-28T02:00:00Z  2026-11-28T03:00:00+01:00 (Europe/Berlin)",
        "  2026-11-29T02:00:00Z  2026-11-29T03:00:00+01:00 (Europe/Berlin)",
    ]


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schedule", "0 3 * * *", "--time-zone", "UTC",
                       "--after", "2026-11-27T12:00:00+00:00", "--count", "1", "-o", "json")
    assert code == 0
    assert json.loads(out) == {
        "description": "At 03:00, every day (UTC)",
        "nextRuns": ["2026-11-28T03:00:00.000Z"],  # the form of status.schedule.nextRuns
        "neverFires": False,
        "timeZone": "UTC",
        "warnings": [],
    }


def test_json_for_a_schedule_that_never_fires(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schedule", "0 0 31 2 *", "-o", "json")
    document = json.loads(out)
    assert code == 0
    assert (document["neverFires"], document["nextRuns"], document["timeZone"]) == (True, [], None)
    assert "never fires" in document["warnings"][0]


def test_text_shows_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schedule", "0 0 30 2 *")
    assert code == 0
    assert "warning: never fires: day 30 never occurs in February" in out
    assert "Next runs:" not in out


def test_default_count_is_five(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "schedule", "@hourly", "-o", "json")
    assert len(json.loads(out)["nextRuns"]) == 5


def test_invalid_schedule_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "schedule", "0 0 * * 7")
    assert (code, out) == (2, "")
    assert err.startswith('error: spec.schedule: field 5 (day of week) "7": above maximum 6')


def test_invalid_time_zone_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "schedule", "0 3 * * *", "--time-zone", "Mars/Olympus", "-o",
                         "json")
    assert (code, out) == (2, "")
    assert err.startswith('error: spec.timeZone: unknown time zone "Mars/Olympus"')


@pytest.mark.parametrize("argv", [["--after", "tomorrow"], ["--after", "2026-01-01T00:00:00"],
                                  ["--count", "0"], ["-o", "xml"]])
def test_bad_options_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["schedule", "0 3 * * *", *argv])
    assert caught.value.code == 2
    assert capsys.readouterr().err


def test_a_subcommand_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2


def test_dst_warnings_are_counted_from_after(capsys: pytest.CaptureFixture[str]) -> None:
    """The changes ahead of --after, not of today: 400 days from mid-2030 hold 2030's autumn
    and 2031's spring change, and none of 2026."""
    code, out, _ = run(capsys, "schedule", "30 2 * * *", "--time-zone", "Europe/Berlin",
                       "--after", "2030-06-01T00:00:00Z", "--count", "1", "-o", "json")
    warnings = json.loads(out)["warnings"]
    assert code == 0
    assert [w.split()[1] for w in warnings] == ["2030-10-27", "2031-03-30"]


def test_version_prints_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"dynamicjobs {metadata.version('dynamicjobs')}\n"
