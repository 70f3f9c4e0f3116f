"""Task spec YAML files loaded into frozen dataclasses, validated with file/line/field errors."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ift_data.errors import SpecError
from ift_data.io.sources.base import ReadOptions
from ift_data.templates.pack import read_yaml

SPEC_KEYS = {"name", "family", "cluster", "related", "source", "fields", "replace", "labels",
             "labels_file", "label_base", "description"}
SOURCE_KEYS = {"format", "splits", "header", "columns", "quoting", "encoding", "records", "delimiter", "dataset",
               "config"}
FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "hf_disk", "hf_hub")


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

    def split_path(self, split: str) -> Path:
        for name, path in self.splits:
            if name == split:
                return path
        raise KeyError(split)

    def read_options(self, split: str) -> ReadOptions:
        """How the source layer reads ``split``."""
        hub_split = str(self.split_path(split)) if self.format == "hf_hub" else split
        return ReadOptions(format=self.format, header=self.header, columns=self.columns, quoting=self.quoting,
                           encoding=self.encoding, records=self.records, delimiter=self.delimiter,
                           dataset=self.dataset, config=self.config, split=hub_split)


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
    fields_line: int | None = None  # line of `fields:` in the spec file (for errors about a field)

    @property
    def label_names(self) -> tuple[str, ...]:
        if not self.labels:
            return ()
        seen: dict[str, None] = {}
        for _, name in self.labels:
            seen.setdefault(name, None)
        return tuple(seen)


def _fail(message: str, path: Path, line: int | None = None, field: str | None = None) -> SpecError:
    return SpecError(message, file=str(path), line=line, field=field)


def _mapping(value: Any, path: Path, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("must be a mapping", path, field=field)
    value = dict(value)
    value.pop("__line__", None)
    return value


def _source(raw: Any, path: Path) -> SourceSpec:
    line = raw.get("__line__") if isinstance(raw, dict) else None
    raw = _mapping(raw, path, "source")
    unknown = set(raw) - SOURCE_KEYS
    if unknown:
        raise _fail(f"unknown key(s) {sorted(unknown)} (valid keys: {', '.join(sorted(SOURCE_KEYS))})",
                    path, line, "source")
    fmt = raw.get("format")
    if fmt not in FORMATS:
        raise _fail(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}", path, line, "source.format")
    splits = _mapping(raw.get("splits"), path, "source.splits")
    if not splits or not all(isinstance(v, str) for v in splits.values()):
        raise _fail("splits must map split names to file paths", path, line, "source.splits")
    if fmt == "hf_hub":
        resolved = tuple((str(name), Path(split)) for name, split in splits.items())
        for key in ("dataset", "config"):
            if raw.get(key) is not None and (not isinstance(raw[key], str) or not raw[key]):
                raise _fail(f"{key} must be a name", path, line, f"source.{key}")
        if not raw.get("dataset"):
            raise _fail("a hub source needs `dataset: <hub name>`", path, line, "source.dataset")
    else:
        resolved = tuple((str(name), (path.parent / file).resolve()) for name, file in splits.items())
        extra = [key for key in ("dataset", "config") if key in raw]
        if extra:
            raise _fail(f"{', '.join(extra)} only applies to format: hf_hub", path, line, f"source.{extra[0]}")
    columns = raw.get("columns")
    if columns is not None and (not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)):
        raise _fail("columns must be a list of names", path, line, "source.columns")
    header = raw.get("header", True)
    if not isinstance(header, bool):
        raise _fail("header must be true or false", path, line, "source.header")
    if fmt in ("csv", "tsv") and not header and not columns:
        raise _fail("a file without a header needs `columns`", path, line, "source.columns")
    quoting = raw.get("quoting", "standard")
    if quoting not in ("standard", "none"):
        raise _fail("quoting must be standard or none", path, line, "source.quoting")
    encoding = raw.get("encoding", "utf-8")
    if not isinstance(encoding, str) or not _known_encoding(encoding):
        raise _fail(f"unknown text encoding {encoding!r} (e.g. utf-8, utf-8-sig, latin-1, cp1252, utf-16)",
                    path, line, "source.encoding")
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise _fail("delimiter must be one character", path, line, "source.delimiter")
    records = raw.get("records", "[]")
    if not isinstance(records, str):
        raise _fail("records must be a path like data[].paragraphs[].qas[]", path, line, "source.records")
    return SourceSpec(format=fmt, splits=resolved, header=header, columns=tuple(columns) if columns else None,
                      quoting=quoting, encoding=encoding, records=records, delimiter=delimiter,
                      dataset=raw.get("dataset"), config=raw.get("config"))


def _known_encoding(name: str) -> bool:
    try:
        return bool(getattr(codecs.lookup(name), "_is_text_encoding", True))
    except LookupError:
        return False


def _labels(raw: dict[str, Any], path: Path, line: int | None) -> tuple[tuple[str, str], ...] | None:
    labels, labels_file = raw.get("labels"), raw.get("labels_file")
    if labels is not None and labels_file is not None:
        raise _fail("give labels or labels_file, not both", path, line, "labels")
    base = raw.get("label_base", 0)
    if not isinstance(base, int) or isinstance(base, bool):
        raise _fail("label_base must be an integer", path, line, "label_base")
    if labels_file is not None:
        file = path.parent / str(labels_file)
        try:
            names = [n.strip() for n in file.read_text(encoding="utf-8-sig").splitlines() if n.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"cannot read labels file {file}: {exc}", path, line, "labels_file") from exc
        labels = names
    if labels is None:
        return None
    if isinstance(labels, list):
        if not labels or not all(isinstance(n, str | int) for n in labels):
            raise _fail("labels must be a non-empty list of names", path, line, "labels")
        return tuple((str(i + base), str(name)) for i, name in enumerate(labels))
    if isinstance(labels, dict):
        labels = dict(labels)
        labels.pop("__line__", None)
        if not labels or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in labels.values()):
            raise _fail("labels must map raw values to names", path, line, "labels")
        return tuple((str(k), str(v)) for k, v in labels.items())
    raise _fail("labels must be a list of names or a mapping raw value -> name", path, line, "labels")


def load_task_spec(path: str | Path) -> TaskSpec:
    """Load and validate a task spec file."""
    path = Path(path)
    raw = read_yaml(path, SpecError)
    if not isinstance(raw, dict):
        raise _fail("a task spec must be a mapping", path)
    line = raw.get("__line__")
    unknown = set(raw) - SPEC_KEYS - {"__line__"}
    if unknown:
        raise _fail(f"unknown key(s) {sorted(unknown)} (valid keys: {', '.join(sorted(SPEC_KEYS))})", path, line)
    for key in ("name", "family"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail("missing or not a string", path, line, key)
    fields_line = raw["fields"].get("__line__") if isinstance(raw.get("fields"), dict) else None
    fields = _mapping(raw.get("fields"), path, "fields")
    if not fields or not all(isinstance(v, str) for v in fields.values()):
        raise _fail("fields must map slot names to raw field names", path, line, "fields")
    replace_raw = _mapping(raw.get("replace", {}), path, "replace")
    replace = []
    for slot, pairs in replace_raw.items():
        pairs = _mapping(pairs, path, f"replace.{slot}")
        if slot not in fields:
            raise _fail(f"replace names slot {slot!r} that `fields` does not define", path, line, "replace")
        replace.append((slot, tuple((str(a), str(b)) for a, b in pairs.items())))
    cluster = raw.get("cluster", raw["family"])
    if not isinstance(cluster, str) or not cluster:
        raise _fail("cluster must be a name", path, line, "cluster")
    related = raw.get("related", [])
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        raise _fail("related must be a list of cluster or dataset names", path, line, "related")
    return TaskSpec(
        name=raw["name"], family=raw["family"], cluster=cluster,
        related=tuple(related), source=_source(raw.get("source"), path),
        fields=tuple((str(k), v) for k, v in fields.items()), replace=tuple(replace),
        labels=_labels(raw, path, line), path=str(path), fields_line=fields_line or line,
    )
