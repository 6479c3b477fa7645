"""The ``dynamicjobs`` command line (also the kubectl plugin ``kubectl dynamicjobs``).

Built on click: already in the runtime image (kopf depends on it), maintained by the
Pallets project, and it brings subcommand groups, typed options, help text from
docstrings and bash/zsh/fish completion without another dependency. Each command lives
in a module of its own and returns its exit code (exits.py); `COMMANDS` lists them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import metadata

import click
from click.shell_completion import ShellComplete

from job_operator.cli.catalogue import templates_command
from job_operator.cli.clone import clone_command
from job_operator.cli.completion import COMPLETE_VAR, completion_command
from job_operator.cli.describe import describe_command
from job_operator.cli.exits import OK, USAGE, CliError
from job_operator.cli.export import export_command
from job_operator.cli.history import history_command
from job_operator.cli.importing import import_command
from job_operator.cli.listing import list_command
from job_operator.cli.logs import logs_command
from job_operator.cli.migrate import migrate_command
from job_operator.cli.options import App
from job_operator.cli.run import run_command
from job_operator.cli.schedule import schedule_command
from job_operator.cli.suspend import resume_command, suspend_command
from job_operator.cli.validate import validate_command
from job_operator.cli.wizard.command import new_command

PROG = "dynamicjobs"
PLUGIN_PROG = "kubectl dynamicjobs"
INTERRUPTED = 130


def _version() -> str:
    """The installed distribution's version."""
    try:
        return metadata.version("dynamicjobs")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(_version(), "--version", prog_name=PROG, message="%(prog)s %(version)s")
def cli() -> None:
    """Work with DynamicJob resources: inspect, run, suspend, move and check them.

    Cluster commands take kubectl's -n/--namespace, --context and --kubeconfig (listing
    commands also -A). Exit codes: docs/cli.md (0 ok, 1 the answer is no, 2 usage,
    3 cluster unreachable, 4 forbidden, 5 not found, 6 conflict, 7 timed out).
    """


COMMANDS: Sequence[click.Command] = (
    new_command,
    list_command,
    describe_command,
    history_command,
    logs_command,
    run_command,
    templates_command,
    suspend_command,
    resume_command,
    export_command,
    import_command,
    clone_command,
    schedule_command,
    validate_command,
    migrate_command,
    completion_command,
)
for _command in COMMANDS:
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None, app: App | None = None,
         prog: str = PROG) -> int:
    """Run one command; returns its exit code. ``--help``, ``--version`` and usage errors
    end with SystemExit (0 and 2), as argparse did, so shells see the same codes."""
    if os.environ.get(COMPLETE_VAR):
        cli.main(args=argv, prog_name=prog, complete_var=COMPLETE_VAR)  # exits
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with cli.make_context(prog, args, obj=app or App()) as context:
            code = cli.invoke(context)
    except click.exceptions.Exit as done:
        raise SystemExit(done.exit_code) from None
    except click.UsageError as error:
        error.show()
        raise SystemExit(USAGE) from None
    except click.ClickException as error:
        error.show()
        return USAGE
    except CliError as error:
        click.echo(f"error: {error.message}", err=True)
        return error.code
    except (KeyboardInterrupt, click.Abort):
        click.echo("interrupted", err=True)
        return INTERRUPTED
    return code if isinstance(code, int) else OK


def kubectl_plugin() -> int:
    """The entry point of ``kubectl-dynamicjobs``: the same commands as ``kubectl dynamicjobs``."""
    return main(prog=PLUGIN_PROG)


NO_FILE_COMPLETION = 4
"""Cobra's ShellCompDirectiveNoFileComp: kubectl's shell script then offers no file names."""


def kubectl_complete(argv: Sequence[str] | None = None) -> int:
    """The entry point of ``kubectl_complete-dynamicjobs``, which kubectl (1.26+) runs to
    complete ``kubectl dynamicjobs ...``: the words so far, the last one the word being
    completed; it answers as cobra's ``__complete`` does, one ``value<TAB>help`` a line,
    then ``:DIRECTIVE``."""
    words = list(sys.argv[1:] if argv is None else argv) or [""]
    completer = ShellComplete(cli, {"obj": App()}, PLUGIN_PROG, COMPLETE_VAR)
    items = completer.get_completions(words[:-1], words[-1])
    for item in items:
        click.echo(f"{item.value}\t{item.help}" if item.help else item.value)
    files = any(item.type in ("file", "dir") for item in items)
    click.echo(f":{0 if files else NO_FILE_COMPLETION}")
    return OK


if __name__ == "__main__":
    sys.exit(main())
