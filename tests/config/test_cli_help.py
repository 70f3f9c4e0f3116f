"""Every command and every option of the CLI says what it does in ``--help``."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from ift_data.cli import main


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(main))


def test_the_tree_is_walked() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "build", "audit", "clean", "templates", "templates lint"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "ift-data" for p, _ in COMMANDS])
def test_every_option_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"command {' '.join(path)!r} has no help"
    ctx = click.Context(command, info_name=path[-1] if path else "ift-data")
    missing = [param.opts[0] for param in command.get_params(ctx)
               if isinstance(param, click.Option) and not (param.help or "").strip()]
    assert missing == [], f"options without help in {' '.join(('ift-data', *path))}: {missing}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "ift-data" for p, _ in COMMANDS])
def test_help_shows_each_options_text(path: tuple[str, ...], command: click.Command) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            assert param.opts[0] in shown
            assert " ".join(param.help.split())[:30] in shown, (param.opts[0], param.help)


def test_the_options_the_issue_named() -> None:
    shown = {p: " ".join(CliRunner().invoke(main, [p, "--help"], terminal_width=200).output.split())
             for p in ("build", "audit", "clean")}
    assert "--device [auto|cpu|cuda] Where embeddings are computed" in shown["audit"]
    assert "--seed INTEGER Random seed" in shown["audit"]
    assert "--seed INTEGER Override the recipe's seed" in shown["build"]
    assert "--remove TEXT Comma-separated flags to remove" in shown["clean"]
    assert "--truncate-side [right|left] With --overflow truncate: right (default) cuts the end" in shown["build"]
