"""Parameter overrides for one manual run: parsed, judged like the spec, passed to the Job."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from job_operator.admission.webhook import admission_problems
from job_operator.builders import build_manual_job
from job_operator.cli.run import parse_overrides
from job_operator.runs.manual import start_requested_run
from job_operator.runs.overrides import FIELD, override_problems, requested_overrides
from job_operator.settings import Settings
from job_runner.api import DynamicJob
from tests.unit.test_manual_runs import REQUEST, RecordingKube

SETTINGS = Settings.from_env({})
HOOK = {"url": "https://hooks.example.com/x", "expectedStatus": [200]}


def _body(overrides: Any = None, template: str = "heartbeat",
          **parameters: Any) -> dict[str, Any]:
    annotations = {"dynamicjobs.io/run-requested-at": REQUEST}
    if overrides is not None:
        annotations["dynamicjobs.io/run-parameters"] = (
            overrides if isinstance(overrides, str) else json.dumps(overrides))
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1,
                     "annotations": annotations},
        "spec": {"template": template, "schedule": "0 3 * * *", "parameters": parameters},
        "status": {},
    }


def _env(job: dict[str, Any]) -> dict[str, Any]:
    container = job["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_a_manual_run_takes_the_overrides_and_the_spec_keeps_its_parameters() -> None:
    body = _body({"message": "by hand"}, message="scheduled")
    kube = RecordingKube(body)
    run = start_requested_run(body, kube, SETTINGS)
    assert run is not None and run.job_name is not None
    env = _env(kube.created[0])
    assert json.loads(env["DYNAMICJOBS_SPEC"])["parameters"] == {"message": "by hand"}
    assert json.loads(env["DYNAMICJOBS_PARAMETER_OVERRIDES"]) == {"message": "by hand"}
    assert json.loads(kube.created[0]["metadata"]["annotations"][
        "dynamicjobs.io/run-parameters"]) == {"message": "by hand"}
    assert body["spec"]["parameters"] == {"message": "scheduled"}


def test_without_overrides_the_job_has_no_override_env() -> None:
    job = build_manual_job(DynamicJob.model_validate(_body()), SETTINGS, REQUEST)
    assert "DYNAMICJOBS_PARAMETER_OVERRIDES" not in _env(job)
    assert "dynamicjobs.io/run-parameters" not in job["metadata"]["annotations"]


@pytest.mark.parametrize(("annotation", "expected"), [
    ("{not json", "not valid JSON"),
    ('["a list"]', "must be a JSON object"),
    (json.dumps({"message": "x" * 9000}), "too large"),
])
def test_an_unreadable_annotation_is_named_with_the_fix(annotation: str, expected: str) -> None:
    overrides, problems = requested_overrides(_body(annotation))
    assert overrides == {}
    assert [p.field for p in problems] == [FIELD]
    assert expected in problems[0].message


def test_overrides_are_checked_against_the_templates_schema_by_field() -> None:
    problems = override_problems(_body({"message": 5, "colour": "red"}))
    fields = {p.field for p in problems}
    assert f"{FIELD}.message" in fields
    assert any("colour" in p.field or "colour" in p.message for p in problems)


def test_a_run_with_bad_overrides_is_refused_and_answered() -> None:
    body = _body({"message": 5})
    kube = RecordingKube(body)
    run = start_requested_run(body, kube, SETTINGS)
    assert run is not None and run.job_name is None
    assert f"{FIELD}.message" in run.refusal
    assert kube.created == []
    assert body["status"]["lastHandledRunRequest"] == REQUEST


def test_a_secret_in_the_overrides_is_checked_as_the_requesting_user() -> None:
    asked: list[tuple[str, str]] = []

    def deny(namespace: str, name: str) -> str:
        asked.append((namespace, name))
        return "denied"

    override = {"headers": {"X-Token": {"secretRef": {"name": "theirs", "key": "t"}}}}
    old = _body(None, template="webhook-trigger", **HOOK)
    new = _body(override, template="webhook-trigger", **HOOK)
    problems = admission_problems(new, old, deny)
    assert asked == [("ns", "theirs")]
    assert [p.field for p in problems] == [f"{FIELD}.headers.X-Token.secretRef"]
    assert "theirs" in problems[0].message


def test_overrides_are_judged_when_written_requested_or_their_spec_changes() -> None:
    def must_not_ask(namespace: str, name: str) -> str:
        raise AssertionError("nothing new to check")

    stale = _body({"message": 5})
    labelled = copy.deepcopy(stale)
    labelled["metadata"]["labels"] = {"team": "a"}
    assert admission_problems(labelled, stale, must_not_ask) == []

    requested_again = copy.deepcopy(stale)
    requested_again["metadata"]["annotations"]["dynamicjobs.io/run-requested-at"] = "later"
    spec_edited = copy.deepcopy(stale)
    spec_edited["spec"]["schedule"] = "0 4 * * *"
    for changed in (requested_again, spec_edited, stale):
        old = _body() if changed is stale else stale
        assert [p.field for p in admission_problems(changed, old, must_not_ask)] == [
            f"{FIELD}.message"]


def test_someone_elses_secret_in_standing_overrides_is_checked_as_the_next_user() -> None:
    """Overrides written by a user who may read a Secret stay on the object; a user who may
    not must neither request a run with them nor point the job elsewhere under them."""
    asked: list[str] = []

    def mallory(namespace: str, name: str) -> str:
        asked.append(name)
        return "denied"

    override = {"headers": {"Authorization": {"secretRef": {"name": "prod-token", "key": "t"}}}}
    standing = _body(override, template="webhook-trigger", **HOOK)
    redirected = copy.deepcopy(standing)
    redirected["spec"]["parameters"]["url"] = "https://attacker.example/steal"
    rerun = copy.deepcopy(standing)
    rerun["metadata"]["annotations"]["dynamicjobs.io/run-requested-at"] = "now"
    for attempt in (redirected, rerun):
        problems = admission_problems(attempt, standing, mallory)
        assert f"{FIELD}.headers.Authorization.secretRef" in [p.field for p in problems]
    assert asked == ["prod-token", "prod-token"]


def test_hostile_nesting_in_overrides_is_a_problem_not_a_crash() -> None:
    deep_for_the_parser = "[" * 4000 + "]" * 4000
    deep_for_the_rules = json.dumps({"message": json.loads("[" * 20 + "]" * 20)})
    for text in (deep_for_the_parser, deep_for_the_rules):
        overrides, problems = requested_overrides(_body(text))
        assert overrides == {}
        assert [(p.field, p.message) for p in problems] == [
            (FIELD, "nested deeper than 16 levels")]


def test_the_cli_reads_strings_json_values_and_a_file(tmp_path: Path) -> None:
    file = tmp_path / "params.json"
    file.write_text('{"message": "from file", "count": 1}')
    assert parse_overrides(["message=a=b", "count:=3", "flag:=true", "url=http://x?a:=b"],
                           file) == {"message": "a=b", "count": 3, "flag": True,
                                     "url": "http://x?a:=b"}
    assert parse_overrides([], None) == {}


@pytest.mark.parametrize(("param", "expected"), [
    ("no-separator", "KEY=VALUE or KEY:=JSON"),
    ("=value", "name is empty"),
    ("count:=three", "must be JSON"),
])
def test_the_cli_names_a_malformed_param(param: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        parse_overrides([param], None)


def test_the_cli_shows_the_api_servers_message_not_its_json() -> None:
    from kubernetes.client.exceptions import ApiException

    from job_operator.cli.cluster import explain

    def refusal(status: int, reason: str, body: str | None) -> str:
        error = ApiException(status=status, reason=reason)
        error.body = body
        return explain(error, "DynamicJob ns/beat", "ns").message

    body = json.dumps({"kind": "Status", "message": 'admission webhook denied: x."y"'})
    assert refusal(422, "Unprocessable Entity", body) == (
        'DynamicJob ns/beat: refused: admission webhook denied: x."y"')
    assert refusal(403, "Forbidden", "not json").startswith(
        "DynamicJob ns/beat: not allowed: not json; check what you may do with "
        "`kubectl auth can-i --list -n ns`")
    assert refusal(404, "Not Found", None).startswith("DynamicJob ns/beat not found;")


def test_problems_the_spec_already_had_are_not_blamed_on_the_overrides() -> None:
    body = _body({"message": "fine"}, message=5)
    assert override_problems(body) == []
    body = _body({"message": 6}, message=5)
    assert [p.field for p in override_problems(body)] == [f"{FIELD}.message"]


def _only(*readable: str) -> tuple[list[str], Any]:
    asked: list[str] = []

    def may_read(namespace: str, name: str) -> str | None:
        asked.append(name)
        return None if name in readable else "denied"

    return asked, may_read


def test_an_override_without_a_secret_may_not_redirect_the_specs_secret() -> None:
    """Break 1 of issue 8: the spec sends an Authorization header from a Secret; a user who
    may patch the job but not read that Secret overrides only the url."""
    spec_secret = {"secretRef": {"name": "deploy-token", "key": "token"}}
    old = _body(None, template="webhook-trigger", headers={"Authorization": spec_secret},
                **HOOK)
    new = copy.deepcopy(old)
    new["metadata"]["annotations"]["dynamicjobs.io/run-parameters"] = json.dumps(
        {"url": "https://attacker.example/collect"})
    asked, may_read = _only()
    problems = admission_problems(new, old, may_read)
    assert asked == ["deploy-token"]
    assert [p.field for p in problems] == [FIELD]
    assert 'Secret "deploy-token"' in problems[0].message
    assert "spec.parameters.headers.Authorization" in problems[0].message
    assert "without overrides" in problems[0].message

    asked, may_read = _only("deploy-token")
    assert admission_problems(new, old, may_read) == []
    assert asked == ["deploy-token"]


def test_the_notifiers_secrets_are_judged_for_a_run_with_overrides() -> None:
    body = _body({"message": "by hand"}, message="scheduled")
    body["spec"]["notifications"] = {"onSuccess": [{"template": "webhook-trigger",
        "parameters": {**HOOK, "headers": {"X-Key": {"secretRef": {"name": "slack",
                                                                   "key": "k"}}}}}]}
    asked, may_read = _only()
    problems = override_problems(body, may_read)
    assert asked == ["slack"]
    assert [p.field for p in problems] == [FIELD]
    assert "spec.notifications.onSuccess[0].parameters.headers.X-Key" in problems[0].message


def test_a_secret_the_overrides_replace_is_not_used_so_not_asked() -> None:
    spec_secret = {"secretRef": {"name": "old-token", "key": "t"}}
    mine = {"X-Token": {"secretRef": {"name": "mine", "key": "t"}}}
    body = _body({"headers": mine, "url": "https://mine.example/"},
                 template="webhook-trigger", headers={"X-Token": spec_secret}, **HOOK)
    asked, may_read = _only("mine")
    assert override_problems(body, may_read) == []
    assert asked == ["mine"]


def test_each_secret_of_the_run_is_asked_about_once() -> None:
    ref = {"secretRef": {"name": "shared", "key": "a"}}
    other_key = {"secretRef": {"name": "shared", "key": "b"}}
    body = _body({"url": "https://elsewhere.example/"}, template="webhook-trigger",
                 headers={"A": ref, "B": other_key}, **HOOK)
    asked, may_read = _only()
    assert len(override_problems(body, may_read)) == 1
    assert asked == ["shared"]
