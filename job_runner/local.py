"""Local mode for template authors: run a template on this machine, no Kubernetes.

Prints the outcome as JSON on stdout, logs JSON lines on stderr, and exits 0 only when the
run succeeded. Secrets come from the environment under the names the operator would use
(`job_runner.secrets.secret_env_name`); a missing one is reported with its variable name.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from job_runner.execute import execute
from job_runner.registry import UnknownTemplate, get_template
from job_runner.secrets import env_secret_resolver
from job_runner.template import JsonLineFormatter

EXIT_FAILED = 1
EXIT_USAGE = 2


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of the record, not at set-up: a caller
    that swaps stderr (a test harness, an embedding program) never leaves it a closed one."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send every log record to stderr as one JSON line."""
    handler = _CurrentStderr()
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@contextmanager
def cancel_on_sigterm(cancelled: threading.Event) -> Iterator[None]:
    """While active, SIGTERM (and SIGINT) set `cancelled` instead of killing the process,
    so the run ends as Cancelled/TimedOut and its outcome is still reported."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(signum: int, _frame: Any) -> None:
        logging.getLogger("dynamicjobs.runner").warning(
            "signal received, cancelling the run", extra={"signal": signum}
        )
        cancelled.set()

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def load_params(params_file: str) -> Any:
    text = sys.stdin.read() if params_file == "-" else Path(params_file).read_text()
    if params_file.endswith((".yaml", ".yml")):
        return yaml.safe_load(text)
    return json.loads(text)


def _fail(message: str) -> int:
    print(json.dumps({"result": "Failed", "message": message}))
    return EXIT_USAGE


def run_local(
    *,
    template_name: str,
    params_file: str,
    dry_run: bool = False,
    timeout_seconds: float | None = None,
    retries: int = 0,
    backoff_seconds: float = 1.0,
    run_id: str | None = None,
) -> int:
    configure_json_logging()
    try:
        template = get_template(template_name)
    except UnknownTemplate as error:
        return _fail(str(error))
    try:
        params = load_params(params_file)
    except (OSError, ValueError, yaml.YAMLError) as error:
        return _fail(f"cannot read parameters from {params_file}: {error}")
    cancelled = threading.Event()
    with cancel_on_sigterm(cancelled):
        outcome = execute(
            template,
            params,
            run_id=run_id or uuid.uuid4().hex[:12],
            timeout_seconds=timeout_seconds,
            retry_limit=retries,
            backoff_seconds=backoff_seconds,
            dry_run=dry_run,
            secrets=env_secret_resolver(os.environ),
            cancelled=cancelled,
        )
    print(json.dumps(outcome.record().to_api(), indent=2))
    return 0 if outcome.result == "Succeeded" else EXIT_FAILED
