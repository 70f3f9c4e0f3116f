"""Property tests: any bytes through the readers give rows + rejects (never an unexpected exception, never a
row lost), and any values through the renderer and masking keep the span and label invariants."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ift_data.chat.format import FormatError, format_example
from ift_data.chat.masking import MASK_MODES, apply_mask
from ift_data.chat.registry import PRESETS
from ift_data.errors import UserError
from ift_data.io.sources import open_source
from ift_data.io.strict_json import StrictJSONError, loads_strict
from ift_data.schema import Example, Message, Provenance, RawRow, Reject, Segment
from ift_data.tasks.spec import SourceSpec
from ift_data.templates.render import Renderer, RenderError, joined

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# bytes that look like the formats more often than uniform noise would
JSONISH = st.lists(st.sampled_from([b"{", b"}", b"[", b"]", b'"text"', b'"label"', b":", b",", b"1", b"0",
                                    b"NaN", b'"a\\ud800"', b"\n", b"\r\n", b"\xef\xbb\xbf", b"\xff", b"\x00",
                                    b'"', b"null", b"true", b" ", b"\\", b"\t", b"text", b"label"]),
                   max_size=60).map(b"".join)
ANY_BYTES = st.one_of(st.binary(max_size=400), JSONISH)


def _read(data: bytes, fmt: str, **source) -> tuple[list[RawRow], list[Reject]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"f.{fmt}"
        path.write_bytes(data)
        spec = SourceSpec(format=fmt, splits=(("train", path),), **source)
        rows, rejects = [], []
        try:
            for item in open_source(path, spec.read_options("train")).items():
                (rejects if isinstance(item, Reject) else rows).append(item)
        except UserError as exc:  # a whole-file problem: one line, naming the file
            assert "\n" not in exc.format() and str(path) in exc.format()
            return [], []
        return rows, rejects


@SETTINGS
@given(ANY_BYTES)
def test_jsonl_reader_accounts_for_every_line(data: bytes) -> None:
    rows, rejects = _read(data, "jsonl")
    lines = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    nonblank = [x for x in lines.splitlines() if x.strip()]
    blank_decoded = [x for x in nonblank if _is_blank_text(x)]
    assert len(rows) + len(rejects) == len(nonblank) - len(blank_decoded)
    for row in rows:
        assert isinstance(row.fields, dict)
        _encodable(row.fields)


def _is_blank_text(line: bytes) -> bool:
    try:
        return not line.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


def _encodable(node) -> None:
    if isinstance(node, str):
        node.encode("utf-8")
    elif isinstance(node, dict):
        for k, v in node.items():
            _encodable(k)
            _encodable(v)
    elif isinstance(node, list):
        for v in node:
            _encodable(v)
    elif isinstance(node, float):
        assert node == node and node not in (float("inf"), float("-inf"))


@SETTINGS
@given(ANY_BYTES, st.sampled_from(["csv", "tsv"]), st.sampled_from(["standard", "none"]))
def test_delimited_reader_never_crashes(data: bytes, fmt: str, quoting: str) -> None:
    rows, rejects = _read(data, fmt, quoting=quoting)
    for row in rows:
        assert all(isinstance(v, str) for v in row.fields.values())
    for reject in rejects:
        assert reject.reason and reject.line >= 0


@SETTINGS
@given(ANY_BYTES, st.sampled_from(["[]", "data[]", "data[].items[]"]))
def test_json_reader_never_crashes(data: bytes, records: str) -> None:
    rows, _ = _read(data, "json", records=records)
    for row in rows:
        _encodable(row.fields)


@SETTINGS
@given(st.text(max_size=200))
def test_strict_json_parses_or_says_why(text: str) -> None:
    try:
        value = loads_strict(text)
    except StrictJSONError as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    _encodable(value)


@SETTINGS
@given(ANY_BYTES, st.sampled_from(["jsonl", "json", "csv", "tsv"]))
def test_instruction_reader_accounts_for_every_record(data: bytes, fmt: str) -> None:
    from ift_data.io.instructions import read_instructions

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"d.{fmt}"
        path.write_bytes(data)
        try:
            result = read_instructions([path])
        except UserError as exc:
            assert "\n" not in exc.format()
            return
        assert result.table.height + len(result.rejects) == result.rows_in
        buffer = io.StringIO()
        for column in ("instruction", "response"):
            for value in result.table[column]:
                buffer.write(value)
        buffer.getvalue().encode("utf-8")


TEMPLATE_PARTS = st.lists(st.one_of(
    st.text(max_size=10),
    st.sampled_from(["{{ text }}", "{{ answer }}", "{{ options }}", "{{ text | upper }}", "{% if text %}x{% endif %}",
                     "{{ label_names | join(', ') }}", "{{ text * 3 }}", "{{ ''.__class__ }}", "{{ undefined }}",
                     "{% for n in label_names %}{{ n }}{% endfor %}", "{{ text[:5] }}", "{{", "}}", "{%",
                     "{{ 'a' * 10**9 }}", "{{ 9 ** 9 ** 9 }}", "{{ text | center(10**9) }}", "{#", "#}"])),
    max_size=8).map("".join)


@SETTINGS
@given(TEMPLATE_PARTS, st.text(max_size=50), st.lists(st.text(max_size=8), min_size=1, max_size=3))
def test_render_spans_join_to_the_plain_render(body: str, text: str, names: list[str]) -> None:
    renderer = Renderer()
    context = {"text": text, "answer": names[0], "options": "", "label_names": names}
    try:
        spans = renderer.render(body, context)
    except RenderError as exc:
        assert str(exc)
        return
    assert all(kind in ("boilerplate", "content") for _, kind in spans)
    assert all(piece for piece, _ in spans)
    try:
        plain = renderer.plain_env.from_string(body).render(context).strip()
    except Exception:  # noqa: BLE001 - the plain env may differ only where ours refused
        return
    assert joined(spans) == plain


def _example(user: str, answer: str) -> Example:
    return Example(id="x", source=Provenance("d", "t", "tpl", "forward", 0, "f:1"),
                   messages=(Message("user", (Segment(user[:3], "boilerplate"), Segment(user[3:], "content"))),
                             Message("assistant", (Segment(answer, "content", "assistant"),))))


@SETTINGS
@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=30), st.sampled_from(sorted(PRESETS)),
       st.sampled_from(sorted(MASK_MODES)), st.one_of(st.none(), st.text(max_size=20)))
def test_masking_keeps_text_and_trains_only_assistant_in_response_mode(user, answer, preset, mode, system) -> None:
    try:
        formatted = format_example(_example(user, answer), PRESETS[preset], system)
    except (FormatError, UserError) as exc:  # e.g. data holding the format's control tokens
        assert str(exc)
        return
    segments = apply_mask(formatted, mode)
    assert "".join(s.text for s in segments) == "".join(p.segment.text for p in formatted.pieces)
    if mode == "response":
        assert all(not s.label for s in segments if s.role != "assistant")
        assert any(s.label for s in segments)
    if mode == "full":
        assert all(s.label for s in segments)


def test_constant_output_does_not_reuse_a_value_index() -> None:
    """Fuzz finding (fuzz_templates.py): Jinja finalized the constant ``{{ '' }}`` at compile time, so its
    sentinel pointed at value 0 of every later render and ``{{ answer }}`` came out twice."""
    renderer = Renderer()
    body = "{{ '' }}{{ answer }}{{ text }}{{ '-' }}"
    spans = renderer.render(body, {"text": "x", "answer": "yes"})
    assert joined(spans) == "yesx-"
    assert spans == [("yesx-", "content")] or joined(spans) == "yesx-"


# text shaped like answers and prompts: list markers, separators, wh-words, classing and counting wording
ANSWERISH = st.lists(st.sampled_from(["the", "a", "of", "and", "his", "when", "what", "are", "some", "list",
                                      "five", "3", "classify", "which", "is", "Here", "are", "following", ":",
                                      ",", ",,", ";", ".", "?", "\n", "- ", "1.", "2)", "•", "If", "In", "short",
                                      "Kraft", "Dinner", "Apples,", "Pears,", "r", "(", ")", '"', "中", "。", "।",
                                      "é", " ", "or", "vs"]),
                     max_size=40).map(" ".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=120), ANSWERISH), st.one_of(st.text(max_size=80), ANSWERISH))
def test_truncation_reason_never_raises(response: str, instruction: str) -> None:
    """Any text (a comma list with empty items, "Plums,,, r", crashed the audit) gets a reason or None."""
    from ift_data.audit.truncation import truncation_reason

    reason = truncation_reason(response, instruction, input_text=instruction[:10])
    assert reason is None or isinstance(reason, str)
