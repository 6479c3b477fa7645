"""The chart's monitoring parts: off by default, each on by its value, objects that fit
together (the ServiceMonitor selects the metrics Service, which targets the pods' metrics
port), and the operator's metrics port and log format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.chart.test_helm_chart import (  # noqa: F401
    CHART,
    KUBE_VERSION,
    Render,
    helm,
    of_kind,
    only,
    render,
    run_helm,
)

MONITORING = CHART / "ci" / "monitoring-values.yaml"


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return only(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def _env(objects: list[dict[str, Any]]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in _container(objects)["env"]}


def test_every_part_is_off_by_default_but_metrics_are_served(render: Render) -> None:  # noqa: F811
    objects = render()
    assert of_kind(objects, "ServiceMonitor") == of_kind(objects, "PrometheusRule") == []
    assert not [o for o in of_kind(objects, "Service") if o["metadata"]["name"].endswith(
        "-metrics")]
    assert not [o for o in of_kind(objects, "ConfigMap")
                if (o["metadata"].get("labels") or {}).get("grafana_dashboard")]
    env = _env(objects)
    assert (env["DYNAMICJOBS_METRICS_PORT"], env["DYNAMICJOBS_LOG_FORMAT"]) == ("8000", "text")
    ports = {p["name"]: p["containerPort"] for p in _container(objects)["ports"]}
    assert ports["metrics"] == 8000


def test_the_service_monitor_scrapes_the_metrics_port_of_every_replica(
        render: Render) -> None:  # noqa: F811
    objects = render("-f", str(MONITORING))
    service = only([o for o in of_kind(objects, "Service")
                    if o["metadata"]["name"].endswith("-metrics")], "Service")
    kubernetes_validate.validate(service, KUBE_VERSION, strict=True)
    monitor = only(objects, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selected = monitor["spec"]["selector"]["matchLabels"]
    assert selected.items() <= service["metadata"]["labels"].items()
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"] == "metrics"
    assert endpoint["honorLabels"] is True and endpoint["path"] == "/metrics"
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"
    pod_labels = only(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert _env(objects)["DYNAMICJOBS_LOG_FORMAT"] == "json"


def test_a_service_monitor_alone_brings_its_service(render: Render) -> None:  # noqa: F811
    objects = render("--set", "metrics.serviceMonitor.enabled=true")
    assert [o["metadata"]["name"] for o in of_kind(objects, "Service")
            if o["metadata"]["name"].endswith("-metrics")] == ["rel-dynamicjobs-metrics"]


def test_the_dashboard_config_map_carries_the_generated_dashboard(render: Render) -> None:  # noqa: F811
    objects = render("-f", str(MONITORING))
    dashboard = only([o for o in of_kind(objects, "ConfigMap")
                      if (o["metadata"].get("labels") or {}).get("grafana_dashboard")],
                     "ConfigMap")
    kubernetes_validate.validate(dashboard, KUBE_VERSION, strict=True)
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["namespace"] == "monitoring"
    generated = (CHART / "dashboards" / "dynamicjobs.json").read_text()
    assert dashboard["data"]["dynamicjobs.json"] == generated.rstrip("\n")


@pytest.mark.parametrize("values", [
    ("--set", "operator.logFormat=xml"),
    ("--set", "metrics.serviceMonitor.interval=soon"),
    ("--set", "metrics.prometheusRule.webhookErrorRatio=2"),
    ("--set", "metrics.dashboard.colour=blue"),
], ids=["log-format", "interval", "ratio", "unknown-key"])
def test_the_schema_refuses_bad_monitoring_values(helm: Path, values: tuple[str, ...]) -> None:  # noqa: F811
    result = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                      *values)
    assert result.returncode != 0 and "schema" in result.stderr
