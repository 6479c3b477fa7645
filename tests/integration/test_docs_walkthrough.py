"""The admin guide (docs/admin-guide.md) is run as written, on the local control plane with
the operator: its DynamicJob manifest is saved as ``<name>.yaml``, and every line of its
``sh`` blocks runs in order in bash, in one working folder, with the page's namespaces
(team-a) and a second kubeconfig context ("production", the same cluster) in place.

Lines that cannot run here are checked by tests/docs alone and named in ``NOT_RUN``: the
wizard and ``kubectl edit`` want a person at a terminal, and waiting for a run's end needs
a node, which this tier has not (the e2e tier's pod executor runs pods).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.docs.site import DOCS
from tests.docs.snippets import commands, logical_lines, snippets_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

WALKTHROUGH = DOCS / "admin-guide.md"
NAMESPACES = ("team-a",)
NOT_RUN = {
    "the wizard asks at a terminal": lambda words: words[:2] == ["dynamicjobs", "new"]
    and "--create" not in words and "--write" not in words,
    "kubectl edit opens an editor": lambda words: words[:2] == ["kubectl", "edit"],
    "waiting for a run's end needs a node": lambda words: "--wait" in words,
}


def steps(page: Path) -> Iterator[tuple[str, str]]:
    """("file", name and text) for each DynamicJob manifest, ("run", line) for each
    shell line that runs here, in the page's order."""
    for snippet in snippets_of(page):
        if snippet.language == "yaml":
            for doc in yaml.safe_load_all(snippet.text):
                if isinstance(doc, dict) and doc.get("kind") == "DynamicJob":
                    yield "file", f"{doc['metadata']['name']}.yaml\n{snippet.text}"
        elif snippet.language == "sh":
            for line in logical_lines(snippet.text):
                found = commands(line)
                if found and not any(rule(found[0]) for rule in NOT_RUN.values()):
                    yield "run", line


def _kubeconfig_with_contexts(admin: Path, into: Path) -> Path:
    """The admin kubeconfig, its context's namespace team-a, and the same cluster once more
    as the context "production" (the page's second cluster)."""
    config: dict[str, Any] = yaml.safe_load(admin.read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    current["context"]["namespace"] = "team-a"
    config["contexts"].append({"name": "production", "context": dict(current["context"])})
    path = into / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def page_namespaces(api_client: client.ApiClient) -> Iterator[None]:
    core = client.CoreV1Api(api_client)
    for name in NAMESPACES:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield
    for name in NAMESPACES:
        core.delete_namespace(name)


def test_the_walkthrough_has_steps_and_leaves_out_only_what_cannot_run() -> None:
    ran = [step for kind, step in steps(WALKTHROUGH) if kind == "run"]
    assert len(ran) >= 15, ran
    assert any(line.startswith("kubectl apply -f nightly-export.yaml") for line in ran)


def test_the_admin_guide_runs_as_written(page_namespaces: None, kubeconfig: Path,
                                         tmp_path: Path) -> None:
    env = {**os.environ, "KUBECONFIG": str(_kubeconfig_with_contexts(kubeconfig, tmp_path)),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "HOME": str(tmp_path)}
    for kind, step in steps(WALKTHROUGH):
        if kind == "file":
            name, text = step.split("\n", 1)
            (tmp_path / name).write_text(text)
            continue
        done = subprocess.run(["bash", "-c", step], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=180, check=False)
        assert done.returncode == 0, (
            f"{WALKTHROUGH.name}: `{step}` exited {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
