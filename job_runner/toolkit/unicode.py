"""Text that can be written: no lone surrogates.

JSON may carry a lone UTF-16 surrogate (``"\\ud800"``) and Python decodes it into a str
that no encoding can write: it passed validation and failed later, deep in smtplib or a
database driver, as a raw UnicodeEncodeError. Parameters typed `ValidText` refuse it up
front, naming the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, StrictStr

_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_problem(text: str) -> str | None:
    """Why ``text`` cannot be written, or None."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return (f"contains a lone surrogate (\\u{ord(found.group()):04x} at character "
            f"{found.start()}), which is not Unicode text; send valid UTF-8")


def _valid(text: str) -> str:
    problem = surrogate_problem(text)
    if problem:
        raise ValueError(problem)
    return text


ValidText = Annotated[StrictStr, AfterValidator(_valid)]


def surrogate_problems(value: Any, path: str) -> list[tuple[str, str]]:
    """(field path, problem) for each string in a JSON-like value (keys included) that
    holds a lone surrogate; iterative, so any nesting is safe."""
    found, pending = [], [(value, path)]
    while pending:
        node, where = pending.pop()
        if isinstance(node, str):
            problem = surrogate_problem(node)
            if problem:
                found.append((where, problem))
        elif isinstance(node, dict):
            for key, child in node.items():
                problem = surrogate_problem(str(key))
                if problem:
                    found.append((where, f"a key {problem}"))
                pending.append((child, f"{where}.{key}"))
        elif isinstance(node, list):
            pending.extend((child, f"{where}[{index}]") for index, child in enumerate(node))
    return sorted(found)
