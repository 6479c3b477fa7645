"""Every snippet of the documentation holds (docs/testing.md, "Executed examples").

One test per snippet, named by its page and line, so a failure says where to look. The
DynamicJobs among the YAML snippets are also applied with a server-side dry run on the
local control plane: tests/integration/test_docs_examples.py.
"""

from __future__ import annotations

import pytest

from tests.docs.checks import CHECKS
from tests.docs.snippets import CHECKED, NOT_CODE, Snippet, all_snippets

SNIPPETS = all_snippets()


def test_every_block_has_a_language_the_convention_knows() -> None:
    unknown = [f"{s.where}: ```{s.language}" for s in SNIPPETS
               if s.language not in CHECKED | NOT_CODE]
    assert not unknown, "use one of " + ", ".join(sorted(CHECKED | NOT_CODE)) + ":\n" + \
        "\n".join(unknown)


def test_the_checks_cover_every_checked_language() -> None:
    assert set(CHECKS) == CHECKED


@pytest.mark.parametrize("snippet", [s for s in SNIPPETS if s.language in CHECKED],
                         ids=lambda s: f"{s.where}-{s.language}")
def test_snippet(snippet: Snippet) -> None:
    problems = CHECKS[snippet.language](snippet)
    assert not problems, f"{snippet.where}:\n" + "\n".join(problems)
