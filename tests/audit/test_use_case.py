"""Use-case tagger: hand-written rows of each InstructGPT category, where the rules decide and where the model
mends them (weights with use_model true), that the shipped weights (use_model false) give the rules' tags
exactly without embedding anything, the signal's column and distribution, the summary round trip and the
terminal / HTML blocks. The shipped weights, determinism and the Dolly / Alpaca figures:
tests/audit/test_use_case_model.py."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from rich.console import Console

from ift_data.audit import use_case, use_case_model
from ift_data.audit.base import AuditContext
from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import AuditResult, run_audit
from ift_data.audit.summary import AuditSummary
from ift_data.audit.use_case import USE_CASES, UseCaseSignal, rule_tag, rule_tags, tag, tag_rows
from ift_data.audit.use_case_model import LinearModel, feature_matrix, load_model
from ift_data.report.html import use_case_rows
from ift_data.report.terminal import use_case_text

# (instruction, input, response, turns) -> expected use case; all written for this test, none from Dolly.
ROWS: list[tuple[str, str, str, int, str]] = [
    ("Write a short story about a lighthouse keeper who befriends a seal.", "",
     "Tomas had kept the light on Gull Rock for thirty years when the seal first hauled itself onto the landing. "
     "It came back the next morning, and the one after, until he started leaving a herring on the step. "
     "By winter he was reading the newspaper aloud to it, and it seemed to listen.", 1, "generation"),
    ("Compose a haiku about the first snow.", "", "Soft white silence falls\nover the sleeping garden\n"
     "the world holds its breath", 1, "generation"),
    ("Draft an email to my team announcing the office move.", "", "Hi all,\n\nWe are moving to the new office "
     "on 5 June. Please pack your desks by Friday; the movers arrive on Saturday.\n\nBest,\nAnna", 1, "generation"),
    ("Who painted the ceiling of the Sistine Chapel?", "", "Michelangelo painted it between 1508 and 1512.", 1,
     "open_qa"),
    ("Why do onions make people cry?", "", "Cutting an onion releases a gas, syn-propanethial-S-oxide, that "
     "irritates the eyes, and the eyes make tears to wash it away.", 1, "open_qa"),
    ("Explain how a transistor works.", "", "A transistor is a semiconductor switch: a small current or voltage "
     "at its base or gate controls a much larger current between its other two terminals.", 1, "open_qa"),
    ("What are some fun activities for a family reunion?", "", "- a scavenger hunt\n- a talent show\n"
     "- a three-legged race\n- a picnic with everyone's favourite dish", 1, "brainstorming"),
    ("Give me ideas for a vegetarian dinner party.", "", "- stuffed peppers\n- mushroom risotto\n"
     "- lentil curry with naan\n- a cheese board", 1, "brainstorming"),
    ("List some ways to reduce stress at work.", "", "1. Take short breaks\n2. Walk at lunch\n"
     "3. Turn off notifications\n4. Breathe slowly", 1, "brainstorming"),
    ("And what about the second one?", "", "The second one is cheaper.", 3, "chat"),
    ("Rewrite this sentence in a more formal tone.", "hey, can u send me the file asap", "Could you please send "
     "me the file at your earliest convenience?", 1, "rewrite"),
    ("Translate the following sentence into French.", "The cat is on the table.", "Le chat est sur la table.", 1,
     "rewrite"),
    ("Paraphrase the paragraph below.", "The meeting was postponed because of the storm.", "The storm delayed "
     "the meeting.", 1, "rewrite"),
    ("Summarize the following article in two sentences.", "The city council voted on Tuesday to approve a new "
     "budget. The plan raises funding for parks by ten percent and cuts spending on road repairs. Critics say "
     "the roads are already in poor shape, while supporters point to the growing demand for green space.",
     "The council approved a budget that raises park funding. Critics worry about the roads.", 1, "summarization"),
    ("Give me a TL;DR of this thread.", "Alice: tabs are better because each reader picks the width. Bob: spaces "
     "look the same everywhere, which matters in reviews. Carol: our style guide already says four spaces. "
     "Dave: then let's just follow the guide and configure the editors.",
     "The team agreed to follow the style guide: four spaces.", 1, "summarization"),
    ("Classify each of these animals as a bird or a fish: salmon, robin, trout, eagle.", "",
     "Birds: robin, eagle. Fish: salmon, trout.", 1, "classification"),
    ("Is the sentiment of this review positive or negative?", "The battery died after two days.", "Negative", 1,
     "classification"),
    ("Which of the following are even numbers: 3, 8, 10, 15?", "", "8 and 10.", 1, "classification"),
    ("According to the passage, when was the bridge opened?", "The bridge, opened in 1932, spans the harbour "
     "and carries eight lanes of traffic.", "It was opened in 1932.", 1, "closed_qa"),
    ("How tall is the tower described here?", "The tower rises 324 metres above the city and was the tallest "
     "structure in the world for 41 years.", "324 metres.", 1, "closed_qa"),
    ("Extract all the dates mentioned in the text.", "The treaty was signed on 4 May 1920 and ratified in "
     "June 1921; it came into force on 1 January 1922.", "4 May 1920, June 1921, 1 January 1922", 1, "extraction"),
    ("From the passage, list the names of the ships.", "The Santa Maria, the Pinta and the Nina sailed west "
     "from Palos in August 1492.", "Santa Maria, Pinta, Nina", 1, "extraction"),
    ("banana", "", "yellow", 1, "other"),
]


@pytest.mark.parametrize(("instruction", "input_", "response", "turns", "expected"), ROWS,
                         ids=[f"{r[4]}-{i}" for i, r in enumerate(ROWS)])
def test_hand_written_rows_get_their_category(instruction: str, input_: str, response: str, turns: int,
                                              expected: str) -> None:
    assert tag(instruction, input_, response, turns) == expected


def test_every_category_is_covered_by_the_hand_written_rows() -> None:
    assert {r[4] for r in ROWS} == set(USE_CASES)


def test_rules_with_an_input_the_answer_shape_decides_what_no_wording_rule_placed() -> None:
    assert rule_tag("The animals in the text?", True, "- a fox\n- a hare\n- an owl") == "extraction"
    long_answer = ("The text describes a village. It has a river and a mill. The people farm and fish. "
                   "Every autumn they hold a fair that draws visitors from the whole valley and beyond it, with music, "
                   "markets and a long procession through the old streets.")
    assert rule_tag("Tell me more about this village.", True, long_answer) == "summarization"
    assert rule_tag("Tell me more about this village.", True, "It has a mill.") == "closed_qa"


def test_shipped_weights_give_the_rules_tags_exactly_and_embed_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The training script chose rules only on our rows (the model loses to them on real labelled rows): the default tagger
    is ``rule_tags``, row for row, and never computes a feature or an embedding."""
    rows = ROWS + [(m[0], m[1], m[2], 1, m[3]) for m in MODEL_MENDS]
    args = ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the rules-only tagger computed model features")

    monkeypatch.setattr(use_case, "feature_matrix", refuse)
    monkeypatch.setattr(use_case_model, "embed_instructions", refuse)
    assert tag_rows(*args) == rule_tags(*args)
    assert [tag(*r[:4]) for r in rows] == rule_tags(*args)


TOWER = ("The Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed by Gustave Eiffel's company and "
         "built for the 1889 World's Fair. Locals first criticised its design, but it became a global icon of France "
         "and one of the most visited monuments in the world.")
# Rows the keyword rules get wrong and the model gets right: (instruction, input, response, rules, tagger).
MODEL_MENDS = [
    ("What can we cook with leftover rice?", "", "- Fried rice\n- Rice pudding\n- Arancini\n- Stuffed peppers",
     "open_qa", "brainstorming"),
    ("Where should we go for a weekend in autumn?", "", "- The Lake District\n- Bruges\n- The Black Forest\n"
     "- Edinburgh", "open_qa", "brainstorming"),
    ("How can I get better at chess?", "", "- Solve tactics puzzles daily\n- Review your lost games\n"
     "- Learn a few openings well\n- Play longer time controls", "open_qa", "brainstorming"),
]


@pytest.mark.parametrize(("instruction", "input_", "response", "by_rules", "expected"), MODEL_MENDS,
                         ids=[r[4] for r in MODEL_MENDS])
def test_the_model_mends_what_the_rules_get_wrong(instruction: str, input_: str, response: str, by_rules: str,
                                                  expected: str, model_on: LinearModel) -> None:
    assert rule_tag(instruction, bool(input_), response) == by_rules
    assert tag(instruction, input_, response, model=model_on) == expected
    assert tag(instruction, input_, response) == by_rules  # the shipped weights: rules only


@pytest.mark.parametrize("with_model", [False, True], ids=["shipped", "model-on"])
def test_rules_decide_chat_rewrite_classification_and_verb_first_generation(with_model: bool,
                                                                            model_on: LinearModel) -> None:
    """The model never picks chat, rewrite, classification or other itself; the rules' answer stands there."""
    model = model_on if with_model else None

    def tag(instruction: str, input_text: str = "", response: str = "", turns: int = 1) -> str:
        return use_case.tag(instruction, input_text, response, turns, model=model)

    assert tag("Tell me a joke.", "", "Why did the chicken cross the road?", turns=2) == "chat"
    assert tag("Proofread my paragraph.", "Their going too the store tomorow.", "They're going to the store "
               "tomorrow.") == "rewrite"
    assert tag("Classify the topic of this headline.", "Stocks slide as oil prices jump", "Business") == \
        "classification"
    assert tag("Generate a title for this article.", TOWER, "The Iron Lady of Paris") == "generation"
    # a FLAN-style OPTIONS block is a closed label set
    assert tag("ron yawned himself awake\n\nDoes this sentence follow the rules of English grammar?\nOPTIONS:\n- no"
               "\n- yes", "", "yes") == "classification"
    # a short poem is still generation, whatever the model would say of its short answer
    assert tag("Write a haiku about rain.", "", "Grey drops on the roof\nthe gutters hum their old song\n"
               "the cat will not move") == "generation"
    assert tag("hello", "", "Hi! How can I help?") == "chat"  # a greeting: a conversational message
    assert tag("Thanks, that was really useful!", "", "You're welcome!") == "chat"
    assert tag("test", "", "Test received.") == "other"
    assert tag("", "", "") == "other"
    assert set(load_model().classes).isdisjoint({"chat", "rewrite", "classification", "other"})


def test_other_only_when_rules_find_nothing_and_the_model_is_unsure(model_on: LinearModel) -> None:
    model = model_on
    rows = [("Add two adjectives to this sentence: \"The _____ _____ cat purred quietly.\"",
             "The fluffy grey cat purred quietly."),
            ("The password is 'swordfish'.", "Noted."),
            ("Why is the sky blue?", "Air scatters blue light more than red.")]
    rules = [rule_tag(i, False, r) for i, r in rows]
    assert rules == ["other", "other", "open_qa"]
    top = model.probabilities(feature_matrix([i for i, _ in rows], ["", "", ""], [r for _, r in rows], rules,
                                             model.rule_names)).max(axis=1)
    assert top[0] < model.other_threshold <= top[1]
    assert tag_rows([i for i, _ in rows], ["", "", ""], [r for _, r in rows], model=model) == \
        ["other", "open_qa", "open_qa"]
    assert tag_rows([i for i, _ in rows], ["", "", ""], [r for _, r in rows]) == rules  # shipped: rules only


def test_signal_column_and_distribution() -> None:
    table = pl.DataFrame({"row_id": range(len(ROWS)), "instruction": [r[0] for r in ROWS],
                          "input": [r[1] for r in ROWS], "response": [r[2] for r in ROWS],
                          "turns": [r[3] for r in ROWS]})
    result = UseCaseSignal().compute(table, AuditContext(rules={}))
    column = result.columns["use_case"]
    assert isinstance(column, pl.Series) and column.to_list() == [r[4] for r in ROWS]
    distribution = result.summary["distribution"]
    assert list(distribution) == list(USE_CASES) and sum(distribution.values()) == len(ROWS)
    assert distribution["generation"] == 3 and distribution["other"] == 1
    assert abs(sum(result.summary["shares"].values()) - 1.0) < 1e-3 and not result.flags
    assert result.summary["model_used"] is False and result.summary["method"].startswith("keyword rules alone")


@pytest.fixture
def audited(tmp_path: Path) -> AuditResult:
    rows = [{"instruction": ins, "input": inp, "output": out} for ins, inp, out, turns, _ in ROWS if turns == 1]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    options = AuditOptions(embeddings=False, progress=False, signals=("length", "use_case"))
    return run_audit([data], tmp_path / "audit", options)


def test_summary_round_trip_keeps_the_distribution(audited: AuditResult) -> None:
    loaded = AuditSummary.load(audited.out_dir / "summary.json")
    assert loaded == audited.summary
    assert loaded.use_cases == audited.summary.use_cases
    assert loaded.use_cases["generation"] == 3 and sum(loaded.use_cases.values()) == len(ROWS) - 1
    assert "use_case" in audited.signals.columns
    assert AuditSummary.from_json(loaded.to_json()).use_cases == loaded.use_cases


def test_summary_without_the_signal_has_no_distribution(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"instruction": "Name a colour.", "output": "Red."}) + "\n", encoding="utf-8")
    result = run_audit([data], tmp_path / "a", AuditOptions(embeddings=False, progress=False, signals=("length",)))
    assert result.summary.use_cases == {}
    assert use_case_text(result.summary.use_cases) is None and use_case_rows(result.summary) == []


def test_terminal_and_html_blocks(audited: AuditResult) -> None:
    counts = audited.summary.use_cases
    text = use_case_text(counts)
    # 3 of 22 each for four categories, largest first and ties by name; empty categories left out
    assert text is not None and text.startswith("use cases: brainstorming 14%, classification 14%, generation 14%")
    assert text.endswith("other 5%") and "chat" not in text
    rows = use_case_rows(audited.summary)
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)
    assert rows[0]["name"] == "brainstorming" and rows[0]["count"] == 3
    assert abs(sum(r["share"] for r in rows) - 1.0) < 1e-9
    from ift_data.report import write_reports

    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    path = write_reports(audited, audited.out_dir, console=console)
    printed = console.export_text()
    assert "use cases: brainstorming 14%" in printed
    html = path.read_text(encoding="utf-8")
    assert 'id="use-cases"' in html and "<td>closed_qa</td>" in html
    # the shipped weights say use_model false: both blurbs say the rules ran and why
    assert "tagged by keyword rules; a linear model" in printed and "did not beat them" in printed
    assert "did not beat them (in cross-validation on those rows and on real rows labelled by hand)" in html
    assert "tagged by keyword rules and a linear model" not in html


@pytest.mark.parametrize(("instruction", "input_"), [
    ("Rate the sentence as acceptable or unacceptable.", "The book was wrote by her."),
    ("Is this comment toxic or non-toxic?", "Thanks for the quick reply!"),
    ("Is the following sentence grammatically acceptable or unacceptable?", ""),
    ("Judge whether the claim follows from the passage.", "Passage: the shop closes at five. Claim: it is open."),
])
def test_a_label_pair_or_a_judgement_is_classification(instruction: str, input_: str) -> None:
    """FLAN/P3-style label wording (CoLA's "acceptable or unacceptable", "X or non-X", "judge whether")."""
    assert rule_tag(instruction, bool(input_), "unacceptable") == "classification"


# Written for this test in the shapes the hand-labelled Alpaca and Self-Instruct rows showed (benchmarks/labels/);
# none is copied from them. (instruction, input, response, expected)
COMPUTATIONS_AND_OPERATIONS = [
    ("Calculate the area of a circle with a radius of 4 cm.", "", "About 50.27 square centimetres.", "other"),
    ("Given a polynomial, simplify it.", "5a + 2b - 3a + b", "2a + 3b", "other"),
    ("Convert the following distance into kilometres.", "26 miles", "About 41.8 km.", "other"),
    ("Convert 3 cups to millilitres.", "", "About 710 ml.", "other"),
    ("Sort the following cities from smallest to largest population.", "Oslo, Lagos, Lima", "Oslo, Lima, Lagos",
     "other"),
    ("Put the scores in descending order.", "7, 19, 3", "19, 7, 3", "other"),
    ("Rank these planets by their distance from the sun.", "Mars, Venus, Saturn", "Venus, Mars, Saturn", "other"),
    ("How many vowels are in the word 'strawberry'?", "", "Two.", "other"),
    ("Evaluate the expression 3a + b when a=2 and b=5.", "", "11", "other"),
    ("Solve this riddle: the more you take, the more you leave behind.", "", "Footsteps.", "other"),
]
TOPIC_INPUTS = [  # a short input names a topic; it is no text to answer from, summarize or extract from
    ("Describe the main exports of the given country.", "Chile", "Copper, fruit and wine lead its exports.",
     "open_qa"),
    ("Compare the two given instruments.", "Violin and viola", "The viola is larger and sounds lower.", "open_qa"),
    ("Who founded the given company?", "Tesla Motors", "Martin Eberhard and Marc Tarpenning.", "open_qa"),
    ("Generate three interview questions about the given subject.", "Topic: remote work",
     "- How do you structure your day?\n- How do you stay in touch?\n- What tools do you use?", "brainstorming"),
    ("What year did it open?", "The museum opened in 1897 on the river bank.", "1897.", "closed_qa"),  # a sentence
]
PLACEHOLDER_INPUTS = [("Explain how tides work.", placeholder, "The moon's gravity pulls the oceans.", "open_qa")
                      for placeholder in ("No input", "<noinput>", "noinput.", "N/A", "None")]
REQUESTS = [
    ("Construct a sentence using the words: harbour, lantern, fog.", "", "Fog swallowed the lantern at the harbour.",
     "generation"),
    ("Come up with a name for a vegan bakery.", "", "Crumb & Leaf", "generation"),
    ("Come up with five questions for a museum visitor survey.", "", "1. ...\n2. ...", "brainstorming"),
    ("Complete the lyrics.", "Oh, the river runs so wide, and", "and carries all my dreams outside.", "generation"),
    ("Reply to the email and accept the meeting.", "Hi Sam, could we meet on Thursday at ten to plan the launch? "
     "Best, Ana", "Hi Ana, Thursday at ten works for me. See you then. Sam", "generation"),
    ("Differentiate between weather and climate.", "", "Weather is short-term; climate is the long-term pattern.",
     "open_qa"),
    ("In one sentence, explain what a black hole is.", "", "A region where gravity lets nothing escape.", "open_qa"),
    ("Change this sentence to the passive voice.", "The committee approved the plan.",
     "The plan was approved by the committee.", "rewrite"),
    ("Combine the two sentences into one.", "It rained. We stayed in.", "It rained, so we stayed in.", "rewrite"),
    ("Edit the following code to handle an empty list.", "def first(xs): return xs[0]",
     "def first(xs): return xs[0] if xs else None", "rewrite"),
    ("Tell if the sentence contains sarcasm.", "Oh great, another Monday. I just love traffic jams.", "Yes",
     "classification"),
    ("Predict the intent of the message. Intents can be one of the following: refund, delivery, other.",
     "Where is my parcel? It was due yesterday and the tracking page has not changed.", "delivery",
     "classification"),
    ("Organize the following animals into 2 groups.", "cat, shark, dog, tuna", "Mammals: cat, dog. Fish: shark, tuna.",
     "classification"),
    # FLAN-style templates of an acceptability task: an OPTIONS block wins over "proofreader" (a rewrite word)
    ("Would an editor flag the sentence below as ungrammatical?\nthe boat sank quick\nOPTIONS:\n- yes\n- no", "", "yes",
     "classification"),
    ("Would a proofreader mark this sentence as wrong?\nshe have two cats\nOPTIONS:\n- yes\n- no", "", "yes",
     "classification"),
    ("Evaluate the following sentence for linguistic acceptability.\n\nthe garden grew roses\n\nVerdict:", "",
     "acceptable", "classification"),
    ("Give an example of a sentence that an editor would call ungrammatical.", "", "him and me goes there",
     "generation"),  # an inverted template: a written artifact, not a fact
    ("Give an example of a bird that cannot fly.", "", "The ostrich.", "open_qa"),
    # "name the / a X" asks for one fact; "name three X" or "name some X" for several
    ("Name the capital of Australia.", "", "Canberra.", "open_qa"),
    ("Name a painter of the Dutch Golden Age.", "", "Rembrandt.", "open_qa"),
    ("Name three rivers in Africa.", "", "The Nile, the Congo and the Niger.", "brainstorming"),
    ("Question: which planet is closest to the sun?\nAnswer:", "", "Mercury.", "open_qa"),
    ("Explain the following saying.", "Haste makes waste.", "Rushing leads to mistakes.", "open_qa"),  # 3 words
    ("Predict the intent of the message. The intent can be one of the following: billing, delivery, login.",
     "I was charged twice this month for the same plan and I would like the extra payment returned.", "billing",
     "classification"),
    # code is written content, whatever it is for
    ("Write a regular expression to extract the dates from the given text.", "Due 2024-05-01, paid 2024-05-09.",
     r"\d{4}-\d{2}-\d{2}", "generation"),
    ("Given a list of words, write a program to decide whether each is a palindrome.", "", "def is_pal(w): ...",
     "generation"),
    ("Complete the following sentence with a simile.", "The night was as quiet", "as a library at midnight.",
     "generation"),
]


@pytest.mark.parametrize(("instruction", "input_", "response", "expected"),
                         COMPUTATIONS_AND_OPERATIONS + TOPIC_INPUTS + PLACEHOLDER_INPUTS + REQUESTS,
                         ids=lambda value: value[:40] if isinstance(value, str) else str(value))
def test_wording_seen_in_real_instruction_data(instruction: str, input_: str, response: str, expected: str) -> None:
    """Computations and mechanical operations are ``other``; a short input that names a topic is no text to work
    on; a placeholder input ("No input") is no input; request verbs beyond write / list / explain."""
    assert tag(instruction, input_, response) == expected
    assert rule_tags([instruction], [input_], [response], [1]) == [expected]


def test_input_kind_reads_placeholders_topics_and_sentences() -> None:
    assert use_case.input_kind("") == (False, False) and use_case.input_kind(" No input. ") == (False, False)
    assert use_case.input_kind("Chile") == (True, True)
    assert use_case.input_kind("The museum opened in 1897.") == (True, False)  # a sentence of four words or more
    assert use_case.input_kind("Haste makes waste.") == (True, True)  # three words: a topic, even as a sentence
    assert use_case.input_kind("one two three four five six seven eight nine ten") == (True, False)
