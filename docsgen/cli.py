"""The CLI reference, from the click command tree of ``dynamicjobs``: each command's usage,
help text, arguments and options with their types and defaults."""

from __future__ import annotations

import inspect
import textwrap

import click

from docsgen.markdown import code, page, table
from job_operator.cli.main import PROG, cli


def _type(param: click.Parameter) -> str:
    kind = param.type
    if isinstance(param, click.Option) and param.is_flag:
        name = "flag"
    elif isinstance(kind, click.Choice):
        name = "one of " + ", ".join(code(str(choice)) for choice in kind.choices)
    else:
        name = kind.name
    if param.multiple or (param.nargs == -1):
        name += ", repeatable"
    return name


def _default(param: click.Parameter) -> str:
    default = param.default
    if default is None or callable(default) or default in ((), False) or not hasattr(
            param, "show_default") or repr(default).startswith("Sentinel"):
        return ""
    return code(default)


def _options(command: click.Command, context: click.Context) -> list[list[str]]:
    rows = []
    for param in command.params:
        if isinstance(param, click.Option):
            record = param.get_help_record(context)
            spelling = record[0] if record else ", ".join(param.opts)
            rows.append([code(spelling), _type(param), _default(param), param.help or ""])
    return rows


def help_markdown(text: str) -> list[str]:
    """A click help text as Markdown: prose paragraphs on one line each, and the paragraphs
    click would not rewrap (indented, or after a ``\\b`` line) as text blocks."""
    lines: list[str] = []
    for paragraph in inspect.cleandoc(click.unstyle(text)).split("\n\n"):
        rows = paragraph.splitlines()
        if rows and rows[0].strip() == "\b":
            rows = rows[1:]
            lines += ["```text", *rows, "```", ""]
        elif rows and all(row.startswith(" ") for row in rows):
            lines += ["```text", *textwrap.dedent("\n".join(rows)).splitlines(), "```", ""]
        else:
            lines += [" ".join(" ".join(rows).split()), ""]
    return lines


def _command(name: str, command: click.Command) -> list[str]:
    context = click.Context(command, info_name=f"{PROG} {name}")
    usage = " ".join([f"{PROG} {name}", *command.collect_usage_pieces(context)])
    lines = [f"## {name}", "", "```text", usage, "```", ""]
    lines += help_markdown(command.help or "")
    arguments = [param for param in command.params if isinstance(param, click.Argument)]
    if arguments:
        lines += table(["argument", "required", "repeatable"],
                       [[code(arg.human_readable_name), "yes" if arg.required else "",
                         "yes" if arg.nargs == -1 else ""] for arg in arguments])
        lines.append("")
    options = _options(command, context)
    if options:
        lines += table(["option", "type", "default", "description"], options)
        lines.append("")
    return lines


def render() -> str:
    body = [*help_markdown(cli.help or ""),
            "| command | what it does |", "| --- | --- |"]
    body += [f"| [{name}](#{name}) | {command.get_short_help_str(limit=200)} |"
             for name, command in cli.commands.items()]
    body.append("")
    for name, command in cli.commands.items():
        body += _command(name, command)
    return page(
        "CLI reference",
        f"Every command and option of `{PROG}` (also `kubectl dynamicjobs`). A walk-through "
        "with examples is in [The command line](../cli.md).",
        "the click commands in job_operator/cli", body)
