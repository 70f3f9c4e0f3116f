"""What the ``templates`` CLI commands do (the CLI only parses and prints)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
                          f"{shown_path(template.source)}:{template.line})")
            if template.jinja is not None:  # promptsource: one body, split on ||| after rendering
                console.print(f"promptsource {pack.dataset}{'/' + pack.subset if pack.subset else ''}: "
                              f"{template.name} (original_task: {str(template.original_task).lower()}, "
                              f"metrics: {', '.join(template.metrics) or '-'})", markup=False, highlight=False)
                console.rule("jinja")
                console.print(template.jinja, markup=False, highlight=False, soft_wrap=True)
                if template.answer_choices is not None:
                    console.rule("answer_choices")
                    console.print(template.answer_choices, markup=False, highlight=False, soft_wrap=True)
                console.print("(preview on a record: ift-data templates render PACK --template ID --record JSON)",
                              markup=False, highlight=False)
                return
            console.rule("input")
            console.print(template.input, markup=False, highlight=False)
            console.rule("target")
            console.print(template.target, markup=False, highlight=False)
            for rows, label_names in sample_rows(bundled("data_samples"), limit=1).get(pack.family, [])[:1]:
                expander = DatasetExpander("show", "train", rows, pack, label_names, ExpansionSpec(),
                                           FewShotSpec(), seed=0)
                position = [t.id for t in expander.templates].index(template_id)
                rendered = expander.render_pair(0, position)
                console.rule(f"rendered on {shown_path(rows[0].file)}:{rows[0].line}")
                console.print(joined(rendered.input), markup=False, highlight=False)
                console.rule("→ target")
                console.print(joined(rendered.target), markup=False, highlight=False)
            return
    packs = _packs(dirs)
    if template_id in packs:
        ids = [t.id for t in packs[template_id].templates]
        raise TemplateError(f"{template_id!r} is a template family, not a template id; its templates: "
                            f"{', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''}")
    raise TemplateError(f"no template with id {template_id!r}; give a family ({', '.join(sorted(packs))}) "
                        "to list its template ids")


def lint(paths: Sequence[Path], samples: Path | None, console: Console, *, allow_outside_paths: bool = False,
         profile: str = "flan") -> int:
    """Print the findings; return the exit code (1 when any error). A sample spec that cannot be read is
    reported as a warning (its rows are not linted on), never skipped silently."""
    if samples is not None and not samples.is_dir():
        raise UserError(f"{'not a folder' if samples.exists() else 'no such folder'} (--samples names a folder of "
                        "sample task specs, */task.yaml)", file=str(samples), field="--samples")
    packs = _packs(paths)
    skipped: list[UserError] = []
    rows = sample_rows(samples or bundled("data_samples"), allow_outside_paths=allow_outside_paths, skipped=skipped)
    issues = lint_packs(list(packs.values()), rows, profile=profile)
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


def import_promptsource_packs(path: Path, out: Path, console: Console, *, family: str | None = None,
                              lint_profile: str | None = "p3") -> int:
    """Import a promptsource ``templates.yaml`` or a folder of them (one pack per file, named from
    dataset/subset), print the summary and every skipped template, then lint what was written
    (``lint_profile`` None: no lint). Returns the exit code: 1 when a lint error was found."""
    from collections import Counter

    from ift_data.io.atomic import atomic_open
    from ift_data.templates.promptsource import FileImport, dump_pack, find_files, import_promptsource

    files = find_files(path)
    single_file = path.is_file() and out.suffix in (".yaml", ".yml")
    if not single_file and (out.suffix in (".yaml", ".yml") or (out.exists() and not out.is_dir())):
        raise TemplateError("--out must be a folder when importing a folder (one pack per templates.yaml)",
                            file=str(out))
    if family is not None and len(files) != 1:
        raise TemplateError("--family names one pack: give one templates.yaml, not a folder", file=str(path))
    results: list[FileImport] = []
    families: dict[str, Path] = {}
    for file in files:
        result = import_promptsource(file, family)
        if result.family in families:
            raise TemplateError(f"family {result.family!r} would be written twice (also from {families[result.family]})",
                                file=str(file), field="dataset")
        families[result.family] = file
        results.append(result)
    targets = [(result.pack, out if single_file else out / f"{result.family}.yaml") for result in results
               if result.pack is not None]
    _refuse_overwriting_inputs([out] if single_file else [t for _, t in targets], files, out,
                               "file" if single_file else "folder")
    written: list[Path] = []
    if not single_file:
        out.mkdir(parents=True, exist_ok=True)
    for pack, target in targets:
        with atomic_open(target) as fh:
            fh.write(dump_pack(pack))
        written.append(target)
    total = sum(r.total for r in results)
    imported = sum(r.imported for r in results)
    reasons: Counter[str] = Counter(s.reason for r in results for s in r.skipped)
    inverted = sum(t["variant"] == "inverted" for r in results if r.pack for t in r.pack["templates"])
    table = Table(title="promptsource import", show_footer=len(results) > 1)
    share = f" ({100 * imported / total:.1f} %)" if total else ""
    footer_reasons = ", ".join(f"{escape(reason)}: {count:,}" for reason, count in reasons.most_common())
    table.add_column("file (dataset/subset)", footer=f"{len(results):,} files")
    table.add_column("pack", footer=f"{len(written):,} packs written")
    table.add_column("imported / in source", justify="right", footer=f"{imported:,} / {total:,}{share}")
    table.add_column("inverted", justify="right", footer=f"{inverted:,}")
    table.add_column("skipped (reason: count)", footer=footer_reasons or "0")
    for result in results:
        counts = Counter(s.reason for s in result.skipped)
        table.add_row(escape("/".join(p for p in (result.dataset, result.subset) if p)),
                      escape(result.family if result.pack else "(none: every template skipped)"),
                      f"{result.imported:,} / {result.total:,}",
                      f"{sum(t['variant'] == 'inverted' for t in result.pack['templates']) if result.pack else 0:,}",
                      escape(", ".join(f"{r}: {c}" for r, c in counts.most_common())) or "0")
    console.print(table)
    for result in results:
        for skip in result.skipped:
            console.print(f"[yellow]skipped {escape(str(result.path))}: {escape(skip.name)} "
                          f"({escape(skip.key)}): {escape(skip.reason)}[/]", highlight=False, soft_wrap=True)
    console.print(f"imported {imported:,} of {total:,} templates{share} from {len(results):,} files into "
                  f"{len(written):,} packs under {out}; {total - imported:,} skipped"
                  f"{' (' + footer_reasons + ')' if footer_reasons else ''}", highlight=False, soft_wrap=True)
    if lint_profile is None or not written:
        return 0
    return lint(written, None, console, profile=lint_profile)


def _refuse_overwriting_inputs(targets: Sequence[Path], inputs: Sequence[Path], out: Path, kind: str) -> None:
    """A ``UserError`` (exit 2) before anything is written when an output would overwrite an input file."""
    from ift_data.io.paths import overwritten_input

    clash = overwritten_input(targets, inputs)
    if clash is None:
        return
    target, source = clash
    what = (f"is the input {source}: writing the pack there would overwrite it" if target == out else
            f"would write {target.name} over the input {source}")
    raise UserError(f"--out {out} {what}; choose another output {kind}")


def _read_records(record: str | None, records: Path | None) -> list[tuple[str, dict[str, Any]]]:
    """(where, record) pairs from ``--record JSON`` or ``--records FILE`` (JSON Lines, or one JSON list)."""
    from ift_data.io.sources.base import read_bytes
    from ift_data.io.strict_json import StrictJSONError, loads_strict

    if (record is None) == (records is None):
        raise UserError("give exactly one of --record JSON and --records FILE")
    if record is not None:
        sources = [("--record", record)]
    else:
        assert records is not None
        try:  # a regular file only: a FIFO or /dev/zero would never end
            text = read_bytes(records).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UserError(f"cannot read the records: not UTF-8 text (byte {exc.start})", file=str(records)) from exc
        if text.lstrip().startswith("["):
            try:
                values = loads_strict(text)
            except StrictJSONError as exc:
                raise UserError(f"not valid JSON: {exc}", file=str(records), line=exc.line) from exc
            return [(f"{records}[{i}]", _record(v, str(records), None)) for i, v in enumerate(values)]
        sources = [(f"{records}:{n}", line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    out = []
    for where, line in sources:
        file, _, number = where.rpartition(":")
        try:
            value = loads_strict(line)
        except StrictJSONError as exc:
            raise UserError(f"not valid JSON: {exc}", file=file or where,
                            line=int(number) if number.isdigit() else None) from exc
        out.append((where, _record(value, file or where, int(number) if number.isdigit() else None)))
    return out


def _record(value: Any, file: str, line: int | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UserError(f"a record must be a JSON object, not {type(value).__name__}", file=file, line=line)
    return value


def render_records(pack_path: Path, template_id: str, record: str | None, records: Path | None, *, seed: int = 0,
                   truncate_chars: int | None = None, label_names: Sequence[str] = (),
                   write: Any = print) -> int:
    """Render one template of a pack on records without a build; ``write`` gets one JSON line per record
    (``prompt``, ``target``, ``answer_choices``, ``skipped_reason``; ``error`` when it cannot render).
    Returns 1 when any record could not be rendered. Draws (``choice``, ``random``) use
    ``random.Random(derive_seed(seed, template_id, index))``, index counting records from 0."""
    import json

    from ift_data.builder.seeds import rng_for
    from ift_data.seed import check_seed
    from ift_data.templates.pack import load_pack
    from ift_data.templates.promptsource_render import PromptsourceRenderer
    from ift_data.templates.render import RenderError

    check_seed(seed)  # the one seed range of every command (0 to 2**32 - 1)
    pack = load_pack(pack_path)
    template = next((t for t in pack.templates if t.id == template_id), None)
    if template is None:
        ids = ", ".join(t.id for t in pack.templates[:8])
        raise TemplateError(f"no template {template_id!r} in this pack (ids: {ids}, ...)", file=str(pack_path))
    failed = 0
    renderer = PromptsourceRenderer()
    for index, (where, row) in enumerate(_read_records(record, records)):
        rng = rng_for(seed, template.id, index)
        out: dict[str, Any] = {"record": where, "template": template.id}
        try:
            if pack.semantics == "promptsource":
                applied = renderer.apply(template, row, rng, truncate_chars if truncate_chars else pack.truncate_chars)
                out |= {"prompt": applied.prompt_text, "target": applied.target_text,
                        "answer_choices": None if applied.answer_choices is None else list(applied.answer_choices),
                        "skipped_reason": applied.skipped_reason}
            else:
                out |= _render_own(pack, template.id, row, tuple(label_names), rng.randrange(2**32))
        except RenderError as exc:
            failed += 1
            out |= {"prompt": None, "target": None, "answer_choices": None, "skipped_reason": None,
                    "error": str(exc)}
        write(json.dumps(out, ensure_ascii=False))
    return 1 if failed else 0


def _render_own(pack: TemplatePack, template_id: str, row: dict[str, Any], label_names: tuple[str, ...],
                seed: int) -> dict[str, Any]:
    """An ift-data template on one record, as a build renders it (options fixed, no few-shot)."""
    from ift_data.builder.expand import DatasetExpander
    from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
    from ift_data.tasks.rows import TaskRow
    from ift_data.templates.pack import check_fields
    from ift_data.templates.render import RenderError, joined

    check_fields(pack, row, "the record")
    expander = DatasetExpander("render", "train", [TaskRow(dict(row), "record", "record", 1)], pack, label_names,
                               ExpansionSpec(options="fixed"), FewShotSpec(), seed=seed)
    position = [t.id for t in expander.templates].index(template_id)
    try:
        rendered = expander.render_pair(0, position)
    except RenderError as exc:  # the answer comes from the label names, which a record alone does not give
        if label_names or "'answer' is undefined" not in str(exc):
            raise
        raise RenderError(f"{exc}; pass --label-names a,b,... (the task's label names)") from exc
    prompt, target = joined(rendered.input), joined(rendered.target)
    reason = None if prompt and target else ("empty prompt" if not prompt else "empty target")
    return {"prompt": prompt, "target": target, "answer_choices": list(rendered.answer_choices) or None,
            "skipped_reason": reason}
