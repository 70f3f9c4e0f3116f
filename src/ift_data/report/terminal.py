"""The terminal summary of an audit (rich), written for a reader new to the tool: titled with the input
files, each figure followed by a one-line meaning, the worst examples of the top flags cut to the
console's width, and the command to run next (``ift-data clean ... --signals OUT``)."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ift_data.report.data import ReportData, label_noise_groups
from ift_data.report.examples import FlagExamples, ShownExample, worst_examples
from ift_data.report.facts import Facts
from ift_data.report.meanings import FIGURES, flag_meaning

TOP_LANGUAGES = 5
TOP_FLAGS = 3  # flags whose worst examples are shown
EXAMPLES_PER_FLAG = 3
MAX_TITLE_NAMES = 3
DIVERSITY_SHOWN = ("distinct_1", "distinct_2", "verb_object.distinct_pairs", "verb_object.share_with_pair",
                   "task_types.count", "dispersion", "clusters.normalized_entropy")
_SPACE = re.compile(r"\s+")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return escape(str(value))


def shown_path(path: str | Path) -> str:
    """``path`` relative to the working folder when inside it, else as recorded."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def indented(text: str, width: int, indent: int) -> list[str]:
    """``text`` wrapped between words to ``width``, every line indented (no trailing spaces)."""
    return textwrap.wrap(text, width=max(width, indent + 20), initial_indent=" " * indent,
                         subsequent_indent=" " * indent, break_long_words=False, break_on_hyphens=False) or [""]


def _meaning(console: Console, text: str, indent: int = 2) -> None:
    """A figure's meaning: dim, indented, wrapped lines keep the indent."""
    for line in indented(text, console.width, indent):
        console.print(Text(line, style="dim"), highlight=False)


def _title(data: ReportData) -> Text:
    """The panel's title as plain ``Text``: a title string would be read as markup with ``:emoji:`` codes."""
    names = [Path(i.path).name for i in data.summary.inputs]
    if not names:
        return Text("Audit")
    shown = ", ".join(names[:MAX_TITLE_NAMES])
    more = len(names) - MAX_TITLE_NAMES
    return Text(f"Audit of {shown}" + (f" + {more:,} more" if more > 0 else ""))


def _header(data: ReportData, facts: Facts) -> Panel:
    share = facts.rows_flagged / max(facts.rows_audited, 1)
    lines = [f"[bold]{facts.rows_audited:,}[/] examples audited ({facts.rows_read:,} rows read, "
             f"{facts.rows_rejected:,} rejected on read)",
             f"[bold]{facts.rows_flagged:,}[/] ({share:.1%}) flagged by at least one signal",
             f"[dim]{FIGURES['flagged']}[/]"]
    return Panel("\n".join(lines), title=_title(data), title_align="left", expand=False)


def _flags_table(data: ReportData, facts: Facts) -> Table:
    rules = data.summary.rules.values
    table = Table(title="Flags, top issues first", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False)
    table.add_column("flag", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("share", justify="right", no_wrap=True)
    table.add_column("meaning", style="dim", ratio=1)
    for flag in [f for f in facts.flags if f.count]:
        style = "bold red" if flag.share >= 0.05 else "yellow"
        table.add_row(Text(flag.flag.removeprefix("flag_"), style=style), f"{flag.count:,}", f"{flag.share:.2%}",
                      escape(flag_meaning(flag.flag, flag.family, rules)))
    return table


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _cropped(console: Console, text: str, indent: int) -> Text:
    line = Text(" " * indent + _one_line(text), no_wrap=True, overflow="ellipsis")
    line.truncate(console.width, overflow="ellipsis")
    return line


def _location(data: ReportData, row_id: int) -> str:
    """``line N`` of the row's input (``file:N`` when the audit read several inputs)."""
    if data.examples is None:
        return ""
    rows = data.examples.filter(data.examples["row_id"] == row_id)
    if not rows.height:
        return ""
    line = int(rows["source_line"][0])
    if len(data.summary.inputs) > 1:
        return f"{Path(str(rows['source_file'][0])).name}:{line}"
    return f"line {line}"


def _example_lines(console: Console, data: ReportData, block: FlagExamples, example: ShownExample) -> None:
    head = [f"row {example.row_id:,}"]
    where = _location(data, example.row_id)
    if where:
        head.append(where)
    if example.mate is not None:
        head.append(f"kept: row {example.mate['row_id']:,}")
    if block.ranked_by:
        key = block.ranked_by.removeprefix(block.family + "_")
        if key in example.details:
            head.append(f"{key} {example.details[key]}")
    console.print(_cropped(console, " · ".join(head), 2), highlight=False)
    texts = example.texts
    prompt = " / ".join(t for t in (texts.get("instruction", ""), texts.get("input", "")) if t.strip())
    console.print(_cropped(console, f"prompt: {prompt or '(empty)'}", 4), highlight=False)
    console.print(_cropped(console, f"response: {texts.get('response', '') or '(empty)'}", 4), highlight=False)


def _examples_section(console: Console, data: ReportData) -> None:
    blocks = worst_examples(data, per_flag=EXAMPLES_PER_FLAG)[:TOP_FLAGS]
    if not blocks:
        return
    console.print(f"[bold]Worst examples of the top {len(blocks)} flag{'s' if len(blocks) > 1 else ''}[/] "
                  "(more in the HTML report)")
    if data.examples is None:
        _meaning(console, "texts not shown: an input moved or changed since the audit")
        return
    for block in blocks:
        rows = f"{block.count:,} row{'s' if block.count != 1 else ''}"
        console.print(f"{escape(block.flag.removeprefix('flag_'))} ({rows})", style="yellow",
                      highlight=False)
        for example in block.examples:
            _example_lines(console, data, block, example)


def _languages(console: Console, facts: Facts) -> None:
    if not facts.language_shares:
        return
    console.print("languages:")
    for field_name, shares in facts.language_shares.items():
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:TOP_LANGUAGES]
        console.print(f"  {escape(field_name)}: " + ", ".join(f"{escape(str(lang))} {share:.1%}"
                                                               for lang, share in top), highlight=False)
    _meaning(console, FIGURES["languages"])


def _difficulty(console: Console, data: ReportData, facts: Facts) -> None:
    if not facts.difficulty_buckets:
        return
    total = max(sum(facts.difficulty_buckets.values()), 1)
    console.print("difficulty: " + ", ".join(f"{escape(k)} {v:,} ({v / total:.0%})"
                                             for k, v in facts.difficulty_buckets.items()), highlight=False)
    bounds = data.family("difficulty").get("bounds", {})
    _meaning(console, FIGURES["difficulty"].format(medium_from=bounds.get("medium_from", "?"),
                                                  hard_from=bounds.get("hard_from", "?")))


def _diversity(console: Console, facts: Facts) -> None:
    shown = [(key, facts.diversity[key]) for key in DIVERSITY_SHOWN if facts.diversity.get(key) is not None]
    if not shown:
        return
    console.print("diversity:")
    for key, value in shown:
        console.print(f"  {escape(key)} {_fmt(value)}", highlight=False)
        _meaning(console, FIGURES[key], indent=4)


def use_case_text(counts: dict[str, int]) -> str | None:
    """``use cases: open_qa 48%, classification 21%, ...`` (largest first, empty ones left out); None
    when the use_case signal did not run."""
    total = sum(counts.values())
    if not total:
        return None
    shown = sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))
    return "use cases: " + ", ".join(f"{k} {v / total:.0%}" for k, v in shown)


def _use_cases(console: Console, data: ReportData) -> None:
    text = use_case_text(data.summary.use_cases)
    if text is None:
        return
    console.print(escape(text), highlight=False)
    if data.summary.family("use_case").get("model_used", True):
        _meaning(console, "InstructGPT's prompt categories, tagged by keyword rules and a linear model trained on "
                          "our own labelled rows (column use_case)")
    else:  # the weights' use_model false: the model did not beat the rules (training.choice says where)
        _meaning(console, "InstructGPT's prompt categories, tagged by keyword rules; a linear model trained on "
                          "our own labelled rows did not beat them, so it is not consulted (column use_case)")


def label_noise_text(group: dict[str, Any]) -> str:
    """``label noise (negative/positive, 2,000 rows): 0 flagged (why); 432 to review`` for one group."""
    review = (f"no review list ({group['no_review_list']})" if group["no_review_list"]
              else f"{group['issues']:,} to review")
    return (f"label noise ({group['name']}, {group['rows']:,} rows): {group['flagged']:,} flagged ({group['why']}); "
            f"{review}")


def _label_noise(console: Console, data: ReportData) -> None:
    groups = label_noise_groups(data.summary)
    for group in groups:
        console.print(escape(label_noise_text(group)), highlight=False)
    if groups:
        _meaning(console, "to review: rows confident learning (cleanlab's find_label_issues) calls mislabelled, "
                          "column label_noise_issue; most are right on hard tasks, so clean never removes them")


def _masking(console: Console, facts: Facts) -> None:
    advice = facts.masking
    if advice is None:
        console.print("[dim]masking: the length signal did not run, no recommendation[/]")
        return
    ratio = f"R = {advice.ratio:.2f}" if advice.ratio is not None else "R n/a"
    console.print(f"masking: recommended [bold cyan]{escape(advice.mode)}[/] ({ratio}, N = {advice.n_examples:,})",
                  highlight=False)
    _meaning(console, advice.reason)
    _meaning(console, FIGURES["masking"])
    _meaning(console, "R: " + FIGURES["R"].format(unit=advice.unit) + "; N: examples")


_CLEAN_OPTIONS = {"mapping": "--map", "id_field": "--id", "rules": "--rules", "max_rows": "--max-rows",
                  "max_field_chars": "--max-field-chars"}


def next_command(data: ReportData) -> str:
    """The ``ift-data clean`` command that reuses this audit (same inputs and reading options)."""
    out = shown_path(data.source) if data.source else "AUDIT_DIR"
    parts = ["ift-data", "clean", *(shown_path(i.path) for i in data.summary.inputs)]
    options: dict[str, Any] = data.summary.options
    for key, flag in _CLEAN_OPTIONS.items():
        if options.get(key) is not None:
            parts += [flag, str(options[key])]
    parts += ["--signals", out, "--out", f"{out.rstrip('/')}_clean"]
    return " ".join(shlex.quote(p) for p in parts)


def _clean(console: Console, data: ReportData, facts: Facts) -> None:
    removes = ", ".join(f.removeprefix("flag_") for f in facts.clean.remove)
    console.print(f"clean (rules): would remove [bold]{facts.clean.rows_removed:,}[/] rows, keep "
                  f"{facts.clean.rows_kept:,}", highlight=False)
    _meaning(console, f"rows with any of: {removes}" if removes else "the rules remove no flag")
    console.print("next: " + escape(next_command(data)), highlight=False, soft_wrap=True)


def print_summary(data: ReportData, facts: Facts, console: Console, report_path: str | None = None) -> None:
    """Print the audit summary; ``report_path`` is mentioned at the end when given."""
    console.print(_header(data, facts))
    if any(f.count for f in facts.flags):
        console.print(_flags_table(data, facts))
    quiet = [f.flag.removeprefix("flag_") for f in facts.flags if not f.count]
    if quiet:
        console.print(Text(f"no hits: {', '.join(quiet)}", style="dim"), highlight=False)
    _examples_section(console, data)
    _languages(console, facts)
    _difficulty(console, data, facts)
    _diversity(console, facts)
    _use_cases(console, data)
    _label_noise(console, data)
    if facts.format_warning:
        console.print(f"[bold yellow]format concentration:[/] {escape(facts.format_warning)}")
    not_run = {k: v for k, v in facts.statuses.items() if v != "ok"}
    if not_run:
        console.print(Text("not run: " + "; ".join(f"{k} ({v})" for k, v in not_run.items()), style="dim"),
                      highlight=False)
    _masking(console, facts)
    _clean(console, data, facts)
    if report_path:
        console.print(f"report: {escape(shown_path(report_path))}", highlight=False, soft_wrap=True)
