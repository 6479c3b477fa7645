"""Rendering a small report as CSV, Markdown or a standalone HTML page.

Everything in a report is data, never markup: the title and every cell are escaped for
the format they land in (Markdown's inline punctuation and table pipes are backslash-
escaped, HTML goes through `html.escape`), and control characters, line breaks included,
become spaces so that no value can end a table row or a heading early.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from job_runner.toolkit.export_files import cell_text, csv_writer

ReportFormat = Literal["csv", "markdown", "html"]

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|&~#$])")
_PAGE_STYLE = (
    "body{font-family:sans-serif}table{border-collapse:collapse}"
    "th,td{border:1px solid #999;padding:2px 8px;text-align:left}"
)


@dataclass(frozen=True)
class Window:
    """The rows a report covers: those whose `column` is at or after `start`."""

    column: str
    start: datetime


@dataclass(frozen=True)
class Report:
    title: str
    generated_at: datetime
    window: Window | None
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


def human_time(moment: datetime) -> str:
    """``2026-01-08 07:00:00 UTC``: how a report tells people a time."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def report_cell(value: Any) -> str:
    """A value as a report shows it: like a CSV export, but a computed decimal (an average
    on PostgreSQL has 16 places) without trailing zeros."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value.normalize(), "f")
    return cell_text(value)


def caption(report: Report) -> str:
    """The sentence under the title: when the report was made and which rows it covers."""
    text = f"Generated {human_time(report.generated_at)}."
    if report.window is not None:
        text += f" Window: {report.window.column} from {human_time(report.window.start)}."
    return text


_FORMULA_AT_LINE_START = re.compile(r"(?:^|(?<=[\r\n]))(?=[=+\-@\t\r])")
"""Where a spreadsheet would start a formula: a line beginning with = + - @ TAB or CR."""


def one_line(text: str) -> str:
    return _CONTROL_CHARACTERS.sub(" ", text)


def markdown_text(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", one_line(text))


def html_text(text: str) -> str:
    return html.escape(one_line(text), quote=True)


def _cells(report: Report) -> list[list[str]]:
    return [[report_cell(value) for value in row] for row in report.rows]


def spreadsheet_safe(value: Any, text: str) -> str:
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``@SUM``,
    a DDE payload) gets an apostrophe, which spreadsheets show as text: at its start, and
    after each CR or LF inside it, where a reader that ends rows at line breaks (quoted or
    not) would start a new row. The cell is quoted (`csv_writer`) and keeps its line breaks.
    Numbers (``-5``) are left alone: a report is for people, and people open CSVs in
    spreadsheets."""
    if isinstance(value, str):
        return _FORMULA_AT_LINE_START.sub("'", text)
    return text


def render_csv(report: Report) -> str:
    """Just the table, a header row of column names first: a CSV has no place for a title."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([spreadsheet_safe(name, name) for name in report.columns])
    writer.writerows([spreadsheet_safe(value, report_cell(value)) for value in row]
                     for row in report.rows)
    return out.getvalue()


def render_markdown(report: Report) -> str:
    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(markdown_text(cell) for cell in cells) + " |"

    lines = [
        f"# {markdown_text(report.title)}", "", markdown_text(caption(report)), "",
        row(report.columns), "|" + " --- |" * len(report.columns),
        *(row(cells) for cells in _cells(report)),
    ]
    return "\n".join(lines) + "\n"


def render_html(report: Report) -> str:
    def row(tag: str, cells: Sequence[str]) -> str:
        return "<tr>" + "".join(f"<{tag}>{html_text(cell)}</{tag}>" for cell in cells) + "</tr>"

    title = html_text(report.title)
    lines = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{title}</title>", f"<style>{_PAGE_STYLE}</style>", "</head>", "<body>",
        f"<h1>{title}</h1>", f"<p>{html_text(caption(report))}</p>", "<table>",
        f"<thead>{row('th', report.columns)}</thead>", "<tbody>",
        *(row("td", cells) for cells in _cells(report)),
        "</tbody>", "</table>", "</body>", "</html>",
    ]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "csv": render_csv, "markdown": render_markdown, "html": render_html,
}


def render(report: Report, fmt: ReportFormat) -> str:
    return RENDERERS[fmt](report)
