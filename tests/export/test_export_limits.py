"""Each export says what it cannot carry: a mask mode a file cannot express is a printed warning (an
error when no requested file can carry a chosen mode), ``--truncate-side`` picks the end that
``--overflow truncate`` cuts, and chat markers missing from the tokenizer are a warning with a count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from export_helpers import build_example

from ift_data.cli import main
from ift_data.errors import UserError
from ift_data.export import ExportOptions, check_export_options, export_examples
from ift_data.export.tokenized import load_tokenizer

SINGLE = [build_example("a fine film", ident="a"), build_example("a dull film", "negative", ident="b")]
MULTI = [*SINGLE, build_example("so so", "negative", shots=2, ident="c")]


def _warnings(tmp_path: Path, formats: tuple[str, ...], mask: str, examples=SINGLE, **kw) -> list[str]:
    section = export_examples(examples, tmp_path, "t", ExportOptions(formats=formats, mask_mode=mask, **kw))
    return section["warnings"]


# -- mask modes a file cannot carry -------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "mask", "examples", "carried"), [
    ("messages", "response", MULTI, True),
    ("messages", "last-turn", MULTI, True),
    ("messages", "instruction", SINGLE, False),
    ("messages", "boilerplate", SINGLE, False),
    ("messages", "full", SINGLE, False),
    ("prompt_completion", "response", SINGLE, True),
    ("prompt_completion", "response", MULTI, False),
    ("prompt_completion", "last-turn", MULTI, True),
    ("prompt_completion", "instruction", SINGLE, False),
    ("alpaca", "response", MULTI, True),
    ("alpaca", "last-turn", SINGLE, True),
    ("alpaca", "last-turn", MULTI, False),
    ("sharegpt", "instruction", SINGLE, False),
    ("text", "full", SINGLE, True),
    ("text", "response", SINGLE, False),
    ("segments", "boilerplate", MULTI, True),
])
def test_each_format_says_which_modes_it_carries(tmp_path, fmt, mask, examples, carried) -> None:
    warnings = _warnings(tmp_path, ("segments", fmt), mask, examples)
    mine = [w for w in warnings if w.startswith(f"{fmt}: ")]
    assert (not mine) == carried, warnings
    if not carried:
        assert repr(mask) in mine[0] or mask in mine[0]


def test_llamafactory_warning_names_the_trainer_setting(tmp_path) -> None:
    (warning,) = _warnings(tmp_path, ("segments", "sharegpt"), "last-turn", MULTI)
    assert "mask_history" in warning


def test_a_chosen_mode_no_requested_file_carries_is_an_error(tmp_path) -> None:
    for formats, mask in [(("messages",), "instruction"), (("messages", "prompt_completion"), "boilerplate"),
                          (("text",), "last-turn"), (("sharegpt", "alpaca"), "full")]:
        with pytest.raises(UserError) as info:
            check_export_options(ExportOptions(formats=formats, mask_mode=mask))
        assert info.value.field == "mask" and "cannot be written in any requested format" in info.value.reason
        with pytest.raises(UserError):
            export_examples(SINGLE, tmp_path, "t", ExportOptions(formats=formats, mask_mode=mask))
    # the default mode only warns: it was never chosen, and the trainer's own default is the same
    check_export_options(ExportOptions(formats=("text",), mask_mode="response"))
    assert _warnings(tmp_path, ("text",), "response")


def test_build_prints_the_warning_and_refuses_before_reading(tasks, make_recipe, helpers, tmp_path) -> None:
    task = tasks.jsonl("reviews", helpers.sentiment_records(8))
    recipe = make_recipe([{"task": str(task)}])
    runner = CliRunner()
    ok = runner.invoke(main, ["build", str(recipe), "--out", str(tmp_path / "a"), "--format", "segments,messages",
                              "--mask", "instruction"])
    assert ok.exit_code == 0, ok.output
    text = " ".join(ok.output.split())
    assert "warning: export train: messages: 'weight' marks whole assistant turns only" in text
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["outputs"]["train"]["warnings"]
    (task.parent / "train.jsonl").unlink()  # the error comes before any data is read
    bad = runner.invoke(main, ["build", str(recipe), "--out", str(tmp_path / "b"), "--format", "messages",
                               "--mask", "instruction"])
    assert bad.exit_code == 2 and "mask mode 'instruction' cannot be written" in " ".join(bad.output.split())
    assert not (tmp_path / "b").exists()


# -- truncation side ---------------------------------------------------------------------------------------

def _tokenized(tmp_path: Path, bpe_path: str, **kw) -> list[dict]:
    export_examples([build_example("ok " * 3, answer="yes " * 60)], tmp_path, "t",
                    ExportOptions(formats=("tokenized",), tokenizer=bpe_path, **kw))
    return [json.loads(line) for line in (tmp_path / "t.tokenized.jsonl").read_text().splitlines()]


def test_truncate_side(tmp_path, bpe_path) -> None:
    (full,) = _tokenized(tmp_path / "full", bpe_path)
    assert len(full["input_ids"]) > 40
    (right,) = _tokenized(tmp_path / "right", bpe_path, max_len=40, overflow="truncate")
    (default,) = _tokenized(tmp_path / "default", bpe_path, max_len=40, overflow="truncate", truncate_side="right")
    (left,) = _tokenized(tmp_path / "left", bpe_path, max_len=40, overflow="truncate", truncate_side="left")
    assert right == default, "right is the default"
    assert right["input_ids"] == full["input_ids"][:40] and right["labels"] == full["labels"][:40]
    bos = load_tokenizer(bpe_path).bos_token_id
    assert full["input_ids"][0] == bos
    assert left["input_ids"] == [bos, *full["input_ids"][-39:]] and left["labels"] == [-100, *full["labels"][-39:]]
    assert left["input_ids"][-1] == full["input_ids"][-1], "left keeps the end: the EOS stays"


def test_truncate_side_is_checked_and_recorded(tmp_path, bpe_path) -> None:
    with pytest.raises(UserError) as info:
        check_export_options(ExportOptions(truncate_side="middle"))
    assert info.value.field == "truncate_side"
    with pytest.raises(UserError) as info:  # left without truncation would be silently ignored
        check_export_options(ExportOptions(tokenizer=bpe_path, max_len=64, truncate_side="left"))
    assert info.value.field == "truncate_side" and "no effect with overflow drop" in info.value.reason
    with pytest.raises(UserError) as info:  # truncate without max_len used to pass and change nothing
        check_export_options(ExportOptions(overflow="truncate"))
    assert info.value.field == "overflow" and "no effect without max_len" in info.value.reason
    section = export_examples(SINGLE, tmp_path, "t", ExportOptions(tokenizer=bpe_path, max_len=64,
                                                                   overflow="truncate", truncate_side="left"))
    assert section["truncate_side"] == "left"


def test_cli_truncate_side_reaches_the_manifest(tasks, make_recipe, helpers, tmp_path, bpe_path) -> None:
    task = tasks.jsonl("reviews", helpers.sentiment_records(6))
    recipe = make_recipe([{"task": str(task)}])
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "o"), "--format", "tokenized",
                                       "--tokenizer", bpe_path, "--max-len", "512", "--overflow", "truncate",
                                       "--truncate-side", "left", "--allow-outside-paths"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["outputs"]["train"]["truncate_side"] == "left"


# -- chat markers the tokenizer lacks ------------------------------------------------------------------------

def test_missing_chat_markers_warn_with_the_count(tmp_path, bert_path) -> None:
    examples = [*SINGLE, build_example("third", ident="c")]
    warnings = _warnings(tmp_path, ("tokenized",), "response", examples, tokenizer=bert_path)
    markers = [w for w in warnings if "chat-format marker" in w]
    assert {m.split("'")[1] for m in markers} == {"<|im_start|>", "<|im_end|>"}
    assert all("in 3 of 3 examples" in m for m in markers), markers


def test_markers_the_tokenizer_has_give_no_warning(tmp_path, bpe_path) -> None:
    assert not _warnings(tmp_path, ("tokenized",), "response", tokenizer=bpe_path)


def test_marker_count_is_of_the_examples_holding_it(tmp_path, bpe_path) -> None:
    system = build_example("with a system prompt", ident="s", system="Be brief.")
    warnings = _warnings(tmp_path, ("tokenized",), "response", [*SINGLE, system], tokenizer=bpe_path,
                         chat_format="llama3")
    counts = {w.split("'")[1]: w for w in warnings if "chat-format marker" in w}
    assert "in 3 of 3 examples" in counts["<|start_header_id|>"]
