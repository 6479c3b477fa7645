"""A stand-in kubelet for tests and development: runs pods' containers as local processes.

These machines have no container runtime, so this executor plays the node's part for pods
that select it by label: it binds each pending pod to a node named ``local-executor``,
starts the first container's command with the pod's env (values, fieldRefs, Secret keys),
gives the process a kubeconfig holding a token issued for the pod's service account (so it
has exactly the pod's RBAC) unless the pod sets ``automountServiceAccountToken: false``,
and reports the phase back, exit code, reason and termination message included. (A
process cannot have a file mounted at its terminationMessagePath, so it is told where to
write it instead, in ``DYNAMICJOBS_TERMINATION_MESSAGE_PATH``.)
A pod that is deleted (the Job's activeDeadlineSeconds, or a test) gets SIGTERM, then
SIGKILL after its grace period. Everything else, the CronJob and Job controllers, RBAC,
admission, is the real control plane.

With ``DYNAMICJOBS_POD_RUNTIME=podman`` the container runs from its image instead, with its
security context, emptyDirs, memory limit and the service-account token at the standard
path (``local_cluster.containers``); the process mode stays the default, since it needs
neither root nor a built image.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from job_runner.contract import ENV_TERMINATION_MESSAGE_PATH, TERMINATION_MESSAGE_LIMIT
from local_cluster.containers import (
    ContainerConfigError,
    PodmanRuntime,
    oom_killed,
    runtime_from_env,
)
from local_cluster.controlplane import die_with_parent
from local_cluster.node import host_address, register_node
from local_cluster.probes import ReadinessProber

NODE_NAME = "local-executor"
log = logging.getLogger("local_cluster.pod_executor")
Pod = dict[str, Any]
"""A pod as the API serves it (camelCase JSON), so missing fields are just missing keys."""
_LABEL_REF = re.compile(r"^metadata\.labels\['(.+)'\]$")


def _termination_log(workdir: Path) -> Path:
    """The file that stands for a container's terminationMessagePath: made before the
    start, writable by any user, as the kubelet makes it."""
    path = workdir / "termination-log"
    if not path.exists():
        path.touch()
        path.chmod(0o666)
    return path


def _termination_message(workdir: Path) -> str:
    """What the container wrote there, cut as the kubelet cuts it."""
    try:
        data = (workdir / "termination-log").read_bytes()[:TERMINATION_MESSAGE_LIMIT]
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_MEASUREMENT_ENV_PREFIX = "COVERAGE_"
"""coverage.py's variables are handed on from the test run, so that it also measures the
runner's processes; nothing else of the host's environment reaches a pod."""


class _ImageMissing(Exception):
    pass


@dataclass
class _Running:
    process: subprocess.Popen[bytes]
    workdir: Path
    grace: int
    deleted: bool = False
    container: str | None = None
    """The podman container's name, in the container mode."""


@dataclass
class PodExecutor:
    """Run pods matching ``label_selector`` (all namespaces) until :meth:`stop`."""

    api_client: client.ApiClient
    server: str
    ca_cert: Path
    label_selector: str = "app.kubernetes.io/managed-by=dynamicjobs-operator"
    python: str = sys.executable
    logs_dir: Path | None = None
    runtime: PodmanRuntime | None = field(default_factory=runtime_from_env)
    """None runs each container's command as a local process."""
    _running: dict[str, _Running] = field(default_factory=dict)
    _started: set[str] = field(default_factory=set)
    """The uid of every pod ever started: a kubelet runs a pod once. (A watch event older
    than the pod's exit still says Pending; a short process was started again on it.)"""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.core = client.CoreV1Api(self.api_client)
        self.address = "127.0.0.1"
        """The pods' address: the host's own in the container mode (host networking)."""

    def start(self) -> PodExecutor:
        if self.runtime is not None:
            self.address = host_address()
            register_node(self.core, NODE_NAME, self.address)
        self._thread = threading.Thread(target=self._loop, name="pod-executor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for key, running in list(self._running.items()):
            self._terminate(key, running)
            if self.runtime is not None and running.container is not None:
                self.runtime.remove(running.container)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def kill(self, namespace: str, name: str) -> bool:
        """SIGKILL a pod's process, as the kernel's OOM killer would; False if not running."""
        running = self._running.get(f"{namespace}/{name}")
        if running is None or running.process.poll() is not None:
            return False
        if self.runtime is not None and running.container is not None:
            self.runtime.kill(running.container)
        else:
            os.killpg(running.process.pid, signal.SIGKILL)
        return True

    def running_pods(self) -> list[str]:
        return [key for key, running in self._running.items() if running.process.poll() is None]

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                stream = watch.Watch().stream(
                    self.core.list_pod_for_all_namespaces,
                    label_selector=self.label_selector, timeout_seconds=5,
                )
                for event in stream:
                    self._handle(event["type"], event["object"])
                    if self._stop.is_set():
                        break
                self._reap()
            except Exception:
                log.exception("pod executor loop failed; retrying")
                time.sleep(0.5)

    def _handle(self, kind: str, obj: client.V1Pod) -> None:
        pod: Pod = self.api_client.sanitize_for_serialization(obj)
        meta, spec = pod["metadata"], pod["spec"]
        key = f"{meta['namespace']}/{meta['name']}"
        running = self._running.get(key)
        if running is not None and (kind == "DELETED" or meta.get("deletionTimestamp")):
            running.deleted = True
            self._terminate(key, running)
            return
        pending = pod.get("status", {}).get("phase") == "Pending"
        if running is None and kind in ("ADDED", "MODIFIED") and pending \
                and meta["uid"] not in self._started and not meta.get("deletionTimestamp") \
                and spec.get("nodeName") in (None, NODE_NAME):
            self._started.add(meta["uid"])
            self._launch(key, pod)
        self._reap()

    def _reap(self) -> None:
        for key, running in list(self._running.items()):
            code = running.process.poll()
            if code is None:
                continue
            del self._running[key]
            namespace, name = key.split("/", 1)
            reason = None
            if self.runtime is not None and running.container is not None:
                cidfile = running.workdir / "cid"
                if code != 0 and cidfile.exists() and oom_killed(cidfile.read_text().strip()):
                    reason = "OOMKilled"
                self.runtime.remove(running.container)
            if running.deleted:
                self._force_delete(namespace, name)
            else:
                self._report_exit(namespace, name, code, reason,
                                  _termination_message(running.workdir))

    def _launch(self, key: str, pod: Pod) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        namespace, name = meta["namespace"], meta["name"]
        try:
            if not spec.get("nodeName"):
                self.core.create_namespaced_binding(namespace, client.V1Binding(
                    metadata=client.V1ObjectMeta(name=name),
                    target=client.V1ObjectReference(kind="Node", name=NODE_NAME),
                ), _preload_content=False)
            container = spec["containers"][0]
            workdir = Path(tempfile.mkdtemp(prefix=f"pod-{name}-"))
            log_path = (self.logs_dir or workdir) / f"{namespace}_{name}.log"
            container_name = None
            if self.runtime is None:
                env = self._environment(pod, container, workdir)
                command = [self.python if part == "python" else part
                           for part in [*container.get("command", []),
                                        *container.get("args", [])]]
            else:
                container_name = f"dynamicjobs-pod-{meta['uid']}"
                command, env = self._container_command(pod, container, workdir, container_name)
            with open(log_path, "ab") as out:
                process = subprocess.Popen(command, env=env, cwd=workdir, stdout=out,
                                           stderr=subprocess.STDOUT, start_new_session=True,
                                           preexec_fn=die_with_parent)
        except ApiException as error:
            log.warning("could not start pod %s: %s", key, error.reason)
            return
        except _ImageMissing as error:
            self._report_failure(namespace, name, "ErrImageNeverPull", str(error))
            return
        except (KeyError, OSError, ContainerConfigError) as error:
            self._report_failure(namespace, name, "CreateContainerConfigError", str(error))
            return
        grace = int(spec.get("terminationGracePeriodSeconds") or 30)
        running = self._running[key] = _Running(process, workdir, grace,
                                                container=container_name)
        address = {} if container_name is None else {
            "podIP": self.address, "podIPs": [{"ip": self.address}], "hostIP": self.address}
        probe = container.get("readinessProbe") if container_name is not None else None
        started = {"running": {"startedAt": _now()}}
        self._patch_status(namespace, name, {
            "phase": "Running", "startTime": _now(), **address,
            **self._readiness(pod, started, ready=probe is None)})
        if probe is not None:
            ReadinessProber(
                probe, container, self.address,
                report=lambda ready: self._patch_status(
                    namespace, name, self._readiness(pod, started, ready)),
                alive=lambda: running.process.poll() is None and not running.deleted,
                stop=self._stop).start()

    def _readiness(self, pod: Pod, state: dict[str, Any], ready: bool) -> dict[str, Any]:
        status = self._container_status(pod, state)
        return {"conditions": [{"type": "Ready", "status": str(ready),
                                "lastTransitionTime": _now()}],
                "containerStatuses": [{**status, "ready": ready}]}

    def _environment(self, pod: Pod, container: dict[str, Any], workdir: Path) -> dict[str, str]:
        credentials = ({} if pod["spec"].get("automountServiceAccountToken") is False
                       else {"KUBECONFIG": str(self._kubeconfig(pod, workdir))})
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir),
                "TMPDIR": str(workdir), **credentials,
                ENV_TERMINATION_MESSAGE_PATH: str(_termination_log(workdir)),
                **{name: value for name, value in os.environ.items()
                   if name.startswith(_MEASUREMENT_ENV_PREFIX)},
                **self._pod_env(pod, container)}

    def _container_command(self, pod: Pod, container: dict[str, Any], workdir: Path,
                           name: str) -> tuple[list[str], dict[str, str]]:
        """``podman run`` and its environment: podman's own PATH, and the values of the
        variables it hands to the container by name."""
        assert self.runtime is not None
        image_user = self.runtime.image_user(container["image"])
        if image_user is None:
            raise _ImageMissing(f"image {container['image']} is not in podman's local storage "
                                "and the local executor never pulls: build it (./dev image)")
        volumes = {}
        for volume in pod["spec"].get("volumes", []):
            path = workdir / "volumes" / volume["name"]
            path.mkdir(parents=True)
            if "emptyDir" in volume:
                path.chmod(0o777)  # the kubelet's mode for an emptyDir
            elif "projected" in volume:
                self._write_files(pod, path, self._projected_files(pod, volume["projected"]),
                                  volume["projected"].get("defaultMode", 0o644))
            elif "secret" in volume:
                self._write_files(pod, path, self._secret_files(pod, volume["secret"]),
                                  volume["secret"].get("defaultMode", 0o644))
            else:
                continue
            volumes[volume["name"]] = path
        server = urlsplit(self.server)
        env = {**self._pod_env(pod, container),
               "KUBERNETES_SERVICE_HOST": server.hostname or "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": str(server.port or 443)}
        argv = self.runtime.run_argv(pod, name, workdir / "cid", volumes, sorted(env),
                                     image_user, _termination_log(workdir))
        return argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}

    @staticmethod
    def _write_files(pod: Pod, directory: Path, files: dict[str, bytes], mode: int) -> None:
        """A volume's files with its mode, their group the pod's fsGroup as the kubelet
        sets it, so a non-root container can read a 0440 Secret."""
        group = (pod["spec"].get("securityContext") or {}).get("fsGroup")
        for file_name, content in files.items():
            path = directory / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            path.chmod(mode)
            if group is not None:
                os.chown(path, -1, int(group))

    def _secret_files(self, pod: Pod, volume: dict[str, Any]) -> dict[str, bytes]:
        secret = self.core.read_namespaced_secret(volume["secretName"],
                                                  pod["metadata"]["namespace"])
        data = {key: base64.b64decode(value) for key, value in (secret.data or {}).items()}
        items = volume.get("items")
        return {item["path"]: data[item["key"]] for item in items} if items else data

    def _projected_files(self, pod: Pod, projected: dict[str, Any]) -> dict[str, bytes]:
        """Such as the service-account token volume that the API server's admission adds
        to every pod: the token, the cluster CA, the namespace."""
        files: dict[str, str] = {}
        for source in projected.get("sources", []):
            if "serviceAccountToken" in source:
                token = source["serviceAccountToken"]
                files[token["path"]] = self._token(
                    pod, token.get("expirationSeconds", 3600), token.get("audience"))
            elif "configMap" in source:
                config_map = self.core.read_namespaced_config_map(
                    source["configMap"]["name"], pod["metadata"]["namespace"])
                for item in source["configMap"].get("items", []):
                    files[item["path"]] = (config_map.data or {})[item["key"]]
            elif "downwardAPI" in source:
                for item in source["downwardAPI"].get("items", []):
                    files[item["path"]] = self._field(pod, item["fieldRef"]["fieldPath"])
            else:
                raise ContainerConfigError(f"projected source {sorted(source)} is not supported")
        return {path: text.encode() for path, text in files.items()}

    def _pod_env(self, pod: Pod, container: dict[str, Any]) -> dict[str, str]:
        """The container's env as the pod defines it: values, fieldRefs, Secret keys."""
        env: dict[str, str] = {}
        for var in container.get("env", []):
            source = var.get("valueFrom") or {}
            if "value" in var:
                env[var["name"]] = var["value"]
            elif "fieldRef" in source:
                env[var["name"]] = self._field(pod, source["fieldRef"]["fieldPath"])
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                secret = self.core.read_namespaced_secret(ref["name"], pod["metadata"]["namespace"])
                env[var["name"]] = base64.b64decode((secret.data or {})[ref["key"]]).decode()
        return env

    @staticmethod
    def _field(pod: Pod, path: str) -> str:
        meta, spec = pod["metadata"], pod["spec"]
        simple = {"metadata.name": meta["name"], "metadata.namespace": meta["namespace"],
                  "metadata.uid": meta["uid"], "spec.nodeName": NODE_NAME,
                  "spec.serviceAccountName": spec.get("serviceAccountName", "default")}
        if path in simple:
            return str(simple[path])
        label = _LABEL_REF.match(path)
        if label:
            return str(meta.get("labels", {}).get(label.group(1), ""))
        raise KeyError(f"fieldRef {path} is not supported by the local executor")

    def _kubeconfig(self, pod: Pod, workdir: Path) -> Path:
        """A kubeconfig with a token bound to this pod, for its service account."""
        token = self._token(pod)
        path = workdir / "kubeconfig"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "pod",
            "clusters": [{"name": "local", "cluster": {
                "server": self.server, "certificate-authority": str(self.ca_cert)}}],
            "users": [{"name": "pod", "user": {"token": token}}],
            "contexts": [{"name": "pod", "context": {
                "cluster": "local", "user": "pod", "namespace": pod["metadata"]["namespace"]}}],
        }))
        return path

    def _token(self, pod: Pod, expiration_seconds: int = 3600,
               audience: str | None = None) -> str:
        """A token bound to this pod, for its service account."""
        meta = pod["metadata"]
        request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
            audiences=[audience] if audience else [], expiration_seconds=expiration_seconds,
            bound_object_ref=client.V1BoundObjectReference(
                api_version="v1", kind="Pod", name=meta["name"], uid=meta["uid"]),
        ))
        issued = self.core.create_namespaced_service_account_token(
            pod["spec"].get("serviceAccountName", "default"), meta["namespace"], request)
        if issued.status is None:
            raise KeyError("the API server issued no service-account token")
        return str(issued.status.token)

    @staticmethod
    def _container_status(pod: Pod, state: dict[str, Any]) -> dict[str, Any]:
        container = pod["spec"]["containers"][0]
        return {"name": container["name"], "image": container["image"], "imageID": "",
                "ready": "running" in state, "restartCount": 0, "state": state}

    def _report_exit(self, namespace: str, name: str, code: int,
                     reason: str | None = None, message: str = "") -> None:
        reason = reason or ("Completed" if code == 0 else "Error")
        try:
            pod: Pod = self.api_client.sanitize_for_serialization(
                self.core.read_namespaced_pod(name, namespace))
        except ApiException:
            return
        terminated = {"exitCode": code if code >= 0 else 128 - code, "reason": reason,
                      "finishedAt": _now(), **({"message": message} if message else {})}
        self._patch_status(namespace, name, {
            "phase": "Succeeded" if code == 0 else "Failed",
            "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": _now()}],
            "containerStatuses": [self._container_status(pod, {"terminated": terminated})],
        })

    def _report_failure(self, namespace: str, name: str, reason: str, message: str) -> None:
        self._patch_status(namespace, name, {"phase": "Failed", "reason": reason,
                                             "message": message})

    def _patch_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        try:
            self.core.patch_namespaced_pod_status(name, namespace, {"status": status})
        except ApiException as error:
            log.warning("could not report pod %s/%s: %s", namespace, name, error.reason)

    def _terminate(self, key: str, running: _Running) -> None:
        if running.process.poll() is not None:
            return
        if self.runtime is not None and running.container is not None:
            self.runtime.stop(running.container, running.grace)
            running.process.wait()
            return
        os.killpg(running.process.pid, signal.SIGTERM)
        try:
            running.process.wait(timeout=running.grace)
        except subprocess.TimeoutExpired:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait()

    def _force_delete(self, namespace: str, name: str) -> None:
        try:
            self.core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
        except ApiException as error:
            if error.status != 404:
                log.warning("could not remove pod %s/%s: %s", namespace, name, error.reason)
