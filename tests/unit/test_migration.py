"""Legacy APScheduler definitions to DynamicJobs: faithful conversions and clear refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from job_operator.cli.main import main
from job_operator.migration.convert import Unmappable, convert, cron_schedule, manifest
from job_operator.migration.legacy import CronArgs, LegacyFile, LegacyJob

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "migration"


def job(**fields: Any) -> LegacyJob:
    base: dict[str, Any] = {"id": "beat", "trigger": "cron", "trigger_args": {"hour": 3},
                            "template": "heartbeat"}
    return LegacyJob.model_validate({**base, **fields})


def converted(**fields: Any) -> dict[str, Any]:
    return manifest(job(**fields), LegacyFile(jobs=[job()]), shadow=False)


@pytest.mark.parametrize(("args", "schedule"), [
    ({"hour": 3}, "0 3 * * *"),
    ({"hour": 2, "minute": 30}, "30 2 * * *"),
    ({"minute": "*/15"}, "*/15 * * * *"),
    ({"day": 1}, "0 0 1 * *"),
    ({"month": "jan,jul", "day": 1, "hour": 6}, "0 6 1 1,7 *"),
    ({"day_of_week": "mon-fri", "hour": 8}, "0 8 * * 1-5"),
    ({"day_of_week": "sun", "hour": 8}, "0 8 * * 0"),
    ({"day_of_week": 0, "hour": 8}, "0 8 * * 1"),
    ({"day_of_week": "5-6", "hour": 8}, "0 8 * * 0,6"),
    ({"day_of_week": "*/2", "minute": 0}, "0 * * * 0-1,3,5"),
    ({"hour": "*", "minute": 5, "second": 0}, "5 * * * *"),
    ({"second": 0}, "* * * * *"),
])
def test_cron_triggers_fire_at_the_same_times(args: dict[str, Any], schedule: str):
    """APScheduler counts weekdays from Monday (0 = mon), cron from Sunday; fields below the
    least significant one given default to their minimum."""
    assert cron_schedule(CronArgs.model_validate(args)) == schedule


@pytest.mark.parametrize(("args", "reason"), [
    ({"second": 30, "minute": 1}, "fires at second '30'"),
    ({"minute": 5, "second": "*/10"}, "fires at second"),
    ({"year": 2027, "hour": 1}, "year='2027'"),
    ({"week": 3}, "week='3'"),
    ({"day": "last fri"}, "day='last fri' has no cron equivalent"),
    ({"hour": 3, "jitter": 30}, "jitter cannot be kept"),
    ({"hour": 3, "start_date": "2027-01-01"}, "start_date cannot be kept"),
    ({}, "fires every second"),
])
def test_cron_triggers_a_cronjob_cannot_follow_are_refused(args: dict[str, Any], reason: str):
    with pytest.raises(Unmappable, match=re.escape(reason)):
        cron_schedule(CronArgs.model_validate(args))


@pytest.mark.parametrize(("args", "schedule"), [
    ({"minutes": 5}, "@every 5m"), ({"hours": 1, "minutes": 30}, "@every 1h30m"),
    ({"days": 1}, "@every 24h"), ({"seconds": 90}, "@every 1m30s"),
])
def test_interval_triggers_become_every(args: dict[str, Any], schedule: str):
    body = converted(trigger="interval", trigger_args=args)
    assert body["spec"]["schedule"] == schedule and "timeZone" not in body["spec"]


@pytest.mark.parametrize(("fields", "reason"), [
    ({"trigger": "interval", "trigger_args": {"seconds": 30}}, "under a minute"),
    ({"trigger": "interval", "trigger_args": {"seconds": 90.5}}, "not whole seconds"),
    ({"trigger": "interval", "trigger_args": {"minutes": 5, "jitter": 3}}, "jitter"),
    ({"trigger": "date", "trigger_args": {"run_date": "2027-01-01"}}, "runs once"),
    ({"coalesce": False}, "coalesce=false"),
    ({"args": [1]}, "positional args"),
    ({"id": "Beat Job!"}, "does not make a DynamicJob name"),
    ({"kwargs": {"days": 3}}, "kwargs 'days' reach no parameter"),
    ({"parameters": {"message": {"fromKwarg": "text"}}}, "kwarg 'text', which the job"),
    ({"template": "no-such-template"}, "spec.template"),
    ({"parameters": {"message": 5}}, "spec.parameters.message"),
    ({"trigger_args": {"hour": 3, "typo": 1}}, "trigger_args"),
])
def test_what_cannot_be_mapped_is_refused_with_a_reason(fields: dict[str, Any], reason: str):
    with pytest.raises(Unmappable) as refused:
        converted(**fields)
    assert reason in str(refused.value)


def test_kwargs_options_and_pause_map_onto_the_spec():
    body = converted(kwargs={"text": "hi", "unused": 1}, ignore_kwargs=["unused"],
                     parameters={"message": {"fromKwarg": "text"}}, max_instances=3,
                     misfire_grace_time=120, paused=True, spec={"timeoutSeconds": 60})
    spec = body["spec"]
    assert spec["parameters"] == {"message": "hi"}
    assert (spec["concurrencyPolicy"], spec["startingDeadlineSeconds"], spec["suspend"],
            spec["timeoutSeconds"]) == ("Allow", 120, True, 60)
    assert body["metadata"]["annotations"]["dynamicjobs.io/legacy-id"] == "beat"


def test_one_refusal_is_named_and_the_rest_still_listed():
    legacy = LegacyFile(jobs=[job(id="good"), job(id="bad", coalesce=False), job(id="GOOD")])
    result = convert(legacy, shadow=True)
    assert [body["metadata"]["name"] for body in result.manifests] == ["good"]
    assert result.manifests[0]["spec"]["dryRun"] is True
    assert [job_id for job_id, _ in result.refusals] == ["bad", "GOOD"]
    assert "makes the name 'good', as 'good' does" in result.refusals[1][1]


def migrate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["migrate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_writes_nothing_when_any_job_is_refused(tmp_path: Path, capsys):
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps({"jobs": [job(id="ok").model_dump(),
                                         job(id="late", coalesce=False).model_dump()]}))
    code, out, err = migrate(capsys, str(path))
    assert code == 1 and out == ""
    assert "error: late: coalesce=false" in err


def test_a_file_that_is_not_a_legacy_job_file_is_a_usage_error(tmp_path: Path, capsys):
    path = tmp_path / "legacy.yaml"
    path.write_text("jobs:\n  - id: x\n")
    code, _, err = migrate(capsys, str(path))
    assert code == 2 and "jobs.0.trigger" in err


@pytest.mark.parametrize(("example", "arguments"), [
    ("dynamicjobs.yaml", []),
    ("values.yaml", ["-o", "helm-values"]),
    ("values-shadow.yaml", ["--shadow", "-o", "helm-values"]),
])
def test_the_examples_are_what_migrate_makes_of_the_legacy_file(example: str,
                                                                 arguments: list[str], capsys):
    code, out, err = migrate(capsys, *arguments, str(EXAMPLES / "legacy-jobs.yaml"))
    assert code == 0, err
    committed = list(yaml.safe_load_all((EXAMPLES / example).read_text()))
    assert committed == list(yaml.safe_load_all(out))


@pytest.mark.parametrize("example", ["values.yaml", "values-shadow.yaml"])
def test_the_helm_values_fit_the_chart_schema(example: str):
    schema = json.loads((ROOT / "helm" / "dynamicjobs" / "values.schema.json").read_text())
    values = yaml.safe_load((EXAMPLES / example).read_text())
    jsonschema.validate(values, schema)
    assert len(values["jobs"]) == 3
    assert all(entry.get("dryRun") is True for entry in values["jobs"]) == \
        (example == "values-shadow.yaml")
