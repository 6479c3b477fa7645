"""A DynamicJob whose CronJob the real API server refuses ends Stalled with the server's
reason and a Warning Event (issue 8, break 5), instead of silently disappearing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from kubernetes import client

from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.waiting import wait_for

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.usefixtures("operator")


def test_a_memory_request_above_the_limit_is_stalled_with_the_api_servers_reason(
    api_client: client.ApiClient, namespace: str, kubectl: Kubectl,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("greedy", resources={"requests": {"memory": "512Mi"},
                                     "limits": {"memory": "256Mi"}})

    def stalled() -> dict | None:
        found = jobs.condition("greedy", "Stalled")
        return found if found and found["status"] == "True" else None

    condition = wait_for(stalled, timeout=60, what="greedy Stalled")
    assert condition["reason"] == "Refused"
    assert condition["message"].startswith("the API server refused CronJob/greedy: ")
    assert "must be less than or equal to memory limit" in condition["message"]
    assert jobs.cronjob("greedy") is None

    def warning() -> dict | None:
        events = json.loads(kubectl("get", "events", "-n", namespace, "-o", "json").stdout)
        return next((e for e in events["items"] if e["type"] == "Warning"
                     and e["involvedObject"]["name"] == "greedy"
                     and "refused CronJob/greedy" in e["message"]), None)

    wait_for(warning, timeout=30, what="a Warning Event about the refusal")
