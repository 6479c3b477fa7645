"""``dynamicjobs migrate FILE``: legacy APScheduler job definitions as DynamicJob manifests.

Offline: nothing is applied. The manifests go to stdout (YAML documents) for review, Git
or ``dynamicjobs import``; with ``--shadow`` each has ``dryRun: true``, for the shadow
period beside the legacy scheduler (docs/migration.md). Any job that cannot be converted
faithfully is named with its reason and nothing is written, so no job is left behind
unnoticed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import yaml
from pydantic import ValidationError

from job_operator.cli.exits import OK, PROBLEMS, USAGE, CliError
from job_operator.cli.output import echo
from job_operator.migration.convert import convert
from job_operator.migration.legacy import LegacyFile


def _load(path: str) -> LegacyFile:
    try:
        with click.open_file(path, encoding="utf-8") as stream:
            text = stream.read()
        raw = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise CliError(f"{path}: cannot read: {error}", USAGE) from None
    try:
        return LegacyFile.model_validate(raw)
    except ValidationError as error:
        lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise CliError("\n".join([*lines, "not a legacy job file (docs/migration.md)"]),
                       USAGE) from None


@click.command("migrate")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--shadow", is_flag=True,
              help="Give every job dryRun: true, to run beside the legacy jobs first.")
@click.option("-o", "--output", type=click.Choice(("manifests", "helm-values")),
              default="manifests", show_default=True,
              help="manifests: DynamicJob documents; helm-values: the chart's `jobs:` list.")
def migrate_command(path: str, shadow: bool, output: str) -> int:
    """Turn legacy add_job definitions (YAML or JSON, see docs/migration.md) into
    DynamicJob manifests on stdout. Refuses, naming each job and why, anything that a
    DynamicJob cannot do the same way; then nothing is written."""
    conversion = convert(_load(path), shadow=shadow)
    if conversion.refusals:
        for job_id, reason in conversion.refusals:
            print(f"error: {job_id}: {reason}", file=sys.stderr)
        total = len(conversion.refusals) + len(conversion.manifests)
        raise CliError(f"{len(conversion.refusals)} of {total} "
                       "legacy jobs cannot be converted (see above): nothing was written",
                       PROBLEMS)
    if output == "helm-values":
        echo(yaml.safe_dump({"jobs": [helm_job(body) for body in conversion.manifests]},
                            sort_keys=False, allow_unicode=True))
    else:
        echo(yaml.safe_dump_all(conversion.manifests, sort_keys=False, allow_unicode=True))
    return OK


def helm_job(body: dict[str, Any]) -> dict[str, Any]:
    """One entry of the chart's `jobs:` value: the metadata the chart takes, then the spec."""
    metadata = body["metadata"]
    return {key: metadata[key] for key in ("name", "namespace", "labels", "annotations")
            if key in metadata} | body["spec"]
