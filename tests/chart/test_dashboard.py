"""The Grafana dashboard: generated from Python and current, and every query names only
series the operator exports (compared against its registry, with a DynamicJob in it)."""

from __future__ import annotations

import json
import re
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric

from job_operator.metrics import REGISTRY
from job_operator.metrics.dashboard import DASHBOARD_FILE, main
from job_operator.metrics.jobs import JobCollector, RunTally

SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
            "gauge": ("",), "summary": ("", "_sum", "_count")}


def _exported() -> set[str]:
    """Every series name the operator exports: its registry, plus the per-job series of a
    collector given one DynamicJob with a full status."""
    jobs = CollectorRegistry()
    collector = JobCollector(RunTally())
    jobs.register(collector)
    collector.attach(lambda: [{
        "metadata": {"namespace": "n", "name": "j", "creationTimestamp": "2026-12-01T00:00:00Z"},
        "spec": {"template": "heartbeat"},
        "status": {"lastRun": {"id": "r", "result": "Succeeded",
                               "startedAt": "2026-12-01T01:00:00Z"},
                   "lastSuccessfulTime": "2026-12-01T01:00:01Z",
                   "lastFailureTime": "2026-12-01T00:00:01Z",
                   "lastMissedTime": "2026-11-30T00:00:00Z",
                   "schedule": {"nextRuns": ["2026-12-02T01:00:00Z", "2026-12-03T01:00:00Z"]}},
    }])
    families: list[Metric] = [*REGISTRY.collect(), *jobs.collect()]
    return {f"{family.name}{suffix}" for family in families
            for suffix in SUFFIXES.get(family.type, ("",))}


def _queries(dashboard: dict[str, Any]) -> list[str]:
    panels = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    variables = [v["query"]["query"] for v in dashboard["templating"]["list"]
                 if isinstance(v.get("query"), dict)]
    return panels + variables


def test_the_dashboard_file_is_the_generated_one() -> None:
    assert main(["--check"]) == 0, "run python -m job_operator.metrics.dashboard"


def test_every_query_names_only_exported_series() -> None:
    dashboard = json.loads(DASHBOARD_FILE.read_text())
    exported = _exported()
    for query in _queries(dashboard):
        named = set(re.findall(r"\b(?:dynamicjobs|process)_[a-z_]+\b", query))
        assert named, f"a query without our series: {query}"
        assert named <= exported, f"not exported: {named - exported} in {query}"


def test_panels_do_not_overlap_and_have_unique_ids() -> None:
    dashboard = json.loads(DASHBOARD_FILE.read_text())
    cells = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
