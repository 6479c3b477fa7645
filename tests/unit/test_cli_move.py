"""export, import and clone against a fake cluster: clean manifests, all-or-none imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from job_operator.cli import exits
from job_operator.cli.exits import CliError
from job_operator.cli.portable import portable
from tests.unit.test_cli_inspect import FakeCluster, job, run

BOOKKEEPING = {
    "dynamicjobs.io/last-handled-configuration": "{}",
    "dynamicjobs.io/kopf-managed": "yes",
    "dynamicjobs.io/run-requested-at": "2026-11-30T10:00:00Z",
    "dynamicjobs.io/run-parameters": '{"message": "x"}',
    "kubectl.kubernetes.io/last-applied-configuration": "{}",
}


def stored(name: str = "nightly", **kwargs: Any) -> dict[str, Any]:
    body = job(name, tags={"team": "payments"}, **kwargs)
    body["metadata"]["annotations"] = {**BOOKKEEPING, "owner": "ops",
                                       "dynamicjobs.io/suspend-reason": "db migration"}
    body["metadata"]["labels"] = {"app": "orders", "tags.dynamicjobs.io/old": "x"}
    body["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    body["metadata"]["finalizers"] = ["dynamicjobs.io/operator"]
    return body


def test_a_portable_manifest_keeps_what_the_user_declared() -> None:
    assert portable(stored()) == {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "nightly", "namespace": "team-a",
                     "labels": {"app": "orders", "tags.dynamicjobs.io/team": "payments"},
                     "annotations": {"owner": "ops",
                                     "dynamicjobs.io/suspend-reason": "db migration"}},
        "spec": stored()["spec"],
    }


def test_export_one_job_as_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, FakeCluster(stored()), "export", "nightly", "-n", "team-a")
    assert code == 0
    assert list(yaml.safe_load_all(out)) == [portable(stored())]
    assert "status" not in out and "resourceVersion" not in out and "run-requested" not in out


def test_export_all_as_a_json_list(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(stored("b"), stored("a"), stored("c", namespace="team-b"))
    code, out, _ = run(capsys, fake, "export", "--all", "-n", "team-a", "-o", "json")
    document = json.loads(out)
    assert code == 0 and document["kind"] == "List"
    assert [item["metadata"]["name"] for item in document["items"]] == ["a", "b"]


@pytest.mark.parametrize("argv", [[], ["nightly", "--all"], ["nightly", "-A"]])
def test_export_needs_exactly_one_choice(capsys: pytest.CaptureFixture[str],
                                         argv: list[str]) -> None:
    code, _, err = run(capsys, FakeCluster(stored()), "export", *argv)
    assert code == exits.USAGE and err.startswith("error: ")


def write(tmp_path: Path, *bodies: dict[str, Any]) -> str:
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump_all(list(bodies)))
    return str(path)


def test_import_applies_each_and_says_what_happened(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    same = portable(stored("same"))
    changed = portable(stored("changed"))
    fake = FakeCluster(same, changed)
    changed = {**changed, "spec": {**changed["spec"], "schedule": "0 4 * * *"}}
    new = portable(stored("new"))
    path = write(tmp_path, same, changed, new,
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    code, out, err = run(capsys, fake, "import", path)
    assert code == 0, err
    assert out.splitlines() == ["dynamicjob team-a/same unchanged",
                                "dynamicjob team-a/changed configured",
                                "dynamicjob team-a/new created"]
    assert "v1 ConfigMap, not a DynamicJob" in err
    assert [dry for _, dry in fake.applied] == [True, True, True, False, False, False]
    assert fake.jobs["team-a", "changed"]["spec"]["schedule"] == "0 4 * * *"


def test_import_strips_status_and_run_requests(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    fake = FakeCluster()
    code, _, _ = run(capsys, fake, "import", write(tmp_path, stored()))
    assert code == 0
    applied = fake.jobs["team-a", "nightly"]
    assert "status" not in applied
    assert "dynamicjobs.io/run-requested-at" not in applied["metadata"]["annotations"]


def test_import_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    fake = FakeCluster()
    code, out, _ = run(capsys, fake, "import", "--dry-run", write(tmp_path, stored()))
    assert (code, out) == (0, "dynamicjob team-a/nightly created (server dry run)\n")
    assert fake.jobs == {}


def test_an_invalid_manifest_imports_nothing(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    bad = portable(stored("bad"))
    bad["spec"]["schedule"] = "61 * * * *"
    fake = FakeCluster()
    code, out, err = run(capsys, fake, "import", write(tmp_path, portable(stored()), bad))
    assert (code, out) == (exits.PROBLEMS, "")
    assert "bad: spec.schedule: field 1 (minute) \"61\": above maximum 59" in err
    assert "nothing was imported" in err
    assert fake.applied == []


def test_a_refusal_at_the_dry_run_imports_nothing(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    fake = FakeCluster()
    original = fake.apply_dynamicjob

    def refuse_second(body: dict[str, Any], *, dry_run: bool, force: bool = False,
                      ) -> dict[str, Any]:
        if body["metadata"]["name"] == "second":
            raise CliError("DynamicJob team-a/second: refused: denied: spec.parameters...",
                           exits.PROBLEMS)
        return original(body, dry_run=dry_run, force=force)

    fake.apply_dynamicjob = refuse_second  # type: ignore[method-assign]
    code, _, err = run(capsys, fake, "import",
                       write(tmp_path, portable(stored("first")), portable(stored("second"))))
    assert code == exits.PROBLEMS
    assert err.splitlines()[-2:] == ["error: DynamicJob team-a/second: refused: denied: "
                                     "spec.parameters...", "nothing was imported"]
    assert fake.jobs == {}


def test_import_refuses_a_namespace_other_than_the_flag(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, FakeCluster(), "import", "-n", "prod",
                       write(tmp_path, portable(stored())))
    assert code == exits.USAGE
    assert "the manifest's namespace 'team-a' is not -n prod" in err


def test_import_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, FakeCluster(), "import", str(tmp_path / "nope.yaml"))
    assert code == exits.USAGE and "no such file or directory" in err


def test_clone_with_changes(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(stored())
    code, _, err = run(capsys, fake, "clone", "nightly", "nightly-eu", "-n", "team-a",
                       "-p", "message:=\"hello\"", "--schedule", "0 5 * * *",
                       "--suspend")
    assert code == 0
    assert err == "created team-a/nightly-eu (from nightly)\n"
    copy = fake.jobs["team-a", "nightly-eu"]
    assert copy["spec"]["parameters"] == {"message": "hello"}
    assert (copy["spec"]["schedule"], copy["spec"]["suspend"]) == ("0 5 * * *", True)
    assert copy["metadata"]["annotations"] == {"owner": "ops"}
    assert copy["metadata"]["labels"]["tags.dynamicjobs.io/team"] == "payments"


def test_clone_with_a_parameter_the_template_refuses(
        capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(stored())
    code, _, err = run(capsys, fake, "clone", "nightly", "copy", "-n", "team-a",
                       "-p", "count:=3")
    assert code == exits.PROBLEMS
    assert "team-a/copy: spec.parameters" in err and "count" in err
    assert ("team-a", "copy") not in fake.jobs


def test_clone_onto_a_taken_name(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(stored(), stored("taken"))
    code, _, err = run(capsys, fake, "clone", "nightly", "taken", "-n", "team-a")
    assert code == exits.CONFLICT
    assert "DynamicJob team-a/taken already exists; choose another name" in err


def test_clone_with_a_bad_schedule_creates_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(stored())
    code, _, err = run(capsys, fake, "clone", "nightly", "copy", "-n", "team-a",
                       "--schedule", "every day")
    assert code == exits.PROBLEMS
    assert err.startswith("error: team-a/copy: spec.schedule: ")
    assert ("team-a", "copy") not in fake.jobs
