"""``dynamicjobs new`` with flags only (no terminal): the same job as the wizard makes.
The questions themselves are tested through a real pseudo-terminal in
tests/integration/test_cli_new.py."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from job_operator.cli import exits
from job_operator.controller.catalogue import build_template_object
from job_runner.registry import installed_templates
from tests.unit.test_cli_inspect import FakeCluster, job, run

CI_NIGHTLY_FLAGS = [
    "new", "ci-nightly", "-n", "team-a", "--template", "webhook-trigger",
    "-p", "url=https://ci.example.com/api/trigger",
    "-p", 'headers:={"Authorization": {"secretRef": {"name": "ci-token", "key": "header"}}}',
    "-p", 'body:={"pipeline": "nightly"}',
    "--schedule", "0 2 * * 1-5", "--time-zone", "Europe/Berlin",
    "--timeout-seconds", "120", "--retries", "2", "--backoff-seconds", "30",
    "--notifications", "{}",
]
CI_NIGHTLY: dict[str, Any] = {
    "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
    "metadata": {"name": "ci-nightly", "namespace": "team-a"},
    "spec": {"template": "webhook-trigger", "schedule": "0 2 * * 1-5",
             "timeZone": "Europe/Berlin", "timeoutSeconds": 120,
             "retries": {"limit": 2, "backoffSeconds": 30},
             "parameters": {
                 "url": "https://ci.example.com/api/trigger",
                 "headers": {"Authorization": {"secretRef": {"name": "ci-token",
                                                             "key": "header"}}},
                 "body": {"pipeline": "nightly"}}},
}


@pytest.fixture
def fake() -> FakeCluster:
    cluster = FakeCluster(job("taken"))
    cluster.catalogue = [build_template_object(t) for t in installed_templates().values()]
    return cluster


def test_ci_nightly_by_flags_written_to_stdout(capsys: pytest.CaptureFixture[str],
                                               fake: FakeCluster) -> None:
    code, out, err = run(capsys, fake, *CI_NIGHTLY_FLAGS, "--write", "-")
    assert code == 0, err
    assert yaml.safe_load(out) == CI_NIGHTLY
    assert fake.applied == []


def test_create_runs_the_server_dry_run_first(capsys: pytest.CaptureFixture[str],
                                              fake: FakeCluster) -> None:
    code, _, err = run(capsys, fake, *CI_NIGHTLY_FLAGS, "--create")
    assert code == 0
    assert err.endswith("created team-a/ci-nightly\n")
    assert [(body["metadata"]["name"], dry) for body, dry in fake.applied] == [
        ("ci-nightly", True), ("ci-nightly", False)]


def test_a_missing_required_answer_names_its_flag(capsys: pytest.CaptureFixture[str],
                                                  fake: FakeCluster) -> None:
    flags = [f for f in CI_NIGHTLY_FLAGS if not f.startswith("url=")]
    flags.remove("-p")
    code, _, err = run(capsys, fake, *flags, "--write", "-")
    assert code == exits.USAGE
    assert err == ("error: url: no answer without a terminal; give -p url=VALUE "
                   "(or -p url:=JSON)\n")


@pytest.mark.parametrize(("change", "expected"), [
    (["--template", "nope"], "--template nope: not in the cluster's catalogue; it has: backup"),
    (["--schedule", "61 * * * *"], '--schedule/--time-zone: spec.schedule: field 1 (minute)'),
])
def test_bad_flags_change_nothing(capsys: pytest.CaptureFixture[str], fake: FakeCluster,
                                  change: list[str], expected: str) -> None:
    flags = list(CI_NIGHTLY_FLAGS)
    at = flags.index(change[0])
    flags[at + 1] = change[1]
    code, _, err = run(capsys, fake, *flags, "--create")
    assert code == exits.USAGE and expected in err
    assert fake.applied == []


def test_a_taken_name_is_refused(capsys: pytest.CaptureFixture[str], fake: FakeCluster) -> None:
    flags = list(CI_NIGHTLY_FLAGS)
    flags[1] = "taken"
    code, _, err = run(capsys, fake, *flags, "--create")
    assert code == exits.CONFLICT
    assert err == "error: NAME: team-a/taken exists already; pick another name\n"
    assert fake.applied == []
