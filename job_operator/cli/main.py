"""The ``dynamicjobs`` command line.

Each subcommand is a ``register_*`` function that adds its parser and sets ``handler``
to the function that runs it; ``_SUBCOMMANDS`` is the one place they are listed.
Handlers return the process exit code: 0 success, 1 invalid manifests (validate),
2 invalid input or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from job_operator.cli import manifests
from job_operator.cli.run import register_run
from job_operator.dependencies import depends_on
from job_operator.schedule import Schedule, ScheduleError
from job_operator.schedule.timezone import load_zone
from job_operator.validation import Problem, validate_dynamicjob
from job_runner.api import API_VERSION, ScheduleStatus, rfc3339

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_INVALID = 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dynamicjobs", description="Work with DynamicJob resources."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _SUBCOMMANDS:
        register(subcommands)
    return parser


def _version() -> str:
    """The installed distribution's version."""
    try:
        return metadata.version("dynamicjobs")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def register_schedule(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "schedule",
        help="explain a schedule and predict its next runs",
        description="Validate a schedule as the Kubernetes API server would, describe it "
        "and list the times the CronJob controller would start Jobs.",
    )
    parser.add_argument("expression", metavar="EXPR", help='e.g. "0 3 * * *" or @daily')
    parser.add_argument("--time-zone", metavar="TZ", help="IANA zone, as spec.timeZone")
    parser.add_argument("--after", metavar="RFC3339", type=_rfc3339,
                        help="list runs after this time (default: now)")
    parser.add_argument("--count", metavar="N", type=_positive_int, default=5,
                        help="how many runs to list (default: 5)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_schedule)


def run_schedule(args: argparse.Namespace) -> int:
    after = args.after if args.after is not None else datetime.now(UTC)
    try:
        schedule = Schedule.parse(args.expression, args.time_zone)
    except ScheduleError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    info = schedule.info(now=after)  # DST changes ahead of --after, not of today
    runs = schedule.next_runs(after, args.count)
    if args.output == "json":
        document = {
            **ScheduleStatus(description=info.description,
                             next_runs=[rfc3339(run) for run in runs],
                             never_fires=info.never_fires).to_api(),
            "timeZone": info.time_zone,
            "warnings": info.warnings,
        }
        print(json.dumps(document, indent=2))
        return EXIT_OK
    print(info.description)
    for warning in info.warnings:
        print(f"warning: {warning}")
    if runs:
        print("Next runs:")
    zone = load_zone(args.time_zone)
    for run in runs:
        local = f"  {run.astimezone(zone).isoformat()} ({args.time_zone})" if args.time_zone else ""
        print(f"  {run.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}{local}")  # for people: seconds
    return EXIT_OK




def _rfc3339(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs an offset, e.g. Z or +01:00")
    return moment


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


VALIDATE_DESCRIPTION = f"""\
Check DynamicJob manifests offline, with the rules the admission webhook and the operator
apply (see docs/validation.md): structure, name and size limits, schedule
and time zone, tags, the template and its parameters.

Not checked offline: whether the user applying the manifest may read each Secret it
references (that needs the API server; the webhook checks it), and templates that are
installed in the cluster but not here (the catalogue is the one installed with this CLI).

FILE is a YAML or JSON file, a directory (searched recursively for *.yaml, *.yml, *.json)
or - for stdin. Multi-document YAML and kind: List are read; documents that are not
{API_VERSION.split("/")[0]} DynamicJobs are skipped (-v says which).

Exit status: 0 all valid, 1 a manifest is invalid (including YAML syntax errors and empty
files), 2 usage or I/O error (a missing or unreadable path, no DynamicJob at all).
"""


def register_validate(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "validate",
        help="check DynamicJob manifests offline (for CI)",
        description=VALIDATE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", metavar="FILE", nargs="+",
                        help="manifest file, directory, or - for stdin")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also list valid DynamicJobs and skipped documents")
    parser.set_defaults(handler=run_validate)


def _shape_problems(body: dict[str, Any]) -> list[Problem]:
    """Shapes that `validate_dynamicjob` assumes (it raises on them rather than reporting)."""
    problems = []
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        problems.append(Problem("metadata", "must be an object with a name"))
    elif "name" in metadata and not isinstance(metadata["name"], str):
        problems.append(Problem("metadata.name", "must be a string"))
    if not isinstance(body.get("spec", {}), dict):
        problems.append(Problem("spec", "must be an object"))
    return problems


def _check(document: manifests.Document, siblings: dict[str, list[str]]) -> list[Problem]:
    problems = _shape_problems(document.body) or validate_dynamicjob(
        document.body, siblings=siblings).problems
    if document.api_version != API_VERSION:
        problems.insert(0, Problem(
            "apiVersion", f"{document.api_version!r} is not served; use {API_VERSION!r}"
        ))
    return problems


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _load_all(raw_paths: list[str]) -> tuple[list[manifests.FileResult], bool]:
    """Every input read once (stdin can only be), and whether any could not be read."""
    results, io_error = [], False
    for raw in raw_paths:
        try:
            files = manifests.expand(raw)
        except manifests.InputError as error:
            print(f"error: {error}", file=sys.stderr)
            io_error = True
            continue
        for path in files:
            try:
                results.append(manifests.load(path))
            except manifests.InputError as error:
                print(f"error: {error}", file=sys.stderr)
                io_error = True
    return results, io_error


def _dependency_graphs(results: list[manifests.FileResult]) -> dict[Any, dict[str, list[str]]]:
    """Per namespace, each job's dependsOn names: the input's jobs are checked for cycles
    among themselves (jobs already in the cluster are the webhook's to see)."""
    graphs: dict[Any, dict[str, list[str]]] = {}
    for result in results:
        for document in result.documents:
            body = document.body
            metadata, spec = body.get("metadata"), body.get("spec")
            if document.is_dynamicjob() and isinstance(metadata, dict) \
                    and isinstance(metadata.get("name"), str) and isinstance(spec, dict):
                graph = graphs.setdefault(metadata.get("namespace"), {})
                graph[metadata["name"]] = depends_on(spec)
    return graphs


def run_validate(args: argparse.Namespace) -> int:
    verbose = args.verbose
    notes = sys.stdout if args.output == "text" else sys.stderr
    entries: list[dict[str, Any]] = []
    lines: list[str] = []
    invalid = False
    checked = 0
    results, io_error = _load_all(args.files)
    graphs = _dependency_graphs(results)
    for result in results:
        if result.error is not None:
            invalid = True
            lines.append(result.error)
            entries.append({
                "file": result.file, "document": None, "name": None, "namespace": None,
                "valid": False, "problems": [{"field": None, "message": result.error}],
            })
            continue
        for document in result.documents:
            if not document.is_dynamicjob():
                if verbose:
                    print(f"{document.location}: skipped: {document.describe()}, "
                          "not a DynamicJob", file=notes)
                continue
            checked += 1
            metadata = document.body.get("metadata")
            metadata = metadata if isinstance(metadata, dict) else {}
            name, namespace = _text(metadata.get("name")), _text(metadata.get("namespace"))
            siblings = {other: upstreams for other, upstreams
                        in graphs.get(namespace, {}).items() if other != name}
            problems = _check(document, siblings)
            invalid = invalid or bool(problems)
            who = f"{namespace}/{name or '<unnamed>'}" if namespace else (name or "<unnamed>")
            for problem in problems:
                lines.append(f"{document.location} {who}: {problem.field}: {problem.message}")
            if not problems and verbose:
                lines.append(f"{document.location} {who}: valid")
            entries.append({
                "file": document.file, "document": document.document,
                **({"item": document.item} if document.item is not None else {}),
                "name": name, "namespace": namespace, "valid": not problems,
                "problems": [{"field": p.field, "message": p.message} for p in problems],
            })
    if not io_error and not entries:
        print("error: no DynamicJob found in the input; nothing was validated",
              file=sys.stderr)
        io_error = True
    if args.output == "json":
        print(json.dumps(entries, indent=2))
    else:
        for line in lines:
            print(line)
        bad_jobs = sum(1 for e in entries if e["document"] is not None and not e["valid"])
        bad_files = sum(1 for e in entries if e["document"] is None)
        summary = f"{checked} DynamicJob{'s' * (checked != 1)} checked, {bad_jobs} invalid"
        if bad_files:
            summary += f"; {bad_files} file{'s' * (bad_files != 1)} could not be read as manifests"
        if entries:
            print(summary)
    if io_error:
        return EXIT_INVALID
    return EXIT_PROBLEMS if invalid else EXIT_OK


_SUBCOMMANDS: Sequence[Callable[[argparse._SubParsersAction], None]] = (
    register_schedule,
    register_validate,
    register_run,
)


if __name__ == "__main__":
    sys.exit(main())
