"""``dynamicjobs completion bash|zsh|fish``: the shell's completion script, as kubectl has."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from job_operator.cli.exits import OK

COMPLETE_VAR = "_DYNAMICJOBS_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion_command(context: click.Context, shell: str) -> int:
    """Print the completion script for SHELL.

    \b
    bash:  source <(dynamicjobs completion bash)        (add it to ~/.bashrc)
    zsh:   source <(dynamicjobs completion zsh)         (add it to ~/.zshrc)
    fish:  dynamicjobs completion fish > ~/.config/fish/completions/dynamicjobs.fish
    """
    root = context.find_root()
    shell_class = get_completion_class(shell)
    assert shell_class is not None  # every name in SHELLS is one click ships
    script = shell_class(root.command, {}, root.info_name or "dynamicjobs", COMPLETE_VAR)
    click.echo(script.source())
    return OK
