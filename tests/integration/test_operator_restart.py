"""A restarted operator with unchanged DynamicJobs makes no write at all (audit log)."""

from __future__ import annotations

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

    def resumed_and_resynced() -> bool:
        log = operator.log_text()[offset:]
        resumed = sum(f"[{namespace}/{n}] Handler 'reconcile_dynamicjob' succeeded" in log
                      for n in names)
        return resumed == JOB_COUNT and "resync: checked" in log

    wait_for(resumed_and_resynced, timeout=90, what="the operator to resume and resync")
    writes = [w for w in audited_writes(control_plane.audit_log, user=OPERATOR_USER, since=since)
              if w.resource in WATCHED and w.namespace in (namespace, "")]
    assert writes == []
    creation = [w for w in audited_writes(control_plane.audit_log, user=OPERATOR_USER)
                if w.namespace == namespace and w.resource == "cronjobs"]
    assert len(creation) == JOB_COUNT, "the audit log should show the operator's first writes"
    assert all(jobs.is_ready(n) for n in names)
