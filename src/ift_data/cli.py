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


@templates.command("list")
@click.option("--dir", "dirs", multiple=True, type=click.Path(path_type=Path), help="Pack file or folder.")
def templates_list(dirs: tuple[Path, ...]) -> None:
    """List the template packs and their template counts."""
    from ift_data.templates.commands import list_packs

    list_packs(dirs, Console())


@templates.command("show")
@click.argument("template_id")
@click.option("--dir", "dirs", multiple=True, type=click.Path(path_type=Path), help="Pack file or folder.")
def templates_show(template_id: str, dirs: tuple[Path, ...]) -> None:
    """Show one template and a rendering of it on a sample row."""
    from ift_data.templates.commands import show_template

    show_template(template_id, dirs, Console())


@templates.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--samples", type=click.Path(path_type=Path), default=None,
              help="Folder of sample task specs (*/task.yaml) to render on; default: the bundled data_samples.")
def templates_lint(paths: tuple[Path, ...], samples: Path | None) -> None:
    """Lint template packs (default: the bundled ones). Exits 1 when any error is found."""
    from ift_data.templates.commands import lint

    sys.exit(lint(paths, samples, Console()))


if __name__ == "__main__":  # pragma: no cover
    main()
