"""Chat formatting: wrap an ``Example``'s messages in a chat format's role headers, end-of-turn
markers, separators and BOS/EOS, as ``special`` pieces around the message segments.

A ``ChatFormat`` is data (one frozen dataclass); the presets and custom YAML formats only fill it.
Every piece keeps its ``part`` (bos, header, body, end_of_turn, eos, separator) and its turn, so the
masking modes are plain choices over (part, kind, role, turn): no marker search in rendered text.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Literal

from ift_data.schema import Example, Message, Role, Segment

Part = Literal["bos", "header", "body", "end_of_turn", "eos", "separator"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant")


@dataclass(frozen=True, slots=True)
class RoleMarkup:
    """Special text around one role's messages: ``header`` + text + ``end_of_turn``, then
    ``separator`` when another message follows. The assistant's ``end_of_turn`` carries loss."""

    header: str = ""
    end_of_turn: str = ""
    separator: str = ""


@dataclass(frozen=True, slots=True)
class ChatFormat:
    """A chat format: BOS once at the start, each message in its role's markup, EOS once after the
    final assistant turn. ``special_tokens`` are strings a tokenizer is expected to turn into control
    tokens: data that contains one is rejected, never formatted."""

    name: str
    user: RoleMarkup
    assistant: RoleMarkup
    system: RoleMarkup = RoleMarkup()
    bos: str = ""
    eos: str = ""
    default_system_prompt: str | None = None
    special_tokens: tuple[str, ...] = ()
    description: str = ""
    source: str | None = None  # path of a custom YAML format; None for presets
    _reserved: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found = [s for s in (*self.special_tokens, self.bos, self.eos) if s]
        object.__setattr__(self, "_reserved", tuple(dict.fromkeys(found)))

    def markup(self, role: Role) -> RoleMarkup:
        return {"system": self.system, "user": self.user, "assistant": self.assistant}[role]

    def reserved_strings(self) -> tuple[str, ...]:
        """Control-token strings that must never appear inside data or template text."""
        return self._reserved

    def written_tokens(self) -> tuple[str, ...]:
        """The reserved strings this format's own markup writes (BOS, EOS, role headers, end-of-turn)."""
        roles = (self.system, self.user, self.assistant)
        markup = "\0".join((self.bos, self.eos, *(m.header + "\0" + m.end_of_turn + "\0" + m.separator for m in roles)))
        return tuple(token for token in self.reserved_strings() if token in markup)


@dataclass(frozen=True, slots=True, init=False)
class Piece:
    """A segment plus where it sits in the chat layout: its ``part`` and its message index (``turn``)."""

    segment: Segment
    part: Part
    turn: int

    def __init__(self, segment: Segment, part: Part, turn: int) -> None:  # frozen, slots set directly (faster)
        _set_segment(self, segment)
        _set_part(self, part)
        _set_turn(self, turn)

    @property
    def text(self) -> str:
        return self.segment.text


_set_segment, _set_part, _set_turn = (vars(Piece)[name].__set__ for name in ("segment", "part", "turn"))


@dataclass(frozen=True, slots=True)
class FormattedExample:
    """An example laid out in a chat format; ``text`` is the joined piece texts, byte for byte."""

    example: Example
    chat_format: ChatFormat
    messages: tuple[Message, ...]  # the messages as formatted, a system message first when there is one
    pieces: tuple[Piece, ...]
    explicit_system: str | None = None  # system prompt from the example or the options (not the format)
    final_turn: int = field(default=0)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


class FormatError(ValueError):
    """An example cannot be formatted (wrong message order, a reserved string in the data, ...)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def _system_message(example: Example, system_prompt: str | None, chat_format: ChatFormat
                    ) -> tuple[Message | None, str | None]:
    """The system message to format and the explicit system text (example, then options; the format's
    default is used for formatting only)."""
    if example.messages and example.messages[0].role == "system":
        return example.messages[0], example.messages[0].content
    explicit = example.system if example.system is not None else system_prompt
    text = explicit if explicit is not None else chat_format.default_system_prompt
    if not text:
        return None, explicit or None
    return Message("system", (Segment(text, "boilerplate", "system"),)), explicit


def conversation(example: Example, system_prompt: str | None, chat_format: ChatFormat
                 ) -> tuple[tuple[Message, ...], str | None]:
    """The messages to format (system first, if any) after checking the turn order."""
    system, explicit = _system_message(example, system_prompt, chat_format)
    has_system_message = bool(example.messages) and example.messages[0].role == "system"
    turns = example.messages[1:] if has_system_message else example.messages
    if any(m.role == "system" for m in turns):
        raise FormatError("a system message may only come first", field="messages")
    if not turns or turns[-1].role != "assistant":
        raise FormatError("the last message must be the assistant's target", field="messages")
    for index, message in enumerate(turns):
        expected = "user" if index % 2 == 0 else "assistant"
        if message.role != expected:
            raise FormatError(f"message {index} is '{message.role}', expected alternating user/assistant "
                              "turns ending with the assistant", field="messages")
    return ((system, *turns) if system is not None else tuple(turns)), explicit


class Reserved:
    """A set of control-token strings, ready to search: one regex (longest token first) behind a cheap
    test on the tokens' first two characters (Llama 3's 259 tokens all start with ``<|``)."""

    __slots__ = ("heads", "longest", "pattern")

    def __init__(self, tokens: tuple[str, ...]) -> None:
        tokens = tuple(sorted({t for t in tokens if t}, key=len, reverse=True))
        self.pattern = re.compile("|".join(map(re.escape, tokens))) if tokens else None
        self.heads = tuple(sorted({t[:2] for t in tokens}))
        self.longest = len(tokens[0]) if tokens else 0

    def find(self, text: str) -> str | None:
        """The first token in ``text``, or None."""
        if self.pattern is None or not any(head in text for head in self.heads):
            return None
        found = self.pattern.search(text)
        return found.group() if found else None

    def across(self, text: str, seam: int) -> str | None:
        """A token that starts before ``seam`` and ends after it, or None."""
        if self.pattern is None:
            return None
        for head in self.heads:
            at = text.find(head, max(0, seam - self.longest + 1), seam + len(head) - 1)
            while at != -1:
                match = self.pattern.match(text, at)
                if match is not None and match.end() > seam:
                    return match.group()
                at = text.find(head, at + 1, seam + len(head) - 1)
        return None


@functools.lru_cache(maxsize=64)
def reserved_set(tokens: tuple[str, ...]) -> Reserved:
    return Reserved(tokens)


def _check_seams(pieces: list[Piece], reserved: Reserved, owner: str) -> None:
    """Raise when a reserved string forms across the seam of data and markup (or of two messages'
    data with no markup between): e.g. data ending in ``>`` before markup starting with ``>``."""
    text = "".join([p.segment.text for p in pieces])
    if not _straddles(text, pieces, reserved):
        return  # no reserved string crosses any seam: the seam-by-seam search below would find none
    offset = 0
    for before, after in zip(pieces, pieces[1:], strict=False):
        offset += len(before.text)
        if before.segment.kind == "special" and after.segment.kind == "special":
            continue
        token = reserved.across(text, offset)
        if token is not None:
            data = before if before.segment.kind != "special" else after
            raise FormatError(f"text of message {data.turn} ({data.segment.role}) next to the chat markup forms "
                              f"the special-token string {token!r} (a control token of {owner})",
                              field=f"messages[{data.turn}]")


def _straddles(text: str, pieces: list[Piece], reserved: Reserved) -> bool:
    """Whether any reserved string in ``text`` (at any start, overlapping ones too) runs past the end of the
    piece it starts in: ``Reserved.across`` finds a token at a seam only then."""
    pattern = reserved.pattern
    if pattern is None:
        return False
    ends: list[int] | None = None
    for head in reserved.heads:
        at = text.find(head)
        while at != -1:
            match = pattern.match(text, at)
            if match is not None:
                if ends is None:
                    ends = list(accumulate(len(p.segment.text) for p in pieces))
                if match.end() > ends[bisect_right(ends, at)]:
                    return True
            at = text.find(head, at + 1)
    return False


def find_reserved(text: str, reserved: Iterable[str]) -> str | None:
    """The first reserved (control-token) string in ``text``, or None."""
    return reserved_set(tuple(reserved)).find(text)


def check_reserved(messages: Iterable[Message], reserved: Iterable[str] | Reserved,
                   owner: str = "the chat format") -> None:
    """Raise when a reserved (control-token) string occurs in message text, also across segments;
    ``owner`` says whose token it is in the reason."""
    checker = reserved if isinstance(reserved, Reserved) else reserved_set(tuple(reserved))
    for index, message in enumerate(messages):
        token = checker.find(message.content)
        if token is not None:
            kinds = {s.kind for s in message.segments if token in s.text} or {"content"}
            raise FormatError(f"{'/'.join(sorted(kinds))} text of message {index} ({message.role}) contains the "
                              f"special-token string {token!r} (a control token of {owner})",
                              field=f"messages[{index}]")


def format_example(example: Example, chat_format: ChatFormat, system_prompt: str | None = None,
                   extra_reserved: Iterable[str] = ()) -> FormattedExample:
    """Lay ``example`` out in ``chat_format``. Labels are left False; ``masking.apply_mask`` sets them.

    Raises ``FormatError`` for a malformed conversation or a reserved string inside the data.
    """
    messages, explicit = conversation(example, system_prompt, chat_format)
    extra = tuple(extra_reserved)
    owner = f"chat format {chat_format.name}" + (" or the tokenizer" if extra else "")
    reserved = reserved_set((*chat_format.reserved_strings(), *extra) if extra else chat_format.reserved_strings())
    check_reserved(messages, reserved, owner)
    pieces: list[Piece] = []
    append = pieces.append
    if chat_format.bos:
        append(Piece(Segment(chat_format.bos, "special", messages[0].role), "bos", 0))
    last = len(messages) - 1
    for turn, message in enumerate(messages):
        role = message.role
        markup = chat_format.markup(role)
        if markup.header:
            append(Piece(Segment(markup.header, "special", role), "header", turn))
        for segment in message.segments:
            if segment.text:  # the message's own segment when it is already what the piece holds
                same = segment.role == role and segment.label is False
                append(Piece(segment if same else Segment(segment.text, segment.kind, role), "body", turn))
        if markup.end_of_turn:
            append(Piece(Segment(markup.end_of_turn, "special", role), "end_of_turn", turn))
        if turn < last and markup.separator:
            append(Piece(Segment(markup.separator, "special", role), "separator", turn))
    if chat_format.eos:
        append(Piece(Segment(chat_format.eos, "special", "assistant"), "eos", last))
    _check_seams(pieces, reserved, owner)
    return FormattedExample(example, chat_format, tuple(messages), tuple(pieces), explicit, last)
