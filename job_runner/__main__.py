"""``python -m job_runner``: the runner's command line.

Subcommands:
  run        run one template: in a CronJob's pod ``--from-env``; for template authors
             ``--template NAME --params FILE`` (local mode, no cluster)
  templates  print the installed catalogue as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from job_runner import local
from job_runner.registry import installed_templates


def _add_run_parser(subcommands: argparse._SubParsersAction) -> None:
    run = subcommands.add_parser("run", help="run one template")
    run.add_argument("--from-env", action="store_true",
                     help="cluster mode: the spec, job and Secrets come from the pod's env")
    run.add_argument("--template", help="template name (local mode)")
    run.add_argument("--params", help="parameters file (JSON or YAML), '-' for stdin")
    run.add_argument("--dry-run", action="store_true", help="plan only, change nothing")
    run.add_argument("--timeout", type=float, default=None, help="seconds for the whole run")
    run.add_argument("--retries", type=int, default=0, help="extra attempts after a failure")
    run.add_argument("--backoff", type=float, default=1.0, help="first retry delay, seconds")
    run.add_argument("--run-id", default=None, help="run id (default: generated)")
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.from_env:
        from job_runner import cluster  # the Kubernetes client only where it is used

        return cluster.run_from_env(os.environ)
    if args.template is None or args.params is None:
        print("run: local mode needs --template and --params", file=sys.stderr)
        return 2
    return local.run_local(
        template_name=args.template,
        params_file=args.params,
        dry_run=args.dry_run,
        timeout_seconds=args.timeout,
        retries=args.retries,
        backoff_seconds=args.backoff,
        run_id=args.run_id,
    )


def _templates(args: argparse.Namespace) -> int:
    catalogue = [
        {
            "name": name,
            "version": template.version,
            "description": template.description,
            "parameters": template.parameters_schema(),
            "examples": template.examples,
            "outputs": template.outputs_schema(),
        }
        for name, template in installed_templates().items()
    ]
    json.dump(catalogue, sys.stdout, indent=2)
    print()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="job_runner", description="dynamicjobs runner")
    subcommands = parser.add_subparsers(dest="command", required=True)
    _add_run_parser(subcommands)
    catalogue = subcommands.add_parser("templates", help="print the installed catalogue")
    catalogue.set_defaults(handler=_templates)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
