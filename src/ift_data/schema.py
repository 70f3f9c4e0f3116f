"""Records that flow between stages.

Build: raw rows -> ``Example`` (messages made of span-tracked ``Segment``s) -> chat formatting adds
``special`` segments and the masking mode sets ``label`` -> exporters write them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ift_data.audit.summary import AuditSummary as AuditSummary

SegmentKind = Literal["boilerplate", "content", "special"]
Role = Literal["system", "user", "assistant"]
TemplateVariant = Literal["forward", "inverted"]


@dataclass(frozen=True, slots=True, init=False)
class Segment:
    """A piece of rendered text: ``boilerplate`` (literal template text), ``content`` (data values)
    or ``special`` (chat-format role headers, delimiters, BOS/EOS). ``label`` says if it carries loss."""

    text: str
    kind: SegmentKind
    role: Role = "user"
    label: bool = False

    # The dataclass's own frozen __init__ sets each field through object.__setattr__; setting the slots
    # directly is twice as fast (a build makes tens of segments an example). Still frozen afterwards.
    def __init__(self, text: str, kind: SegmentKind, role: Role = "user", label: bool = False) -> None:
        _set_text(self, text)
        _set_kind(self, kind)
        _set_role(self, role)
        _set_label(self, label)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "label": self.label, "kind": self.kind, "role": self.role}


_set_text, _set_kind, _set_role, _set_label = (vars(Segment)[name].__set__ for name in ("text", "kind", "role", "label"))


@dataclass(frozen=True, slots=True, init=False)
class Message:
    """One chat turn; its text is the concatenation of its segments."""

    role: Role
    segments: tuple[Segment, ...]

    def __init__(self, role: Role, segments: tuple[Segment, ...]) -> None:  # frozen, slots set directly
        _set_message_role(self, role)
        _set_segments(self, segments)

    @property
    def content(self) -> str:
        return "".join([s.text for s in self.segments])


_set_message_role, _set_segments = (vars(Message)[name].__set__ for name in ("role", "segments"))


@dataclass(frozen=True, slots=True, init=False)
class Provenance:
    """Where an example came from."""

    dataset: str
    task: str
    template: str
    variant: TemplateVariant
    shots: int  # 0 = zero-shot
    row: str  # "FILE:LINE" (or FILE#index for nested JSON) of the source row
    split: str = "train"

    def __init__(self, dataset: str, task: str, template: str, variant: TemplateVariant, shots: int, row: str,
                 split: str = "train") -> None:  # frozen, slots set directly (one an example built)
        for setter, value in zip(_PROVENANCE_SETTERS, (dataset, task, template, variant, shots, row, split),
                                 strict=True):
            setter(self, value)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "task": self.task,
            "template": self.template,
            "variant": self.variant,
            "shots": self.shots,
            "row": self.row,
            "split": self.split,
        }


_PROVENANCE_SETTERS = tuple(vars(Provenance)[f].__set__
                            for f in ("dataset", "task", "template", "variant", "shots", "row", "split"))


@dataclass(frozen=True, slots=True, init=False)
class Example:
    """An instruction example: a list of messages (earlier turns hold multi-turn few-shot exemplars;
    the last message is the assistant's target), plus provenance."""

    id: str
    source: Provenance
    messages: tuple[Message, ...]
    system: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __init__(self, id: str, source: Provenance, messages: tuple[Message, ...], system: str | None = None,
                 meta: dict[str, Any] | None = None) -> None:  # frozen, slots set directly; meta: a new dict
        _set_id(self, id)
        _set_source(self, source)
        _set_messages(self, messages)
        _set_system(self, system)
        _set_meta(self, {} if meta is None else meta)

    @property
    def prompt(self) -> Message:
        return self.messages[-2]

    @property
    def target(self) -> Message:
        return self.messages[-1]


_set_id, _set_source, _set_messages, _set_system, _set_meta = (
    vars(Example)[name].__set__ for name in ("id", "source", "messages", "system", "meta"))


@dataclass(frozen=True, slots=True)
class RawRow:
    """A row read from a raw file: its fields plus where it was (file, line or record index)."""

    fields: dict[str, Any]
    file: str
    line: int
    pointer: str | None = None  # for nested JSON: the record's path, e.g. data[0].paragraphs[2].qas[1]
    parents: tuple[dict[str, Any], ...] = ()  # enclosing records, innermost first (nested JSON)

    @property
    def location(self) -> str:
        return f"{self.file}#{self.pointer}" if self.pointer else f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Reject:
    """A row (or example) that did not make it into the output, and why."""

    file: str
    line: int
    reason: str
    field: str | None = None
    stage: str = "read"
    dataset: str | None = None
    # The audit's read rejects: the record's 0-based position among the file's records (``source_record``),
    # which finds it where a line does not (a one-line JSON array, Parquet). Where it is, not what: equal
    # rejects stay equal, and ``to_json`` (summary.json) leaves it out.
    record: int | None = dataclasses.field(default=None, compare=False)  # (``field`` is this class's own name)
    # A JSON record that is not an object (``5``, ``null`` in an array), as JSON: the reader's only copy of it,
    # which ``clean`` writes as the reject's ``raw``. Left out of comparisons and of ``to_json`` too.
    raw: str | None = dataclasses.field(default=None, compare=False, repr=False)
    # The row's own id (``--id``) where the reader got the record and it holds one, so ``clean``'s
    # rejected.jsonl names it; left out of comparisons and of ``to_json``.
    id: str | None = dataclasses.field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "reason": self.reason,
            "stage": self.stage,
            "dataset": self.dataset,
        }


def __getattr__(name: str) -> Any:
    """``AuditSummary`` (audit -> report/clean; its records live in ``audit/summary.py``), imported on
    first use so that the build does not load the audit package."""
    if name == "AuditSummary":
        from ift_data.audit.summary import AuditSummary

        return AuditSummary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
