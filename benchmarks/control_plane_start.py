"""Warm start of the local control plane (binaries cached), not a test.

Times `ControlPlane().start()` until etcd, kube-apiserver (/readyz) and
kube-controller-manager (/healthz) are healthy, N times, against a baseline measured in the
same run: etcd alone to /health.

    .venv/bin/python benchmarks/control_plane_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.recording import record
from local_cluster.binaries import ensure_binaries
from local_cluster.controlplane import ControlPlane, free_port


def _etcd_alone(etcd: Path) -> float:
    with tempfile.TemporaryDirectory() as data:
        client, peer = free_port(), free_port()
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(etcd), f"--data-dir={data}", f"--listen-client-urls=http://127.0.0.1:{client}",
             f"--advertise-client-urls=http://127.0.0.1:{client}",
             f"--listen-peer-urls=http://127.0.0.1:{peer}",
             f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
             f"--initial-cluster=default=http://127.0.0.1:{peer}", "--unsafe-no-fsync",
             "--log-level=error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{client}/health", timeout=1):
                        return time.perf_counter() - started
                except OSError:
                    time.sleep(0.02)
        finally:
            process.terminate()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    binaries = ensure_binaries()
    starts = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with ControlPlane(binaries=binaries):
            starts.append(time.perf_counter() - started)
    baseline = [_etcd_alone(binaries.etcd) for _ in range(args.runs)]
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "warm_start_median_s": round(statistics.median(starts), 2),
        "warm_start_max_s": round(max(starts), 2),
        "etcd_alone_median_s": round(statistics.median(baseline), 2),
        "ratio_vs_etcd_alone": round(statistics.median(starts) / statistics.median(baseline), 1),
    }
    record("control_plane_start", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
