"""The operator as a real subprocess, started and stopped by tests."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from local_cluster.controlplane import ControlPlane, die_with_parent, free_port
from local_cluster.devrun import operator_environment
from tests.kube.waiting import wait_for

FAST_LEASE = {"DYNAMICJOBS_LEASE_SECONDS": "6", "DYNAMICJOBS_LEASE_RENEW_DEADLINE_SECONDS": "4",
              "DYNAMICJOBS_LEASE_RETRY_SECONDS": "1"}
"""Lease timings that make a failover take seconds, not the chart's default quarter minute."""


class OperatorProcess:
    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.log = log
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        self.liveness_port = 0
        self.metrics_port = 0

    def start(self) -> None:
        self.liveness_port = free_port()
        self.metrics_port = free_port()
        self.env = {**self.env, "DYNAMICJOBS_METRICS_PORT": str(self.metrics_port),
                    "DYNAMICJOBS_METRICS_ADDRESS": "127.0.0.1"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "job_operator",
                 f"--liveness=http://127.0.0.1:{self.liveness_port}/healthz", *self.args],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        wait_for(self._alive, timeout=90, what=f"the operator to be alive (log: {self.log})")

    def _alive(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the operator exited; log:\n{self.log.read_text()[-4000:]}")
        url = f"http://127.0.0.1:{self.liveness_port}/healthz"
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)

    def metrics(self) -> str:
        """The text of its ``/metrics`` (served by every replica, leader or not)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as answer:
            return str(answer.read().decode())

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as when a node dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def elected_replica(control_plane: ControlPlane, namespace: str, lease: str, name: str,
                    workdir: Path) -> OperatorProcess:
    """A replica (not started) that watches ``namespace`` and runs its controllers only
    while it holds ``lease`` there; its identity starts with ``name``."""
    workdir.mkdir()
    env = {**os.environ, **operator_environment(control_plane, workdir), **FAST_LEASE,
           "DYNAMICJOBS_LEASE_NAME": lease, "DYNAMICJOBS_LEASE_NAMESPACE": namespace,
           "POD_ID": name, "DYNAMICJOBS_DRIFT_CHECK_SECONDS": "5"}
    return OperatorProcess(env, workdir / "operator.log", args=(f"--namespace={namespace}",))
