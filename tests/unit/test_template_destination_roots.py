"""destination.directory under the admin's allowed roots (issue 8, point 7): a job could
write its files into any directory the runner can write; now only under the directories
the chart's runner.destinationRoots lists (DYNAMICJOBS_DESTINATION_ROOTS)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
from job_runner.templates.report_generation import ReportGeneration

ENV = "DYNAMICJOBS_DESTINATION_ROOTS"


def no_secrets(ref: object) -> str:
    raise AssertionError("no secrets expected")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "app.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT, at TEXT)")
        conn.execute("INSERT INTO t VALUES (1, 'a', datetime('now'))")
    conn.close()
    return path


def _export(database: Path, directory: Path) -> Any:
    params = {"source": {"connection": {"driver": "sqlite", "path": str(database)},
                         "table": "t"},
              "destination": {"directory": str(directory), "filename": "t.csv"}}
    return execute(DataExport, params, run_id="r", timeout_seconds=30, secrets=no_secrets)


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    exports, backups = tmp_path / "exports", tmp_path / "backups"
    for root in (exports, backups, exports / "team-a", tmp_path / "elsewhere"):
        root.mkdir()
    monkeypatch.setenv(ENV, f"{exports},{backups}")
    return exports, backups


def test_a_directory_under_an_allowed_root_is_written(database: Path,
                                                      roots: tuple[Path, Path]) -> None:
    exports, backups = roots
    for directory in (exports, exports / "team-a", backups):
        outcome = _export(database, directory)
        assert outcome.result == "Succeeded", outcome.message
        assert (directory / "t.csv").is_file()


def test_a_directory_outside_the_roots_is_refused_naming_field_and_roots(
    database: Path, roots: tuple[Path, Path], tmp_path: Path,
) -> None:
    exports, backups = roots
    for directory in (tmp_path / "elsewhere", tmp_path, Path("/tmp"),
                      tmp_path / "exports-evil"):
        outcome = _export(database, directory)
        assert outcome.result == "Failed"
        assert f"destination.directory {str(directory)!r} is outside" in outcome.message
        assert f"{exports}, {backups}" in outcome.message
        assert "runner.destinationRoots" in outcome.message
    assert not (tmp_path / "elsewhere" / "t.csv").exists()


def test_a_symlink_under_a_root_does_not_lead_out(database: Path, roots: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    exports, _ = roots
    (exports / "link").symlink_to(tmp_path / "elsewhere")
    outcome = _export(database, exports / "link")
    assert outcome.result == "Failed" and "is outside" in outcome.message
    assert not (tmp_path / "elsewhere" / "t.csv").exists()


def test_a_missing_directory_outside_the_roots_is_refused_without_saying_it_is_missing(
    database: Path, roots: tuple[Path, Path], tmp_path: Path,
) -> None:
    outcome = _export(database, tmp_path / "no-such-dir")
    assert "is outside" in outcome.message and "does not exist" not in outcome.message


def test_reports_are_held_to_the_roots_too(database: Path, roots: tuple[Path, Path],
                                          tmp_path: Path) -> None:
    params = {"connection": {"driver": "sqlite", "path": str(database)}, "table": "t",
              "groupBy": ["kind"], "metrics": [{"function": "count", "as": "n"}],
              "destination": {"directory": str(tmp_path / "elsewhere"),
                              "filename": "r.csv"}}
    outcome = execute(ReportGeneration, params, run_id="r", timeout_seconds=30,
                      secrets=no_secrets)
    assert outcome.result == "Failed" and "is outside the directories" in outcome.message


def test_without_a_list_a_runner_started_by_hand_writes_anywhere(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chart always sets the list (at least one root); tests and `dynamicjobs run
    --local` do not."""
    monkeypatch.delenv(ENV, raising=False)
    assert _export(database, tmp_path).result == "Succeeded"
