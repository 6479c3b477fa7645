"""``dynamicjobs new [NAME]``: a DynamicJob made by answering questions.

Template (from the cluster's catalogue) -> parameters (from its schema) -> schedule and
time zone (presets; its words and next runs shown) -> run settings -> notifications ->
the YAML to review -> a file, or the cluster (a server-side dry run first, so the
webhook's messages come back here). Every question has a flag; without a terminal, or
with --no-input, only the flags answer and a missing answer names its flag.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml
from pydantic import BaseModel

from job_operator.cli.exits import CONFLICT, NOT_FOUND, OK, PROBLEMS, USAGE, CliError
from job_operator.cli.listing import parse_tags
from job_operator.cli.name_completion import template_names
from job_operator.cli.options import cluster_options
from job_operator.cli.output import note
from job_operator.cli.portable import tag_labels
from job_operator.cli.run import parse_overrides
from job_operator.cli.target import Target
from job_operator.cli.validate import body_problems
from job_operator.cli.wizard.ask import Asker, whole_number
from job_operator.cli.wizard.notifications import ask_notifications
from job_operator.cli.wizard.parameters import ParameterQuestions
from job_operator.cli.wizard.schedule import ask_schedule
from job_operator.validation import DNS_SUBDOMAIN, MAX_NAME_LENGTH
from job_runner.api import API_VERSION
from job_runner.registry import UnknownTemplate, get_template

if TYPE_CHECKING:
    from job_operator.cli.cluster import Cluster


def _name(text: str) -> str:
    if len(text) > MAX_NAME_LENGTH or not DNS_SUBDOMAIN.match(text):
        raise ValueError(f"{text!r}: at most {MAX_NAME_LENGTH} lowercase letters, digits, "
                         "'-' and '.', starting and ending with a letter or digit")
    return text


class Refused(CliError):
    """The API server (its webhook, RBAC) refused the server-side dry run."""


class NameTaken(ValueError):
    """The name of an existing DynamicJob."""


def _free_name(api: Cluster, namespace: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        _name(text)
        try:
            api.get_dynamicjob(namespace, text)
        except CliError as error:
            if error.code == NOT_FOUND:
                return text
            raise
        raise NameTaken(f"{namespace}/{text} exists already; pick another name")

    return check


def _local_model(template: str) -> type[BaseModel] | None:
    """The template's Parameters when it is installed with this CLI too."""
    try:
        return get_template(template).Parameters
    except UnknownTemplate:
        return None


def _catalogue(api: Cluster) -> dict[str, dict[str, Any]]:
    return {t["metadata"]["name"]: t.get("spec") or {} for t in api.templates()}


def _run_settings(asker: Asker, timeout: int | None, retries: int | None,
                  backoff: int | None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    timeout = timeout if timeout is not None else asker.text(
        "Timeout of one run, in seconds", flag="--timeout-seconds", default="3600",
        check=whole_number(1, 7 * 24 * 3600))
    if timeout != 3600:
        settings["timeoutSeconds"] = timeout
    retries = retries if retries is not None else asker.text(
        "Retries after a failed attempt", flag="--retries", default="0", check=whole_number(0, 10))
    if retries:
        backoff = backoff if backoff is not None else asker.text(
            "Seconds before the first retry (doubling after)", flag="--backoff-seconds",
            default="30", check=whole_number(1, 3600))
        settings["retries"] = {"limit": retries, "backoffSeconds": backoff}
    return settings


@click.command("new")
@click.argument("name", required=False)
@cluster_options()
@click.option("--template", metavar="NAME", help="The catalogue template.",
              shell_complete=template_names)
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter: KEY=VALUE (a string) or KEY:=JSON; repeatable. Parameters "
                   "given are not asked.")
@click.option("--schedule", metavar="EXPR", help='Cron expression, e.g. "0 2 * * 1-5".')
@click.option("--time-zone", metavar="TZ", help="IANA time zone (default UTC).")
@click.option("--timeout-seconds", type=click.IntRange(1, 7 * 24 * 3600))
@click.option("--retries", type=click.IntRange(0, 10))
@click.option("--backoff-seconds", type=click.IntRange(1, 3600))
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag; repeatable.")
@click.option("--notifications", "notifications_json", metavar="JSON",
              help="The notifications block as JSON (then none are asked), e.g. "
                   '\'{"onFailure": [{"template": "slack-notification", ...}]}\'.')
@click.option("--suspend", is_flag=True, help="Create it suspended.")
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the manifest to this file (- for stdout) instead of creating it.")
@click.option("--create", is_flag=True, help="Create it without asking (after the dry run).")
@click.option("--no-input", is_flag=True, help="Never ask: flags only.")
def new_command(name: str | None, target: Target, cluster: Callable[[], Cluster],
                template: str | None, params: tuple[str, ...], schedule: str | None,
                time_zone: str | None, timeout_seconds: int | None, retries: int | None,
                backoff_seconds: int | None, tags: tuple[str, ...],
                notifications_json: str | None, suspend: bool, write_to: Path | None,
                create: bool, no_input: bool) -> int:
    """Make a DynamicJob by answering questions (or all by flags)."""
    asker = Asker(interactive=not no_input and sys.stdin.isatty())
    try:
        given = parse_overrides(list(params), None)
        notifications = json.loads(notifications_json) if notifications_json else None
    except ValueError as error:
        raise CliError(str(error), USAGE) from None
    api = cluster()
    namespace = target.resolved_namespace()
    catalogue = _catalogue(api)
    if name:
        try:
            _free_name(api, namespace)(name)
        except ValueError as error:
            raise CliError(f"NAME: {error}",
                           CONFLICT if isinstance(error, NameTaken) else USAGE) from None
    else:
        name = asker.text("Name of the job", flag="NAME", check=_free_name(api, namespace))
    if template is None:
        template = asker.choice("Template", [(n, f"{n}: {s.get('description', '')}")
                                             for n, s in sorted(catalogue.items())],
                                flag="--template")
    elif template not in catalogue:
        raise CliError(f"--template {template}: not in the cluster's catalogue; it has: "
                       f"{', '.join(sorted(catalogue))}", USAGE)
    schema = catalogue[template].get("parametersSchema") or {}
    questions = ParameterQuestions(asker, _local_model(template))
    asker.say(f"Parameters of {template}:")
    parameters = questions.ask_object(schema, given)
    expression, zone = ask_schedule(asker, schedule, time_zone)
    spec: dict[str, Any] = {"template": template, "schedule": expression,
                            **({"timeZone": zone} if zone else {}),
                            **({"suspend": True} if suspend else {}),
                            **_run_settings(asker, timeout_seconds, retries, backoff_seconds),
                            "parameters": parameters}
    if tags:
        spec["tags"] = parse_tags(tags)
    if notifications is None:
        notifications = ask_notifications(asker, {
            n: s.get("parametersSchema") or {} for n, s in catalogue.items()})
    if notifications:
        spec["notifications"] = notifications
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if spec.get("tags"):
        metadata["labels"] = tag_labels({}, spec)
    body = {"apiVersion": API_VERSION, "kind": "DynamicJob", "metadata": metadata, "spec": spec}
    while True:
        try:
            return _finish(asker, api, body, write_to, create)
        except Refused as refusal:
            given_up = CliError(f"{refusal.message}\nnothing was created", refusal.code)
            if not asker.interactive:
                raise given_up from None
            asker.say(f"The cluster refused it: {refusal.message}")
            if not asker.confirm(f"Answer the parameters of {template} again?", default=True):
                raise given_up from None
            spec["parameters"] = questions.ask_object(schema, given)


def _finish(asker: Asker, api: Cluster, body: dict[str, Any], write_to: Path | None,
            create: bool) -> int:
    problems = body_problems(body, {})
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    where = f"{body['metadata']['namespace']}/{body['metadata']['name']}"
    if problems:
        raise CliError("\n".join(f"{where}: {p.field}: {p.message}" for p in problems)
                       + "\nnothing was created", PROBLEMS)
    asker.say("\n--- review ---")
    asker.say(text.rstrip())
    asker.say("---")
    if write_to is None and not create:
        action = asker.choice("Now", [("create", "create it in the cluster"),
                                      ("write", "write it to a file"), ("quit", "quit")],
                              flag="--create or --write FILE", default=0)
        if action == "quit":
            note("nothing was created")
            return OK
        if action == "write":
            write_to = Path(asker.text("File", flag="--write FILE",
                                       default=f"{body['metadata']['name']}.yaml"))
    if write_to is not None:
        if str(write_to) == "-":
            click.echo(text, nl=False)
        else:
            write_to.write_text(text)
            note(f"wrote {write_to}")
        return OK
    try:
        api.create_dynamicjob(body, dry_run=True)
    except CliError as error:
        raise Refused(error.message, error.code) from None
    api.create_dynamicjob(body, dry_run=False)
    note(f"created {where}")
    return OK
