"""``dynamicjobs templates``: the catalogue as the operator publishes it."""

from __future__ import annotations

import json

import pytest

from job_operator.cli import exits
from job_operator.controller.catalogue import build_template_object
from job_runner.registry import installed_templates
from tests.unit.test_cli_inspect import FakeCluster, run


@pytest.fixture
def fake() -> FakeCluster:
    cluster = FakeCluster()
    cluster.catalogue = [build_template_object(t) for t in installed_templates().values()]
    return cluster


def test_the_catalogue_lists_every_template(capsys: pytest.CaptureFixture[str],
                                            fake: FakeCluster) -> None:
    code, out, _ = run(capsys, fake, "templates")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == sorted(installed_templates())
    assert "slack-notification" in names


def test_one_template_shows_its_parameters_and_examples(
        capsys: pytest.CaptureFixture[str], fake: FakeCluster) -> None:
    code, out, _ = run(capsys, fake, "templates", "webhook-trigger")
    listed = out.split("Parameters:\n", 1)[1].split("\n\n")[0]
    rows = {line.split()[0]: line for line in listed.splitlines()}
    assert code == 0
    assert out.startswith("webhook-trigger 1.0.0\nSends one HTTP request")
    assert "one of GET|POST|PUT|PATCH|DELETE|HEAD" in rows["method"]
    assert "string or secretRef" in rows["url"] and "yes" in rows["url"]
    assert "map of string or secretRef" in rows["headers"]
    assert "Example 1 (spec.parameters):" in out


def test_one_template_shows_the_outputs_its_runs_report(
        capsys: pytest.CaptureFixture[str], fake: FakeCluster) -> None:
    code, out, _ = run(capsys, fake, "templates", "database-cleanup")
    assert code == 0
    reported = out.split("Outputs (each run's status.lastRun.outputs):\n", 1)[1].split("\n\n")[0]
    rows = {line.split()[0]: line for line in reported.splitlines()[1:]}
    assert set(rows) == {"deleted", "batches", "cutoff"}
    assert "integer" in rows["deleted"] and "Rows (MongoDB: documents) deleted" in rows["deleted"]
    assert out.index("Outputs") < out.index("Example 1")


def test_the_published_outputs_schema_is_the_templates_own() -> None:
    for template in installed_templates().values():
        published = build_template_object(template)["spec"]
        assert published["outputsSchema"] == template.outputs_schema(), template.name
        assert published["outputsSchema"]["type"] == "object"


def test_nested_parameters_are_dotted(capsys: pytest.CaptureFixture[str],
                                      fake: FakeCluster) -> None:
    _, out, _ = run(capsys, fake, "templates", "email-notification")
    assert "  smtp.host " in out and "  smtp.password " in out
    assert "smtp.password.secretRef" not in out


def test_json_is_the_object(capsys: pytest.CaptureFixture[str], fake: FakeCluster) -> None:
    _, out, _ = run(capsys, fake, "templates", "heartbeat", "-o", "json")
    assert json.loads(out)["kind"] == "DynamicJobTemplate"


def test_an_unknown_template_lists_the_known_ones(capsys: pytest.CaptureFixture[str],
                                                  fake: FakeCluster) -> None:
    code, _, err = run(capsys, fake, "templates", "nope")
    assert code == exits.NOT_FOUND
    assert "no template 'nope' in the cluster's catalogue; it has: backup, data-export" in err
