"""Manual runs: one Job per request value, echoed in status, refused when the spec is bad."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate

from job_operator.builders import build_manual_job, dependency_job_name, manual_job_name
from job_operator.runs.manual import pending_request, start_requested_run
from job_operator.settings import Settings
from job_runner.api import DynamicJob
from tests.unit.fakes import FakeKube

SETTINGS = Settings.from_env({})
REQUEST = "2026-11-28T10:00:00.000001Z"


def _body(annotation: str | None = REQUEST, handled: str | None = None,
          **spec: Any) -> dict[str, Any]:
    annotations = {"dynamicjobs.io/run-requested-at": annotation} if annotation else {}
    status = {"lastHandledRunRequest": handled} if handled else {}
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1,
                     "annotations": annotations},
        "spec": {"template": "heartbeat", "schedule": "0 3 * * *", **spec},
        "status": status,
    }


class RecordingKube(FakeKube):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.created: list[dict[str, Any]] = []

    def create(self, obj: Any) -> dict[str, Any]:
        self.created.append(copy.deepcopy(dict(obj)))
        self.writes.append(f"create {obj['kind']}/{obj['metadata']['name']}")
        return dict(obj)


def test_the_manual_job_is_the_cronjobs_template_marked_manual() -> None:
    job = build_manual_job(DynamicJob.model_validate(_body()), SETTINGS, REQUEST)
    kubernetes_validate.validate(copy.deepcopy(job), "1.37.0", strict=True)
    assert job["metadata"]["name"] == manual_job_name("beat", REQUEST)
    assert job["metadata"]["name"] != manual_job_name("beat", REQUEST + "x")
    assert job["metadata"]["annotations"]["dynamicjobs.io/trigger"] == "Manual"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "DynamicJob"
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "DYNAMICJOBS_TRIGGER", "value": "Manual"} in env
    assert job["spec"]["ttlSecondsAfterFinished"] == 24 * 3600


def test_only_an_unanswered_request_is_pending() -> None:
    assert pending_request(_body()) == REQUEST
    assert pending_request(_body(handled=REQUEST)) is None
    assert pending_request(_body(annotation=None)) is None
    assert pending_request(_body(handled="older")) == REQUEST


def test_a_request_starts_one_job_and_is_echoed() -> None:
    body = _body()
    kube = RecordingKube(body)
    run = start_requested_run(body, kube, SETTINGS)
    assert run is not None and run.job_name == manual_job_name("beat", REQUEST)
    assert [j["metadata"]["name"] for j in kube.created] == [run.job_name]
    assert body["status"]["lastHandledRunRequest"] == REQUEST
    assert start_requested_run(body, kube, SETTINGS) is None
    assert len(kube.created) == 1


def test_a_request_on_an_invalid_spec_is_answered_without_a_job() -> None:
    body = _body(schedule="61 * * * *")
    kube = RecordingKube(body)
    run = start_requested_run(body, kube, SETTINGS)
    assert run is not None and run.job_name is None
    assert "spec.schedule" in run.refusal
    assert kube.created == []
    assert body["status"]["lastHandledRunRequest"] == REQUEST


def test_triggered_job_names_fit_a_label_value_even_for_the_longest_job_names() -> None:
    longest = "j" * 52
    for name in (manual_job_name(longest, REQUEST),
                 dependency_job_name(longest, "upstream", "upstream-29000000")):
        assert len(name) <= 63
        assert name.startswith("j" * 40)
    assert manual_job_name(longest, REQUEST) != manual_job_name(longest[:-1] + "k", REQUEST)
