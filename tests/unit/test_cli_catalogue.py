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
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert code == 0
    assert out.startswith("webhook-trigger 1.0.0\nSends one HTTP request")
    assert "one of GET|POST|PUT|PATCH|DELETE|HEAD" in rows["method"]
    assert "string or secretRef" in rows["url"] and "yes" in rows["url"]
    assert "map of string or secretRef" in rows["headers"]
    assert "Example 1 (spec.parameters):" in out


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
