"""Readiness probes of the local pod executor, against real servers on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from local_cluster.probes import ReadinessProber, probe_once
from tests.kube.waiting import wait_for


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return int(unused.getsockname()[1])


def test_tcp_probe_passes_on_a_listening_port_by_name(http_port: int) -> None:
    container = {"ports": [{"name": "webhook", "containerPort": http_port}]}
    assert probe_once({"tcpSocket": {"port": "webhook"}}, container, "127.0.0.1")
    assert not probe_once({"tcpSocket": {"port": _closed_port()}}, container, "127.0.0.1")


def test_http_probe_passes_only_on_a_success_status(http_port: int) -> None:
    assert probe_once({"httpGet": {"path": "/healthz", "port": http_port}}, {}, "127.0.0.1")
    assert not probe_once({"httpGet": {"path": "/broken", "port": http_port}}, {}, "127.0.0.1")
    assert not probe_once({"httpGet": {"path": "/healthz", "port": _closed_port()}}, {},
                          "127.0.0.1")


def test_a_probe_naming_an_undeclared_port_says_so() -> None:
    with pytest.raises(ValueError, match="'metrics'"):
        probe_once({"tcpSocket": {"port": "metrics"}}, {"ports": []}, "127.0.0.1")


def test_the_prober_reports_ready_then_not_ready_after_the_failure_threshold() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    reports: list[bool] = []
    stop = threading.Event()
    probe = {"tcpSocket": {"port": port}, "periodSeconds": 0.05, "failureThreshold": 2}
    ReadinessProber(probe, {}, "127.0.0.1", reports.append, lambda: True, stop).start()
    try:
        wait_for(lambda: reports == [True], timeout=10, what="the pod to turn ready")
        listener.close()
        wait_for(lambda: reports == [True, False], timeout=10, what="the pod to turn unready")
    finally:
        stop.set()
        listener.close()
