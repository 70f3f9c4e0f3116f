"""Super-NaturalInstructions task files (``allenai/natural-instructions``, ``tasks/taskNNN_*.json``): one
file, or a folder of them, read as rows, one per instance.

A task file is one JSON object with ``Definition`` (a list of strings; the first is the one Tk-Instruct
uses), ``Positive Examples`` / ``Negative Examples`` (``input``, ``output``, optional ``explanation``),
``Instances`` (``id``, ``input``, ``output``: a list of acceptable outputs) and metadata (``Categories``,
``Domains``, ``Input_language``, ...). Each instance becomes a row whose fields are ``ROW_FIELDS``: the
instance's own ``id`` / ``input`` / ``outputs`` plus its task's definition, examples and metadata, so a
template sees everything Tk-Instruct's encodings use. ``max_instances`` keeps the first N instances of
each task (the evaluation benchmark uses the first 100, which the task files put first); the others are
rejects of stage ``limit``, counted, never dropped silently. An instance without a usable ``input`` or
``output`` is a read reject naming it; a task file that is not a SuperNI task is an error naming it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ift_data.errors import UserError
from ift_data.io.sources.base import Item, ReadOptions, Source, json_kind, read_bytes
from ift_data.io.strict_json import StrictJSONError, loads_strict
from ift_data.schema import RawRow, Reject

ROW_FIELDS = ("task", "id", "definition", "input", "outputs", "positive_examples", "negative_examples",
              "categories", "domains", "input_language", "output_language", "instruction_language", "source",
              "reasoning", "license")
REQUIRED_KEYS = ("Definition", "Instances")
# Metadata lists: task file key -> row field.
LIST_KEYS = {"Categories": "categories", "Domains": "domains", "Input_language": "input_language",
             "Output_language": "output_language", "Instruction_language": "instruction_language",
             "Source": "source", "Reasoning": "reasoning"}


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """A task's name (its file's stem), metadata and instance count."""

    name: str
    path: Path
    definition: str
    categories: tuple[str, ...]
    domains: tuple[str, ...]
    input_language: tuple[str, ...]
    output_language: tuple[str, ...]
    instruction_language: tuple[str, ...]
    instances: int

    def to_json(self) -> dict[str, Any]:
        return {"task": self.name, "categories": list(self.categories), "domains": list(self.domains),
                "input_language": list(self.input_language), "output_language": list(self.output_language),
                "instruction_language": list(self.instruction_language), "instances": self.instances}


def task_files(path: Path, name: str | None = None) -> list[Path]:
    """The task files: ``path`` itself, or every ``*.json`` file directly in the folder, by name."""
    shown = name or str(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        if not files:
            raise UserError("no SuperNI task file (*.json) in this folder", file=shown)
        return files
    if not path.exists():
        raise UserError("no such file or folder", file=shown)
    return [path]


def _texts(value: Any, where: str, shown: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise UserError("must be a list of strings", file=shown, field=where)


def load_task(path: Path, shown: str, data: bytes | None = None) -> dict[str, Any]:
    """The task file's object (from ``data`` when given: the file's bytes), checked: required keys present."""
    data = read_bytes(path, shown) if data is None else data
    try:
        doc = loads_strict(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text (byte {exc.start})", file=shown) from exc
    except StrictJSONError as exc:
        raise UserError(f"invalid JSON: {exc.reason}", file=shown, line=exc.line) from exc
    if not isinstance(doc, dict):
        raise UserError(f"not a SuperNI task: expected a JSON object, found {json_kind(doc)}", file=shown)
    missing = [key for key in REQUIRED_KEYS if key not in doc]
    if missing:
        raise UserError(f"not a SuperNI task: no {' or '.join(repr(m) for m in missing)} key", file=shown,
                        field=missing[0])
    if not isinstance(doc["Instances"], list):
        raise UserError("must be a list of instances", file=shown, field="Instances")
    return doc


def definition_of(doc: dict[str, Any], shown: str) -> str:
    """The definition Tk-Instruct uses: the first of the list (or the string itself)."""
    texts = _texts(doc.get("Definition"), "Definition", shown)
    if not texts:
        raise UserError("the task has no definition", file=shown, field="Definition")
    return texts[0]


def examples_of(doc: dict[str, Any], key: str, shown: str) -> list[dict[str, str]]:
    """Positive or negative examples as ``{"input", "output"[, "explanation"]}`` with text values."""
    raw = doc.get(key) or []
    if not isinstance(raw, list):
        raise UserError("must be a list of examples", file=shown, field=key)
    out: list[dict[str, str]] = []
    for index, item in enumerate(raw):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            raise UserError("an example must be an object with input and output", file=shown, field=where)
        example: dict[str, str] = {}
        for part in ("input", "output", "explanation"):
            if part not in item:
                if part != "explanation":
                    raise UserError(f"the example has no {part!r}", file=shown, field=f"{where}.{part}")
                continue
            if not isinstance(item[part], str):
                raise UserError(f"must be text, found {json_kind(item[part])}", file=shown,
                                field=f"{where}.{part}")
            example[part] = item[part]
        out.append(example)
    return out


def task_info(path: Path, shown: str | None = None, data: bytes | None = None) -> TaskInfo:
    """The metadata of one task file (read whole, or parsed from ``data``)."""
    shown = shown or str(path)
    doc = load_task(path, shown, data)
    lists = {field: _texts(doc.get(key), key, shown) for key, field in LIST_KEYS.items()}
    return TaskInfo(name=path.stem, path=path, definition=definition_of(doc, shown),
                    categories=lists["categories"], domains=lists["domains"],
                    input_language=lists["input_language"], output_language=lists["output_language"],
                    instruction_language=lists["instruction_language"], instances=len(doc["Instances"]))


_SPACE = re.compile(r"[ \t\n\r]*")


def instance_lines(text: str) -> list[int]:
    """The line each element of the top-level ``Instances`` array starts on, in a task file's text that
    ``load_task`` accepted (so it is strict JSON with one ``Instances`` key holding a list)."""
    decoder = json.JSONDecoder()

    def after(i: int, sep: str = "") -> int:  # past the whitespace (and the separator) at i
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        return _SPACE.match(text, i + 1).end() if sep and text.startswith(sep, i) else i  # type: ignore[union-attr]

    i = after(after(0), "{")
    while not text.startswith("}", i):
        key, i = decoder.raw_decode(text, i)
        i = after(i, ":")
        if key != "Instances":
            i = after(decoder.raw_decode(text, i)[1], ",")
            continue
        lines, line, counted = [], 1, 0
        i = after(i, "[")
        while not text.startswith("]", i):
            line, counted = line + text.count("\n", counted, i), i
            lines.append(line)
            i = after(decoder.raw_decode(text, i)[1], ",")
        return lines
    return []


def _instance(item: Any, index: int, shown: str, line: int) -> tuple[str, str, list[str]] | Reject:
    """(id, input, outputs) of one instance (starting on ``line`` of its file), or the reject saying what is
    wrong with it."""
    if not isinstance(item, dict):
        return Reject(shown, line, f"instance {index} is not an object ({json_kind(item)})", "Instances")
    identifier = item.get("id", f"{Path(shown).stem}-{index}")
    text = item.get("input")
    outputs = item.get("output")
    if isinstance(outputs, str):
        outputs = [outputs]
    if not isinstance(text, str):
        return Reject(shown, line, f"instance {identifier!s}: input must be text", f"Instances[{index}].input")
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        return Reject(shown, line, f"instance {identifier!s}: output must be a non-empty list of texts",
                      f"Instances[{index}].output")
    if not any(o.strip() for o in outputs):
        return Reject(shown, line, f"instance {identifier!s}: every output is empty", f"Instances[{index}].output")
    return str(identifier), text, [o for o in outputs if o.strip()]


def task_rows(path: Path, shown: str, max_instances: int | None) -> Iterator[Item]:
    """One task file's instances as rows (and rejects), in file order, each naming the line it starts on."""
    data = read_bytes(path, shown)
    doc = load_task(path, shown, data)
    lines = instance_lines(data.decode("utf-8-sig"))
    examples = {key: examples_of(doc, name, shown)
                for key, name in (("positive_examples", "Positive Examples"), ("negative_examples", "Negative Examples"))}
    base: dict[str, Any] = {
        "task": path.stem,
        "definition": definition_of(doc, shown),
        **{field: list(_texts(doc.get(key), key, shown)) for key, field in LIST_KEYS.items()},
        "license": "; ".join(_texts(doc.get("Instance License"), "Instance License", shown)),
    }
    for index, item in enumerate(doc["Instances"]):
        line = lines[index]
        if max_instances is not None and index >= max_instances:
            yield Reject(shown, line, f"over the per-task cap of {max_instances} instances (max_instances: "
                         "the first ones are read, as the benchmark does)", "Instances", "limit")
            continue
        parsed = _instance(item, index, shown, line)
        if isinstance(parsed, Reject):
            yield parsed
            continue
        identifier, text, outputs = parsed
        fields = {**base, "id": identifier, "input": text, "outputs": outputs}
        for key in ("positive_examples", "negative_examples"):  # each row its own copy
            fields[key] = [dict(e) for e in examples[key]]
        yield RawRow({key: fields[key] for key in ROW_FIELDS}, shown, line, pointer=f"Instances[{index}]")


def open_superni(path: Path, options: ReadOptions, name: str) -> Source:
    """A task file or a folder of task files; rows of a folder name their own file (``folder/task.json``)."""
    files = task_files(path, name)
    root = path if path.is_dir() else None
    shown = {file: name if root is None else f"{name}/{file.name}" for file in files}
    digest = hashlib.sha256()
    infos = []
    for file in files:  # one read per file for the digest and the metadata (checks every file up front)
        data = read_bytes(file, shown[file])
        if root is not None:
            digest.update(file.name.encode() + b"\0")
        digest.update(data)
        infos.append(task_info(file, shown[file], data))

    def items() -> Iterator[Item]:
        for file in files:
            yield from task_rows(file, shown[file], options.max_instances)

    info = {"tasks": [i.to_json() for i in infos], "max_instances": options.max_instances}
    return Source(options.format, path, name, digest.hexdigest(), items, columns=ROW_FIELDS, info=info)
