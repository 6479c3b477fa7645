"""``python -m job_operator``: run the operator against the configured cluster.

Flags are kopf's ``run`` flags (``--namespace``, ``--all-namespaces``, ``--standalone``,
``--liveness``, ...); without a namespace flag the operator watches the whole cluster.
"""

from __future__ import annotations

import os
import sys

from kopf import cli


def _namespaces(args: list[str]) -> list[str]:
    found = []
    for index, arg in enumerate(args):
        if arg.startswith("--namespace="):
            found.append(arg.split("=", 1)[1])
        elif arg in ("--namespace", "-n") and index + 1 < len(args):
            found.append(args[index + 1])
    return found


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    namespaces = _namespaces(args)
    if namespaces:
        os.environ["DYNAMICJOBS_NAMESPACES"] = ",".join(namespaces)
    elif "--all-namespaces" not in args and "-A" not in args:
        args.append("--all-namespaces")
    cli.main(["run", "--module", "job_operator.handlers", *args], standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
