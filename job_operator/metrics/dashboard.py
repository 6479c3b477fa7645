"""The Grafana dashboard, built from Python: ``python -m job_operator.metrics.dashboard
[--check]`` writes ``helm/dynamicjobs/dashboards/dynamicjobs.json`` (the chart's dashboard
ConfigMap serves it), or with ``--check`` fails when the file is out of date.

A builder of our own (a few dataclasses that emit Grafana's dashboard JSON, schema
version 39) rather than a library: grafanalib (0.7.1, January 2024) would resolve, but it
is not among the project's locked dependencies, and fifteen panels do not need it. Each
panel's queries name only series this operator exports, which a test checks against the
registry.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DASHBOARD_FILE = (Path(__file__).resolve().parents[2] / "helm" / "dynamicjobs" / "dashboards"
                  / "dynamicjobs.json")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
JOB_FILTER = 'namespace=~"$namespace", name=~"$job"'
WIDTH = 24


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    queries: tuple[Query, ...]
    kind: str = "timeseries"
    unit: str = "short"
    width: int = 12
    height: int = 8
    overrides: dict[str, Any] = field(default_factory=dict)

    def to_json(self, panel_id: int, x: int, y: int) -> dict[str, Any]:
        panel: dict[str, Any] = {
            "id": panel_id, "type": self.kind, "title": self.title,
            "description": self.description, "datasource": DATASOURCE,
            "gridPos": {"x": x, "y": y, "w": self.width, "h": self.height},
            "fieldConfig": {"defaults": {"unit": self.unit, **self.overrides},
                            "overrides": []},
            "targets": [
                {"refId": chr(ord("A") + index), "datasource": DATASOURCE,
                 "expr": query.expr, "legendFormat": query.legend, "instant": query.instant,
                 "range": not query.instant}
                for index, query in enumerate(self.queries)],
        }
        if self.kind == "table":
            panel["transformations"] = [{"id": "merge", "options": {}}]
        return panel


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
            "query": {"query": query, "refId": name}, "refresh": 2, "includeAll": True,
            "multi": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"},
            "sort": 1}


@dataclass(frozen=True)
class Dashboard:
    title: str
    uid: str
    panels: tuple[Panel, ...]

    def to_json(self) -> dict[str, Any]:
        laid_out, x, y, row_height = [], 0, 0, 0
        for panel_id, panel in enumerate(self.panels, start=1):
            if x + panel.width > WIDTH:
                x, y, row_height = 0, y + row_height, 0
            laid_out.append(panel.to_json(panel_id, x, y))
            x, row_height = x + panel.width, max(row_height, panel.height)
        return {
            "uid": self.uid, "title": self.title, "tags": ["dynamicjobs", "kubernetes"],
            "schemaVersion": 39, "version": 1, "editable": True, "timezone": "utc",
            "time": {"from": "now-24h", "to": "now"}, "refresh": "1m",
            "templating": {"list": [
                {"name": "datasource", "label": "Data source", "type": "datasource",
                 "query": "prometheus", "current": {}},
                _variable("namespace", "Namespace",
                          "label_values(dynamicjobs_job_info, namespace)"),
                _variable("job", "DynamicJob",
                          'label_values(dynamicjobs_job_info{namespace=~"$namespace"}, name)'),
            ]},
            "panels": laid_out,
        }


def _stat(title: str, description: str, expr: str, unit: str = "short") -> Panel:
    return Panel(title, description, (Query(expr, instant=True),), kind="stat", unit=unit,
                 width=4, height=4)


def dashboard() -> Dashboard:
    jobs = f"{{{JOB_FILTER}}}"
    return Dashboard("dynamicjobs", "dynamicjobs-overview", (
        _stat("DynamicJobs", "DynamicJobs the leader reconciles.",
              f"count(dynamicjobs_job_info{jobs})"),
        _stat("Last run failed", "Jobs whose newest finished run failed.",
              f"sum(dynamicjobs_job_last_run_failed{jobs})"),
        _stat("Run missed", "Jobs with a scheduled run missed since their newest run.",
              f"sum(dynamicjobs_job_run_missed{jobs})"),
        _stat("Stalled", "Jobs the operator cannot reconcile.",
              f"sum(dynamicjobs_job_stalled{jobs})"),
        _stat("Suspended", "Jobs whose schedule is paused.",
              f"sum(dynamicjobs_job_suspended{jobs})"),
        _stat("Leader", "Operator replicas running the controllers (1 is healthy).",
              "sum(dynamicjobs_operator_leader)"),
        Panel("Runs by result", "Finished runs per hour, by result (Missed: no run started).",
              (Query(f"sum by (result) (increase(dynamicjobs_job_runs_total{jobs}[1h]))",
                     "{{result}}"),), unit="short"),
        Panel("Run duration (p50, p95) by template",
              "From the run records (start to finish, retries included).",
              (Query("histogram_quantile(0.5, sum by (le, template) "
                     "(rate(dynamicjobs_run_duration_seconds_bucket[$__rate_interval])))",
                     "p50 {{template}}"),
               Query("histogram_quantile(0.95, sum by (le, template) "
                     "(rate(dynamicjobs_run_duration_seconds_bucket[$__rate_interval])))",
                     "p95 {{template}}")), unit="s"),
        Panel("Jobs", "One row per DynamicJob: since the last success, until the next run, "
              "and its health.",
              (Query(f"time() - max by (namespace, name) "
                     f"(dynamicjobs_job_last_success_timestamp_seconds{jobs})",
                     "since last success", instant=True),
               Query(f"max by (namespace, name) (dynamicjobs_job_next_run_timestamp_seconds"
                     f"{jobs}) - time()", "until next run", instant=True),
               Query(f"max by (namespace, name) (dynamicjobs_job_degraded{jobs})",
                     "degraded", instant=True),
               Query(f"max by (namespace, name) (dynamicjobs_job_ready{jobs})", "ready",
                     instant=True)),
              kind="table", unit="s", width=24, height=10),
        Panel("Reconcile duration (p95)", "One reconcile of a DynamicJob.",
              (Query("histogram_quantile(0.95, sum by (le) "
                     "(rate(dynamicjobs_reconcile_duration_seconds_bucket[$__rate_interval])))",
                     "p95"),), unit="s", width=8),
        Panel("Resync pass duration", "One pass over every DynamicJob.",
              (Query("rate(dynamicjobs_resync_pass_duration_seconds_sum[$__rate_interval]) / "
                     "rate(dynamicjobs_resync_pass_duration_seconds_count[$__rate_interval])",
                     "{{pod}}"),), unit="s", width=8),
        Panel("Errors", "Reconcile errors and failed API requests per second.",
              (Query("sum(rate(dynamicjobs_reconcile_errors_total[$__rate_interval]))",
                     "reconcile"),
               Query("sum by (code) (rate(dynamicjobs_api_errors_total[$__rate_interval]))",
                     "API {{code}}")), unit="reqps", width=8),
        Panel("Webhook reviews by verdict", "Admission reviews answered, every replica.",
              (Query("sum by (verdict) "
                     "(rate(dynamicjobs_webhook_requests_total[$__rate_interval]))",
                     "{{verdict}}"),), unit="reqps"),
        Panel("Webhook latency (p99)", "From a complete review to its answer.",
              (Query("histogram_quantile(0.99, sum by (le) (rate("
                     "dynamicjobs_webhook_request_duration_seconds_bucket[$__rate_interval])))",
                     "p99"),), unit="s"),
    ))


def rendered() -> str:
    return json.dumps(dashboard().to_json(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail when the dashboard file is out of date")
    args = parser.parse_args(argv)
    text = rendered()
    if args.check:
        if not DASHBOARD_FILE.exists() or DASHBOARD_FILE.read_text() != text:
            print(f"{DASHBOARD_FILE} is out of date: run python -m "
                  "job_operator.metrics.dashboard", file=sys.stderr)
            return 1
        return 0
    DASHBOARD_FILE.write_text(text)
    print(f"wrote {DASHBOARD_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
