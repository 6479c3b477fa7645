"""docs/reference/ is generated from the code and kept in step with it.

The drift check is the one `python -m docsgen --check` runs; its message names the command
that regenerates. The completeness tests walk each source on their own (not through the
generator's code) so that a field the generator passes over is noticed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from docsgen.__main__ import PAGES, REGENERATE, main, stale_pages, write_pages
from docsgen.templates import shipped_templates
from job_operator.cli.main import cli
from tests.docs.site import ROOT

REFERENCE = ROOT / "docs" / "reference"


def test_docs_reference_is_in_step_with_the_code() -> None:
    stale = stale_pages()
    assert not stale, (
        f"docs/reference/ is out of date ({', '.join(p.name for p in stale)}): "
        f"run `{REGENERATE}` and commit the result")
    assert main(["--check"]) == 0


def test_the_check_fails_on_a_hand_edit_and_on_a_page_no_generator_writes(
        tmp_path: Path) -> None:
    write_pages(tmp_path)
    assert stale_pages(tmp_path) == []
    page = tmp_path / "api.md"
    page.write_text(page.read_text().replace("Hard limit of one run", "Soft limit"))
    (tmp_path / "by-hand.md").write_text("# Written by hand\n")
    assert stale_pages(tmp_path) == [page, tmp_path / "by-hand.md"]


def test_the_check_message_says_how_to_regenerate(monkeypatch: Any, tmp_path: Path,
                                                  capsys: Any) -> None:
    monkeypatch.setattr("docsgen.__main__.REFERENCE_DIR", tmp_path / "reference")
    assert main(["--check"]) == 1
    assert "regenerate with `./dev docs`" in capsys.readouterr().out


def test_rendering_depends_on_nothing_of_the_machine() -> None:
    """Another hash seed, terminal width and locale render the same pages."""
    env = {**os.environ, "PYTHONHASHSEED": "12345", "COLUMNS": "37", "LC_ALL": "C"}
    script = ("import json; from docsgen.__main__ import PAGES; "
              "print(json.dumps({name: render() for name, render in PAGES.items()}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True, timeout=120)
    assert json.loads(done.stdout) == {name: render() for name, render in PAGES.items()}


def _schema_paths(node: Any, path: str) -> Iterator[str]:
    if not isinstance(node, dict):
        return
    for name, sub in node.get("properties", {}).items():
        yield f"{path}.{name}"
        yield from _schema_paths(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from _schema_paths(node["items"], path + "[]")


def test_the_api_reference_has_every_field_of_every_crd() -> None:
    text = (REFERENCE / "api.md").read_text()
    for crd_file in sorted((ROOT / "crds").glob("*.yaml")):
        crd = yaml.safe_load(crd_file.read_text())
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for part in ("spec", "status"):
            for path in _schema_paths(schema["properties"].get(part, {}), part):
                assert f"`{path}`" in text, f"{crd_file.name}: {path} is not in api.md"


def test_the_template_reference_has_every_template_and_parameter() -> None:
    text = (REFERENCE / "templates.md").read_text()
    assert shipped_templates(), "no template found through the entry points"
    for name, template in shipped_templates().items():
        assert f"## {name}\n" in text
        for field in template.parameters_schema().get("properties", {}):
            assert f"`{field}`" in text, f"{name}: parameter {field} is not in templates.md"


def _values_paths(values: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    for key, value in values.items():
        yield ".".join((*path, key))
        if isinstance(value, dict):
            yield from _values_paths(value, (*path, key))


def test_the_values_reference_has_every_value() -> None:
    text = (REFERENCE / "helm-values.md").read_text()
    values = yaml.safe_load((ROOT / "helm" / "dynamicjobs" / "values.yaml").read_text())
    for path in _values_paths(values):
        top_is_object = "." not in path and isinstance(values[path], dict)
        assert f"`{path}`" in text or (top_is_object and f"## {path}\n" in text), path


def test_the_cli_reference_has_every_command_and_option() -> None:
    text = (REFERENCE / "cli.md").read_text()
    for name, command in cli.commands.items():
        assert f"## {name}\n" in text
        for param in command.params:
            for spelling in getattr(param, "opts", []):
                if spelling.startswith("-"):
                    assert spelling in text.split(f"## {name}\n", 1)[1], (name, spelling)
