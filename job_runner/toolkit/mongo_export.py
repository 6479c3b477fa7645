"""Writing MongoDB documents to an export file: named fields as columns, or (JSON Lines
without columns) each document whole."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from job_runner.toolkit.export_files import ExportWriter

Document = dict[str, Any]


def _jsonable_document(value: Any) -> Any:
    """A document as JSON can hold it: times in ISO-8601, ObjectIds and other BSON types as
    text, nested documents and arrays kept."""
    if isinstance(value, dict):
        return {key: _jsonable_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable_document(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def document_rows(cursor: Iterable[Document], columns: Sequence[str] | None,
                  batch_size: int) -> Iterator[list[Any]]:
    """Batches of rows (a value per column, None where a document lacks the field) or,
    without columns, of whole documents; one batch in memory at a time."""
    documents = iter(cursor)
    while batch := list(islice(documents, batch_size)):
        if columns:
            yield [tuple(document.get(column) for column in columns) for document in batch]
        else:
            yield batch


class DocumentWriter(ExportWriter):
    """An `ExportWriter` that also writes whole documents (JSON Lines, no columns)."""

    def write_batch(self, batch: list[Any]) -> None:
        if self.columns:
            self.write_rows(batch)
            return
        for document in batch:
            self._text.write(json.dumps(_jsonable_document(document)) + "\n")
            self.rows += 1
