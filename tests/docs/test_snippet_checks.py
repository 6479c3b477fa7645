"""The snippet checks refuse what they must: each is given a broken snippet once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.checks import CHECKS
from tests.docs.site import DOCS
from tests.docs.snippets import Snippet, commands, snippets_of

JOB = """apiVersion: dynamicjobs.io/v1alpha1
kind: DynamicJob
metadata: {name: nightly}
spec:
  template: heartbeat
  schedule: "%s"
"""


def problems(language: str, text: str) -> list[str]:
    return CHECKS[language](Snippet(DOCS / "example.md", 1, language, text))


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("yaml", JOB % "61 * * * *", "spec.schedule"),
    ("yaml", "# DynamicJob spec\nnotifications: {onFailure: [{template: nope}]}\n", "nope"),
    ("yaml", "# Helm values\nwebhook: {failurePolicyy: Ignore}\n", "failurePolicyy"),
    ("yaml", "# a run record\nid: x\nresult: Fine\n", "result"),
    ("yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndatta: {}\n", "datta"),
    ("yaml", "webhook: {enabled: true}\n", "marked on its first line"),
    ("sh", "dynamicjobs list --no-such-option\n", "--no-such-option"),
    ("sh", "kubectl dynamicjobs runn nightly\n", "runn"),
    ("sh", "kubectl get dj --no-such-flag\n", "unknown flag"),
    ("sh", "./dev deploy\n", "no such command"),
    ("sh", "frobnicate --all\n", "frobnicate"),
    ("console", "$ dynamicjobs schedule @daily --count 1 --after 2026-01-01T00:00:00Z\n"
                "At 01:00, every day\n", "prints"),
    ("python", "import job_runner.no_such_module\n", "ModuleNotFoundError"),
    ("json", "{'single': 'quotes'}\n", "not JSON"),
    ("toml", "[broken\n", "not TOML"),
])
def test_a_broken_snippet_is_refused(language: str, text: str, expected: str) -> None:
    found = problems(language, text)
    assert found and expected in "\n".join(found), found


def test_shell_lines_are_cut_into_commands() -> None:
    assert commands("helm template ./chart | dynamicjobs validate - > out.txt  # CI") == [
        ["helm", "template", "./chart"], ["dynamicjobs", "validate", "-"]]
    assert commands("source <(dynamicjobs completion bash)") == [
        ["source"], ["dynamicjobs", "completion", "bash"]]
    assert commands("dynamicjobs logs nightly [--run ID] [-f]") == [
        ["dynamicjobs", "logs", "nightly", "--run", "ID", "-f"]]


def test_blocks_inside_list_items_are_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("1. Apply:\n\n   ```yaml\n   a:\n     b: 1\n   ```\n")
    [snippet] = snippets_of(page)
    assert (snippet.language, snippet.text, snippet.line) == ("yaml", "a:\n  b: 1\n", 4)


def test_python_dash_m_needs_a_module_that_exists() -> None:
    assert problems("sh", ".venv/bin/python -m benchmarks.load --jobs 10\n") == []
    assert "no such module" in "\n".join(problems("sh", "python -m benchmarks.nope\n"))
