"""Runner start-up: process start to the template's first log line (not a test).

Runs `python -m job_runner run --template heartbeat` N times and times the moment its
"attempt started" JSON line appears on stderr, with bytecode (the usual __pycache__, written
by a warm-up run) and without (an empty PYTHONPYCACHEPREFIX and PYTHONDONTWRITEBYTECODE, so
every run compiles every module from source, as a read-only image without .pyc files
would). The baseline, measured in the same run, is a bare `python -c pass`.

    .venv/bin/python benchmarks/runner_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.recording import record

FIRST_LINE = b"attempt started"


def _time_to_first_line(env: dict[str, str], params: Path) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "job_runner", "run", "--template", "heartbeat",
         "--params", str(params)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if FIRST_LINE in line:
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError("the runner never logged its first template line")
    process.stderr.read()
    if process.wait() != 0:
        raise RuntimeError("the heartbeat run failed")
    return elapsed


def _bare_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        params = Path(scratch) / "params.json"
        params.write_text(json.dumps({"message": "benchmark"}))
        warm = {name: value for name, value in os.environ.items()
                if name not in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")}
        _time_to_first_line(warm, params)
        with_bytecode = [_time_to_first_line(warm, params) for _ in range(args.runs)]
        cold = {**warm, "PYTHONPYCACHEPREFIX": str(Path(scratch) / "empty"),
                "PYTHONDONTWRITEBYTECODE": "1"}
        without_bytecode = [_time_to_first_line(cold, params) for _ in range(args.runs)]
        baseline = [_bare_python() for _ in range(args.runs)]
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "with_bytecode_median_s": round(statistics.median(with_bytecode), 3),
        "without_bytecode_median_s": round(statistics.median(without_bytecode), 3),
        "bare_python_median_s": round(statistics.median(baseline), 3),
        "with_bytecode_ratio_vs_bare_python": round(
            statistics.median(with_bytecode) / statistics.median(baseline), 1),
    }
    record("runner_startup", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
