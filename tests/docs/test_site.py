"""The documentation site builds with strict checking, and the checking really is strict.

mkdocs only reports a page missing from the nav at INFO level unless mkdocs.yml raises it to
a warning, which --strict then turns into a failure; the second group of tests breaks a copy
of docs/ in each way the site must refuse, so that a weakened mkdocs.yml is noticed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.docs.site import DOCS, build_site, config_for


def test_the_site_builds_with_strict_checking(tmp_path: Path) -> None:
    build = build_site(tmp_path / "site")
    assert build.returncode == 0, build.log
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "docs"
    shutil.copytree(DOCS, copy)
    return copy


def _fails(docs: Path, tmp_path: Path) -> str:
    build = build_site(tmp_path / "site", config_for(docs, tmp_path))
    assert build.returncode != 0, "the strict build passed:\n" + build.log
    return build.log


def test_a_broken_link_fails_the_build(docs_copy: Path, tmp_path: Path) -> None:
    with (docs_copy / "index.md").open("a") as page:
        page.write("\nSee [the gone page](gone.md).\n")
    assert "gone.md" in _fails(docs_copy, tmp_path)


def test_a_broken_anchor_fails_the_build(docs_copy: Path, tmp_path: Path) -> None:
    with (docs_copy / "index.md").open("a") as page:
        page.write("\nSee [no such section](runs.md#no-such-section).\n")
    assert "no-such-section" in _fails(docs_copy, tmp_path)


def test_a_page_left_out_of_the_nav_fails_the_build(docs_copy: Path, tmp_path: Path) -> None:
    (docs_copy / "orphan.md").write_text("# Orphan\n\nIn no nav.\n")
    assert "orphan.md" in _fails(docs_copy, tmp_path)


def test_a_nav_entry_without_its_page_fails_the_build(docs_copy: Path, tmp_path: Path) -> None:
    (docs_copy / "image.md").unlink()
    assert "image.md" in _fails(docs_copy, tmp_path)


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
