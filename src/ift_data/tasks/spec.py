"""Task spec YAML files loaded into frozen dataclasses, validated with file/line/field errors through the
config layer (one safe loader, unknown keys refused with the list of valid ones)."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ift_data.config import Section, brief, line_of, load_yaml_hashed
from ift_data.errors import SpecError, UserError
from ift_data.io.paths import resolve_inside
from ift_data.io.sources.base import ReadOptions, read_bytes

SPEC_KEYS = ("name", "family", "cluster", "related", "source", "fields", "replace", "labels", "labels_file",
             "label_base", "description")
SOURCE_KEYS = ("format", "splits", "header", "columns", "quoting", "encoding", "records", "delimiter", "dataset",
               "config", "max_instances")
FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "hf_disk", "hf_hub", "superni")
# The source keys that only some formats read (the other keys apply to every format).
_FORMAT_KEYS = {
    **dict.fromkeys(("header", "columns", "quoting", "delimiter"), ("csv", "tsv")),
    "records": ("json",),
    "encoding": ("csv", "tsv", "jsonl", "json"),
    **dict.fromkeys(("dataset", "config"), ("hf_hub",)),
    "max_instances": ("superni",),
}


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Where the raw rows are and how to parse them. For ``hf_hub`` the split values are the hub's
    split names (``train``, ``validation[:1000]``), not paths."""

    format: str
    splits: tuple[tuple[str, Path], ...]
    header: bool = True
    columns: tuple[str, ...] | None = None
    quoting: str = "standard"
    encoding: str = "utf-8"
    records: str = "[]"
    delimiter: str | None = None
    dataset: str | None = None  # hf_hub: the dataset's hub name
    config: str | None = None  # hf_hub: its configuration
    max_instances: int | None = None  # superni: the first N instances of each task
    split_lines: tuple[tuple[str, int | None], ...] = ()  # (split, line of its `splits:` entry)
    splits_field: str = "source.splits"  # the dotted field of `splits:` (for errors about a split's file)

    def split_path(self, split: str) -> Path:
        for name, path in self.splits:
            if name == split:
                return path
        raise KeyError(split)

    def split_line(self, split: str) -> int | None:
        """The spec line that names ``split``'s file (for errors about that file)."""
        return dict(self.split_lines).get(split)

    def read_options(self, split: str) -> ReadOptions:
        """How the source layer reads ``split`` (no line cap: the build bounds values with
        ``--max-field-chars``)."""
        hub_split = str(self.split_path(split)) if self.format == "hf_hub" else split
        return ReadOptions(format=self.format, header=self.header, columns=self.columns, quoting=self.quoting,
                           encoding=self.encoding, records=self.records, delimiter=self.delimiter,
                           dataset=self.dataset, config=self.config, split=hub_split, max_line_bytes=None,
                           max_instances=self.max_instances)


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A raw dataset seen as a task of some family."""

    name: str
    family: str
    cluster: str
    related: tuple[str, ...]
    source: SourceSpec
    fields: tuple[tuple[str, str], ...]  # (slot, raw field path)
    replace: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    labels: tuple[tuple[str, str], ...] | None  # (raw value as text, label name), in label-index order
    path: str
    field_lines: tuple[tuple[str, int | None], ...] = ()  # (slot, line of its `fields:` entry)
    sha256: str = ""  # of the spec file's bytes, as read
    files_read: tuple[tuple[str, str], ...] = ()  # (path, sha256) of other files the spec made us read
    # A recipe entry naming a source and a pack (no spec file): every field of the record reaches the
    # templates as it is (promptsource's semantics); ``fields`` lists the pack's slots, checked as columns.
    record_fields: bool = False
    # Slots the family's templates output whole as text (``templates.pack.text_slots``, set by the build):
    # a list or dict value there is a map reject instead of a Python repr in the training data.
    text_slots: tuple[str, ...] = ()

    @property
    def label_names(self) -> tuple[str, ...]:
        if not self.labels:
            return ()
        seen: dict[str, None] = {}
        for _, name in self.labels:
            seen.setdefault(name, None)
        return tuple(seen)

    def field_line(self, slot: str) -> int | None:
        """The spec line that maps ``slot`` (for errors about that field)."""
        return dict(self.field_lines).get(slot)


# Text codecs that decode no file: domain-name labels, Python string literals, an always-failing codec.
_NOT_FILE_ENCODINGS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


def _encoding_problem(name: str) -> str | None:
    """Why ``name`` cannot decode a text file (None: it can): unknown, or a codec of something else
    (``base64``, ``rot13``, ``punycode``)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return f"unknown text encoding {brief(name)}"
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("_", "-") in _NOT_FILE_ENCODINGS:
        return f"{brief(name)} is not a text encoding for files"
    return None


def _mapping(section: Section, key: str) -> dict[Any, Any]:
    """A mapping whose keys are the user's own (split names, slots): not checked against a list."""
    value = section.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise section.fail("must be a mapping", key)
    return value


def _splits(source: Section, fmt: str, folder: Path, allow_outside: bool) -> tuple[tuple[str, Path], ...]:
    splits = _mapping(source, "splits")
    if not splits or not all(isinstance(v, str) and v for v in splits.values()):
        raise source.fail("splits must map split names to file paths" if fmt != "hf_hub" else
                          "splits must map split names to the hub's split names", "splits")
    if fmt == "hf_hub":
        return tuple((str(name), Path(split)) for name, split in splits.items())
    return tuple((str(name), resolve_inside(folder, file, allow_outside, lambda m: source.fail(m, "splits")))
                 for name, file in splits.items())


def source_spec(top: Section, path: Path, allow_outside: bool) -> SourceSpec:
    """The ``source:`` section of ``top`` (a task spec, or a recipe's dataset entry)."""
    source = top.section("source", SOURCE_KEYS, required=("format", "splits"))
    fmt = source.get("format")
    if fmt not in FORMATS:
        raise source.fail(f"format must be one of {', '.join(FORMATS)}, not {brief(fmt)}", "format")
    hub = {key: source.text(key, nonempty=True) for key in ("dataset", "config")}
    if fmt == "hf_hub" and not hub["dataset"]:
        raise source.fail("a hub source needs `dataset: <hub name>`", "dataset")
    for key, formats in _FORMAT_KEYS.items():  # a key the format's reader ignores would pass silently
        if key in source and fmt not in formats:
            names = f"{', '.join(formats[:-1])} or {formats[-1]}" if len(formats) > 1 else formats[0]
            raise source.fail(f"{key} only applies to format: {names}", key)
    splits = _splits(source, fmt, path.parent, allow_outside)
    columns = source.names("columns", one=False) or None
    header = source.flag("header", True)
    if fmt in ("csv", "tsv") and not header and not columns:
        raise source.fail("a file without a header needs `columns`", "columns")
    encoding = source.text("encoding", "utf-8") or "utf-8"
    problem = _encoding_problem(encoding)
    if problem:
        raise source.fail(f"{problem} (e.g. utf-8, utf-8-sig, latin-1, cp1252, utf-16)", "encoding")
    delimiter = source.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise source.fail("delimiter must be one character", "delimiter")
    records = source.get("records", "[]")
    if not isinstance(records, str):
        raise source.fail("records must be a path like data[].paragraphs[].qas[]", "records")
    return SourceSpec(format=fmt, splits=splits, header=header, columns=columns,
                      quoting=source.choice("quoting", ("standard", "none"), "standard"), encoding=encoding,
                      records=records, delimiter=delimiter, dataset=hub["dataset"], config=hub["config"],
                      max_instances=source.integer("max_instances", None, above=True),
                      split_lines=tuple((str(k), line_of(source.get("splits"), k)) for k in source.get("splits")),
                      splits_field=source.path("splits") or "splits")


def _labels(top: Section, path: Path, allow_outside: bool,
            files_read: list[tuple[str, str]]) -> tuple[tuple[str, str], ...] | None:
    labels, labels_file = top.get("labels"), top.get("labels_file")
    if labels is not None and labels_file is not None:
        raise top.fail("give labels or labels_file, not both", "labels")
    base = top.get("label_base", 0)
    if not isinstance(base, int) or isinstance(base, bool):
        raise top.fail("label_base must be an integer", "label_base")
    if labels_file is not None:
        file = resolve_inside(path.parent, str(labels_file), allow_outside, lambda m: top.fail(m, "labels_file"))
        try:
            data = read_bytes(file)
            labels = [n.strip() for n in data.decode("utf-8-sig").splitlines() if n.strip()]
        except (UserError, UnicodeDecodeError) as exc:
            reason = exc.reason.removeprefix("cannot read: ") if isinstance(exc, UserError) else str(exc)
            raise top.fail(f"cannot read labels file {file}: {reason}", "labels_file") from None
        files_read.append((str(file), hashlib.sha256(data).hexdigest()))
    if labels is None:
        return None
    if isinstance(labels, list):
        if not labels or not all(isinstance(n, str | int) for n in labels):
            raise top.fail("labels must be a non-empty list of names", "labels")
        pairs = tuple((str(i + base), str(name)) for i, name in enumerate(labels))
    elif isinstance(labels, dict):
        if not labels or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in labels.values()):
            raise top.fail("labels must map raw values to names", "labels")
        pairs = tuple((str(k), str(v)) for k, v in labels.items())
    else:
        raise top.fail("labels must be a list of names or a mapping raw value -> name", "labels")
    _check_distinct(top, labels, pairs, "labels" if labels_file is None else "labels_file")
    return pairs


def _check_distinct(top: Section, labels: Any, pairs: tuple[tuple[str, str], ...], key: str) -> None:
    """Each label has a name of its own and each raw value one label: two raw values named alike would give
    their rows one answer (``{0: positive, 1: positive}`` made every row 'positive'), silently."""
    names: dict[str, int] = {}
    raws: dict[str, int] = {}
    for index, (raw, name) in enumerate(pairs):
        where = f" in {top.get('labels_file')}" if key == "labels_file" else ""
        if name in names:
            other = pairs[names[name]][0]
            message = (f"label name {name!r} is given to both raw values {other} and {raw}{where}: each label needs "
                       "a name of its own (their rows would all get that one answer)")
        elif raw in raws:
            message = f"raw label value {raw!r} is given twice{where} ({pairs[raws[raw]][1]!r} and {name!r})"
        else:
            names[name], raws[raw] = index, index
            continue
        entry = list(labels)[index] if isinstance(labels, dict) else index
        line = line_of(labels, entry) if key == "labels" else None
        raise SpecError(message, file=top.file, line=line or top.line_of(key), field=key)


def _replace(top: Section, fields: dict[str, Any]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    out = []
    for slot, pairs in _mapping(top, "replace").items():
        if not isinstance(pairs, dict):
            raise top.fail(f"replace.{slot} must map text to its replacement", "replace")
        if slot not in fields:
            raise top.fail(f"replace names slot {slot!r} that `fields` does not define", "replace")
        if any(str(old) == "" for old in pairs):
            raise top.fail(f"replace.{slot}: cannot replace the empty string", "replace")
        out.append((str(slot), tuple((str(a), str(b)) for a, b in pairs.items())))
    return tuple(out)


def load_task_spec(path: str | Path, *, allow_outside_paths: bool = False) -> TaskSpec:
    """Load and validate a task spec file. Its data and labels files must lie inside its folder unless
    ``allow_outside_paths``."""
    path = Path(path)
    doc, sha256 = load_yaml_hashed(path, error=SpecError)
    files_read: list[tuple[str, str]] = []
    top = Section(doc, SPEC_KEYS, file=str(path), required=("name", "family", "source", "fields"))
    name, family = top.text("name", nonempty=True), top.text("family", nonempty=True)
    fields = _mapping(top, "fields")
    if not fields or not all(isinstance(v, str) and v for v in fields.values()):
        raise top.fail("fields must map slot names to raw field names", "fields")
    cluster = top.get("cluster", family)
    if not isinstance(cluster, str) or not cluster:
        raise top.fail("cluster must be a name", "cluster")
    related = top.get("related", [])
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        raise top.fail("related must be a list of cluster or dataset names", "related")
    assert name is not None and family is not None
    return TaskSpec(
        name=name, family=family, cluster=cluster, related=tuple(related), source=source_spec(top, path, allow_outside_paths),
        fields=tuple((str(k), v) for k, v in fields.items()), replace=_replace(top, fields),
        labels=_labels(top, path, allow_outside_paths, files_read), path=str(path),
        field_lines=tuple((str(k), line_of(fields, k)) for k in fields), sha256=sha256,
        files_read=tuple(files_read),
    )
