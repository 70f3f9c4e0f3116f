"""Instruction-data shapes: detect which one a file uses and turn one record into an audit row.

A shape maps an original record onto the audit fields ``instruction``, ``input``, ``response``,
``system``, ``context``, ``turns``, ``category``. Adding a shape means adding a function and one line in ``SHAPES``.

A chat (``messages`` / ``conversations``) is read as: instruction = the last user turn, response = the
last assistant turn (a text answer, after the last user turn), system = its system (and developer)
turns, context = every other turn in order, one ``role: text`` per turn (``_chat``).

A file's shape is the one most of its rows have the fields of (``choose_shape``; a tie goes to the earliest
row's); a row that has another shape's fields instead is rejected saying so (``ShapeChoice.misfit``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ift_data.io.sources.base import RowError, json_kind

__all__ = ["AUDIT_TEXT_FIELDS", "CATEGORY_KEYS", "Mapping_", "RowError", "ShapeChoice", "choose_shape",
           "converter_for", "count_shapes", "detect_shape", "family_of", "flat_columns_for", "shapes_fitted", "text_value",
           "user_field"]

AUDIT_TEXT_FIELDS = ("instruction", "input", "response", "system")
CATEGORY_KEYS = ("category", "task", "task_name")

USER_ROLES = {"user", "human", "prompter"}
ASSISTANT_ROLES = {"assistant", "gpt", "model", "bot", "chatgpt", "bard", "bing"}
SYSTEM_ROLES = {"system", "developer"}
TOOL_CALL_ROLES = {"function_call"}  # ShareGPT (LLaMA-Factory): an assistant turn whose text is a tool call
TOOL_RESULT_ROLES = {"tool", "function", "observation", "ipython"}  # a tool's output fed back to the model
# The context's line for the last user turn (the row's instruction), written only where turns come between it
# and the answer (tool calls and their results): they follow it.
INSTRUCTION_MARK = "[last user turn]"


def text_value(record: Mapping[str, Any], key: str, *, required: bool) -> str:
    """A text field as str: numbers and booleans are stringified, null/absent is "" unless required."""
    value = record.get(key)
    if value is None:
        if required:
            raise RowError("missing field" if key not in record else "field is null", key)
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise RowError(f"expected a string, got {json_kind(value)}", key)


def _category(record: Mapping[str, Any]) -> str | None:
    for key in CATEGORY_KEYS:
        value = record.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    source = record.get("source")
    if isinstance(source, Mapping) and isinstance(source.get("task"), str):
        return source["task"]
    return None


def _row(instruction: str, input_: str, response: str, system: str = "", turns: int = 1,
         category: str | None = None, context: str = "") -> dict[str, Any]:
    return {"instruction": instruction, "input": input_, "response": response, "system": system,
            "context": context, "turns": turns, "category": category}


@dataclass(frozen=True)
class Mapping_:
    """A user column mapping (``--map instruction=question,output=answer``). ``id=COLUMN`` names the
    dataset's own row id (as ``--id``); a mapping of only ``id`` keeps the detected shape."""

    fields: dict[str, str]
    id_field: str | None = None

    @property
    def maps_text(self) -> bool:
        """Whether the mapping names text columns (then it replaces shape detection)."""
        return any(f != "category" for f in self.fields)

    @classmethod
    def parse(cls, spec: str | None) -> Mapping_ | None:
        from ift_data.errors import UserError

        if not spec:
            return None
        fields: dict[str, str] = {}
        id_field = None
        given: dict[str, str] = {}  # field -> its first entry
        for part in spec.split(","):
            key, sep, column = part.partition("=")
            key = key.strip()
            key = "response" if key in ("output", "response") else key
            if not sep or not column.strip() or key not in (*AUDIT_TEXT_FIELDS, "category", "id"):
                raise UserError(f"bad --map entry {part!r}: expected FIELD=COLUMN with FIELD one of "
                                "instruction, input, output, system, category, id", field="--map")
            if key in given:
                name = "output" if key == "response" else key
                raise UserError(f"--map maps the {name} field twice ({given[key]!r} and {part.strip()!r}); "
                                "map each field once", field="--map")
            given[key] = part.strip()
            if key == "id":
                id_field = column.strip()
            else:
                fields[key] = column.strip()
        if any(f != "category" for f in fields):
            for needed in ("instruction", "response"):
                if needed not in fields:
                    raise UserError(f"--map must name the {'output' if needed == 'response' else needed} column",
                                    field="--map")
        elif id_field is None or fields:
            raise UserError("--map must name the instruction and output columns (or only id=COLUMN)", field="--map")
        return cls(fields, id_field)


# ---- per-shape converters -------------------------------------------------------------------------

def _own_key(record: Mapping[str, Any], key: str, other: str) -> str:
    """``key``, or ``other`` where the record has it and ``key`` is absent, or null beside a value (a record
    read through a table, JSONL column-wise or Parquet, has every column: an Alpaca row's ``response`` null)."""
    if other in record and (key not in record or (record[key] is None and record[other] is not None)):
        return other
    return key


def _alpaca(record: Mapping[str, Any]) -> dict[str, Any]:
    input_key = _own_key(record, "input", "context")
    output_key = _own_key(record, "output", "response")
    return _row(text_value(record, "instruction", required=True),
                text_value(record, input_key, required=False),
                text_value(record, output_key, required=True),
                text_value(record, "system", required=False), 1, _category(record))


def _prompt_completion(record: Mapping[str, Any]) -> dict[str, Any]:
    return _row(text_value(record, "prompt", required=True), "",
                text_value(record, "completion", required=True), "", 1, _category(record))


@dataclass(frozen=True)
class Chat:
    """A chat as the audit reads it (see the module docstring)."""

    user: str
    assistant: str
    system: str
    turns: int  # assistant turns with a text answer
    context: str


@dataclass(frozen=True)
class _Turn:
    kind: str  # user | assistant (a text answer) | call (an assistant turn calling tools) | tool (a tool's output)
    text: str
    where: str
    calls: tuple[str, ...] = ()


def _chat(messages: Any, key: str, role_key: str, text_key: str) -> Chat:
    """A chat list read as a ``Chat``. A chat without an assistant turn, or ending with anything but an
    assistant's text answer (a user turn, a tool call, a tool result), is rejected with that reason."""
    if not isinstance(messages, Sequence) or isinstance(messages, str):
        raise RowError(f"expected a list of messages, got {json_kind(messages)}", key)
    system: list[str] = []
    turns: list[_Turn] = []
    for i, message in enumerate(messages):
        where = f"{key}[{i}]"
        if not isinstance(message, Mapping):
            raise RowError(f"expected an object, got {json_kind(message)}", where)
        role = message.get(role_key)
        if not isinstance(role, str):
            raise RowError(f"missing or non-string '{role_key}'", where)
        role = role.lower()
        calls: tuple[str, ...] = ()
        if role in ASSISTANT_ROLES:
            calls = _tool_calls(message, where)
        elif role in TOOL_CALL_ROLES:
            calls = (_call_from_text(_required_text(message, text_key, where)),)
        elif role not in SYSTEM_ROLES | USER_ROLES | TOOL_RESULT_ROLES:
            raise RowError(f"unknown role {role!r}", where)
        if calls:  # the text beside a call ("Let me check.") may be absent or null
            text = _message_text(message, text_key, where) if message.get(text_key) is not None \
                and role not in TOOL_CALL_ROLES else ""
            turns.append(_Turn("call", text, where, calls))
            continue
        text = _required_text(message, text_key, where)
        if role in SYSTEM_ROLES:
            system.append(text)
        else:
            turns.append(_Turn("user" if role in USER_ROLES else "tool" if role in TOOL_RESULT_ROLES else "assistant",
                               text, where))
    if not any(t.kind in ("assistant", "call") for t in turns):
        raise RowError("no assistant message", key)
    last = turns[-1]
    if last.kind == "user":  # the last user turn has no answer: the row would pair it with an earlier turn's answer
        raise RowError("conversation ends with a user turn (no assistant answer after it)", last.where)
    if last.kind == "call":
        raise RowError("conversation ends with a tool call (no assistant text answer after it)", last.where)
    if last.kind == "tool":
        raise RowError("conversation ends with a tool result (no assistant text answer after it)", last.where)
    users = [i for i, t in enumerate(turns) if t.kind == "user"]
    asked = users[-1] if users else -1
    lines = [line for t in turns[:max(asked, 0)] for line in _context_lines(t)]
    between = [line for t in turns[asked + 1:-1] for line in _context_lines(t)]
    if between:
        lines += ([INSTRUCTION_MARK] if asked >= 0 else []) + between
    return Chat(turns[asked].text if asked >= 0 else "", last.text, "\n".join(system),
                sum(t.kind == "assistant" for t in turns), "\n".join(lines))


def _required_text(message: Mapping[str, Any], text_key: str, where: str) -> str:
    if text_key not in message:
        raise RowError(f"missing '{text_key}'", where)
    return _message_text(message, text_key, where)


def _context_lines(turn: _Turn) -> list[str]:
    """A turn as the context writes it: ``role: text``; a tool call ``assistant (tool call): name(arguments)``."""
    role = "assistant" if turn.kind == "call" else turn.kind
    lines = [f"{role}: {turn.text}"] if turn.text or turn.kind != "call" else []
    return lines + [f"assistant (tool call): {call}" for call in turn.calls]


def _tool_calls(message: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """An assistant message's tool calls as ``name(arguments)``: OpenAI's ``tool_calls`` list and its older
    ``function_call`` object."""
    calls = message.get("tool_calls")
    if calls is not None and (not isinstance(calls, Sequence) or isinstance(calls, str)):
        raise RowError(f"expected a list of tool calls, got {json_kind(calls)}", f"{where}.tool_calls")
    out = [_call_text(call, f"{where}.tool_calls[{j}]") for j, call in enumerate(calls or ())]
    if message.get("function_call") is not None:
        out.append(_call_text(message["function_call"], f"{where}.function_call"))
    return tuple(out)


def _call_text(call: Any, where: str) -> str:
    """One tool call (``{"function": {"name", "arguments"}}``, a custom tool's ``{"custom": {"name", "input"}}``,
    or a bare ``{"name", "arguments"}``) as ``name(arguments)``."""
    if not isinstance(call, Mapping):
        raise RowError(f"expected a tool call object, got {json_kind(call)}", where)
    function = next((call[k] for k in ("function", "custom") if call.get(k) is not None), call)
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str) or not function["name"].strip():
        raise RowError("tool call without a function name", where)
    arguments = function.get("arguments") if function.get("arguments") is not None else function.get("input")
    return f"{function['name']}({_arguments_text(arguments)})"


def _arguments_text(arguments: Any) -> str:
    """A call's arguments as compact JSON with sorted keys and without null members (a JSONL file read
    column-wise fills a record's missing keys with nulls), whether given as JSON text (OpenAI's) or as a value;
    text that is not a JSON object or array stays as it is."""
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except (ValueError, RecursionError):
            return arguments
        if not isinstance(parsed, dict | list):
            return arguments
        arguments = parsed
    return json.dumps(_without_nulls(arguments), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_nulls(v) for v in value]
    return value


def _call_from_text(text: str) -> str:
    """A ShareGPT ``function_call`` turn's value (JSON ``{"name", "arguments"}``) as ``name(arguments)``; a
    value that is not such JSON stays as it is."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return f"{value['name']}({_arguments_text(value.get('arguments'))})"
    return text


def _message_text(message: Mapping[str, Any], key: str, where: str) -> str:
    """A message's text; OpenAI's ``content`` may also be a list of parts: its text parts
    (``{"type": "text", "text": ...}``) are joined by line breaks, and a part of another type (an image, audio,
    a file) rejects the row, since only text can be audited."""
    parts = message.get(key)
    if not isinstance(parts, list):
        try:
            return text_value(message, key, required=True)
        except RowError as exc:
            raise RowError(exc.reason, f"{where}.{key}") from None
    texts = []
    for j, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
            continue
        what = (f"of type {kind!r}, not text" if isinstance(kind, str) and kind != "text" else
                "a text part without text" if kind == "text" else f"{json_kind(part)}, not a content part")
        raise RowError(f"{key} part {j} is {what}: only text parts can be audited", f"{where}.{key}[{j}]")
    return "\n".join(texts)


def _openai(record: Mapping[str, Any]) -> dict[str, Any]:
    chat = _chat(record.get("messages"), "messages", "role", "content")
    return _row(chat.user, "", chat.assistant, chat.system, chat.turns, _category(record), chat.context)


def _sharegpt(record: Mapping[str, Any]) -> dict[str, Any]:
    messages = record.get("conversations")
    first = messages[0] if isinstance(messages, list) and messages else {}
    # from/value, or role/content (a turn read through a table has both keys, the other pair null)
    uses_from = isinstance(first, Mapping) and "from" in first and _own_key(first, "from", "role") == "from"
    role_key, text_key = ("from", "value") if uses_from else ("role", "content")
    chat = _chat(messages, "conversations", role_key, text_key)
    system = chat.system or text_value(record, "system", required=False)
    return _row(chat.user, "", chat.assistant, system, chat.turns, _category(record), chat.context)


def mapped_converter(mapping: Mapping_) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def convert(record: Mapping[str, Any]) -> dict[str, Any]:
        values = {f: text_value(record, col, required=f in ("instruction", "response"))
                  for f, col in mapping.fields.items() if f != "category"}
        category = mapping.fields.get("category")
        cat = record.get(category) if category else _category(record)
        return _row(values["instruction"], values.get("input", ""), values["response"],
                    values.get("system", ""), 1, None if cat is None else str(cat))
    return convert


# name -> (keys that identify it, converter); checked in this order
SHAPES: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "ift": (("messages", "segments"), _openai),
    "openai": (("messages",), _openai),
    "sharegpt": (("conversations",), _sharegpt),
    "alpaca": (("instruction", "output"), _alpaca),
    "dolly": (("instruction", "response"), _alpaca),
    "prompt_completion": (("prompt", "completion"), _prompt_completion),
}

# Flat shapes whose fields can be read column-wise: shape -> {audit field: column}
FLAT_COLUMNS: dict[str, dict[str, str]] = {
    "alpaca": {"instruction": "instruction", "input": "input", "response": "output"},
    "dolly": {"instruction": "instruction", "input": "context", "response": "response"},
    "prompt_completion": {"instruction": "prompt", "response": "completion"},
}


def detect_shape(columns: Sequence[str]) -> str | None:
    """The first shape whose identifying keys are all present, or None."""
    present = set(columns)
    for name, (keys, _) in SHAPES.items():
        if all(k in present for k in keys):
            return name
    return None


# how a reject names a shape
SHAPE_LABELS = {"ift": "ift (messages and segments)", "openai": "OpenAI messages", "sharegpt": "ShareGPT",
                "alpaca": "Alpaca", "dolly": "Dolly", "prompt_completion": "prompt/completion", "mapped": "--map"}


def family_of(shape: str) -> str:
    """The first shape (in ``SHAPES`` order) read by the same converter as ``shape``: ift and openai are one
    family, alpaca and dolly another; a record of either shape of a family is read alike."""
    convert = SHAPES[shape][1]
    return next(name for name, (_, c) in SHAPES.items() if c is convert)


def shapes_fitted(record: Mapping[str, Any]) -> list[str]:
    """The shapes whose identifying keys ``record`` has, present and not null, in ``SHAPES`` order."""
    return [name for name, (keys, _) in SHAPES.items() if _has(record, keys)]


def _has(record: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    return all(record.get(key) is not None for key in keys)


@functools.cache
def _misfit_plan(shape: str) -> tuple[list[tuple[str, ...]], list[tuple[str, tuple[str, ...]]]]:
    """The keys of each shape of ``shape``'s family, and (name, keys) of every other shape, in ``SHAPES`` order."""
    family = family_of(shape)
    return ([keys for s, (keys, _) in SHAPES.items() if family_of(s) == family],
            [(s, keys) for s, (keys, _) in SHAPES.items() if family_of(s) != family])


@dataclass(frozen=True)
class ShapeChoice:
    """The shape a file is read as, and how it was decided: ``fitted`` of the ``seen`` rows it was read off
    have that shape's fields (0: no row fits any shape; the shape was told from the union of the fields)."""

    name: str
    fitted: int = 0
    seen: int = 0

    @property
    def decided_by(self) -> str:
        if self.fitted:
            return f"decided by {self.fitted:,} of {self.seen:,} rows"
        return f"decided by the fields of {self.seen:,} rows"

    def misfit(self, record: Mapping[str, Any]) -> RowError | None:
        """Why ``record`` is rejected as a row of another shape: it has no shape of this file's family but
        has another shape's fields (None: it is read as this shape; a record with no shape's fields at all
        is, and the converter names the missing field)."""
        if self.name not in SHAPES:
            return None
        own, others = _misfit_plan(self.name)
        if any(_has(record, keys) for keys in own):
            return None
        other = next((name for name, keys in others if _has(record, keys)), None)
        if other is None:
            return None
        return RowError(f"row has {SHAPE_LABELS[other]} fields but the file was read as "
                        f"{SHAPE_LABELS[self.name]} ({self.decided_by})", SHAPES[other][0][0])


def choose_shape(shape_rows: Mapping[str, int], family_rows: Mapping[str, int], seen: int,
                 first_rows: Mapping[str, int] | None = None) -> ShapeChoice | None:
    """The shape of a file from how many rows fit each shape (``shape_rows``) and each family (``family_rows``,
    by ``family_of``) among ``seen`` rows: the family most rows fit (a tie: the family of the earliest row,
    ``first_rows`` giving each family's first row; then ``SHAPES`` order), named by its first shape that some
    row fits. A row of another family is then a reject (``ShapeChoice.misfit``), and an extra field never
    outweighs the rows: one ShareGPT row among Alpaca rows, or a ``messages`` field on one Alpaca row, does not
    make the file ShareGPT or OpenAI. None when no row fits any shape."""
    families = list(dict.fromkeys(family_of(s) for s in SHAPES))
    first = first_rows or {}
    family = min(families, key=lambda f: (-family_rows.get(f, 0), first.get(f, seen), families.index(f)))
    if not family_rows.get(family):
        return None
    name = next(s for s in SHAPES if family_of(s) == family and shape_rows.get(s))
    return ShapeChoice(name, family_rows[family], seen)


def count_shapes(records: Iterable[Mapping[str, Any]]
                 ) -> tuple[dict[str, int], dict[str, int], int, dict[str, int]]:
    """``choose_shape``'s arguments for ``records``: rows fitting each shape, rows fitting each family, rows
    counted, and each family's first row (0-based)."""
    shape_rows: dict[str, int] = dict.fromkeys(SHAPES, 0)
    family_rows: dict[str, int] = {}
    first_rows: dict[str, int] = {}
    seen = 0
    for record in records:
        fitted = shapes_fitted(record)
        for name in fitted:
            shape_rows[name] += 1
        for family in dict.fromkeys(family_of(s) for s in fitted):
            family_rows[family] = family_rows.get(family, 0) + 1
            first_rows.setdefault(family, seen)
        seen += 1
    return shape_rows, family_rows, seen, first_rows


def converter_for(shape: str, mapping: Mapping_ | None) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    if shape == "mapped":
        assert mapping is not None
        return mapped_converter(mapping)
    return SHAPES[shape][1]


# Chat shapes: the record key every audit text field is read from.
CHAT_KEYS = {"ift": "messages", "openai": "messages", "sharegpt": "conversations"}


def user_field(shape: str, mapping: Mapping_ | None, audit_field: str) -> str:
    """The user's name for ``audit_field`` in a file of ``shape`` (for rejects): the mapped column, the
    shape's own column (Alpaca's ``output``, prompt/completion's ``completion``) or a chat's message list."""
    if shape == "mapped" and mapping is not None:
        return mapping.fields.get(audit_field, audit_field)
    if shape in CHAT_KEYS:
        return CHAT_KEYS[shape]
    return FLAT_COLUMNS.get(shape, {}).get(audit_field, audit_field)


def flat_columns_for(shape: str, mapping: Mapping_ | None, columns: Sequence[str]) -> dict[str, str]:
    """Audit field -> column for shapes readable column-wise (empty dict when not flat)."""
    if shape == "mapped" and mapping is not None:
        return {f: c for f, c in mapping.fields.items() if f != "category"}
    if shape in ("alpaca", "dolly") and ({"output", "response"} <= set(columns) or {"input", "context"} <= set(columns)):
        return {}  # Alpaca and Dolly fields side by side: each record is read by its own (``_alpaca``)
    flat = dict(FLAT_COLUMNS.get(shape, {}))
    if shape == "alpaca" and "input" not in columns and "context" in columns:
        flat["input"] = "context"
    if "system" in columns and flat:
        flat["system"] = "system"
    return flat
