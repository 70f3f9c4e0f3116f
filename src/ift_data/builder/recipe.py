"""Recipe files: the datasets to build from, how to expand, cap and mix them, and what to write."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ift_data.errors import SpecError
from ift_data.tasks.spec import TaskSpec, load_task_spec
from ift_data.templates.pack import read_yaml

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


class _Reader:
    """Validates one recipe file; every error names the file, the line and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str, node: Any = None, field: str | None = None) -> SpecError:
        line = node.get("__line__") if isinstance(node, dict) else None
        return SpecError(message, file=str(self.path), line=line, field=field)

    def section(self, raw: dict[str, Any], key: str, allowed: set[str]) -> dict[str, Any]:
        value = raw.get(key, {}) or {}
        if not isinstance(value, dict):
            raise self.fail("must be a mapping", raw, key)
        unknown = set(value) - allowed - {"__line__"}
        if unknown:
            raise self.fail(f"unknown key(s) {sorted(unknown)}", value, key)
        return value

    def number(self, node: dict[str, Any], key: str, field: str, *, integer: bool, minimum: float,
               default: Any, allow_zero: bool = False) -> Any:
        value = node.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            raise self.fail(f"must be {'an integer' if integer else 'a number'}, not {value!r}", node, field)
        if not math.isfinite(value) or value < minimum or (value == 0 and not allow_zero) or value > 1e12:
            raise self.fail(f"must be a finite number {'>=' if allow_zero else '>'} {minimum} "
                            f"and at most 1e12, not {value!r}", node, field)
        return value

    def strings(self, node: dict[str, Any], key: str, field: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A list of strings (one string is a list of one); anything else is an error, never iterated."""
        value = node.get(key, default)
        if value is None:
            return ()
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"must be a list of names, not {value!r}", node, field)
        return tuple(value)

    def text(self, node: dict[str, Any], key: str, field: str, default: str | None) -> str | None:
        value = node.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"must be a string, not {value!r}", node, field)
        return value

    def flag(self, node: dict[str, Any], key: str, field: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"must be true or false, not {value!r}", node, field)
        return value

    def choice(self, node: dict[str, Any], key: str, field: str, options: tuple[str, ...], default: str) -> str:
        value = node.get(key, default)
        if value not in options:
            raise self.fail(f"must be one of {', '.join(options)}, not {value!r}", node, field)
        return value

    def mixing(self, raw: dict[str, Any], field: str) -> MixingSpec:
        node = self.section(raw, "mixing", {"mode", "weight_cap", "temperature", "total"})
        return MixingSpec(
            mode=self.choice(node, "mode", f"{field}.mode", MIXING_MODES, "proportional"),
            weight_cap=self.number(node, "weight_cap", f"{field}.weight_cap", integer=True, minimum=0, default=None),
            temperature=self.number(node, "temperature", f"{field}.temperature", integer=False, minimum=0,
                                    default=1.0),
            total=self.number(node, "total", f"{field}.total", integer=True, minimum=0, default=None),
        )

    def members(self, raw: dict[str, Any], field: str, seen: set[str]) -> tuple[DatasetEntry | Collection, ...]:
        items = raw.get("datasets")
        if not isinstance(items, list) or not items:
            raise self.fail("needs a non-empty list of datasets", raw, field)
        out: list[DatasetEntry | Collection] = []
        for index, item in enumerate(items):
            where = f"{field}[{index}]"
            if not isinstance(item, dict):
                raise self.fail("each entry must be a mapping", raw, where)
            member = self.collection(item, where, seen) if "collection" in item else self.dataset(item, where)
            if member.name in seen:
                raise self.fail(f"name {member.name!r} is used twice", item, where)
            seen.add(member.name)
            out.append(member)
        return tuple(out)

    def collection(self, item: dict[str, Any], field: str, seen: set[str]) -> Collection:
        unknown = set(item) - {"collection", "datasets", "mixing", "weight", "__line__"}
        if unknown:
            raise self.fail(f"unknown key(s) {sorted(unknown)}", item, field)
        name = item["collection"]
        if not isinstance(name, str) or not name:
            raise self.fail("collection needs a name", item, f"{field}.collection")
        return Collection(
            name=name, members=self.members(item, f"{field}.datasets", seen),
            mixing=self.mixing(item, f"{field}.mixing"),
            weight=self.number(item, "weight", f"{field}.weight", integer=False, minimum=0, default=1.0),
        )

    def dataset(self, item: dict[str, Any], field: str) -> DatasetEntry:
        unknown = set(item) - {"task", "name", "split", "hard_cap", "weight", "__line__"}
        if unknown:
            raise self.fail(f"unknown key(s) {sorted(unknown)}", item, field)
        task_path = item.get("task")
        if not isinstance(task_path, str):
            raise self.fail("needs `task: path/to/task.yaml`", item, f"{field}.task")
        spec = load_task_spec(self.path.parent / task_path)
        name = self.text(item, "name", f"{field}.name", spec.name)
        split = self.text(item, "split", f"{field}.split", "train")
        if split not in dict(spec.source.splits):
            raise self.fail(f"task {spec.name!r} has no split {split!r} "
                            f"(it has {', '.join(n for n, _ in spec.source.splits)})", item, f"{field}.split")
        return DatasetEntry(
            name=name or spec.name, task=spec, split=split or "train",
            hard_cap=self.number(item, "hard_cap", f"{field}.hard_cap", integer=True, minimum=0, default=None),
            weight=self.number(item, "weight", f"{field}.weight", integer=False, minimum=0, default=1.0),
        )


MASKS = ("response", "instruction", "boilerplate", "last-turn", "full")


def _chat_format(reader: _Reader, out: dict[str, Any]) -> str:
    """A preset name, or a custom format file (relative to the recipe when it exists there)."""
    from ift_data.chat.registry import PRESETS

    value = reader.text(out, "chat_format", "output.chat_format", "chatml") or "chatml"
    if value in PRESETS:
        return value
    local = reader.path.parent / value
    if local.is_file():
        return str(local)
    if Path(value).is_file():
        return value
    raise reader.fail(f"unknown chat format {value!r}: use one of {', '.join(sorted(PRESETS))} "
                      "or the path of a custom YAML format", out, "output.chat_format")


TOP_KEYS = {"name", "seed", "templates", "datasets", "mixing", "expansion", "few_shot", "held_out",
            "schedule", "output", "description"}


def load_recipe(path: str | Path) -> Recipe:
    """Load and validate a recipe (and every task spec it names)."""
    path = Path(path)
    raw = read_yaml(path, SpecError)
    reader = _Reader(path)
    if not isinstance(raw, dict):
        raise reader.fail("a recipe must be a mapping")
    unknown = set(raw) - TOP_KEYS - {"__line__"}
    if unknown:
        raise reader.fail(f"unknown key(s) {sorted(unknown)}", raw)
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise reader.fail("seed must be a non-negative integer", raw, "seed")
    templates = raw.get("templates", [])
    templates = [templates] if isinstance(templates, str) else templates
    if not isinstance(templates, list) or not all(isinstance(t, str) for t in templates):
        raise reader.fail("templates must be a folder path or a list of them", raw, "templates")
    name = reader.text(raw, "name", "name", path.stem) or path.stem
    root = Collection(name=name, members=reader.members(raw, "datasets", set()),
                      mixing=reader.mixing(raw, "mixing"))
    exp = reader.section(raw, "expansion", {"assignment", "k", "variants", "options", "option_target"})
    variants = reader.strings(exp, "variants", "expansion.variants", ("forward", "inverted"))
    if not variants or not set(variants) <= {"forward", "inverted"}:
        raise reader.fail("variants must list forward and/or inverted", exp, "expansion.variants")
    fs = reader.section(raw, "few_shot", {"share", "k", "max_chars", "style"})
    share = reader.number(fs, "share", "few_shot.share", integer=False, minimum=0, default=0.0, allow_zero=True)
    if share > 1:
        raise reader.fail("share is a fraction between 0 and 1", fs, "few_shot.share")
    ho = reader.section(raw, "held_out", {"clusters", "write_eval", "eval_split"})
    sc = reader.section(raw, "schedule", {"mode", "domain", "domain_share"})
    out = reader.section(raw, "output", {"formats", "chat_format", "mask", "system_prompt", "tokenizer",
                                         "max_len", "overflow"})
    formats = reader.strings(out, "formats", "output.formats", ("segments",))
    from ift_data.export import ALIASES, EXPORTERS

    for fmt in formats:
        if ALIASES.get(fmt, fmt) not in EXPORTERS:
            raise reader.fail(f"unknown export format {fmt!r}; use any of {', '.join(EXPORTERS)}", out,
                              "output.formats")
    mask = reader.choice(out, "mask", "output.mask", MASKS, "response")
    domain_share = reader.number(sc, "domain_share", "schedule.domain_share", integer=False, minimum=0,
                                 default=1 / 256, allow_zero=True)
    if domain_share >= 1:
        raise reader.fail("domain_share is a fraction below 1", sc, "schedule.domain_share")
    return Recipe(
        name=root.name, seed=seed,
        template_dirs=tuple((path.parent / t).resolve() for t in templates),
        root=root,
        expansion=ExpansionSpec(
            assignment=reader.choice(exp, "assignment", "expansion.assignment", ASSIGNMENTS, "round-robin"),
            k=reader.number(exp, "k", "expansion.k", integer=True, minimum=0, default=2),
            variants=variants,
            options=reader.choice(exp, "options", "expansion.options", OPTION_MODES, "fixed"),
            option_target=reader.choice(exp, "option_target", "expansion.option_target", ("text", "marker"), "text"),
        ),
        few_shot=FewShotSpec(
            share=share, k=reader.number(fs, "k", "few_shot.k", integer=True, minimum=0, default=2),
            max_chars=reader.number(fs, "max_chars", "few_shot.max_chars", integer=True, minimum=0, default=2000),
            style=reader.choice(fs, "style", "few_shot.style", ("single-turn", "multi-turn"), "single-turn"),
        ),
        held_out=HeldOutSpec(
            clusters=reader.strings(ho, "clusters", "held_out.clusters"),
            write_eval=reader.flag(ho, "write_eval", "held_out.write_eval", True),
            eval_split=reader.text(ho, "eval_split", "held_out.eval_split", "validation") or "validation",
        ),
        schedule=ScheduleSpec(
            mode=reader.choice(sc, "mode", "schedule.mode", ("single", "dmt"), "single"),
            domain=reader.strings(sc, "domain", "schedule.domain"), domain_share=domain_share,
        ),
        output=OutputSpec(
            formats=formats, chat_format=_chat_format(reader, out),
            mask=mask, system_prompt=reader.text(out, "system_prompt", "output.system_prompt", None),
            tokenizer=reader.text(out, "tokenizer", "output.tokenizer", None),
            max_len=reader.number(out, "max_len", "output.max_len", integer=True, minimum=0, default=None),
            overflow=reader.choice(out, "overflow", "output.overflow", ("drop", "truncate"), "drop"),
        ),
        path=str(path),
    )
