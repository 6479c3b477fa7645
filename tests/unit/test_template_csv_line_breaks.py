"""CSV cells with line breaks inside (issue 8, break 6): ``abc\\r=cmd`` was written
unquoted, so every reader that ends a row at a CR split the row there, and the rest started
a new row with a formula. Now such a cell is quoted, and in a report, whose cells are
guarded against formulas, the guard applies after each line break too."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
from job_runner.toolkit.report_render import Report, render_csv

BROKEN_CELLS = ["abc\r=cmd|' /C calc'!A0", "x\n@SUM(A1:A9)", "\r\n+1+2", "a\r\rb", "-2\r-3",
                "line\r\nbreak", "plain"]
FORMULA_START = re.compile(r"^[=+\-@\t]")


def no_secrets(ref: object) -> str:
    raise AssertionError("no secrets expected")


def _rows(text: str) -> list[list[str]]:
    """Python's reader, with newline="" as its documentation asks: a CR ends a row
    outside quotes."""
    return list(csv.reader(io.StringIO(text, newline="")))


def _spreadsheet_lines(text: str) -> list[str]:
    """What a reader sees that starts a new line at every CR or LF, quotes or not (a naive
    import, or an old spreadsheet that ends rows at a bare CR)."""
    return re.split(r"\r\n|\r|\n", text)


def test_a_reports_cells_with_line_breaks_are_one_quoted_cell_and_no_line_is_a_formula(
) -> None:
    report = Report(title="t", generated_at=datetime.now(UTC), window=None,
                    columns=["cell", "n"], rows=[[cell, 1] for cell in BROKEN_CELLS])
    text = render_csv(report)
    rows = _rows(text)
    assert len(rows) == 1 + len(BROKEN_CELLS), "a line break split a row"
    cells = [row[0] for row in rows[1:]]
    assert [cell.replace("'", "") for cell in cells] == [
        cell.replace("'", "") for cell in BROKEN_CELLS], "only apostrophes were added"
    assert all(row[1] == "1" for row in rows[1:])
    for cell in cells:
        for line in _spreadsheet_lines(cell):
            assert not FORMULA_START.match(line), repr(cell)
    for line in _spreadsheet_lines(text):
        assert not FORMULA_START.match(line), repr(line)
    assert cells[0] == "abc\r'=cmd|' /C calc'!A0"
    assert cells[-1] == "plain"


@pytest.mark.parametrize("universal_newlines", [False, True])
def test_a_data_export_keeps_cells_with_line_breaks_exact_in_one_row(
    tmp_path: Path, universal_newlines: bool,
) -> None:
    database = tmp_path / "app.sqlite3"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO notes VALUES (?, ?)", list(enumerate(BROKEN_CELLS)))
    conn.close()
    params = {"source": {"connection": {"driver": "sqlite", "path": str(database)},
                         "table": "notes", "orderBy": [{"column": "id"}]},
              "destination": {"directory": str(tmp_path), "filename": "notes.csv"}}
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Succeeded", outcome.message
    path = tmp_path / "notes.csv"
    with path.open(newline=None if universal_newlines else "") as file:
        rows = list(csv.reader(file))
    expected = [cell.replace("\r\n", "\n").replace("\r", "\n") if universal_newlines
                else cell for cell in BROKEN_CELLS]
    assert rows == [["id", "body"], *([str(i), cell] for i, cell in enumerate(expected))]
    raw = path.read_bytes()
    assert raw.endswith(b"\n6,plain\n"), "rows end in LF, a plain cell is not quoted"
    assert b'"abc\r=cmd' in raw, "the cell with a bare CR is quoted"
