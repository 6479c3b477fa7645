"""Questions in a terminal, each answer checked as it is typed; or, without a terminal
(or with --no-input), only the answers the flags gave."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from job_operator.cli.exits import USAGE, CliError

T = TypeVar("T")
Check = Callable[[str], Any]
"""Turns the typed text into the value, or raises ValueError saying what is wrong."""


class Asker:
    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive

    def _unanswered(self, question: str, flag: str) -> CliError:
        return CliError(f"{question}: no answer without a terminal; give {flag}", USAGE)

    def say(self, text: str = "") -> None:
        if self.interactive:
            click.echo(text)

    def text(self, question: str, *, flag: str, default: str | None = None,
             check: Check | None = None, hint: str = "") -> Any:
        """One typed answer; Enter takes ``default`` (``""``: the question is skipped)."""
        convert = check or (lambda typed: typed)
        if not self.interactive:
            if default is None:
                raise self._unanswered(question, flag)
            try:
                return convert(default) if default else default
            except ValueError as error:
                raise CliError(f"{question}: {error}; give {flag}", USAGE) from None
        if hint:
            click.echo(click.style(f"  {hint}", dim=True))

        def checked(typed: str) -> Any:
            if typed == "" and default == "":
                return ""
            try:
                return convert(typed)
            except ValueError as error:
                raise click.BadParameter(str(error)) from None

        return click.prompt(question, default=default, show_default=bool(default),
                            value_proc=checked)

    def confirm(self, question: str, *, default: bool = False) -> bool:
        if not self.interactive:
            return default
        return click.confirm(question, default=default)

    def choice(self, question: str, options: Sequence[tuple[T, str]], *, flag: str,
               default: int | None = None) -> T:
        """One of ``options`` (value, label), picked by its number."""
        if not self.interactive:
            if default is None:
                raise self._unanswered(question, flag)
            return options[default][0]
        width = shutil.get_terminal_size().columns
        for number, (_, label) in enumerate(options, 1):
            line = f"  {number:>2}) {label}"
            click.echo(line if len(line) <= width else line[:width - 1] + "…")

        def pick(typed: str) -> int:
            try:
                number = int(typed)
            except ValueError:
                number = 0
            if not 1 <= number <= len(options):
                raise ValueError(f"type a number from 1 to {len(options)}")
            return number

        number = self.text(question, flag=flag, check=pick,
                           default=str(default + 1) if default is not None else None)
        return options[int(number) - 1][0]


def whole_number(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """An answer's check: a whole number from ``low`` to ``high``, else the message."""
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ValueError(f"{what + ': ' if what else ''}a whole number from {low} to {high}")
        return value

    return check
