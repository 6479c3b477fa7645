"""The three legacy jobs migrated, on the local control plane against FerretDB.

The legacy definitions go through `dynamicjobs migrate`'s converter with --shadow, the
manifests are applied, the schedules fire (the real CronJob controller, the pod executor,
the runner) and each job records a dry run: nothing is deleted, and the plan says how
many documents each cleanup would delete. Cut-over (dryRun: false, as values.yaml does)
then deletes exactly those documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubernetes import client

from job_operator.migration.convert import MIGRATION_LABEL, convert
from job_operator.migration.legacy import LegacyFile
from local_cluster.pod_executor import PodExecutor
from tests.backends.mongo import FerretServer
from tests.kube.dynamicjobs import GROUP, PLURAL, VERSION, DynamicJobs
from tests.kube.fixtures import scratch_namespace
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.usefixtures("operator", "pod_executor")
RUN_TIMEOUT = 240
DATABASE = "support"
NOW = datetime.now(UTC)
EVERY_MINUTE = {"minute": "*"}


def legacy_file(ferretdb: FerretServer) -> LegacyFile:
    """The legacy add_job calls, their cron triggers made to fire every minute."""
    connection = {"driver": "mongodb", "host": ferretdb.host, "port": ferretdb.port,
                  "database": DATABASE, "tls": "disable"}
    return LegacyFile.model_validate({"jobs": [
        {"id": "test_scheduler", "trigger": "interval", "trigger_args": {"minutes": 1},
         "template": "heartbeat", "parameters": {"message": "was test_scheduler"}},
        {"id": "data_cleanup", "trigger": "cron", "trigger_args": EVERY_MINUTE,
         "kwargs": {"collection": "records", "days": 90}, "template": "database-cleanup",
         "parameters": {"connection": connection, "table": {"fromKwarg": "collection"},
                        "timestampColumn": "created_at", "olderThanDays": {"fromKwarg": "days"},
                        "batchSize": 7}},
        {"id": "auto_delete_resolved_tickets", "trigger": "cron", "trigger_args": EVERY_MINUTE,
         "kwargs": {"days": 30}, "template": "database-cleanup",
         "parameters": {"connection": connection, "table": "tickets",
                        "timestampColumn": "resolved_at", "olderThanDays": {"fromKwarg": "days"},
                        "where": {"status": "resolved"}}},
    ]})


def seed(database: Any) -> None:
    """Ages far from each cutoff, so the plan and the run a minute later agree."""
    database.records.insert_many(
        [{"n": n, "created_at": NOW - timedelta(days=200 + n)} for n in range(23)]
        + [{"n": n, "created_at": NOW - timedelta(days=10)} for n in range(23, 40)])
    database.tickets.insert_many(
        [{"n": n, "status": "resolved", "resolved_at": NOW - timedelta(days=60)}
         for n in range(11)]
        + [{"n": n, "status": "resolved", "resolved_at": NOW - timedelta(days=2)}
           for n in range(11, 20)]
        + [{"n": n, "status": "open", "resolved_at": NOW - timedelta(days=90)}
           for n in range(20, 25)])


@pytest.fixture(scope="module")
def support_db(ferretdb_server: FerretServer) -> Iterator[Any]:
    with ferretdb_server.client() as mongo:
        mongo.drop_database(DATABASE)
        seed(mongo[DATABASE])
        yield mongo[DATABASE]
        mongo.drop_database(DATABASE)


@pytest.fixture(scope="module")
def migrated(api_client: client.ApiClient, operator: Any, pod_executor: PodExecutor,
             ferretdb_server: FerretServer, support_db: Any) -> Iterator[DynamicJobs]:
    conversion = convert(legacy_file(ferretdb_server), shadow=True)
    assert not conversion.refusals
    with scratch_namespace(api_client, "migration") as namespace:
        jobs = DynamicJobs(api_client, namespace)
        for body in conversion.manifests:
            body["metadata"]["namespace"] = namespace
            jobs.api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
        yield jobs


def finished_runs(jobs: DynamicJobs, name: str, *, dry_run: bool) -> list[dict[str, Any]]:
    runs = jobs.get(name).get("status", {}).get("recentRuns", [])
    return [run for run in runs if run.get("result") in ("Succeeded", "Failed")
            and bool(run.get("dryRun")) == dry_run]


def first_run(jobs: DynamicJobs, name: str, *, dry_run: bool) -> dict[str, Any]:
    runs = wait_for(lambda: finished_runs(jobs, name, dry_run=dry_run), timeout=RUN_TIMEOUT,
                    what=f"a finished {'dry' if dry_run else 'real'} run of {name}")
    return min(runs, key=lambda run: run["startedAt"])


def test_shadow_runs_delete_nothing_and_cut_over_deletes_what_they_planned(
    migrated: DynamicJobs, support_db: Any, api_client: client.ApiClient
) -> None:
    listed = migrated.api.list_namespaced_custom_object(
        GROUP, VERSION, migrated.namespace, PLURAL, label_selector=MIGRATION_LABEL)["items"]
    assert sorted(job["metadata"]["name"] for job in listed) == [
        "auto-delete-resolved-tickets", "data-cleanup", "test-scheduler"]
    cronjob = wait_for(lambda: migrated.cronjob("test-scheduler"), timeout=60,
                       what="test-scheduler's CronJob")
    assert cronjob.spec.schedule == "@every 1m"

    plans = {name: first_run(migrated, name, dry_run=True)
             for name in ("data-cleanup", "auto-delete-resolved-tickets", "test-scheduler")}
    assert all(run["result"] == "Succeeded" for run in plans.values()), plans
    assert plans["data-cleanup"]["outputs"]["wouldDelete"] == 23
    assert plans["auto-delete-resolved-tickets"]["outputs"]["wouldDelete"] == 11
    assert plans["test-scheduler"]["outputs"]["wouldBeat"] is True
    assert support_db.records.count_documents({}) == 40, "a shadow run deleted records"
    assert support_db.tickets.count_documents({}) == 25, "a shadow run deleted tickets"

    for name in plans:
        migrated.patch_spec(name, dryRun=False)
    for name in ("data-cleanup", "auto-delete-resolved-tickets"):
        run = first_run(migrated, name, dry_run=False)
        assert run["result"] == "Succeeded", run
        assert run["outputs"]["deleted"] == plans[name]["outputs"]["wouldDelete"]
    assert first_run(migrated, "test-scheduler", dry_run=False)["result"] == "Succeeded"
    assert support_db.records.count_documents({}) == 40 - 23
    assert support_db.tickets.count_documents({}) == 25 - 11
    assert support_db.tickets.count_documents({"status": "open"}) == 5
