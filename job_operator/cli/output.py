"""Printing objects as kubectl does: a table that fits the terminal, or JSON, or YAML."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from typing import Any

import click
import yaml

FORMATS = ("table", "wide", "json", "yaml")
ELLIPSIS = "…"
MIN_WIDTH = 6


def dump(value: Any, output: str) -> str:
    """``value`` as JSON (indented, as kubectl) or YAML (block style, keys in order)."""
    if output == "json":
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Several objects as kubectl's -o json/yaml writes them: one List."""
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {}}


def table(headers: Sequence[str], rows: Sequence[Sequence[str]],
          width: int | None = None) -> str:
    """Left-aligned columns, three spaces apart; when wider than the terminal, the widest
    columns are cut (with …) until it fits, never below a few characters. Output that
    is not a terminal (a pipe, a file) is never cut, so scripts see every character."""
    if width is None:
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else sys.maxsize
    cells = [[str(cell).replace("\n", " ") for cell in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)])
              for i, header in enumerate(headers)]
    gap = 3
    while sum(widths) + gap * (len(widths) - 1) > width:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= max(MIN_WIDTH, len(headers[widest])):
            break
        widths[widest] -= 1
    lines = [_line(headers, widths, gap)] + [_line(row, widths, gap) for row in cells]
    return "\n".join(lines) + "\n"


def _line(cells: Sequence[str], widths: list[int], gap: int) -> str:
    fitted = [_fit(cell, size).ljust(size) for cell, size in zip(cells, widths, strict=True)]
    return (" " * gap).join(fitted).rstrip()


def _fit(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + ELLIPSIS


def echo(text: str) -> None:
    click.echo(text, nl=False)


def note(text: str) -> None:
    """A remark for the person, on stderr, so stdout stays what -o asked for."""
    click.echo(text, err=True)
