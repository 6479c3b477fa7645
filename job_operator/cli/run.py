"""``dynamicjobs run NAME``: ask the operator for a run now, and optionally wait for it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from job_runner.api import FINISHED_RESULTS, GROUP, VERSION, read_status
from job_runner.contract import ANNOTATION_RUN_PARAMETERS, ANNOTATION_RUN_REQUESTED

if TYPE_CHECKING:
    from kubernetes import client

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
POLL_SECONDS = 1.0


def register_run(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "run", help="start a run of a DynamicJob now",
        description="Set dynamicjobs.io/run-requested-at on the DynamicJob; the operator "
                    "starts one Job from its template and echoes the request in "
                    "status.lastHandledRunRequest. Runs even when the job is suspended. "
                    "Overrides (--param, --params) apply to this run only; they go in "
                    "dynamicjobs.io/run-parameters and pass the webhook's checks.")
    parser.add_argument("name", help="the DynamicJob")
    parser.add_argument("-n", "--namespace", help="default: the kubeconfig context's")
    parser.add_argument(
        "-p", "--param", action="append", default=[], metavar="KEY=VALUE",
        help="override one parameter for this run only: KEY=VALUE takes VALUE as a string, "
             "KEY:=JSON takes a JSON value (a number, true, an object, ...); repeatable")
    parser.add_argument("--params", type=Path, metavar="FILE.json",
                        help="override parameters from a JSON object; --param wins per key")
    parser.add_argument("--wait", action="store_true",
                        help="wait for the run to finish; exit 0 only if it succeeded")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds to wait with --wait (default 900)")
    parser.set_defaults(handler=run_run)


def parse_overrides(params: list[str], params_file: Path | None) -> dict[str, Any]:
    """The overrides given on the command line; ValueError names the one at fault."""
    overrides: dict[str, Any] = {}
    if params_file is not None:
        try:
            loaded = json.loads(params_file.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"--params {params_file}: {error}") from error
        if not isinstance(loaded, dict):
            raise ValueError(f"--params {params_file}: must hold a JSON object")
        overrides.update(loaded)
    for item in params:
        key, json_value, value = _split_param(item)
        if json_value:
            try:
                overrides[key] = json.loads(value)
            except ValueError as error:
                raise ValueError(f"--param {item}: the value after := must be JSON "
                                 f"({error}); use KEY=VALUE for a string") from error
        else:
            overrides[key] = value
    return overrides


def _split_param(item: str) -> tuple[str, bool, str]:
    """KEY=VALUE or KEY:=JSON, whichever separator comes first."""
    plain, typed = item.find("="), item.find(":=")
    if typed != -1 and typed < plain:
        key, json_value, value = item[:typed], True, item[typed + 2:]
    elif plain != -1:
        key, json_value, value = item[:plain], False, item[plain + 1:]
    else:
        raise ValueError(f"--param {item}: write KEY=VALUE or KEY:=JSON")
    if not key:
        raise ValueError(f"--param {item}: the parameter name is empty")
    return key, json_value, value


def _api_error_text(status: int | None, reason: str | None, body: str | bytes | None) -> str:
    """The API server's own message (the webhook's refusal, RBAC's denial) when it sent one."""
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    try:
        message = json.loads(body or "").get("message")
    except (ValueError, AttributeError):
        message = None
    return f"{status} {reason}: {message or body or ''}".rstrip(": ")


def _context_namespace() -> str:
    from kubernetes import config

    try:
        _, active = config.list_kube_config_contexts()
    except (config.ConfigException, OSError):
        return "default"
    return str((active or {}).get("context", {}).get("namespace") or "default")


def _wait(api: client.CustomObjectsApi, namespace: str, name: str, request: str,
          timeout: float) -> dict[str, Any] | None:
    """Poll the status until the run of this request has finished, or time runs out."""
    from job_operator.builders import manual_job_name

    run_id = manual_job_name(name, request)
    deadline = time.monotonic() + timeout
    announced = False
    while time.monotonic() < deadline:
        found: dict[str, Any] = api.get_namespaced_custom_object(  # type: ignore[assignment]
            GROUP, VERSION, namespace, "dynamicjobs", name)
        status = read_status(found.get("status"))
        if status.last_handled_run_request == request and not announced:
            print(f"the operator started Job {run_id}", file=sys.stderr)
            announced = True
        for run in status.recent_runs:
            if run.id == run_id and run.result in FINISHED_RESULTS:
                return run.to_api()
        time.sleep(POLL_SECONDS)
    return None


def run_run(args: argparse.Namespace) -> int:
    """Imports the Kubernetes client here, so the offline subcommands start fast."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    from job_runner.report import load_client

    try:
        api = client.CustomObjectsApi(load_client())
    except config.ConfigException as error:
        print(f"error: no cluster configured: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        overrides = parse_overrides(args.param, args.params)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    namespace = args.namespace or _context_namespace()
    request = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    patch = {"metadata": {"annotations": {
        ANNOTATION_RUN_REQUESTED: request,
        ANNOTATION_RUN_PARAMETERS: json.dumps(overrides, sort_keys=True) if overrides else None,
    }}}
    try:
        api.patch_namespaced_custom_object(GROUP, VERSION, namespace, "dynamicjobs",
                                           args.name, patch)
    except ApiException as error:
        print(f"error: cannot request a run of {namespace}/{args.name}: "
              f"{_api_error_text(error.status, error.reason, error.body)}", file=sys.stderr)
        return EXIT_ERROR
    print(f"requested a run of {namespace}/{args.name} ({request})", file=sys.stderr)
    if not args.wait:
        return EXIT_OK
    run = _wait(api, namespace, args.name, request, args.timeout)
    if run is None:
        print(f"error: no finished run after {args.timeout:.0f}s", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(run, indent=2))
    return EXIT_OK if run["result"] == "Succeeded" else EXIT_FAILED
