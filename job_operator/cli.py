"""The ``dynamicjobs`` command line.

Each subcommand is a ``register_*`` function that adds its parser and sets ``handler``
to the function that runs it; ``_SUBCOMMANDS`` is the one place they are listed.
Handlers return the process exit code: 0 success, 2 invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from job_operator.schedule import ScheduleError, next_runs, parse_schedule
from job_operator.schedule.timezone import load_zone

EXIT_OK = 0
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
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _SUBCOMMANDS:
        register(subcommands)
    return parser


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
        info = parse_schedule(args.expression, args.time_zone)
        runs = next_runs(args.expression, args.time_zone, after, args.count)
    except ScheduleError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    if args.output == "json":
        document = {
            "description": info.description,
            "nextRuns": [_utc_text(run) for run in runs],
            "neverFires": info.never_fires,
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
        print(f"  {_utc_text(run)}{local}")
    return EXIT_OK


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


_SUBCOMMANDS: Sequence[Callable[[argparse._SubParsersAction], None]] = (register_schedule,)


if __name__ == "__main__":
    sys.exit(main())
