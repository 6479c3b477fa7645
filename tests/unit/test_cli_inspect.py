"""list, describe, history and logs against a fake cluster: filters, tables, messages.

`FakeCluster` stands in for `job_operator.cli.cluster.Cluster` (the real one is exercised
on the control plane in tests/integration/test_cli_*.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

from job_operator.cli import exits
from job_operator.cli.exits import CliError
from job_operator.cli.main import main
from job_operator.cli.options import App
from job_operator.cli.target import Target


class FakeCluster:
    def __init__(self, *bodies: dict[str, Any]) -> None:
        self.jobs = {(b["metadata"]["namespace"], b["metadata"]["name"]): b for b in bodies}
        self.events: list[dict[str, Any]] = []
        self.pods: dict[str, list[dict[str, Any]]] = {}
        self.jobs_kept: set[str] = set()
        self.logs: dict[str, list[bytes]] = {}
        self.patches: list[tuple[str, str, dict[str, Any]]] = []
        self.applied: list[tuple[dict[str, Any], bool]] = []
        self.user = "admin"
        self.catalogue: list[dict[str, Any]] = []
        self.selectors: list[str | None] = []

    def list_dynamicjobs(self, namespace: str | None,
                         selector: str | None = None) -> list[dict[str, Any]]:
        self.selectors.append(selector)
        return [copy.deepcopy(b) for (ns, _), b in self.jobs.items()
                if namespace is None or ns == namespace]

    def get_dynamicjob(self, namespace: str, name: str) -> dict[str, Any]:
        if (namespace, name) not in self.jobs:
            raise CliError(f"DynamicJob {namespace}/{name} not found", exits.NOT_FOUND)
        return copy.deepcopy(self.jobs[namespace, name])

    def patch_dynamicjob(self, namespace: str, name: str,
                         patch: Mapping[str, Any]) -> dict[str, Any]:
        body = self.get_dynamicjob(namespace, name)
        self.patches.append((namespace, name, dict(patch)))
        merged = _merge(body, dict(patch))
        self.jobs[namespace, name] = merged
        return merged

    def apply_dynamicjob(self, body: Mapping[str, Any], *, dry_run: bool,
                         force: bool = False) -> dict[str, Any]:
        self.applied.append((dict(body), dry_run))
        key = (body["metadata"]["namespace"], body["metadata"]["name"])
        if not dry_run:
            self.jobs[key] = copy.deepcopy(dict(body))
        return copy.deepcopy(dict(body))

    def create_dynamicjob(self, body: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
        key = (body["metadata"]["namespace"], body["metadata"]["name"])
        if key in self.jobs:
            raise CliError(f"DynamicJob {key[0]}/{key[1]}: already exists", exits.CONFLICT)
        return self.apply_dynamicjob(body, dry_run=dry_run)

    def events_about(self, namespace: str, name: str) -> list[dict[str, Any]]:
        return self.events

    def run_pods(self, namespace: str, run_id: str) -> list[dict[str, Any]]:
        return self.pods.get(run_id, [])

    def run_job_exists(self, namespace: str, run_id: str) -> bool:
        return run_id in self.jobs_kept

    def pod_log(self, namespace: str, pod: str, *, follow: bool) -> Iterator[bytes]:
        yield from self.logs.get(pod, [])

    def who_am_i(self) -> str:
        return self.user

    def templates(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalogue)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def job(name: str, namespace: str = "team-a", *, result: str | None = "Succeeded",
        suspend: bool = False, template: str = "heartbeat", tags: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None, runs: int = 1) -> dict[str, Any]:
    recent = [{"id": f"{name}-{29000000 - i}", "trigger": "Schedule",
               "startedAt": f"2026-11-2{8 - i}T02:00:00.000Z",
               "finishedAt": f"2026-11-2{8 - i}T02:00:05.500Z",
               "result": result, "attempts": 1, "message": f"run {i}",
               "outputs": {"rows": i}} for i in range(runs)] if result else []
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                     "resourceVersion": "7", "generation": 2,
                     "creationTimestamp": "2026-11-01T00:00:00Z",
                     "annotations": annotations or {}},
        "spec": {"template": template, "schedule": "0 3 * * *", "timeZone": "Europe/Berlin",
                 "suspend": suspend, "tags": tags or {}, "parameters": {"message": "hi"}},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                            "message": "CronJob in step",
                            "lastTransitionTime": "2026-11-01T00:00:01.000Z"}],
            "schedule": {"description": "At 03:00, every day (Europe/Berlin)",
                         "nextRuns": ["2026-12-02T02:00:00.000Z"]},
            "cronJobName": name,
            **({"lastRun": recent[0], "recentRuns": recent} if recent else {}),
        },
    }


def run(capsys: pytest.CaptureFixture[str], fake: FakeCluster, *argv: str,
        ) -> tuple[int, str, str]:
    seen: list[Target] = []

    def connect(target: Target) -> Any:
        seen.append(target)
        return fake

    code = main(list(argv), app=App(connect=connect))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def names(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines()[1:]]


@pytest.fixture
def fleet() -> FakeCluster:
    return FakeCluster(
        job("nightly", tags={"team": "payments"}, template="data-export"),
        job("beat", result="Failed"),
        job("paused", suspend=True, result=None,
            annotations={"dynamicjobs.io/suspend-reason": "db migration"}),
        job("other", namespace="team-b"),
    )


def test_list_in_one_namespace_sorted(capsys: pytest.CaptureFixture[str],
                                      fleet: FakeCluster) -> None:
    code, out, _ = run(capsys, fleet, "list", "-n", "team-a")
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["NAME", "TEMPLATE", "SCHEDULE"]
    assert names(out) == ["beat", "nightly", "paused"]
    assert "yes: db migration" in out


def test_list_all_namespaces_adds_the_column(capsys: pytest.CaptureFixture[str],
                                             fleet: FakeCluster) -> None:
    code, out, _ = run(capsys, fleet, "list", "-A")
    assert code == 0 and out.startswith("NAMESPACE")
    assert [line.split()[:2] for line in out.splitlines()[1:]][-1] == ["team-b", "other"]


@pytest.mark.parametrize(("flags", "expected"), [
    (["--tag", "team=payments"], ["nightly"]),
    (["--template", "heartbeat"], ["beat", "paused"]),
    (["--result", "Failed"], ["beat"]),
    (["--result", "None"], ["paused"]),
    (["--suspended"], ["paused"]),
    (["--active", "--template", "heartbeat"], ["beat"]),
])
def test_list_filters(capsys: pytest.CaptureFixture[str], fleet: FakeCluster,
                      flags: list[str], expected: list[str]) -> None:
    code, out, _ = run(capsys, fleet, "list", "-n", "team-a", *flags)
    assert code == 0
    assert names(out) == expected


def test_list_passes_a_label_selector_to_the_api_server(
        capsys: pytest.CaptureFixture[str], fleet: FakeCluster) -> None:
    code, _, _ = run(capsys, fleet, "list", "-A", "-l", "tags.dynamicjobs.io/team=payments")
    assert code == 0
    assert fleet.selectors == ["tags.dynamicjobs.io/team=payments"]


def test_list_nothing_matching_says_so_on_stderr(capsys: pytest.CaptureFixture[str],
                                                 fleet: FakeCluster) -> None:
    code, out, err = run(capsys, fleet, "list", "-n", "team-a", "--tag", "team=nobody")
    assert (code, out) == (0, "")
    assert err == "No DynamicJobs found in team-a matching the filters.\n"


def test_list_a_malformed_tag_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                               fleet: FakeCluster) -> None:
    code, _, err = run(capsys, fleet, "list", "--tag", "team")
    assert code == exits.USAGE
    assert err == "error: --tag team: write KEY=VALUE, e.g. --tag team=payments\n"


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_list_json_and_yaml_are_a_kubectl_list(capsys: pytest.CaptureFixture[str],
                                               fleet: FakeCluster, output: str) -> None:
    code, out, _ = run(capsys, fleet, "list", "-n", "team-a", "-o", output,
                       "--result", "Failed")
    document = json.loads(out) if output == "json" else yaml.safe_load(out)
    assert code == 0
    assert document["kind"] == "List"
    assert [item["metadata"]["name"] for item in document["items"]] == ["beat"]


def test_list_wide_shows_cron_zone_and_tags(capsys: pytest.CaptureFixture[str],
                                            fleet: FakeCluster) -> None:
    _, out, _ = run(capsys, fleet, "list", "-n", "team-a", "-o", "wide", "--tag",
                    "team=payments")
    header, line = out.splitlines()
    assert header.split()[-5:] == ["CRON", "TIME", "ZONE", "TAGS", "AGE"]
    assert "Europe/Berlin" in line and "team=payments" in line


def test_describe(capsys: pytest.CaptureFixture[str], fleet: FakeCluster) -> None:
    fleet.events = [{"type": "Normal", "reason": "RunSucceeded", "message": "nightly ran",
                     "lastTimestamp": "2026-11-28T02:00:06Z"}]
    code, out, _ = run(capsys, fleet, "describe", "nightly", "-n", "team-a")
    assert code == 0
    assert "Template:     data-export" in out
    assert "At 03:00, every day (Europe/Berlin)" in out
    assert "  2026-12-02T02:00:00Z" in out
    assert ["Ready", "True", "Ready"] in [line.split()[:3] for line in out.splitlines()]
    assert "nightly-29000000   Schedule   Succeeded" in out
    assert "RunSucceeded" in out and "nightly ran" in out


def test_describe_shows_the_suspension_reason(capsys: pytest.CaptureFixture[str],
                                              fleet: FakeCluster) -> None:
    _, out, _ = run(capsys, fleet, "describe", "paused", "-n", "team-a")
    assert "Suspended:    yes: db migration" in out


def test_describe_a_missing_job_exits_not_found(capsys: pytest.CaptureFixture[str],
                                                fleet: FakeCluster) -> None:
    code, out, err = run(capsys, fleet, "describe", "ghost", "-n", "team-a")
    assert (code, out) == (exits.NOT_FOUND, "")
    assert err.startswith("error: DynamicJob team-a/ghost not found")


def test_history_lists_every_recorded_run(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(job("nightly", runs=3))
    code, out, _ = run(capsys, fake, "history", "nightly", "-n", "team-a")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["RUN", "TRIGGER", "RESULT", "ATTEMPTS", "STARTED", "DURATION",
                                "MESSAGE"]
    assert [line.split()[0] for line in lines[1:]] == [
        "nightly-29000000", "nightly-28999999", "nightly-28999998"]
    assert lines[1].split()[3:6] == ["1", "2026-11-28T02:00:00Z", "5s"]


def test_history_wide_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(job("nightly", runs=2))
    _, out, _ = run(capsys, fake, "history", "nightly", "-n", "team-a", "-o", "wide")
    assert "rows=1" in out
    _, out, _ = run(capsys, fake, "history", "nightly", "-n", "team-a", "-o", "json")
    assert [r["id"] for r in json.loads(out)] == ["nightly-29000000", "nightly-28999999"]


def test_history_of_a_job_that_never_ran(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, FakeCluster(job("new", result=None)), "history", "new",
                         "-n", "team-a")
    assert (code, out) == (0, "")
    assert "team-a/new has no recorded runs yet." in err


def test_logs_of_the_last_run(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(job("nightly"))
    fake.pods["nightly-29000000"] = [{"metadata": {"name": "nightly-29000000-abcde"}}]
    fake.logs["nightly-29000000-abcde"] = [b'{"msg": "start"}\n', b'{"msg": "done"}\n']
    code, out, _ = run(capsys, fake, "logs", "nightly", "-n", "team-a")
    assert code == 0
    assert out == '{"msg": "start"}\n{"msg": "done"}\n'


def test_logs_of_an_expired_run_say_so_and_point_at_history(
        capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(job("nightly", runs=2))
    code, _, err = run(capsys, fake, "logs", "nightly", "-n", "team-a",
                       "--run", "nightly-28999999")
    assert code == exits.NOT_FOUND
    assert "the log of run nightly-28999999 of team-a/nightly is gone: its Job has expired" \
        in err
    assert "its record: Succeeded, run 1" in err and "dynamicjobs history nightly" in err


def test_logs_of_a_run_whose_pod_has_not_started(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeCluster(job("nightly"))
    fake.jobs_kept.add("nightly-29000000")
    code, _, err = run(capsys, fake, "logs", "nightly", "-n", "team-a")
    assert code == exits.NOT_FOUND and "has no pod yet" in err


def test_logs_of_a_job_that_never_ran(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, FakeCluster(job("new", result=None)), "logs", "new",
                       "-n", "team-a")
    assert code == exits.NOT_FOUND
    assert "has not run yet; `dynamicjobs run new` starts a run" in err
