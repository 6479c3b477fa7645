"""The documentation site builds with strict checking, and the checking really is strict.

mkdocs only reports a page missing from the nav at INFO level unless mkdocs.yml raises it to
a warning, which --strict then turns into a failure; a second test breaks a copy of docs/
in each way the site must refuse, so that a weakened mkdocs.yml is noticed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.docs.site import DOCS, build_site, config_for


def test_the_site_builds_with_strict_checking(tmp_path: Path) -> None:
    build = build_site(tmp_path / "site")
    assert build.returncode == 0, build.log
    assert (tmp_path / "site" / "index.html").is_file()


def test_each_kind_of_breakage_fails_the_build(tmp_path: Path) -> None:
    """One build of a copy of docs/ broken four ways (one build: each costs seconds); mkdocs
    reports every warning before --strict aborts, so each must be named in the log."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    with (docs / "index.md").open("a") as page:
        page.write("\nSee [the gone page](gone.md) and [no such section]"
                   "(runs.md#no-such-section).\n")
    (docs / "orphan.md").write_text("# Orphan\n\nIn no nav.\n")
    (docs / "image.md").unlink()
    build = build_site(tmp_path / "site", config_for(docs, tmp_path))
    assert build.returncode != 0, "the strict build passed:\n" + build.log
    for reported in ("contains a link 'gone.md'",                   # a broken link
                     "does not contain an anchor '#no-such-section'",  # a broken anchor
                     'not included in the "nav" configuration:\n  - orphan.md',
                     "A reference to 'image.md' is included in the 'nav'"):  # a missing page
        assert reported in build.log, f"not reported: {reported}\n{build.log}"


def test_every_page_starts_with_what_it_answers() -> None:
    """A reader from a search engine sees first what the page answers: the paragraph under
    the title starts with What, How, Which, When, Why or Where."""
    wrong = []
    for page in sorted(DOCS.rglob("*.md")):
        lines = page.read_text().splitlines()
        first = next((line for line in lines[1:] if line.strip()), "")
        if not lines[0].startswith("# ") or first.split(" ")[0] not in {
                "What", "How", "Which", "When", "Why", "Where", "Every"}:
            wrong.append(f"{page.relative_to(DOCS)}: {first[:60]!r}")
    assert not wrong, "start these pages with what they answer:\n" + "\n".join(wrong)
