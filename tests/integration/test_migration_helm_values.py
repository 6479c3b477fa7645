"""The migration's Helm values render, with the real helm and the real chart, into the
three DynamicJobs that `dynamicjobs migrate` writes as manifests, each passing the
admission rules; the shadow values differ only by dryRun."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from job_operator.validation import validate_dynamicjob

REPO = Path(__file__).parents[2]
EXAMPLES = REPO / "examples" / "migration"


@pytest.fixture(scope="module")
def helm() -> Path:
    from local_cluster.binaries import ensure_binaries

    return ensure_binaries().helm


def rendered_jobs(helm: Path, values: str) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [str(helm), "template", "rel", str(REPO / "helm" / "dynamicjobs"), "--namespace",
         "support", "-f", str(EXAMPLES / values)],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return {body["metadata"]["name"]: body for body in yaml.safe_load_all(result.stdout)
            if body and body.get("kind") == "DynamicJob"}


@pytest.mark.parametrize(("values", "shadow"), [("values.yaml", False),
                                                ("values-shadow.yaml", True)])
def test_the_values_make_the_migrated_dynamicjobs(helm: Path, values: str, shadow: bool):
    jobs = rendered_jobs(helm, values)
    manifests = {body["metadata"]["name"]: body
                 for body in yaml.safe_load_all((EXAMPLES / "dynamicjobs.yaml").read_text())}
    assert sorted(jobs) == sorted(manifests) == [
        "auto-delete-resolved-tickets", "data-cleanup", "test-scheduler"]
    for name, body in jobs.items():
        assert validate_dynamicjob(body).problems == [], name
        assert body["metadata"]["namespace"] == "support"
        assert body["metadata"]["labels"]["dynamicjobs.io/migration"] == "legacy-scheduler"
        assert body["metadata"]["annotations"]["dynamicjobs.io/legacy-id"] == \
            manifests[name]["metadata"]["annotations"]["dynamicjobs.io/legacy-id"]
        spec = dict(body["spec"])
        assert spec.pop("dryRun", False) is shadow
        expected = dict(manifests[name]["spec"])
        assert {key: spec[key] for key in expected} == expected, name
