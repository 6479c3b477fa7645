"""``python -m local_cluster``: build, start, or run dynamicjobs on a local control plane.

build   build the pinned control-plane binaries into the cache (once per version)
up      start a control plane and wait; prints the KUBECONFIG to use
run     the README's main job: the operator against the current cluster, or, with none
        configured, against a fresh local control plane with the examples applied
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from local_cluster.binaries import ensure_binaries
from local_cluster.controlplane import ControlPlane
from local_cluster.devrun import run_dev


def _build(_: argparse.Namespace) -> int:
    binaries = ensure_binaries()
    for name, path in vars(binaries).items():
        print(f"{name}: {path}")
    return 0


def _up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with ControlPlane(workdir=args.workdir, keep_workdir=args.workdir is not None) as plane:
        print(f"control plane ready in {time.monotonic() - started:.1f}s at {plane.server}")
        print(f"export KUBECONFIG={plane.kubeconfig}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping")
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_dev(local=args.local, examples=args.examples)


def _interrupt(signum: int, _frame: object) -> None:
    """SIGTERM (a service manager, `timeout`) stops as cleanly as Ctrl-C does."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(prog="local-cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build the control-plane binaries").set_defaults(func=_build)
    up = commands.add_parser("up", help="start a local control plane and wait")
    up.add_argument("--workdir", type=Path, help="keep data, certificates and logs here")
    up.set_defaults(func=_up)
    run = commands.add_parser("run", help="run the operator (and the examples)")
    run.add_argument("--local", action="store_true",
                     help="use a fresh local control plane even when a cluster is configured")
    run.add_argument("--examples", type=Path, default=Path("examples"),
                     help="manifests to apply on a local control plane (default: examples/)")
    run.set_defaults(func=_run)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
