"""How often one reconcile parses the DynamicJob and its schedule (issue 7, point 2).

Counts calls of ``DynamicJob.model_validate`` and of the schedule parser (one call per
parse of an expression's fields) while the operator's code handles one DynamicJob against
an in-memory API: the first reconcile (creates everything), a reconcile of the unchanged
job (a resync pass or a watch event), and the resync's missed-run check after it.

    .venv/bin/python -m benchmarks.parse_counts
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from job_operator.controller.reconcile import reconcile
from job_operator.runs.missed import record_missed_run
from job_operator.schedule import _checked as schedule_cache
from job_operator.schedule import parse as schedule_parse
from job_operator.settings import Settings
from job_runner.api import DynamicJob
from tests.unit.fakes import FakeKube

NOW = datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC)
SETTINGS = Settings.from_env({})


def _body() -> dict[str, Any]:
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1},
        "spec": {"template": "heartbeat", "schedule": "*/5 * * * *",
                 "timeZone": "Europe/Berlin", "parameters": {"message": "hi"}},
    }


@contextmanager
def counting() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    model_validate = DynamicJob.model_validate
    schedule_fields = schedule_parse._parse_without_zone

    def count(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return function(*args, **kwargs)
        return counted

    with mock.patch.object(DynamicJob, "model_validate", count("DynamicJob", model_validate)), \
            mock.patch.object(schedule_parse, "_parse_without_zone",
                              count("schedule", schedule_fields)):
        yield counts


def measure() -> dict[str, dict[str, int]]:
    """From a cold start: the schedule cache is emptied first, so that the first reconcile
    shows the one parse it pays and the later ones that they pay none."""
    schedule_cache.cache_clear()
    body = _body()
    kube = FakeKube(body)
    figures = {}
    with counting() as counts:
        reconcile(body, kube, SETTINGS, NOW)
    figures["first reconcile"] = dict(counts)
    with counting() as counts:
        outcome = reconcile(body, kube, SETTINGS, NOW)
    figures["unchanged reconcile"] = dict(counts)
    assert outcome.cronjob is not None
    cronjob = {**outcome.cronjob, "metadata": {**outcome.cronjob["metadata"],
                                               "creationTimestamp": "2026-11-28T10:00:00Z"}}
    with counting() as counts:
        assert outcome.job is not None
        record_missed_run(outcome.job, body.get("status"), cronjob, kube, SETTINGS, NOW)
    figures["missed-run check"] = dict(counts)
    return figures


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
