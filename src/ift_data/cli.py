"""Command line: parse, call one function, print. No logic lives here."""

from __future__ import annotations

import errno
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.segment import Segment

from ift_data import __version__, interrupts
from ift_data.chat.masking import DEFAULT_MASK_MODE, MASK_MODES
from ift_data.chat.registry import PRESETS
from ift_data.errors import UserError
from ift_data.export import ALIASES, EXPORTERS, OVERFLOW_POLICIES, TRUNCATE_SIDES

if TYPE_CHECKING:
    from ift_data.audit.options import AuditOptions

# C0 controls but tab and line feed, DEL and C1: ESC would let a recipe name clear the screen or recolour it
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _shown(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _to_devnull(stream: Any) -> None:
    """Point ``stream``'s file descriptor at the null device: what is still buffered or printed later goes
    nowhere, and the flush at interpreter exit cannot fail (Python's "Note on SIGPIPE")."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): nothing to redirect
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class SafeConsole(Console):
    """A ``Console`` that shows control characters in what it prints as escapes (``\\x1b``), never sends
    them: user text (a recipe name, a file name, a reason quoting data) cannot drive the terminal. Rich's own
    styling and cursor moves (control segments) pass as they are. Text is printed as it is: no ``:fire:``
    emoji codes (``emoji=False``), so file names, columns and data are shown verbatim. When the reader of its
    stream goes away (``| head``) it prints nothing more and the run goes on: a closed pipe is no failure."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _to_devnull(self.file)

    def render_str(self, text: str, *args: Any, **kwargs: Any) -> Any:
        return super().render_str(_CONTROL.sub(_shown, text), *args, **kwargs)

    def render(self, renderable: Any, options: Any = None) -> Any:
        for segment in super().render(renderable, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(_CONTROL.sub(_shown, segment.text), segment.style, segment.control)


console = SafeConsole(stderr=True)
_F = TypeVar("_F", bound=Callable[..., Any])
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class OutPath(click.Path):
    """An output path that is not empty (``--out ""`` would silently mean the current folder)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("is empty: name an output folder (use . for the current folder)", param, ctx)
        return super().convert(value, param, ctx)


OUT_PATH = OutPath(path_type=Path)


class _Group(click.Group):
    """Turns a ``UserError`` into one red line on stderr and exit code 2 (never a traceback); Ctrl-C and
    SIGTERM into one line and exit code 128 + the signal (130, 143)."""

    def invoke(self, ctx: click.Context) -> Any:
        with interrupts.installed():
            try:
                result = super().invoke(ctx)
                interrupts.check()  # a stop signal whose exception a library swallowed: still a stop
                return result
            except UserError as exc:
                console.print(f"[bold red]error:[/] {escape(exc.format())}", highlight=False, markup=True,
                              soft_wrap=True)
                sys.exit(exc.exit_code)
            except OSError as exc:
                if exc.errno not in _DISK_FULL:
                    raise
                # a write no UserError names (a temporary file): still one line, never a traceback
                where = f"{exc.filename}: " if exc.filename else ""
                console.print(f"[bold red]error:[/] {escape(where)}cannot write: {escape(exc.strerror or str(exc))}; "
                              "free some space (temporary files go to TMPDIR: point it at a folder with more room)",
                              highlight=False, markup=True, soft_wrap=True)
                sys.exit(UserError.exit_code)
            except KeyboardInterrupt as exc:
                interrupts.forget_unhandled_mark()
                number = exc.signum if isinstance(exc, interrupts.Interrupted) else int(signal.SIGINT)
                done = interrupts.written()
                outcome = (f"{', '.join(done)} had already been written in full and stays" if done else
                           "no partial file was left under an output's name")
                console.print(f"[bold red]error:[/] interrupted by {signal.Signals(number).name}: stopped; "
                              f"{escape(outcome)}", highlight=False, markup=True, soft_wrap=True)
                sys.exit(128 + number)


def _seed(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    from ift_data.seed import check_seed

    return None if value is None else check_seed(value)


def _formats(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """``--format``, repeatable or comma-separated: None when not given (the recipe's formats); a value that
    names no format (``--format ""``) is an error, never a silent fall-back to the recipe's."""
    names = tuple(f.strip() for item in values for f in item.split(",") if f.strip())
    if any(not item.replace(",", "").strip() for item in values):
        raise UserError(f"--format is empty: name the format(s) to write ({', '.join([*EXPORTERS, *ALIASES])}), "
                        "or leave --format out for the recipe's output.formats", field="--format")
    return names or None


def _one_run(func: _F) -> _F:
    """An audit/clean ``--out``: not an existing file, and one run at a time (a lock beside it)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kw: Any) -> Any:
        from ift_data.audit.out_paths import check_paths
        from ift_data.io.run_lock import run_lock

        out_dir = Path(kw["out_dir"])
        check_paths(kw["data"], out_dir)  # before the lock file: nothing is written beside a refused --out
        if out_dir.exists() and not out_dir.is_dir():
            raise UserError("--out is an existing file, not a folder; choose a folder", file=str(out_dir))
        _check_embedding_flags(kw)
        with run_lock(out_dir):
            return func(*args, **kw)

    return wrapper  # type: ignore[return-value]


def _check_embedding_flags(kw: dict[str, Any]) -> None:
    """Before any work: ``--ifd-model`` is a local model folder, ``--cache-dir`` is no file (and can be written
    to, when this run embeds), and ``--device cuda`` finds CUDA (when this run embeds)."""
    from ift_data.embed.cache import check_cache_dir
    from ift_data.embed.model import check_device

    embeds = bool(kw.get("embeddings")) and kw.get("signals") is None
    if kw.get("ifd_model") and kw.get("signals") is None:
        _check_ifd_model(kw["ifd_model"])
    if embeds:
        check_device(kw.get("device"))
    if kw.get("cache_dir"):  # last: when the run embeds, it makes the folder
        check_cache_dir(kw["cache_dir"], writable=embeds)


def _check_build_flags(max_len: int | None, tokenizer: str | None) -> None:
    """``--max-len`` and ``--tokenizer`` in one line each, before any work: a negative --max-len said it "needs a
    tokenizer" when one was given, and a folder without a tokenizer got the loader's message cut off."""
    if max_len is not None and max_len < 2:
        raise UserError(f"--max-len must be at least 2 tokens, not {max_len}", field="--max-len")
    if tokenizer is not None and Path(tokenizer).is_dir():
        from ift_data.export.tokenized import TOKENIZER_FILES

        if not any((Path(tokenizer) / name).exists() for name in TOKENIZER_FILES):
            raise UserError(f"no tokenizer here: the folder holds none of {', '.join(TOKENIZER_FILES[:3])} ...; "
                            "give the folder of a Hugging Face tokenizer (save_pretrained writes one)",
                            file=tokenizer, field="--tokenizer")


def _check_ifd_model(path: str) -> None:
    """``--ifd-model`` names a local folder holding a causal LM (its config.json), not a hub id."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise UserError("no such folder: --ifd-model takes the folder of a local causal language model "
                        "(nothing is downloaded)", file=path, field="--ifd-model")
    if not folder.is_dir() or not (folder / "config.json").is_file():
        what = "is not a folder" if not folder.is_dir() else "holds no config.json"
        raise UserError(f"{what}: --ifd-model takes the folder of a local causal language model (config.json and "
                        "its weights)", file=path, field="--ifd-model")


def run() -> None:
    """The ``ift-data`` console script: ``main``; a failed or stopped run of a process that used Ray ends
    through ``os._exit`` after Python's exit handlers, since Ray's C++ exit handler can crash (SIGSEGV, exit
    139 instead of 130) when a run stopped while Ray Data was starting."""
    try:
        main()
    except SystemExit as exc:
        _flush_stdout()
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code and "ray._raylet" in sys.modules:
            from ift_data.io.ray_runtime import exit_after_python_cleanup

            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            exit_after_python_cleanup(code)
        raise


def _flush_stdout() -> None:
    """Flush stdout now, while a closed pipe can still be sent to the null device (at interpreter exit it
    would print "Exception ignored ... BrokenPipeError")."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _to_devnull(sys.stdout)
    except (OSError, ValueError):
        pass


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ift-data")
def main() -> None:
    """Make and check instruction-tuning data."""


@main.command()
@click.argument("recipe", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=OUT_PATH, default=Path("out"), show_default=True,
              help="Output folder.")
@click.option("--seed", type=int, default=None, callback=_seed, help="Override the recipe's seed (0 to 2**32 - 1).")
@click.option("--format", "formats", multiple=True,
              help=f"Export format(s), repeatable or comma-separated: {', '.join([*EXPORTERS, *ALIASES])}.")
@click.option("--chat", "--chat-format", "chat_format", default=None,
              help=f"Chat format: {', '.join(PRESETS)} or a YAML path.")
@click.option("--mask", "mask", default=None,
              type=click.Choice(list(MASK_MODES)), help=f"Loss-masking mode (default: {DEFAULT_MASK_MODE}).")
@click.option("--system", "--system-prompt", "system_prompt", default=None, help="System prompt to add to every example.")
@click.option("--tokenizer", type=click.Path(exists=True), default=None, help="Local HF tokenizer for `tokenized`.")
@click.option("--max-len", type=int, default=None, help="Token limit for `tokenized`.")
@click.option("--overflow", type=click.Choice(list(OVERFLOW_POLICIES)), default=None,
              help="Examples over --max-len tokens: drop them (default) or truncate them (see --truncate-side).")
@click.option("--truncate-side", type=click.Choice(list(TRUNCATE_SIDES)), default=None,
              help="With --overflow truncate: right (default) cuts the end, so the answer's last tokens and EOS go; "
                   "left cuts the start of the prompt and keeps the BOS.")
@click.option("--max-rows", type=click.IntRange(min=0), default=None,
              help="Read at most N rows per dataset split; later rows are rejects (stage limit), never dropped silently.")
@click.option("--max-field-chars", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="A row with a field longer than this is rejected with the reason.")
@click.option("--allow-empty-datasets", is_flag=True,
              help="Build even when every row of a dataset is rejected (it contributes nothing).")
@click.option("--allow-lint-errors", is_flag=True,
              help="Build even when a template pack fails lint on a task's own rows.")
@click.option("--allow-outside-paths", is_flag=True,
              help="Let the recipe and its task specs name files outside their own folders.")
@click.option("--shard-size", type=click.IntRange(min=1), default=None,
              help="Write each output in shards of N examples (train-00000-of-00004.segments.jsonl, ...; each listed "
                   "in the manifest with rows and sha256) instead of one file per format. A shard holds its N planned "
                   "examples less those the export rejects; with --engine ray the Ray workers write the shards.")
@click.option("--list-unsampled", is_flag=True,
              help="List each row the mixture did not sample on its own line of rejects.jsonl (default: one line "
                   "per run of consecutive rows, with its first and last line and its row count).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes that read big JSONL and Parquet sources, render, chat-format, mask, tokenize and "
                   "serialize the examples (default: every core this process may use; 1: in this process). The "
                   "output is the same bytes for any number.")
@click.option("--engine", "engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where big JSONL and Parquet sources are read and the examples rendered, formatted and (with "
                   "--shard-size) written: local (this machine, --workers) or ray (Ray Data stages; needs pip "
                   "install 'ift-data[ray]'). The output is the same bytes either way.")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="With --engine ray: a running Ray cluster to join (e.g. auto or ray://host:10001; its workers "
                   "need ift-data installed). Default: a local Ray started and stopped by the build.")
def build(recipe: Path | None, out_dir: Path, seed: int | None, formats: tuple[str, ...], chat_format: str | None,
          mask: str | None, system_prompt: str | None, tokenizer: str | None, max_len: int | None,
          overflow: str | None, truncate_side: str | None, max_rows: int | None, max_field_chars: int, allow_empty_datasets: bool,
          allow_lint_errors: bool, allow_outside_paths: bool, shard_size: int | None, list_unsampled: bool,
          workers: int | None, engine: str, ray_address: str | None) -> None:
    """Build instruction data from RECIPE (default: the bundled data_samples/default_recipe.yaml)."""
    from ift_data.builder.pipeline import BuildChecks, run_build
    from ift_data.report.build_summary import print_build_summary, printing_lint_failures

    _check_build_flags(max_len, tokenizer)

    with printing_lint_failures(SafeConsole()):
        result = run_build(recipe, out_dir, seed=seed, console=console, max_rows=max_rows,
                           max_field_chars=max_field_chars, checks=BuildChecks(allow_empty_datasets, allow_lint_errors),
                           allow_outside_paths=allow_outside_paths, shard_size=shard_size,
                           list_unsampled=list_unsampled, workers=workers, engine=engine, ray_address=ray_address,
                           output={
        "formats": _formats(formats), "chat_format": chat_format, "mask": mask,
        "system_prompt": system_prompt, "tokenizer": tokenizer, "max_len": max_len, "overflow": overflow,
        "truncate_side": truncate_side,
        })
    print_build_summary(result.manifest, str(out_dir), SafeConsole())


@main.group()
def templates() -> None:
    """List, show and lint template packs."""


@templates.command("list")
@click.option("--dir", "dirs", multiple=True, type=click.Path(path_type=Path), help="Pack file or folder.")
def templates_list(dirs: tuple[Path, ...]) -> None:
    """List the template packs and their template counts."""
    from ift_data.templates.commands import list_packs

    list_packs(dirs, SafeConsole())


@templates.command("show")
@click.argument("template_id")
@click.option("--dir", "dirs", multiple=True, type=click.Path(path_type=Path), help="Pack file or folder.")
def templates_show(template_id: str, dirs: tuple[Path, ...]) -> None:
    """Show one template and a rendering of it on a sample row."""
    from ift_data.templates.commands import show_template

    show_template(template_id, dirs, SafeConsole())


@templates.command("import-promptsource")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--out", "out_path", type=OUT_PATH, required=True,
              help="Folder to write one pack per templates.yaml into (a .yaml file when PATH is one file).")
@click.option("--family", default=None, help="Family of the pack (one file only; default: from dataset/subset).")
@click.option("--lint", "lint_profile", type=click.Choice(["p3", "flan", "none"]), default="p3", show_default=True,
              help="Lint profile for the written packs (p3: no FLAN count policy).")
def templates_import_promptsource(path: Path, out_path: Path, family: str | None, lint_profile: str) -> None:
    """Import promptsource (P3) templates: one templates.yaml, or a folder of them (dataset/subset layout)."""
    from ift_data.templates.commands import import_promptsource_packs

    sys.exit(import_promptsource_packs(path, out_path, SafeConsole(), family=family,
                                       lint_profile=None if lint_profile == "none" else lint_profile))


@templates.command("render")
@click.argument("pack", type=click.Path(path_type=Path))
@click.option("--template", "template_id", required=True, help="Template id in the pack.")
@click.option("--record", default=None, help="One record as a JSON object.")
@click.option("--records", type=click.Path(path_type=Path), default=None, help="JSON Lines file of records.")
@click.option("--seed", type=int, default=0, show_default=True, callback=_seed,
              help="Seed of the choice/random draws (0 to 2**32 - 1).")
@click.option("--truncate-chars", type=click.IntRange(min=1), default=None,
              help="Cut every {{ }} output as promptsource's truncate does (promptsource uses 2048).")
@click.option("--label-names", default="", help="ift-data packs: comma-separated label names.")
def templates_render(pack: Path, template_id: str, record: str | None, records: Path | None, seed: int,
                     truncate_chars: int | None, label_names: str) -> None:
    """Render one template on records without a build: one JSON line per record (prompt, target,
    answer_choices, skipped_reason)."""
    from ift_data.templates.commands import render_records

    names = tuple(n.strip() for n in label_names.split(",") if n.strip())
    sys.exit(render_records(pack, template_id, record, records, seed=seed, truncate_chars=truncate_chars,
                            label_names=names, write=_echo))


def _echo(line: str) -> None:
    """``click.echo`` to stdout; once its reader has gone (``| head``), nothing more is shown."""
    try:
        click.echo(line)
    except BrokenPipeError:
        _to_devnull(sys.stdout)


@templates.command("import-superni")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=OUT_PATH, required=True,
              help="Folder to write templates/<family>.yaml and tasks/<task>.yaml into.")
@click.option("--encoding", "encodings", multiple=True, default=("def-pos2",), show_default=True,
              help="Tk-Instruct encoding, repeatable: def | pos2 | def-pos2 | def-pos2-neg2 | def-pos2-expl | "
                   "def-pos2-neg2-expl (one template each).")
@click.option("--family", default="superni", show_default=True, help="Family name of the pack.")
@click.option("--split", default="train", show_default=True, help="Split name the task specs give the files.")
@click.option("--max-instances", type=click.IntRange(min=1), default=None,
              help="Read the first N instances of each task (100: the evaluation benchmark's).")
def templates_import_superni(path: Path, out_dir: Path, encodings: tuple[str, ...], family: str, split: str,
                             max_instances: int | None) -> None:
    """Import Super-NaturalInstructions task files (a file or a folder): a pack of Tk-Instruct encodings
    and one task spec per task."""
    from ift_data.templates.superni import import_superni

    sys.exit(import_superni(path, out_dir, SafeConsole(), family=family, encodings=encodings, split=split,
                            max_instances=max_instances))


@templates.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--samples", type=click.Path(path_type=Path), default=None,
              help="Folder of sample task specs (*/task.yaml) to render on; default: the bundled data_samples.")
@click.option("--allow-outside-paths", is_flag=True,
              help="Let sample specs read files outside their own folder.")
@click.option("--profile", type=click.Choice(["flan", "p3"]), default="flan", show_default=True,
              help="p3: no FLAN template-count policy (promptsource packs always use it).")
def templates_lint(paths: tuple[Path, ...], samples: Path | None, allow_outside_paths: bool, profile: str) -> None:
    """Lint template packs (default: the bundled ones). Exits 1 when any error is found."""
    from ift_data.templates.commands import lint

    sys.exit(lint(paths, samples, SafeConsole(), allow_outside_paths=allow_outside_paths, profile=profile))


# ---- audit / clean -------------------------------------------------------------------------------

def _audit_options(**kw: Any) -> AuditOptions:
    from ift_data.audit.options import AuditOptions

    if any(not entry.strip() for entry in kw["mapping"]):
        raise UserError("--map is empty: give FIELD=COLUMN pairs, e.g. --map instruction=question,output=answer",
                        field="--map")
    mapping = ",".join(kw["mapping"]) or None  # --map given more than once: its entries merged
    return AuditOptions(rules=kw["rules"], seed=kw["seed"], mapping=mapping, tokenizer=kw["tokenizer"],
                        embeddings=kw["embeddings"], model=kw["model"], device=kw["device"],
                        batch_size=kw["batch_size"], cache_dir=kw["cache_dir"], ifd_model=kw["ifd_model"],
                        max_rows=kw["max_rows"], max_field_chars=kw["max_field_chars"], id_field=kw["id_field"],
                        engine=kw["engine"], ray_address=kw["ray_address"], workers=kw["workers"])


def _audit_flags(func: _F) -> _F:
    options = [
        click.option("--out", "out_dir", required=True, type=OUT_PATH, help="Output folder."),
        click.option("--map", "mapping", multiple=True,
                     help="Column mapping, e.g. instruction=question,output=answer (id=COL: as --id). Repeatable: "
                          "the entries of every --map are merged; a field mapped twice is an error."),
        click.option("--id", "id_field", default=None, metavar="FIELD",
                     help="Field holding each row's own id: carried into signals.parquet (column id), the report "
                          "and rejected.jsonl. Every row needs one and ids must be unique, else an error."),
        click.option("--rules", default=None, help="Rules file or name under rules/ (default: default)."),
        click.option("--no-embeddings", "embeddings", is_flag=True, flag_value=False, default=True,
                     help="Skip the embedding-based signals."),
        click.option("--embedder", "--model", "model", default=None, metavar="auto|minilm|static|PATH",
                     help="Embedding model for the kNN graph: auto (default: static on a CPU, minilm on CUDA), "
                          "minilm (all-MiniLM-L6-v2), static (its Model2Vec distillation, ~300x faster on a CPU) "
                          "or the folder of a local sentence-transformers or Model2Vec model."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                     help="Where embeddings are computed: auto uses CUDA when a GPU is visible, else the CPU."),
        click.option("--batch-size", type=click.IntRange(min=1), default=None,
                     help="Embedding batch size (default: 32 on CPU, 512 on CUDA)."),
        click.option("--cache-dir", default=None, help="Embedding cache folder."),
        click.option("--tokenizer", default=None, help="tokenizer.json (or its folder) to count tokens."),
        click.option("--ifd-model", default=None, help="Local causal LM path for the IFD difficulty score."),
        click.option("--seed", type=int, default=0, callback=_seed, help="Random seed (0 to 2**32 - 1)."),
        click.option("--max-rows", type=click.IntRange(min=0), default=None,
                     help="Audit at most N rows (in input order); later rows are read rejects, never dropped silently."),
        click.option("--max-field-chars", type=click.IntRange(min=1), default=None,
                     help="Reject rows with a text field longer than this (default: the rules' read.max_field_chars, 1,000,000)."),
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="Where signals run: local (this process) or ray (per-row signals and MinHash banding on "
                          "Ray Data; needs pip install 'ift-data[ray]'). Same results either way."),
        click.option("--ray-address", default=None, metavar="ADDR",
                     help="With --engine ray: a running Ray cluster to use (e.g. ray://host:10001 or auto); "
                          "default: start a local Ray for this run."),
        click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Processes for the per-row signals (length, language, noise, difficulty, "
                          "format_concentration, use_case) over row batches; default: every usable core; 1: in "
                          "this process. Same results for any N."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@main.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@_audit_flags
@_one_run
def audit(data: tuple[Path, ...], out_dir: Path, **kw: Any) -> None:
    """Score instruction datasets: writes OUT/signals.parquet, OUT/summary.json and the report. An OUT holding
    files no audit or clean wrote is refused."""
    from ift_data.audit.present import present_audit
    from ift_data.audit.runner import run_audit

    present_audit(run_audit(data, out_dir, _audit_options(**kw), console), out_dir, SafeConsole())


@main.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@_audit_flags
@click.option("--signals", default=None, type=click.Path(path_type=Path),
              help="Reuse an earlier audit (its folder or signals.parquet) instead of auditing again.")
@click.option("--remove", default=None, help="Comma-separated flags to remove, as the audit prints them "
              "(near_duplicate or flag_near_duplicate; default: the rules' clean.remove); none: remove no "
              "row by its flags (read rejects are still listed). An empty value is an error.")
@_one_run
def clean(data: tuple[Path, ...], out_dir: Path, signals: Path | None, remove: str | None, **kw: Any) -> None:
    """Write the kept rows (in the input's format) and OUT/rejected.jsonl with every removed row. A re-run
    into the same OUT replaces the earlier clean's files; an OUT holding files no clean or audit wrote is
    refused."""
    from ift_data.audit.cleaner import parse_remove, run_clean
    from ift_data.audit.present import present_clean

    removed = parse_remove(remove)  # flags as printed, with or without flag_; none: []
    present_clean(run_clean(data, out_dir, _audit_options(**kw), console, signals, removed), SafeConsole(),
                  notices=console)


if __name__ == "__main__":  # pragma: no cover
    run()
