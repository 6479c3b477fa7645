"""Print branch coverage per package from the combined .coverage data (after `coverage combine`).

coverage.py reports per file or in total; a package's figure (statements and branches
covered, over all its files) is what tells where tests are thin.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


def main() -> int:
    report = json.loads(subprocess.run(
        [str(Path(sys.executable).with_name("coverage")), "json", "-q", "-o", "-"],
        capture_output=True, text=True, check=True).stdout)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, data in report["files"].items():
        parts = Path(path).with_suffix("").parts
        package = ".".join(parts[:2]) if len(parts) > 2 else parts[0]
        summary = data["summary"]
        covered = summary["covered_lines"] + summary.get("covered_branches", 0)
        total = summary["num_statements"] + summary.get("num_branches", 0)
        for key in (package, parts[0]):
            totals[key][0] += covered
            totals[key][1] += total
    print(f"{'package':34} {'covered':>9} {'of':>7} {'coverage':>9}")
    for package in sorted(totals):
        covered, total = totals[package]
        print(f"{package:34} {covered:>9} {total:>7} {100 * covered / max(total, 1):>8.1f}%")
    print(f"{'total':34} {'':>9} {'':>7} {report['totals']['percent_covered']:>8.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
