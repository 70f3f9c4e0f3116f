"""Command line: parse, call one function, print. No logic lives here."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from ift_data import __version__
from ift_data.errors import UserError

console = Console(stderr=True)


class _Group(click.Group):
    """Turns a ``UserError`` into one red line on stderr and exit code 2 (never a traceback)."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except UserError as exc:
            console.print(f"[bold red]error:[/] {exc.format()}", highlight=False, markup=True, soft_wrap=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ift-data")
def main() -> None:
    """Make and check instruction-tuning data."""


@main.group()
def templates() -> None:
    """List, show and lint template packs."""


DEFAULT_TEMPLATE_DIRS = (Path("templates"),)


if __name__ == "__main__":  # pragma: no cover
    main()
