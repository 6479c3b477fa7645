"""The admission messages quoted on the pages are the ones the rules give today.

Each case names a page, the start of a quoted message line (in a block without a language,
where the pages quote messages) and a DynamicJob that breaks the rule; the rules run on it
offline (what `dynamicjobs validate` runs) and the quoted line must equal the real message.
"..." or "…" in a quoted line stands for text left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from job_operator.cli.validate import body_problems
from job_runner.template import TemplateError
from job_runner.toolkit.export_files import ENV_DESTINATION_ROOTS, check_root
from tests.docs.checks import matches
from tests.docs.site import DOCS
from tests.docs.snippets import snippets_of

SECRET = {"secretRef": {"name": "s", "key": "k"}}
CONNECTION = {"driver": "postgresql", "host": "db", "database": "d", "user": "u"}
CLEANUP = {"connection": CONNECTION, "table": "t", "timestampColumn": "c", "olderThanDays": 1}
EMAIL = {"to": ["a@example.com"], "from": "b@example.com", "subject": "s", "body": "t",
         "smtp": {"host": "mail", "username": "u", "password": SECRET}}


def job(name: str = "j", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": name},
            "spec": {"template": "heartbeat", "schedule": "0 3 * * *", **spec}}


CASES: list[tuple[str, str, dict[str, Any], dict[str, list[str]]]] = [
    ("validation.md", 'spec.schedule: field 1 (minute) "61"', job(schedule="61 * * * *"), {}),
    ("validation.md", 'spec.timeZone: unknown time zone "Mars/Olympus"',
     job(timeZone="Mars/Olympus"), {}),
    ("validation.md", "spec.tags.bad key!", job(tags={"bad key!": "x"}), {}),
    ("validation.md", "spec.dependsOn: a dependency cycle",
     job("upstream", dependsOn=[{"name": "downstream"}]), {"downstream": ["upstream"]}),
    ("validation.md", "spec.notifications.onFailure[0].template",
     job(notifications={"onFailure": [{"template": "pager"}]}), {}),
    ("validation.md", "spec.template: unknown template 'cleanup'", job(template="cleanup"), {}),
    ("validation.md", "spec.parameters.message: longer", job(parameters={"message": "x" * 1000}),
     {}),
    ("validation.md", "spec.parameters.message: must be", job(parameters={"message": 5}), {}),
    ("validation.md", "spec.parameters.colour", job(parameters={"colour": "red"}), {}),
    ("validation.md", "spec.parameters.timestampColumn: required",
     job(template="database-cleanup",
         parameters={k: v for k, v in CLEANUP.items() if k != "timestampColumn"}), {}),
    ("validation.md", "spec.parameters.olderThanDays: must be at least 1",
     job(template="database-cleanup", parameters={**CLEANUP, "olderThanDays": 0}), {}),
    ("validation.md", "spec.parameters.connection.driver",
     job(template="database-cleanup",
         parameters={**CLEANUP, "connection": {**CONNECTION, "driver": "oracle"}}), {}),
    ("validation.md", "spec.parameters.table:",
     job(template="database-cleanup", parameters={**CLEANUP, "table": "orders; DROP TABLE users"}),
     {}),
    ("validation.md", "spec.parameters.smtp: a password",
     job(template="email-notification",
         parameters={**EMAIL, "smtp": {**EMAIL["smtp"], "security": "none"}}), {}),
    ("validation.md", "spec.parameters.values.name: contains a lone surrogate",
     job(template="email-notification", parameters={**EMAIL, "values": {"name": "\ud800"}}), {}),
    ("schedules.md", 'spec.schedule: field 3 (day of month) "32"', job(schedule="0 0 32 * *"), {}),
    ("schedules.md", 'spec.schedule: field 5 (day of week) "7"', job(schedule="0 0 * * 7"), {}),
    ("schedules.md", 'spec.timeZone: unknown time zone "europe/berlin"',
     job(timeZone="europe/berlin"), {}),
]


def quoted_line(page: str, start: str) -> str:
    lines = [line for snippet in snippets_of(DOCS / page) if snippet.language in ("", "text")
             for line in snippet.text.splitlines() if line.startswith(start)]
    assert len(lines) == 1, f"{page}: {len(lines)} quoted lines start with {start!r}"
    return lines[0]


@pytest.mark.parametrize(("page", "start", "body", "siblings"), CASES,
                         ids=[f"{page}:{start[:40]}" for page, start, _, _ in CASES])
def test_a_quoted_message_is_the_real_one(page: str, start: str, body: dict[str, Any],
                                          siblings: dict[str, list[str]]) -> None:
    quoted = quoted_line(page, start)
    real = [f"{p.field}: {p.message}" for p in body_problems(body, siblings)]
    candidates = [line for line in real if line.startswith(start)]
    assert candidates, f"the rules give no message starting {start!r}: {real}"
    assert any(matches(quoted, line) for line in candidates), (
        f"{page} quotes:\n  {quoted}\nthe rules say:\n  " + "\n  ".join(candidates))


def test_the_destination_roots_message_quoted_in_templates_md_is_the_real_one() -> None:
    quoted = quoted_line("templates.md", "destination.directory '/etc'")
    with pytest.raises(TemplateError) as refused:
        check_root("/etc", Path("/etc"), {ENV_DESTINATION_ROOTS: "/data"})
    assert matches(quoted, str(refused.value)), (quoted, str(refused.value))
