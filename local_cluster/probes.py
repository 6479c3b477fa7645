"""Readiness probes for the local pod executor: ``tcpSocket`` and ``httpGet``, checked the
way a kubelet does (initial delay, period, timeout, failure and success thresholds), so a
Service routes to a pod only once its server answers."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any


def _port(value: int | str, container: Mapping[str, Any]) -> int:
    if isinstance(value, int) or value.isdigit():
        return int(value)
    for port in container.get("ports", []):
        if port.get("name") == value:
            return int(port["containerPort"])
    raise ValueError(f"the probe names port {value!r}, which the container does not declare")


def probe_once(probe: Mapping[str, Any], container: Mapping[str, Any], address: str) -> bool:
    """One check: True when the probe succeeds."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    try:
        if "tcpSocket" in probe:
            port = _port(probe["tcpSocket"]["port"], container)
            with socket.create_connection((address, port), timeout=timeout):
                return True
        if "httpGet" in probe:
            get = probe["httpGet"]
            port = _port(get["port"], container)
            if get.get("scheme", "HTTP").upper() == "HTTPS":
                unverified = ssl._create_unverified_context()  # noqa: S323 (as the kubelet)
                connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                    address, port, timeout=timeout, context=unverified)
            else:
                connection = http.client.HTTPConnection(address, port, timeout=timeout)
            try:
                connection.request("GET", get.get("path", "/"))
                return 200 <= connection.getresponse().status < 400
            finally:
                connection.close()
    except (OSError, http.client.HTTPException):
        return False
    raise ValueError("only tcpSocket and httpGet readiness probes are supported")


class ReadinessProber:
    """Checks one container's readiness probe in a thread, calling ``report(ready)`` on each
    change, until ``stop`` is set or ``alive()`` turns False."""

    def __init__(self, probe: Mapping[str, Any], container: Mapping[str, Any], address: str,
                 report: Callable[[bool], None], alive: Callable[[], bool],
                 stop: threading.Event) -> None:
        self.probe, self.container, self.address = probe, container, address
        self.report, self.alive, self.stop = report, alive, stop
        self.thread = threading.Thread(target=self._run, name="readiness", daemon=True)

    def start(self) -> ReadinessProber:
        self.thread.start()
        return self

    def _run(self) -> None:
        period = float(self.probe.get("periodSeconds") or 10)
        to_fail = int(self.probe.get("failureThreshold") or 3)
        to_pass = int(self.probe.get("successThreshold") or 1)
        ready, streak = False, 0
        if self.stop.wait(float(self.probe.get("initialDelaySeconds") or 0)):
            return
        while self.alive() and not self.stop.is_set():
            passed = probe_once(self.probe, self.container, self.address)
            streak = streak + 1 if passed != ready else 0
            if streak >= (to_pass if passed else to_fail):
                ready, streak = passed, 0
                self.report(ready)
            if self.stop.wait(period):
                return
