"""The troubleshooting page explains every condition and Event reason the operator writes
(read from the operator's source, tests/docs/reasons.py), and no reason it never writes."""

from __future__ import annotations

import re

from tests.docs.reasons import operator_reasons
from tests.docs.site import DOCS

PAGE = DOCS / "troubleshooting.md"


def _documented() -> set[str]:
    """Reasons in the second column of the conditions table and the first of the Events
    table."""
    text = PAGE.read_text()
    conditions, events = text.split("\n## Conditions\n")[1].split("\n## Events\n")
    events = events.split("\n## ")[0]
    found = set()
    for line in conditions.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) > 1:
            found |= set(re.findall(r"`([A-Za-z]+)`", cells[1]))
    for line in events.splitlines():
        if line.startswith("| `"):
            found |= set(re.findall(r"`([A-Za-z]+)`", line.split("|")[1]))
    return found


def test_the_reasons_are_found_in_the_source() -> None:
    reasons = operator_reasons()
    assert {"Reconciled", "InvalidSpec", "RunFailed", "RunMissed", "SuspendedWithReason"} \
        <= reasons


def test_every_reason_the_operator_writes_is_explained() -> None:
    missing = operator_reasons() - _documented()
    assert not missing, f"explain these in {PAGE.name}: {sorted(missing)}"


def test_no_reason_is_explained_that_the_operator_never_writes() -> None:
    stale = _documented() - operator_reasons()
    assert not stale, f"{PAGE.name} explains reasons no code writes: {sorted(stale)}"
