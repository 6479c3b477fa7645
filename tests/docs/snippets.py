"""The fenced code blocks of the documentation, and the commands inside shell blocks.

What each language promises (the convention, in docs/testing.md "Executed examples") is
checked in tests/docs/test_snippets.py; this module only finds the blocks and cuts shell
text into commands.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.docs.site import DOCS, ROOT

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
CHECKED = {"yaml", "sh", "console", "python", "json", "toml"}
NOT_CODE = {"", "text", "mermaid"}
"""Output, messages, file layouts and diagrams: nothing a reader runs or applies."""


@dataclass(frozen=True)
class Snippet:
    page: Path
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """Every Markdown page of the site, and the README."""
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]


def snippets_of(page: Path) -> Iterator[Snippet]:
    lines = page.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        language = opening["info"].strip().split(" ")[0].strip("{}.")
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            line = lines[index]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            index += 1
        start = index - len(body) + 1  # the first line of the body, counted from 1
        yield Snippet(page, start, language, "\n".join(body) + "\n")
        index += 1


def all_snippets() -> list[Snippet]:
    return [snippet for page in pages() for snippet in snippets_of(page)]


_SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")", "<(", "$("}
_REDIRECTS = {">", ">>", "<", "2>", "2>&1"}


def logical_lines(text: str) -> Iterator[str]:
    """Lines with backslash continuations joined."""
    pending = ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def commands(line: str) -> list[list[str]]:
    """The simple commands of one shell line: pipelines, lists and ``<(...)`` split apart,
    redirections and comments dropped, usage brackets (``[--dry-run]``) opened."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    found: list[list[str]] = [[]]
    skip_next = False
    for token in lexer:
        if skip_next:
            skip_next = False
        elif token in _SEPARATORS or token == "<(":
            found.append([])
        elif token in _REDIRECTS or token.startswith(">"):
            skip_next = True
        elif token in ("<", "("):
            found.append([])
        else:
            found[-1].append(token)
    cleaned = []
    for command in found:
        words = [word.strip("[]") if word.startswith("[") or word.endswith("]") else word
                 for word in command]
        words = [word for word in words if word]
        if words:
            cleaned.append(words)
    return cleaned
