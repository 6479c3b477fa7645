"""Go standard-library behaviours that robfig/cron's parser inherits.

The API server parses schedules with Go's ``strings.Fields``, ``strings.ToLower`` and
``strconv.Atoi``. Python's ``str.split``, ``str.lower`` and ``int`` differ from them at
the edges (which characters count as space, Unicode digits, underscores, 64-bit
overflow), and those edges decide whether a schedule is accepted.
"""

from __future__ import annotations

import re

# unicode.IsSpace: Latin-1 spaces plus the White_Space property; Python's str.split also
# splits on U+001C..U+001F, which Go does not.
_GO_SPACES = frozenset(
    "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ATOI = re.compile(r"[+-]?[0-9]+", re.ASCII)
_INT64_MAX = 2**63 - 1


def fields(text: str) -> list[str]:
    """``strings.Fields``: split around runs of Go white space, dropping empty parts."""
    parts: list[str] = []
    current: list[str] = []
    for char in text:
        if char in _GO_SPACES:
            if current:
                parts.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        parts.append("".join(current))
    return parts


def atoi(text: str) -> int | None:
    """``strconv.Atoi`` on a 64-bit platform: the value, or None where Go returns an error."""
    if not _ATOI.fullmatch(text):
        return None
    value = int(text)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        return None
    return value


def to_lower(text: str) -> str:
    """``strings.ToLower``: per-rune simple lowercase mapping (İ maps to a plain i)."""
    return "".join("i" if char == "\u0130" else char.lower() for char in text)
