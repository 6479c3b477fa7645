"""Hand-written pages that name things the code defines name all of them, as they are now.

The generated references cannot drift; these checks cover the prose pages that list the
same things for readers: the catalogue in docs/templates.md, and the exit codes in
docs/cli.md.
"""

from __future__ import annotations

import re

from docsgen.templates import shipped_templates
from job_operator.cli import exits
from tests.docs.site import DOCS


def test_the_templates_page_describes_every_shipped_template_at_its_version() -> None:
    text = (DOCS / "templates.md").read_text()
    headings = dict(re.findall(r"^### ([a-z0-9-]+) \(([0-9.]+)\)$", text, re.M))
    expected = {name: cls.version for name, cls in shipped_templates().items()}
    assert headings == expected


def test_the_cli_page_lists_every_exit_code() -> None:
    text = (DOCS / "cli.md").read_text()
    section = text.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {value for name, value in vars(exits).items()
             if name.isupper() and isinstance(value, int)}
    documented = {int(code) for code in re.findall(r"^\| `?(\d+)`? \|", section, re.M)}
    assert codes == documented, (sorted(codes), sorted(documented))
