"""Exit codes of every ``dynamicjobs`` command, and the one error type commands raise.

The codes are part of the interface (scripts branch on them; docs/cli.md lists them):
a command never exits with a code outside this table.
"""

from __future__ import annotations

OK = 0
"""Done; for a check (validate, import --dry-run), everything passed."""
PROBLEMS = 1
"""The command worked and the answer is no: an invalid manifest, a run that failed, an
object the API server refused."""
USAGE = 2
"""The command line or an input file is wrong: unknown flag, unreadable file, bad -p."""
CLUSTER = 3
"""No cluster to talk to: no kubeconfig, an unknown context, the API server unreachable."""
FORBIDDEN = 4
"""RBAC said no (401/403): the user may not do this here."""
NOT_FOUND = 5
"""The named object does not exist (or no longer: an expired run's pod)."""
CONFLICT = 6
"""The name is taken, or someone else owns the field (a GitOps tool)."""
TIMEOUT = 7
"""Waited as long as asked (run --wait) and it did not finish."""

TABLE = (
    (OK, "success"),
    (PROBLEMS, "the answer is no: invalid manifest, failed run, refused object"),
    (USAGE, "bad command line or unreadable input"),
    (CLUSTER, "no cluster configured or the API server is unreachable"),
    (FORBIDDEN, "RBAC denied the request"),
    (NOT_FOUND, "the object does not exist"),
    (CONFLICT, "the name is taken, or another field manager owns the field"),
    (TIMEOUT, "gave up waiting"),
)


class CliError(Exception):
    """A failure to report as one line, ``error: MESSAGE``, exiting with ``code``.

    The message says what failed, where, and how to fix it."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
