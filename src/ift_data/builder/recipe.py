"""Recipe files: the datasets to build from, how to expand, cap and mix them, and what to write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ift_data.builder.inline import INLINE_KEYS, inline_spec
from ift_data.chat.masking import MASK_MODES
from ift_data.config import Section, load_yaml_hashed
from ift_data.io.paths import resolve_inside
from ift_data.seed import MAX_SEED
from ift_data.tasks.spec import TaskSpec, load_task_spec

MIXING_MODES = ("proportional", "temperature", "equal", "fixed")
ASSIGNMENTS = ("round-robin", "random", "all", "k")
OPTION_MODES = ("none", "fixed", "random")


@dataclass(frozen=True, slots=True)
class MixingSpec:
    mode: str = "proportional"
    weight_cap: int | None = None  # K: limits a dataset's share, never truncates it
    temperature: float = 1.0
    total: int | None = None


@dataclass(frozen=True, slots=True)
class DatasetEntry:
    name: str
    task: TaskSpec
    split: str = "train"
    hard_cap: int | None = None  # truncates the dataset (seeded) before anything else
    weight: float = 1.0
    pack: Path | None = None  # an entry naming `source:` + `pack:` (builder/inline.py): the pack file it uses


@dataclass(frozen=True, slots=True)
class Collection:
    name: str
    members: tuple[DatasetEntry | Collection, ...]
    mixing: MixingSpec = MixingSpec()
    weight: float = 1.0

    def datasets(self) -> list[DatasetEntry]:
        out: list[DatasetEntry] = []
        for member in self.members:
            out.extend(member.datasets() if isinstance(member, Collection) else [member])
        return out


@dataclass(frozen=True, slots=True)
class ExpansionSpec:
    assignment: str = "round-robin"
    k: int = 2
    variants: tuple[str, ...] = ("forward", "inverted")
    options: str = "fixed"
    option_target: str = "text"  # text | marker
    # Share of inverted templates among a dataset's template draws; None: as the pack gives them (each
    # template of the listed variants equally likely, so the share is the pack's inverted / all).
    inverted_share: float | None = None


@dataclass(frozen=True, slots=True)
class FewShotSpec:
    share: float = 0.0  # fraction of examples rendered few-shot
    k: int = 2
    max_chars: int = 2000  # budget for the exemplars' text
    style: str = "single-turn"  # single-turn | multi-turn


@dataclass(frozen=True, slots=True)
class HeldOutSpec:
    clusters: tuple[str, ...] = ()
    write_eval: bool = True
    eval_split: str = "validation"
    variants: tuple[str, ...] = ("forward",)  # FLAN: held-out tasks are scored on original-task templates


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    mode: str = "single"  # single | dmt
    domain: tuple[str, ...] = ()
    domain_share: float = 1 / 256


@dataclass(frozen=True, slots=True)
class OutputSpec:
    formats: tuple[str, ...] = ("segments",)
    chat_format: str = "chatml"
    mask: str = "response"
    system_prompt: str | None = None
    tokenizer: str | None = None
    max_len: int | None = None
    overflow: str = "drop"
    truncate_side: str = "right"  # with overflow: truncate, which end is cut


@dataclass(frozen=True, slots=True)
class Recipe:
    name: str
    seed: int
    template_dirs: tuple[Path, ...]
    root: Collection
    expansion: ExpansionSpec = ExpansionSpec()
    few_shot: FewShotSpec = FewShotSpec()
    held_out: HeldOutSpec = HeldOutSpec()
    schedule: ScheduleSpec = ScheduleSpec()
    output: OutputSpec = OutputSpec()
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""  # of the recipe file's bytes, as read


COLLECTION_KEYS = ("collection", "datasets", "mixing", "weight")
DATASET_KEYS = ("task", "name", "split", "hard_cap", "weight", *INLINE_KEYS)
MIXING_KEYS = ("mode", "weight_cap", "temperature", "total")
EXPANSION_KEYS = ("assignment", "k", "variants", "options", "option_target", "inverted_share")
FEW_SHOT_KEYS = ("share", "k", "max_chars", "style")
HELD_OUT_KEYS = ("clusters", "write_eval", "eval_split", "variants")
SCHEDULE_KEYS = ("mode", "domain", "domain_share")
OUTPUT_KEYS = ("formats", "chat_format", "mask", "system_prompt", "tokenizer", "max_len", "overflow",
               "truncate_side")
TOP_KEYS = ("name", "seed", "templates", "datasets", "mixing", "expansion", "few_shot", "held_out",
            "schedule", "output", "description")
# Every key a recipe may hold, by section ("datasets[]": a dataset entry, "collection": a nested
# collection); docs/recipes.md documents each one (tests/builder/test_recipe_knobs.py checks it).
RECIPE_KEYS: dict[str, tuple[str, ...]] = {
    "": TOP_KEYS, "datasets[]": DATASET_KEYS, "collection": COLLECTION_KEYS, "mixing": MIXING_KEYS,
    "expansion": EXPANSION_KEYS, "few_shot": FEW_SHOT_KEYS, "held_out": HELD_OUT_KEYS, "schedule": SCHEDULE_KEYS,
    "output": OUTPUT_KEYS,
}
BUNDLED_TEMPLATES = "bundled"  # in `templates:`, the packs shipped with ift-data
VARIANTS = ("forward", "inverted")
MASKS = tuple(MASK_MODES)
# Below this, the rates r ** (1 / T) underflow to 0.0 for every dataset and the mix collapses (at
# T = 0.0001 two of 24 examples were written); 0.1 already gives nearly all of the total to the largest.
MIN_TEMPERATURE = 0.1
# Exemplars are drawn with up to 4 * k tries per example: k is a handful, never a loop bound of 10^9.
MAX_FEW_SHOT_K = 64


# Mixing knobs and the modes that read them: a knob another mode ignores is an error, not a silent no-op.
MIXING_KNOB_MODES = {"temperature": ("temperature",), "weight_cap": ("proportional", "temperature")}


def _mixing(parent: Section) -> MixingSpec:
    node = parent.section("mixing", MIXING_KEYS)
    spec = MixingSpec(
        mode=node.choice("mode", MIXING_MODES, "proportional"),
        weight_cap=node.integer("weight_cap", None, above=True),
        temperature=node.number("temperature", 1.0, minimum=MIN_TEMPERATURE) or 1.0,
        total=node.integer("total", None, above=True),
    )
    for knob, modes in MIXING_KNOB_MODES.items():
        if knob in node and spec.mode not in modes:
            raise node.fail(f"{knob} is read only in mode {' or '.join(modes)}, not in mode {spec.mode}: remove "
                            "it or change the mode", knob)
    return spec


def _members(parent: Section, path: Path, seen: set[str], allow: bool) -> tuple[DatasetEntry | Collection, ...]:
    out: list[DatasetEntry | Collection] = []
    for where, item, line in parent.items("datasets"):
        if isinstance(item, dict) and "collection" in item:
            node = parent.nested(item, COLLECTION_KEYS, where, line=line)
            member: DatasetEntry | Collection = _collection(node, path, seen, allow)
        else:
            node = parent.nested(item, DATASET_KEYS, where, line=line)
            member = _dataset(node, path, allow)
        if member.name in seen:
            raise node.fail(f"name {member.name!r} is used twice")
        seen.add(member.name)
        out.append(member)
    return tuple(out)


def _collection(node: Section, path: Path, seen: set[str], allow: bool) -> Collection:
    name = node.text("collection")
    if not name:
        raise node.fail("collection needs a name", "collection")
    return Collection(name=name, members=_members(node, path, seen, allow), mixing=_mixing(node),
                      weight=node.number("weight", 1.0, above=True) or 1.0)


def _dataset(node: Section, path: Path, allow: bool) -> DatasetEntry:
    if "source" in node or "pack" in node:
        return _inline_dataset(node, path, allow)
    task_path = node.text("task")
    if task_path is None:
        raise node.fail("needs `task: path/to/task.yaml` (or `source:` and `pack:`)", "task")
    for key in INLINE_KEYS[2:]:  # cluster, related: a task spec says them
        if key in node:
            raise node.fail(f"{key} goes in the task spec (or use `source:` and `pack:` instead of `task:`)", key)
    spec = load_task_spec(resolve_inside(path.parent, task_path, allow, lambda m: node.fail(m, "task")),
                          allow_outside_paths=allow)
    split = node.text("split", "train") or "train"
    if split not in dict(spec.source.splits):
        raise node.fail(f"task {spec.name!r} has no split {split!r} "
                        f"(it has {', '.join(n for n, _ in spec.source.splits)})", "split")
    return DatasetEntry(
        name=node.text("name", spec.name) or spec.name, task=spec, split=split,
        hard_cap=node.integer("hard_cap", None, above=True),
        weight=node.number("weight", 1.0, above=True) or 1.0,
    )


def _inline_dataset(node: Section, path: Path, allow: bool) -> DatasetEntry:
    """An entry with ``source:`` and ``pack:`` instead of a task spec (builder/inline.py)."""
    for key in ("task", "source", "pack"):
        if (key in node) == (key == "task"):
            raise node.fail("give `task:` or `source:` with `pack:`, not both" if key == "task" else
                            f"needs `{key}:` next to `{'pack' if key == 'source' else 'source'}:`", key)
    split = node.text("split", "train") or "train"
    spec, pack = inline_spec(node, path, split, allow)
    return DatasetEntry(name=spec.name, task=spec, split=split, hard_cap=node.integer("hard_cap", None, above=True),
                        weight=node.number("weight", 1.0, above=True) or 1.0, pack=pack)


def _chat_format(out: Section, path: Path, allow: bool) -> str:
    """A preset name, or a custom format file (relative to the recipe, inside its folder)."""
    from ift_data.chat.registry import PRESETS

    value = out.text("chat_format", "chatml") or "chatml"
    if value in PRESETS:
        return value
    local = resolve_inside(path.parent, value, allow, lambda m: out.fail(m, "chat_format"))
    if local.is_file():
        return str(local)
    raise out.fail(f"unknown chat format {value!r}: use one of {', '.join(sorted(PRESETS))} "
                   "or the path of a custom YAML format", "chat_format")


def _output(top: Section, path: Path, allow: bool) -> OutputSpec:
    from ift_data.export import ALIASES, EXPORTERS, OVERFLOW_POLICIES, TRUNCATE_SIDES

    out = top.section("output", OUTPUT_KEYS)
    formats = out.names("formats", ("segments",))
    for fmt in formats:
        if ALIASES.get(fmt, fmt) not in EXPORTERS:
            raise out.fail(f"unknown export format {fmt!r}; use any of {', '.join(EXPORTERS)}", "formats")
    return OutputSpec(
        formats=formats, chat_format=_chat_format(out, path, allow), mask=out.choice("mask", MASKS, "response"),
        system_prompt=out.text("system_prompt"), tokenizer=_tokenizer(out, path, allow),
        max_len=out.integer("max_len", None, above=True),
        overflow=out.choice("overflow", OVERFLOW_POLICIES, "drop"),
        truncate_side=out.choice("truncate_side", TRUNCATE_SIDES, "right"),
    )


def _tokenizer(out: Section, path: Path, allow: bool) -> str | None:
    value = out.text("tokenizer")
    if value is None:
        return None
    return str(resolve_inside(path.parent, value, allow, lambda m: out.fail(m, "tokenizer")))


def load_recipe(path: str | Path, *, allow_outside_paths: bool = False) -> Recipe:
    """Load and validate a recipe (and every task spec it names); every section refuses unknown keys.
    Paths it names resolve against its folder and must stay inside it unless ``allow_outside_paths``."""
    path = Path(path)
    allow = allow_outside_paths
    doc, sha256 = load_yaml_hashed(path)
    top = Section(doc, TOP_KEYS, file=str(path))
    seed = top.integer("seed", 0, maximum=MAX_SEED) or 0
    name = top.text("name", path.stem) or path.stem
    root = Collection(name=name, members=_members(top, path, set(), allow), mixing=_mixing(top))
    fs = top.section("few_shot", FEW_SHOT_KEYS)
    ho = top.section("held_out", HELD_OUT_KEYS)
    sc = top.section("schedule", SCHEDULE_KEYS)
    return Recipe(
        name=root.name, seed=seed, template_dirs=_template_dirs(top, path, allow), root=root,
        expansion=_expansion(top),
        few_shot=FewShotSpec(
            share=fs.number("share", 0.0, maximum=1) or 0.0,
            k=fs.integer("k", 2, above=True, maximum=MAX_FEW_SHOT_K) or 2,
            max_chars=fs.integer("max_chars", 2000, above=True) or 2000,
            style=fs.choice("style", ("single-turn", "multi-turn"), "single-turn"),
        ),
        held_out=HeldOutSpec(
            clusters=ho.names("clusters"),
            write_eval=ho.flag("write_eval", True),
            eval_split=ho.text("eval_split", "validation") or "validation",
            variants=_variants(ho, ("forward",)),
        ),
        schedule=_schedule(sc),
        output=_output(top, path, allow),
        path=str(path), sha256=sha256,
    )


def _template_dirs(top: Section, path: Path, allow: bool) -> tuple[Path, ...]:
    """The pack folders or files, in order; ``bundled`` is the packs shipped with ift-data (a folder of
    that name is written ``./bundled``). Absent: the bundled packs only."""
    from ift_data.resources import bundled

    dirs: list[Path] = []
    for value in top.names("templates"):
        if value == BUNDLED_TEMPLATES:
            found = bundled("templates")
        else:
            found = resolve_inside(path.parent, value, allow, lambda m: top.fail(m, "templates"))
        if found.resolve() in [d.resolve() for d in dirs]:
            raise top.fail(f"{value!r} is listed twice (as {found})", "templates")
        dirs.append(found)
    return tuple(dirs)


def _variants(node: Section, default: tuple[str, ...]) -> tuple[str, ...]:
    variants = node.names("variants", default)
    if not variants or not set(variants) <= set(VARIANTS):
        raise node.fail("variants must list forward and/or inverted", "variants")
    return variants


def _expansion(top: Section) -> ExpansionSpec:
    exp = top.section("expansion", EXPANSION_KEYS)
    variants = _variants(exp, VARIANTS)
    assignment = exp.choice("assignment", ASSIGNMENTS, "round-robin")
    share = exp.number("inverted_share", None, maximum=1)
    if share is not None and set(variants) != set(VARIANTS):
        raise exp.fail(f"inverted_share needs both variants (variants is {list(variants)}): with one variant "
                       "there is no share to choose", "inverted_share")
    if share is not None and assignment == "all":
        raise exp.fail("inverted_share does not apply to `assignment: all` (every template of each row is used); "
                       "choose round-robin, random or k, or leave inverted_share out", "inverted_share")
    return ExpansionSpec(
        assignment=assignment,
        k=exp.integer("k", 2, above=True) or 2,
        variants=variants,
        options=exp.choice("options", OPTION_MODES, "fixed"),
        option_target=exp.choice("option_target", ("text", "marker"), "text"),
        inverted_share=share,
    )


def _schedule(sc: Section) -> ScheduleSpec:
    mode = sc.choice("mode", ("single", "dmt"), "single")
    domain, share = sc.names("domain"), _domain_share(sc)
    for key in ("domain", "domain_share"):  # ignored by a single-stage build: refused, never silently unused
        if mode != "dmt" and key in sc:
            raise sc.fail(f"{key} only applies to mode: dmt", key)
    if mode == "dmt" and not domain:
        raise sc.fail("mode dmt needs `domain`: the datasets or collections of stage 1", "domain" if "domain" in sc
                      else "mode")
    return ScheduleSpec(mode=mode, domain=domain, domain_share=share)


def _domain_share(sc: Section) -> float:
    share = sc.number("domain_share", 1 / 256) or 0.0
    if share >= 1:
        raise sc.fail("domain_share is a fraction below 1", "domain_share")
    return share
