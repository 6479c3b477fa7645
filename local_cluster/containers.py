"""Runner pods as real containers, for the local pod executor: podman runs the pod's
container from its image with the pod's user, read-only root filesystem, emptyDir, Secret
and projected volumes (the service-account token), capabilities, no-new-privileges and
memory limit, the way a kubelet would.

Off unless ``DYNAMICJOBS_POD_RUNTIME=podman`` (root and Debian's podman and runc, see
docs/image.md). The image must be in podman's local storage (``./dev image``): nothing is
pulled. An OOM kill is recognised as cadvisor does on cgroup v1, from the kernel's
``oom-kill:`` record naming the container's memory cgroup.
"""

from __future__ import annotations

import errno
import json
import os
import re
import resource
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNTIME_ENV = "DYNAMICJOBS_POD_RUNTIME"
_BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL_SUFFIXES = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$")


def termination_message_path(container: Mapping[str, Any]) -> str:
    """The API server defaults it for every container; a pod read from elsewhere may lack it."""
    return str(container.get("terminationMessagePath") or "/dev/termination-log")


class ContainerConfigError(Exception):
    """The pod cannot be started as asked (the kubelet's CreateContainerConfigError)."""


def memory_bytes(quantity: str) -> int:
    found = _QUANTITY.match(quantity)
    if not found or found.group(2) == "m":
        raise ContainerConfigError(f"memory quantity {quantity!r} is not supported")
    number, suffix = float(found.group(1)), found.group(2) or ""
    return int(number * (_BINARY_SUFFIXES.get(suffix) or _DECIMAL_SUFFIXES[suffix]))


def cpu_cores(quantity: str) -> str:
    found = _QUANTITY.match(quantity)
    if not found or found.group(2) not in (None, "m"):
        raise ContainerConfigError(f"cpu quantity {quantity!r} is not supported")
    cores = float(found.group(1)) / (1000 if found.group(2) == "m" else 1)
    return f"{cores:g}"


def _hard_limit(kind: int, ceiling: int) -> int:
    """Podman's default rlimits can exceed the hard limits, and runc then refuses to start."""
    hard = resource.getrlimit(kind)[1]
    return ceiling if hard == resource.RLIM_INFINITY else min(hard, ceiling)


def _security(pod: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, Any]:
    """The container's securityContext over the pod's, as the kubelet merges them."""
    pod_level = pod["spec"].get("securityContext") or {}
    return {**{key: pod_level[key] for key in ("runAsUser", "runAsGroup", "runAsNonRoot")
               if key in pod_level},
            **(container.get("securityContext") or {})}


@dataclass
class PodmanRuntime:
    podman: Sequence[str] = (
        "podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs",
        "--events-backend", "file")
    """runc, since crun refuses a hybrid cgroup layout; cgroupfs and a file for events,
    since there may be no systemd."""
    nofile: int = field(default_factory=lambda: _hard_limit(resource.RLIMIT_NOFILE, 65536))
    nproc: int = field(default_factory=lambda: _hard_limit(resource.RLIMIT_NPROC, 32768))

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.podman, *args], capture_output=True, text=True,
                              timeout=60, check=False)

    def image_user(self, image: str) -> str | None:
        """The image's USER, or None when podman's storage lacks the image."""
        result = self._run("image", "inspect", "--format", "{{.Config.User}}", image)
        return result.stdout.strip() if result.returncode == 0 else None

    def run_argv(self, pod: Mapping[str, Any], name: str, cidfile: Path,
                 volumes: Mapping[str, Path], env_names: Sequence[str],
                 image_user: str, termination_log: Path) -> list[str]:
        """``podman run`` for the pod's first container; env values come from the caller's
        environment (``--env NAME``), so no secret is on a command line. The file
        ``termination_log`` is mounted at the container's terminationMessagePath, writable,
        as the kubelet does."""
        container = pod["spec"]["containers"][0]
        security = _security(pod, container)
        user = security.get("runAsUser")
        group = security.get("runAsGroup")
        effective = str(user) if user is not None else image_user.split(":")[0]
        if security.get("runAsNonRoot") and effective in ("", "0", "root"):
            raise ContainerConfigError(
                "container has runAsNonRoot and image will run as root")
        argv = [*self.podman, "run", "--name", name, "--cidfile", str(cidfile),
                "--pull", "never", "--network", "host", "--hostname", pod["metadata"]["name"],
                "--ulimit", f"nofile={self.nofile}:{self.nofile}",
                "--ulimit", f"nproc={self.nproc}:{self.nproc}"]
        if user is not None:
            argv += ["--user", f"{user}:{group if group is not None else user}"]
        if security.get("readOnlyRootFilesystem"):
            argv += ["--read-only", "--read-only-tmpfs=false"]
        if security.get("allowPrivilegeEscalation") is False:
            argv += ["--security-opt", "no-new-privileges"]
        capabilities = security.get("capabilities") or {}
        argv += [f"--cap-drop={cap}" for cap in capabilities.get("drop", [])]
        argv += [f"--cap-add={cap}" for cap in capabilities.get("add", [])]
        limits = (container.get("resources") or {}).get("limits") or {}
        if "memory" in limits:
            memory = str(memory_bytes(str(limits["memory"])))
            argv += ["--memory", memory, "--memory-swap", memory]
        if "cpu" in limits:
            argv += ["--cpus", cpu_cores(str(limits["cpu"]))]
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volumes:
                raise ContainerConfigError(
                    f"volume {mount['name']!r} is not an emptyDir, projected or a Secret")
            mode = "ro" if mount.get("readOnly") else "rw"
            argv += ["--volume", f"{volumes[mount['name']]}:{mount['mountPath']}:{mode}"]
        argv += ["--volume", f"{termination_log}:{termination_message_path(container)}:rw"]
        if container.get("workingDir"):
            argv += ["--workdir", container["workingDir"]]
        for env_name in env_names:
            argv += ["--env", env_name]
        if container.get("command"):  # the pod's command replaces the image's entry point
            argv += ["--entrypoint", json.dumps(container["command"])]
        return [*argv, container["image"], *container.get("args", [])]

    def kill(self, name: str) -> None:
        self._run("kill", "--signal", "KILL", name)

    def stop(self, name: str, grace: int) -> None:
        self._run("stop", "--time", str(grace), name)

    def remove(self, name: str) -> None:
        self._run("rm", "--force", "--ignore", name)


def oom_killed(container_id: str, kmsg: Path = Path("/dev/kmsg")) -> bool:
    """Whether the kernel OOM-killed a process of the container: its ``oom-kill:`` record
    names the task's memory cgroup, which ends with the container's id."""
    if not container_id:
        return False
    marker = re.compile(rf"oom-kill:.*task_memcg=\S*{re.escape(container_id)}\b")
    descriptor = os.open(kmsg, os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                record = os.read(descriptor, 8192)
            except BlockingIOError:
                return False
            except OSError as error:
                if error.errno == errno.EPIPE:  # records were overwritten meanwhile
                    continue
                raise
            if marker.search(record.decode(errors="replace")):
                return True
    finally:
        os.close(descriptor)


def runtime_from_env(environ: Mapping[str, str] | None = None) -> PodmanRuntime | None:
    env = os.environ if environ is None else environ
    chosen = env.get(RUNTIME_ENV, "process")
    if chosen == "podman":
        return PodmanRuntime()
    if chosen != "process":
        raise ValueError(f"{RUNTIME_ENV} must be process or podman, not {chosen!r}")
    return None
