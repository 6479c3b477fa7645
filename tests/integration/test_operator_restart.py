"""A restarted operator with unchanged DynamicJobs makes no write at all (audit log)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from kubernetes import client

from local_cluster.audit import audited_writes
from local_cluster.controlplane import ControlPlane
from local_cluster.devrun import OPERATOR_USER
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.waiting import wait_for

JOB_COUNT = 5
WATCHED = {"dynamicjobs", "cronjobs", "serviceaccounts", "roles", "rolebindings", "events",
           "dynamicjobtemplates", "jobs"}


def test_restart_with_unchanged_jobs_makes_no_writes(
    operator: OperatorProcess, control_plane: ControlPlane, api_client: client.ApiClient,
    namespace: str,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    names = [f"steady-{i}" for i in range(JOB_COUNT)]
    for index, name in enumerate(names):
        jobs.create(name, schedule=f"{index} 4 * * *", parameters={"message": name})
    wait_for(lambda: all(jobs.is_settled(n) for n in names), timeout=90,
             what="all Ready and handled")

    operator.stop()
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    offset = len(operator.log_text())
    operator.start()

    def first_pass_done() -> bool:
        passes = re.findall(r"resync: checked (\d+) DynamicJobs", operator.log_text()[offset:])
        return any(int(count) >= JOB_COUNT for count in passes)

    wait_for(first_pass_done, timeout=90, what="the restarted operator's first resync pass")
    writes = [w for w in audited_writes(control_plane.audit_log, user=OPERATOR_USER, since=since)
              if w.resource in WATCHED and w.namespace in (namespace, "")]
    assert writes == []
    creation = [w for w in audited_writes(control_plane.audit_log, user=OPERATOR_USER)
                if w.namespace == namespace and w.resource == "cronjobs"]
    assert len(creation) == JOB_COUNT, "the audit log should show the operator's first writes"
    assert all(jobs.is_ready(n) for n in names)


def test_a_cronjob_deleted_while_the_operator_was_down_is_back_at_its_first_pass(
    operator: OperatorProcess, api_client: client.ApiClient, namespace: str,
) -> None:
    jobs = DynamicJobs(api_client, namespace)
    jobs.create("orphaned", schedule="0 4 * * *")
    wait_for(lambda: jobs.is_settled("orphaned"), timeout=90, what="orphaned Ready and handled")

    operator.stop()
    client.BatchV1Api(api_client).delete_namespaced_cron_job("orphaned", namespace)
    wait_for(lambda: jobs.cronjob("orphaned") is None, timeout=30, what="the CronJob gone")
    operator.start()

    wait_for(lambda: jobs.cronjob("orphaned") is not None, timeout=60,
             what="the restarted operator to recreate the CronJob")
    assert jobs.is_ready("orphaned")
