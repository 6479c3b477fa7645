"""``python -m job_operator``: run the operator against the configured cluster.

Flags are kopf's ``run`` flags (``--namespace``, ``--all-namespaces``, ``--standalone``,
``--liveness``, ...); without a namespace flag the operator watches the whole cluster.
"""

from __future__ import annotations

import sys

from kopf import cli


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(a.startswith(("--namespace", "-n", "--all-namespaces", "-A")) for a in args):
        args.append("--all-namespaces")
    cli.main(["run", "--module", "job_operator.handlers", *args], standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
