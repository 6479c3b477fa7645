"""Every Kubernetes object in the documentation's YAML snippets is accepted by a real API
server with the operator's admission webhook: a server-side dry run, in a fresh namespace.

The offline checks (tests/docs/test_snippets.py) run the webhook's rules in-process; this
test shows the API server agrees with them: the CRD's schema, defaulting, and the webhook
(Secret access included, as the admin who applies it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.docs.checks import is_builtin_kind, matches, transcript
from tests.docs.snippets import Snippet, all_snippets

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def _objects(snippet: Snippet) -> list[dict[str, Any]]:
    """The DynamicJobs and Kubernetes' own objects in a snippet: what this API server
    serves (another project's kinds, a Flux Kustomization say, have no CRD here)."""
    return [doc for doc in yaml.safe_load_all(snippet.text)
            if isinstance(doc, dict) and {"apiVersion", "kind"} <= set(doc)
            and (doc["kind"] == "DynamicJob" or is_builtin_kind(doc))]


OBJECT_SNIPPETS = [s for s in all_snippets() if s.language == "yaml" and _objects(s)]


def test_the_docs_have_objects_to_apply() -> None:
    assert any(o["kind"] == "DynamicJob" for s in OBJECT_SNIPPETS for o in _objects(s))


@pytest.mark.parametrize("snippet", OBJECT_SNIPPETS, ids=lambda s: s.where)
def test_a_documented_object_passes_a_server_side_dry_run(
        snippet: Snippet, namespace: str,
        kubectl: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    for body in _objects(snippet):
        body = {**body, "metadata": {**body.get("metadata", {}), "namespace": namespace}}
        done = kubectl("apply", "--server-side", "--dry-run=server", "-f", "-",
                       input=yaml.safe_dump(body), check=False)
        assert done.returncode == 0, f"{snippet.where}: {body['kind']}:\n{done.stderr}"


def test_the_dry_run_asks_the_webhook(namespace: str,
                                      kubectl: Callable[..., subprocess.CompletedProcess[str]],
                                      ) -> None:
    """Only the webhook knows the catalogue: a refused unknown template shows the dry run
    above was checked by it, not only by the CRD's schema."""
    body = {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "no-such", "namespace": namespace},
            "spec": {"template": "no-such-template", "schedule": "0 3 * * *"}}
    done = kubectl("apply", "--server-side", "--dry-run=server", "-f", "-",
                   input=yaml.safe_dump(body), check=False)
    assert done.returncode != 0
    assert "unknown template 'no-such-template'" in done.stderr


CATALOGUE_TRANSCRIPTS = [
    (snippet, command, output) for snippet in all_snippets() if snippet.language == "console"
    for command, output in transcript(snippet.text)
    if command.startswith("dynamicjobs templates ") and any(line.strip() for line in output)]


def test_the_docs_quote_the_catalogue() -> None:
    assert CATALOGUE_TRANSCRIPTS


@pytest.mark.parametrize(("snippet", "command", "output"), CATALOGUE_TRANSCRIPTS,
                         ids=[f"{s.where}:{c}" for s, c, _ in CATALOGUE_TRANSCRIPTS])
def test_a_catalogue_transcript_is_what_the_cli_prints(
        snippet: Snippet, command: str, output: list[str], kubeconfig: Path) -> None:
    """`dynamicjobs templates NAME` reads the catalogue the operator published; its output
    depends on nothing else, so the page's transcript must be it ("..." leaves text out)."""
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                          timeout=120, check=False,
                          env={**os.environ, "KUBECONFIG": str(kubeconfig), "PATH":
                               f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    quoted = "\n".join(output).rstrip()
    assert matches(quoted, done.stdout.rstrip()), (
        f"{snippet.where}: `{command}` prints:\n{done.stdout}")
