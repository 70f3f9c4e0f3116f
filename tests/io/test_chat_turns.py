"""How a chat is read: last user turn = instruction, last assistant text answer = response, system and developer
turns = system, every other turn = context (tool calls and tool results included); rows in = rows + rejects."""

from __future__ import annotations

import json

import pytest

from ift_data.io.instructions import read_instructions


def _jsonl(path, records, broken: bool = False):
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + (["{broken"] if broken else [])
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _read(tmp_path, records, broken: bool = False):
    data = _jsonl(tmp_path / "d.jsonl", records, broken)
    out = read_instructions([data])
    assert out.rows_in == out.table.height + len(out.rejects)
    return out


def _msg(role, content, **extra):
    return {"role": role, "content": content, **extra}


def _call(name, arguments, call_id="call_1"):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


MULTI = [_msg("user", "Explain photosynthesis."), _msg("assistant", "Plants turn light into sugar."),
         _msg("user", "Thanks!"), _msg("assistant", "You're welcome!")]
WEATHER = [_msg("developer", "Answer in one sentence."), _msg("user", "What is the weather in Paris?"),
           _msg("assistant", None, tool_calls=[_call("get_weather", '{"city": "Paris"}')]),
           _msg("tool", "21 C, sunny", tool_call_id="call_1"), _msg("assistant", "It is 21 C and sunny in Paris.")]
WEATHER_CONTEXT = ('[last user turn]\nassistant (tool call): get_weather({"city":"Paris"})\ntool: 21 C, sunny')


def test_earlier_turns_are_the_context(tmp_path):
    single = {"messages": [_msg("user", "Hi?"), _msg("assistant", "Hello.")]}
    data = _read(tmp_path, [{"messages": MULTI}, single])
    row = data.table.row(0, named=True)
    assert (row["instruction"], row["response"], row["turns"]) == ("Thanks!", "You're welcome!", 2)
    assert row["context"] == "user: Explain photosynthesis.\nassistant: Plants turn light into sugar."
    assert data.table["context"][1] == ""


def test_flat_shapes_have_no_context(tmp_path):
    data = _read(tmp_path, [{"instruction": "Q", "input": "", "output": "A", "system": "S"}])
    assert data.table.select("system", "context").row(0) == ("S", "")


@pytest.mark.parametrize("broken", [False, True], ids=["column-wise", "line by line"])
def test_tool_calls_and_results_are_context_and_developer_is_system(tmp_path, broken):
    data = _read(tmp_path, [{"messages": WEATHER}], broken)
    row = data.table.row(0, named=True)
    assert row["system"] == "Answer in one sentence."
    assert (row["instruction"], row["response"], row["turns"]) == (
        "What is the weather in Paris?", "It is 21 C and sunny in Paris.", 1)
    assert row["context"] == WEATHER_CONTEXT
    assert len(data.rejects) == int(broken)


def test_the_same_chat_reads_alike_in_every_shape_and_reader(tmp_path):
    """OpenAI tool_calls (arguments as JSON text or as an object, read column-wise by polars, which fills
    missing keys with nulls, or line by line), the older function_call / function role, and ShareGPT's
    function_call / observation turns give one context."""
    legacy = [WEATHER[0], WEATHER[1], _msg("assistant", None, function_call={"name": "get_weather",
                                                                          "arguments": {"city": "Paris"}}),
              _msg("function", "21 C, sunny", name="get_weather"), WEATHER[4]]
    as_object = [*WEATHER[:2], _msg("assistant", "", tool_calls=[_call("get_weather", {"city": "Paris", "unit": None})]),
                 *WEATHER[3:]]
    other_keys = [*WEATHER[:2], _msg("assistant", None, tool_calls=[_call("get_weather", {"unit": "C"})]), *WEATHER[3:]]
    openai = _read(tmp_path, [{"messages": m} for m in (WEATHER, legacy, as_object, other_keys)]).table
    assert openai["context"].to_list()[:3] == [WEATHER_CONTEXT] * 3
    assert openai["context"][3] == WEATHER_CONTEXT.replace('{"city":"Paris"}', '{"unit":"C"}')
    sharegpt = {"system": "Answer in one sentence.", "conversations": [
        {"from": "human", "value": "What is the weather in Paris?"},
        {"from": "function_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})},
        {"from": "observation", "value": "21 C, sunny"}, {"from": "gpt", "value": "It is 21 C and sunny in Paris."}]}
    row = _read(tmp_path, [sharegpt]).table.row(0, named=True)
    assert (row["system"], row["instruction"], row["context"]) == (
        "Answer in one sentence.", "What is the weather in Paris?", WEATHER_CONTEXT)


def test_tool_turns_before_the_last_user_turn_stay_in_order(tmp_path):
    chat = [*WEATHER[1:], _msg("user", "And tomorrow?"), _msg("assistant", "Tomorrow looks rainy.")]
    row = _read(tmp_path, [{"messages": chat}]).table.row(0, named=True)
    assert row["context"] == ("user: What is the weather in Paris?\n"
                              'assistant (tool call): get_weather({"city":"Paris"})\ntool: 21 C, sunny\n'
                              "assistant: It is 21 C and sunny in Paris.")
    assert row["instruction"] == "And tomorrow?" and row["turns"] == 2


def test_text_beside_a_tool_call_and_several_calls(tmp_path):
    calls = [_call("get_weather", '{"city": "Paris"}'), _call("get_time", "", "call_2")]
    chat = [WEATHER[1], _msg("assistant", "Let me check.", tool_calls=calls), _msg("tool", "21 C"),
            _msg("tool", "noon"), _msg("assistant", "21 C at noon.")]
    row = _read(tmp_path, [{"messages": chat}]).table.row(0, named=True)
    assert row["context"] == ('[last user turn]\nassistant: Let me check.\n'
                              'assistant (tool call): get_weather({"city":"Paris"})\n'
                              "assistant (tool call): get_time()\ntool: 21 C\ntool: noon")
    assert row["response"] == "21 C at noon." and row["turns"] == 1


@pytest.mark.parametrize("chat,field,reason", [
    ([WEATHER[1], WEATHER[2]], "messages[1]",
     "conversation ends with a tool call (no assistant text answer after it)"),
    ([WEATHER[1], _msg("assistant", "Checking.", tool_calls=[_call("get_weather", "{}")])], "messages[1]",
     "conversation ends with a tool call (no assistant text answer after it)"),
    (WEATHER[:4], "messages[3]", "conversation ends with a tool result (no assistant text answer after it)"),
    ([WEATHER[1], _msg("assistant", None, tool_calls={"name": "x"})], "messages[1].tool_calls",
     "expected a list of tool calls, got an object"),
    ([WEATHER[1], _msg("assistant", None, tool_calls=[{"type": "function", "function": {"arguments": "{}"}}])],
     "messages[1].tool_calls[0]", "tool call without a function name"),
    ([WEATHER[1], _msg("assistant", None)], "messages[1].content", "field is null"),
    ([WEATHER[1], _msg("critic", "Bad answer.")], "messages[1]", "unknown role 'critic'"),
])
def test_chats_without_a_text_answer_are_rejected_saying_why(tmp_path, chat, field, reason):
    data = _read(tmp_path, [{"messages": MULTI}, {"messages": chat}])
    [reject] = data.rejects
    assert (reject.line, reject.field, reject.reason) == (2, field, reason)


def test_sharegpt_ending_with_a_function_call_is_rejected(tmp_path):
    record = {"conversations": [{"from": "human", "value": "Weather?"},
                                {"from": "function_call", "value": '{"name": "get_weather", "arguments": {}}'}]}
    ok = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}
    [reject] = _read(tmp_path, [ok, record]).rejects
    assert reject.reason.startswith("conversation ends with a tool call") and reject.field == "conversations[1]"


def test_object_arguments_read_column_wise_match_line_by_line(tmp_path):
    """Polars reads these records as structs whose missing keys are nulls: the context leaves those out."""
    chats = [[_msg("user", f"Question {i}?"), _msg("assistant", None, tool_calls=[_call("lookup", arguments)]),
              _msg("tool", "found"), _msg("assistant", f"Answer {i}.")]
             for i, arguments in enumerate([{"city": "Paris"}, {"unit": "C", "days": 3}, {"city": "Rome", "days": 1}])]
    records = [{"messages": chat} for chat in chats]
    column_wise = _read(tmp_path, records).table["context"]
    line_by_line = _read(tmp_path, records, broken=True).table["context"]
    assert column_wise.to_list() == line_by_line.to_list() == [
        f'[last user turn]\nassistant (tool call): lookup({args})\ntool: found'
        for args in ('{"city":"Paris"}', '{"days":3,"unit":"C"}', '{"city":"Rome","days":1}')]
