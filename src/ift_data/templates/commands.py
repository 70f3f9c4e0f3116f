"""What the ``templates`` CLI commands do (the CLI only parses and prints)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ift_data.errors import TemplateError, UserError
from ift_data.resources import bundled
from ift_data.templates.lint import lint_packs, sample_rows
from ift_data.templates.pack import TemplatePack, load_packs


def _packs(dirs: Sequence[Path]) -> dict[str, TemplatePack]:
    return load_packs(dirs or [bundled("templates")])


def shown_path(path: str | Path, cwd: Path | None = None) -> str:
    """A pack's file, short: ``<bundled>/<name>`` for a bundled pack (see ``BUNDLED_NOTE``), relative to
    the working folder when inside it, ``~/...`` under the home folder, else absolute."""
    resolved = Path(path).resolve()
    for root, label in ((bundled("templates").resolve(), "<bundled>"), ((cwd or Path.cwd()).resolve(), ""),
                        (Path.home().resolve(), "~")):
        if resolved.is_relative_to(root):
            relative = resolved.relative_to(root).as_posix()
            return f"{label}/{relative}" if label else relative
    return str(resolved)


def list_packs(dirs: Sequence[Path], console: Console) -> None:
    """A table of the packs; when the console is too narrow for it, one short block per pack (a file
    path is never cut)."""
    from rich.measure import Measurement

    rows = [(family, f"{len(pack.forward):,}", f"{len(pack.inverted):,}", ", ".join(pack.slots), shown_path(pack.path))
            for family, pack in sorted(_packs(dirs).items())]
    table = Table(title="Template packs")
    for column in ("family", "forward", "inverted", "slots", "file"):
        table.add_column(column, no_wrap=True, justify="right" if column in ("forward", "inverted") else "left")
    for row in rows:
        table.add_row(*map(escape, row))
    if Measurement.get(console, console.options.update_width(10_000), table).maximum <= console.width:
        console.print(table)
    else:
        _print_pack_blocks(rows, console)
    if any(row[4].startswith("<bundled>/") for row in rows):
        console.print(f"<bundled> = {bundled('templates').resolve()}", markup=False, highlight=False, soft_wrap=True)


def _print_pack_blocks(rows: list[tuple[str, str, str, str, str]], console: Console) -> None:
    console.print("[bold]Template packs[/]")
    for family, forward, inverted, slots, file in rows:
        console.print(f"[bold]{escape(family)}[/]: {forward} forward, {inverted} inverted templates", highlight=False)
        console.print(f"  slots: {escape(slots)}", highlight=False)
        console.print(f"  file: {escape(file)}", highlight=False, soft_wrap=True)


def show_template(template_id: str, dirs: Sequence[Path], console: Console) -> None:
    from ift_data.builder.expand import DatasetExpander
    from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
    from ift_data.templates.render import joined

    for pack in _packs(dirs).values():
        for template in pack.templates:
            if template.id != template_id:
                continue
            console.print(f"[bold]{template.id}[/] ({template.variant}, family {pack.family}, "
                          f"{template.source}:{template.line})")
            console.rule("input")
            console.print(template.input, markup=False, highlight=False)
            console.rule("target")
            console.print(template.target, markup=False, highlight=False)
            for rows, label_names in sample_rows(bundled("data_samples"), limit=1).get(pack.family, [])[:1]:
                expander = DatasetExpander("show", "train", rows, pack, label_names, ExpansionSpec(),
                                           FewShotSpec(), seed=0)
                position = [t.id for t in expander.templates].index(template_id)
                rendered = expander.render_pair(0, position)
                console.rule(f"rendered on {rows[0].location}")
                console.print(joined(rendered.input), markup=False, highlight=False)
                console.rule("→ target")
                console.print(joined(rendered.target), markup=False, highlight=False)
            return
    raise TemplateError(f"no template with id {template_id!r}")


def lint(paths: Sequence[Path], samples: Path | None, console: Console, *, allow_outside_paths: bool = False) -> int:
    """Print the findings; return the exit code (1 when any error). A sample spec that cannot be read is
    reported as a warning (its rows are not linted on), never skipped silently."""
    packs = _packs(paths)
    skipped: list[UserError] = []
    rows = sample_rows(samples or bundled("data_samples"), allow_outside_paths=allow_outside_paths, skipped=skipped)
    issues = lint_packs(list(packs.values()), rows)
    for exc in skipped:
        console.print(f"[yellow]sample spec not used: {escape(exc.format())}[/]", highlight=False, soft_wrap=True)
    errors = [i for i in issues if i.severity == "error"]
    for issue in issues:
        style = "red" if issue.severity == "error" else "yellow"
        console.print(f"[{style}]{escape(issue.format())}[/]", highlight=False, soft_wrap=True)
    total = sum(len(p.templates) for p in packs.values())
    console.print(f"{len(packs)} packs, {total} templates: {len(errors)} errors, "
                  f"{len(issues) - len(errors)} warnings")
    return 1 if errors else 0


def import_promptsource_pack(path: Path, family: str, out_path: Path, console: Console) -> int:
    """Write the imported pack, print what was skipped, lint it statically; the exit code of the lint."""
    from ift_data.io.atomic import atomic_open
    from ift_data.templates.promptsource import dump_pack, import_promptsource

    pack, notes = import_promptsource(path, family)
    with atomic_open(out_path) as fh:
        fh.write(dump_pack(pack))
    for note in notes:
        console.print(f"[yellow]{escape(note)}[/]", highlight=False)
    console.print(f"imported {len(pack['templates'])} templates (slots: {', '.join(pack['slots'])}) into {out_path}")
    return lint([out_path], None, console)
