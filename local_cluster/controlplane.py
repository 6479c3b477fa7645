"""Start etcd, kube-apiserver and kube-controller-manager on loopback, and stop them.

Everything lives in one work directory: data, certificates, kubeconfigs, an audit log of
write requests and each component's log. On a clean stop the directory is removed unless
the caller asked to keep it; when a component failed, its logs are kept and named.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from local_cluster.binaries import Binaries, ensure_binaries
from local_cluster.kubeconfig import write_kubeconfig
from local_cluster.pki import CertificateAuthority, KeyPair, service_account_keys

CONTROLLERS = (
    "cronjob-controller",
    "job-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "ttl-after-finished-controller",
    "clusterrole-aggregation-controller",
    # The chart's operator Deployment, and its webhook Service routed through EndpointSlices
    # (there is no kube-proxy: the API server resolves Services to endpoints itself).
    "deployment-controller",
    "replicaset-controller",
    "endpointslice-controller",
)
PR_SET_PDEATHSIG = 1
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
OPERATOR_USER = "dynamicjobs-operator"
"""The client-certificate user the operator runs as in dev runs, tests and benchmarks."""
OPERATOR_SERVICE_ACCOUNT = "system:serviceaccount:dynamicjobs:dynamicjobs"
"""The operator as the chart deploys it (release and namespace ``dynamicjobs``): the load
benchmark runs it so, with the chart's RBAC."""
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "Metadata", "verbs": list(WRITE_VERBS)},
        # The operator's reads too, so that benchmarks can count its requests per job.
        {"level": "Metadata", "users": [OPERATOR_USER, OPERATOR_SERVICE_ACCOUNT],
         "verbs": ["get", "list", "watch"]},
        {"level": "None"},
    ],
}


class ControlPlaneError(RuntimeError):
    """A component did not start or become healthy; the message names the kept logs."""


def die_with_parent() -> None:
    """In a child before exec: be killed when the process that started it dies, even by
    SIGKILL, so no etcd or API server outlives a killed test run or dev run (Linux). A clean
    stop still goes through :meth:`ControlPlane.stop`, one SIGTERM at a time; this is only
    for an owner that is gone, when an API server without its etcd would hang in shutdown."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


_HANDED_OUT: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port free now, for a server to listen on a moment later.

    Chosen below the kernel's ephemeral range: a port from ``bind(0)`` is an ephemeral
    one, and any outgoing connection (the many to the API server) may be given it before
    the server binds, which then fails with "Address already in use"."""
    low = _ephemeral_low()
    for _ in range(500):
        port = random.randrange(20000, max(20001, low))  # noqa: S311 - not a secret
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class _Component:
    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
                env={**os.environ, "TZ": "UTC"},
            )

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, grace: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class ControlPlane:
    """A running (or startable) local control plane.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``kubeconfig`` is the
    admin's (group system:masters); :meth:`user_kubeconfig` makes one for any other user.
    """

    workdir: Path | None = None
    keep_workdir: bool = False
    binaries: Binaries | None = None
    startup_timeout: float = 120.0
    api_port: int = field(default_factory=free_port)
    _components: list[_Component] = field(default_factory=list)
    _failed: bool = False
    _made_workdir: bool = False

    def pids(self) -> dict[str, int]:
        """Each running component's process id, by name (for benchmarks to read its CPU)."""
        return {component.name: component.process.pid for component in self._components
                if component.process is not None and component.process.poll() is None}

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    @property
    def kubeconfig(self) -> Path:
        return self._dir / "admin.kubeconfig"

    @property
    def audit_log(self) -> Path:
        return self._dir / "logs" / "audit.log"

    @property
    def ca_cert(self) -> Path:
        return self._dir / "pki" / "ca.crt"

    @property
    def _dir(self) -> Path:
        assert self.workdir is not None, "start() first"
        return self.workdir

    def start(self) -> ControlPlane:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="dynamicjobs-cp-"))
            self._made_workdir = True
        binaries = self.binaries or ensure_binaries()
        for sub in ("pki", "logs", "etcd"):
            (self._dir / sub).mkdir(parents=True, exist_ok=True)
        try:
            self._start_all(binaries)
        except BaseException:
            self._failed = True
            self.stop()
            raise
        return self

    def _start_all(self, binaries: Binaries) -> None:
        pki = self._dir / "pki"
        self._ca = CertificateAuthority(pki)
        serving = self._ca.issue(
            "apiserver",
            "kube-apiserver",
            dns_names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"),
            ip_addresses=("127.0.0.1", "10.0.0.1"),
        )
        admin = self._ca.issue("admin", "local-admin", organizations=("system:masters",))
        manager = self._ca.issue("controller-manager", "system:kube-controller-manager")
        sa_keys = service_account_keys(pki)
        write_kubeconfig(
            self.kubeconfig, server=self.server, ca_cert=self.ca_cert, client=admin,
            user="local-admin", context="dynamicjobs-local",
        )
        manager_config = write_kubeconfig(
            self._dir / "controller-manager.kubeconfig", server=self.server,
            ca_cert=self.ca_cert, client=manager, user="system:kube-controller-manager",
            context="dynamicjobs-local",
        )
        etcd_port, peer_port = free_port(), free_port()
        etcd = self._component("etcd", [
            str(binaries.etcd),
            "--name=local", f"--data-dir={self._dir / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
            f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=local=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync", "--log-level=warn",
        ])
        etcd.start()
        self._wait_http(etcd, f"http://127.0.0.1:{etcd_port}/health", None)
        policy = self._dir / "audit-policy.json"
        policy.write_text(json.dumps(AUDIT_POLICY))
        apiserver = self._component("kube-apiserver", [
            str(binaries.kube_apiserver),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={self.api_port}",
            f"--tls-cert-file={serving.cert}", f"--tls-private-key-file={serving.key}",
            f"--client-ca-file={self.ca_cert}",
            "--authorization-mode=RBAC",
            f"--service-account-key-file={sa_keys.cert}",
            f"--service-account-signing-key-file={sa_keys.key}",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            "--service-cluster-ip-range=10.0.0.0/24",
            f"--audit-policy-file={policy}", f"--audit-log-path={self.audit_log}",
            "--audit-log-format=json", "--profiling=false", f"--cert-dir={pki}",
            "--endpoint-reconciler-type=none",
            "--enable-aggregator-routing=true",
        ])
        apiserver.start()
        self._wait_http(apiserver, f"{self.server}/readyz", admin)
        manager_port = free_port()
        controller_manager = self._component("kube-controller-manager", [
            str(binaries.kube_controller_manager),
            f"--kubeconfig={manager_config}",
            f"--authentication-kubeconfig={manager_config}",
            f"--authorization-kubeconfig={manager_config}",
            "--bind-address=127.0.0.1", f"--secure-port={manager_port}",
            f"--controllers={','.join(CONTROLLERS)}",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={sa_keys.key}",
            f"--root-ca-file={self.ca_cert}",
            "--leader-elect=false", "--profiling=false",
        ])
        controller_manager.start()
        self._wait_http(controller_manager, f"https://127.0.0.1:{manager_port}/healthz", None)

    def _component(self, name: str, command: list[str]) -> _Component:
        component = _Component(name, command, self._dir / "logs" / f"{name}.log")
        self._components.append(component)
        return component

    def _wait_http(self, component: _Component, url: str, client: KeyPair | None) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if client is not None:
            context.load_cert_chain(str(client.cert), str(client.key))
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = component.exited()
            if code is not None:
                raise ControlPlaneError(
                    f"{component.name} exited with {code}; see {component.log}:\n"
                    + _tail(component.log)
                )
            try:
                with urllib.request.urlopen(url, context=context, timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError) as error:
                last_error = str(error)
            time.sleep(0.2)
        raise ControlPlaneError(
            f"{component.name} not healthy at {url} after {self.startup_timeout:.0f}s "
            f"({last_error}); see {component.log}:\n" + _tail(component.log)
        )

    def user_kubeconfig(self, user: str, groups: tuple[str, ...] = ()) -> Path:
        """A kubeconfig that authenticates as ``user`` in ``groups`` by client certificate."""
        stem = "user-" + "".join(c if c.isalnum() else "-" for c in user)
        pair = self._ca.issue(stem, user, organizations=groups)
        return write_kubeconfig(
            self._dir / f"{stem}.kubeconfig", server=self.server, ca_cert=self.ca_cert,
            client=pair, user=user, context="dynamicjobs-local",
        )

    def issue_serving_cert(self, stem: str, directory: Path) -> KeyPair:
        """A certificate for a server on 127.0.0.1 that the API server will trust (a webhook)."""
        pair = self._ca.issue(stem, f"{stem}.local", dns_names=("localhost",),
                              ip_addresses=("127.0.0.1",))
        moved = KeyPair(cert=directory / pair.cert.name, key=directory / pair.key.name)
        pair.cert.replace(moved.cert)
        pair.key.replace(moved.key)
        return moved

    def stop(self) -> None:
        failed = self._failed or any(
            c.exited() not in (None, 0) for c in self._components
        )
        for component in reversed(self._components):
            component.stop()
        self._components.clear()
        if self.workdir is None:
            return
        if failed:
            print(f"control plane logs kept in {self._dir / 'logs'}", flush=True)
        elif self._made_workdir and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            self._failed = True
        self.stop()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
