"""The chart's alerts tested like code: the PrometheusRule rendered by the real helm, then
`promtool check rules` and `promtool test rules` (test_alert_rules.promtool.yaml: each
alert firing when it should, and not when it should not), with promtool built from the
Prometheus Go module pinned in local_cluster/gomod_tools/promtool/."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.test_helm_chart import REPO, Render, helm, only, render  # noqa: F401

PROMTOOL_TESTS = Path(__file__).with_name("test_alert_rules.promtool.yaml")
ALERTS = {"DynamicJobLastRunFailed", "DynamicJobRunMissed", "DynamicJobNoRecentSuccess",
          "DynamicJobStalled", "DynamicJobsOperatorDown", "DynamicJobsOperatorNoLeader",
          "DynamicJobsResyncStopped", "DynamicJobsWebhookErrors"}


@pytest.fixture(scope="session")
def promtool() -> Path:
    from local_cluster.binaries import ensure_go_tool

    # remove_all_sd leaves out the cloud service discoveries, which rule checks never use:
    # a cold build takes about 3 minutes instead of 20 on two cores.
    return ensure_go_tool("promtool", "github.com/prometheus/prometheus/cmd/promtool",
                          tags="remove_all_sd")


def _rules(render: Render, *args: str) -> dict[str, Any]:  # noqa: F811
    rule = only(render("--set", "metrics.prometheusRule.enabled=true", *args),
                "PrometheusRule")
    return {"groups": rule["spec"]["groups"]}


def _promtool(promtool: Path, *args: str, cwd: Path) -> str:
    result = subprocess.run([str(promtool), *args], cwd=cwd, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_rules_pass_promtool_check(render: Render, promtool: Path,  # noqa: F811
                                       tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(_rules(render)))
    out = _promtool(promtool, "check", "rules", "rules.yaml", cwd=tmp_path)
    assert f"SUCCESS: {len(ALERTS)} rules found" in out


def test_every_alert_behaves_as_its_unit_tests_say(render: Render, promtool: Path,  # noqa: F811
                                                   tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(_rules(render)))
    shutil.copy(PROMTOOL_TESTS, tmp_path / "tests.yaml")
    tested = set(re.findall(r"alertname: (\w+)", PROMTOOL_TESTS.read_text()))
    assert tested == ALERTS, "each alert needs a promtool unit test"
    out = _promtool(promtool, "test", "rules", "tests.yaml", cwd=tmp_path)
    assert "SUCCESS" in out


def test_every_alert_has_a_summary_a_description_and_a_runbook_section(
        render: Render) -> None:  # noqa: F811
    rules = [rule for group in _rules(render)["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} == ALERTS
    headings = {
        re.sub(r"[^a-z0-9-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
        for line in (REPO / "docs" / "observability.md").read_text().splitlines()
        if line.startswith("#")}
    for rule in rules:
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], rule["alert"]
        anchor = annotations["runbook_url"].rsplit("#", 1)[1]
        assert anchor == rule["alert"].lower() and anchor in headings, rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")


def test_thresholds_and_labels_come_from_values(render: Render) -> None:  # noqa: F811
    rules = _rules(render, "--set", "metrics.prometheusRule.noSuccessIntervals=3",
                   "--set", "metrics.prometheusRule.noSuccessGraceSeconds=60",
                   "--set", "metrics.prometheusRule.additionalLabels.team=platform",
                   "--set", "metrics.prometheusRule.runbookBaseUrl=https://wiki.example/dj")
    by_name = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert "* 3 + 60" in by_name["DynamicJobNoRecentSuccess"]["expr"]
    assert all(rule["labels"]["team"] == "platform" for rule in by_name.values())
    assert by_name["DynamicJobStalled"]["annotations"]["runbook_url"] == \
        "https://wiki.example/dj#dynamicjobstalled"
