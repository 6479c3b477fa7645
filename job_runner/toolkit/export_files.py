"""Writing an export file safely: inside the destination directory, atomically.

The final path is the destination directory (resolved, symlinks included) joined with a
plain file name; rows are written to a temp file in that directory which is renamed over
the final name only when complete, so readers never see half a file.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from job_runner.contract import ENV_DESTINATION_ROOTS
from job_runner.template import TemplateError


def allowed_roots(environ: Mapping[str, str]) -> tuple[Path, ...] | None:
    """The directories the admin lets templates write under (`ENV_DESTINATION_ROOTS`, set
    from the chart's runner.destinationRoots), or None when no list is set (a runner
    started by hand, tests): then any absolute directory is accepted."""
    text = environ.get(ENV_DESTINATION_ROOTS)
    if text is None:
        return None
    roots = tuple(Path(part.strip()) for part in text.split(",") if part.strip())
    for root in roots:
        if not root.is_absolute():
            raise TemplateError(f"{ENV_DESTINATION_ROOTS}: {str(root)!r} is not absolute")
    return roots


def check_root(directory: str, real_directory: Path,
               environ: Mapping[str, str] | None = None) -> None:
    """Refuse a destination.directory outside the admin's roots (both sides resolved, so a
    symlink cannot lead out); an empty list refuses every directory."""
    roots = allowed_roots(os.environ if environ is None else environ)
    if roots is None:
        return
    for root in roots:
        real_root = root.resolve()
        if real_directory == real_root or real_root in real_directory.parents:
            return
    allowed = ", ".join(str(root) for root in roots) or "none: file output is turned off"
    raise TemplateError(
        f"destination.directory {directory!r} is outside the directories this cluster lets "
        f"jobs write to ({allowed}); an admin sets them with the chart's "
        f"runner.destinationRoots")


def resolve_destination(directory: str, filename: str) -> Path:
    """The final path, refusing anything that would land outside `directory`, and a
    `directory` outside the admin's allowed roots."""
    root = Path(directory)
    check_root(directory, root.resolve())  # first: say nothing about paths outside
    if not root.is_dir():
        raise TemplateError(f"destination.directory {directory!r} does not exist")
    real_root = root.resolve(strict=True)
    target = real_root / filename
    if target.parent != real_root or target.name != filename:
        raise TemplateError(f"destination.filename {filename!r} must be a plain file name")
    if target.is_symlink() or target.resolve().parent != real_root:
        raise TemplateError(f"destination {target} is a symlink; refusing to replace it")
    if target.exists() and not target.is_file():
        raise TemplateError(f"destination {target} exists and is not a regular file")
    return target


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    value = _jsonable(value)
    return json.dumps(value) if isinstance(value, dict | list) else value


def cell_text(value: Any) -> str:
    """A value as the text a CSV export writes for it: empty for NULL, `true`/`false`,
    ISO-8601 times, base64 bytes, JSON for documents."""
    return str(_csv_cell(value))


class _LineFeedRows:
    """What `csv_writer` writes to: each row's CRLF becomes LF on the way to ``stream``."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, row: str) -> int:
        return self.stream.write(row[:-2] + "\n" if row.endswith("\r\n") else row)


def csv_writer(stream: IO[str]) -> Any:
    """A CSV writer whose rows end in LF and that quotes every cell containing a CR or LF.

    Python's writer quotes a cell that contains a character of its line terminator; told
    the terminator is LF, it wrote a cell with a bare CR (``abc\r=cmd``) unquoted, and every
    reader that ends a row at a CR (Python's own, spreadsheets) split the row there, the
    rest starting a new row as a formula. Told CRLF, it quotes both, and each row's CRLF is
    written as LF. The C writer writes each row, terminator included, in one call."""
    return csv.writer(_LineFeedRows(stream), lineterminator="\r\n")


def publish_file(target: Path, content: bytes) -> int:
    """Write a small file whole: to a temp file beside `target`, synced, then renamed over
    it, so readers never see half a file. Returns its size in bytes."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    temp_path = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_path, target)
    finally:
        temp_path.unlink(missing_ok=True)
    return len(content)


class ExportWriter:
    """Context manager: write batches of rows, then publish the file atomically."""

    def __init__(self, target: Path, columns: Sequence[str], fmt: str, compress: bool) -> None:
        self.target, self.columns, self.fmt, self.compress = target, list(columns), fmt, compress
        self.rows = 0

    def __enter__(self) -> ExportWriter:
        fd, name = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.")
        self.temp_path = Path(name)
        self._raw: IO[bytes] = os.fdopen(fd, "wb")
        self._binary: IO[bytes] | gzip.GzipFile = (
            gzip.GzipFile(fileobj=self._raw, mode="wb", filename="") if self.compress
            else self._raw
        )
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8", newline="")
        self._csv = csv_writer(self._text)
        if self.fmt == "csv":
            self._csv.writerow(self.columns)
        return self

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            if self.fmt == "csv":
                self._csv.writerow([_csv_cell(value) for value in row])
            else:
                record = {c: _jsonable(v) for c, v in zip(self.columns, row, strict=True)}
                self._text.write(json.dumps(record, default=str) + "\n")
            self.rows += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._text.flush()
            self._text.detach()
            if self.compress:
                self._binary.close()
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
            if exc_type is None:
                os.replace(self.temp_path, self.target)
        finally:
            if not self._raw.closed:
                self._raw.close()
            if exc_type is not None or self.temp_path.exists():
                self.temp_path.unlink(missing_ok=True)

    @property
    def bytes_written(self) -> int:
        return self.target.stat().st_size


_FILENAME = re.compile(r"(?:[A-Za-z0-9._-]|\{date\}|\{time\}|\{runId\}){1,200}")


class Destination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str = Field(
        min_length=1, max_length=4096, description="Absolute directory on a mounted volume.",
        examples=["/exports"],
    )
    filename: str = Field(
        description="Plain file name; may contain {date}, {time} and {runId}.",
        examples=["orders-{date}.csv.gz"],
    )

    @field_validator("directory")
    @classmethod
    def _absolute(cls, value: str) -> str:
        path = PurePosixPath(value)
        if "\x00" in value or not path.is_absolute() or ".." in path.parts:
            raise ValueError("must be an absolute path without '..' or NUL")
        return value

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _FILENAME.fullmatch(value) or value.startswith("."):
            raise ValueError(
                "must be a plain file name (letters, digits, '.', '_', '-', placeholders "
                "{date} {time} {runId}), not starting with '.'"
            )
        return value

    def render_filename(self, run_id: str, now: datetime) -> str:
        safe_run_id = re.sub(r"[^A-Za-z0-9_-]", "_", run_id)[:64]
        return (
            self.filename.replace("{date}", now.strftime("%Y-%m-%d"))
            .replace("{time}", now.strftime("%H%M%S"))
            .replace("{runId}", safe_run_id)
        )

    def path(self, run_id: str, now: datetime) -> Path:
        """The file this run writes, confined to `directory` (see `resolve_destination`)."""
        return resolve_destination(self.directory, self.render_filename(run_id, now))
