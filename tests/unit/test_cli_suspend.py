"""suspend and resume against a fake cluster: the patch, the reason, the GitOps guard."""

from __future__ import annotations

import json

import pytest

from job_operator.cli import exits
from tests.unit.test_cli_inspect import FakeCluster, job, run

REASON = "dynamicjobs.io/suspend-reason"


def test_suspend_sets_suspend_and_the_reason_in_one_patch(
        capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(job("nightly"))
    code, out, err = run(capsys, fake, "suspend", "nightly", "-n", "team-a",
                         "--reason", "  db   migration\n until Friday ")
    assert (code, out) == (0, "")
    assert err == "suspended team-a/nightly: db migration until Friday\n"
    [(_, _, patch)] = fake.patches
    annotations = patch["metadata"]["annotations"]
    assert patch["spec"] == {"suspend": True}
    assert annotations[REASON] == "db migration until Friday"
    assert annotations["dynamicjobs.io/suspended-by"] == "admin"
    assert annotations["dynamicjobs.io/suspended-at"].endswith("Z")


@pytest.mark.parametrize(("reason", "expected"), [
    ("   ", "--reason is empty"), ("x" * 1025, "at most 1024")])
def test_a_bad_reason_changes_nothing(capsys: pytest.CaptureFixture[str], reason: str,
                                      expected: str) -> None:
    fake = FakeCluster(job("nightly"))
    code, _, err = run(capsys, fake, "suspend", "nightly", "-n", "team-a", "--reason", reason)
    assert code == exits.USAGE and expected in err
    assert fake.patches == []


def test_the_reason_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(capsys, FakeCluster(job("nightly")), "suspend", "nightly")
    assert exited.value.code == exits.USAGE


def test_resume_clears_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(job("nightly", suspend=True, annotations={REASON: "db migration"}))
    code, _, err = run(capsys, fake, "resume", "nightly", "-n", "team-a")
    assert code == 0
    assert err == "resumed team-a/nightly (suspended for: db migration)\n"
    stored = fake.jobs["team-a", "nightly"]
    assert stored["spec"]["suspend"] is False
    assert REASON not in stored["metadata"]["annotations"]


def _applied_by(manager: str, operation: str = "Apply") -> dict[str, object]:
    return {"manager": manager, "operation": operation, "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:suspend": {}, "f:template": {}}}}


def test_a_field_a_gitops_tool_applies_is_not_taken_without_force(
        capsys: pytest.CaptureFixture[str]) -> None:
    body = job("nightly")
    body["metadata"]["managedFields"] = [_applied_by("kustomize-controller"),
                                         _applied_by("kubectl-edit", "Update")]
    fake = FakeCluster(body)
    code, _, err = run(capsys, fake, "suspend", "nightly", "-n", "team-a", "--reason", "x")
    assert code == exits.CONFLICT
    assert "spec.suspend is applied by kustomize-controller (GitOps)" in err
    assert "change suspend in the source (Git), or pass --force" in err
    assert fake.patches == []
    code, _, _ = run(capsys, fake, "suspend", "nightly", "-n", "team-a", "--reason", "x",
                     "--force")
    assert code == 0 and len(fake.patches) == 1


def test_our_own_apply_is_not_a_gitops_tool(capsys: pytest.CaptureFixture[str]) -> None:
    body = job("nightly")
    body["metadata"]["managedFields"] = [_applied_by("dynamicjobs-cli")]
    code, _, _ = run(capsys, FakeCluster(body), "suspend", "nightly", "-n", "team-a",
                     "--reason", "x")
    assert code == 0


def test_a_client_side_apply_that_declared_suspend_is_warned_about(
        capsys: pytest.CaptureFixture[str]) -> None:
    last = json.dumps({"spec": {"suspend": False, "template": "heartbeat"}})
    fake = FakeCluster(job("nightly", annotations={
        "kubectl.kubernetes.io/last-applied-configuration": last}))
    code, _, err = run(capsys, fake, "suspend", "nightly", "-n", "team-a", "--reason", "x")
    assert code == 0
    assert "warning: the last `kubectl apply` of team-a/nightly declared suspend: false" in err
