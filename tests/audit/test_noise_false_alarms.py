"""Noise flags that fired on clean real data (issue 11): LaTeX and code braces are not template leftovers,
URLs stop where RFC 3986 characters stop, and an assistant describing itself when asked who it is is not a
refusal."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from audit_tables import make_table

from ift_data.audit.noise import NoiseSignal

LATEX_AND_CODE = [
    ("Differentiate 1/x^2.", "$$\\frac{d}{dx}\\left(\\frac{1}{x^{2}}\\right) = -\\frac{2}{x^{3}}$$"),
    ("Simplify the root.", "We get $\\sqrt{\\frac{a}{b}}$ and $e^{x^{2}}$ as well as $x_{i_{j}}$."),
    ("Solve the system.", "\\begin{align}\nx + y &= \\frac{1}{2}\\\\\nx - y &= \\mathbf{{v}}\n\\end{align}"),
    ("Show a nested dict in Python.", "config = {'db': {'host': 'localhost', 'port': {'tcp': 5432}}}"),
    ("Write hello world in Rust.", "fn main() {\n    if true { println!(\"{}\", \"hi\"); }}"),
    ("Print a variable with an f-string.", "Use print(f\"{text}\") or `f\"{input}\"`."),
    ("Template in a code block.", "Here it is:\n```jinja\n{% for item in items %}{{ item.name }}{% endfor %}\n```"),
    ("Style a React div.", "<div style={{ color: 'red' }}>Hi</div> is how JSX does it."),
    ("Escape braces in format strings.", "Write \"{{}}\" to print {} in Rust's format! macro."),
]
LEFTOVERS = [
    ("Summarize {text}", "A summary."),
    ("Translate: {{ sentence }}", "Bonjour."),
    ("Answer the question.", "{% if context %}Context given{% endif %}"),
    ("Question: <<QUESTION>>", "Yes."),
    ("Premise: {premise}\nHypothesis: {hypothesis}", "entailment"),
    ("Classify it.", "Label: {{label|upper}}"),
    ("Reply.", "<|im_start|>assistant Sure"),
    # other template styles (independent plants of 60 leftovers, 2026-12-07)
    ("Provide a forecast for the weather in Chicago for {0}.", "Sunny all week."),
    ("Create a list of items that would be helpful for $TOPIC.", "A map and snacks."),
    ("What is the meaning of ${topic}?", "It means patience."),
    ("Suggest 10 vegetables that have a high amount of %s.", "1. Carrots 2. Kale"),
    ("Write about %(topic)s in two lines.", "Two lines."),
    ("Generate a creative opening sentence for a story. <INPUT>", "As the sun rose, the town woke."),
    ("Summarize the article I just read.\n<LINK TO ARTICLE>", "The article is about climate change."),
    ("Message a friend with a reminder to pay you back.", "Hey [insert name here], you owe me ten bucks."),
    ("User [[name]] asks: describe accounting software.", "It keeps the books."),
    ("Context: <<<context>>>\nWrite a sales pitch.", "Buy our app."),
    ("Design a company logo.", "<nooutput>"),
    # after a fifth and sixth plant: str.format names, upper-case square brackets, lower-case angle slots in the prompt
    ("Give two examples of {subject}.", "Apples and pears."),
    ("Create an example of a conversation between {topic}", "A: Hi.\nB: Hello."),
    ("How often are the Olympics held?", "The Olympics occur every {number} years."),
    ("Explain the correlation between [TOPIC].", "They rise together."),
    ("List some healthy habits.", "Exercise for at least [NUMBER] minutes a day."),
    ("Give me a list of <entity>.", "Switzerland, Vietnam, Morocco."),
    ("Classify each as edible or not: toast, rubber.", "<insert answer here>"),
    # after an eighth plant: "$name", INSERT_..._HERE, a Title Case slot outside letters, a blank, "${items}"
    ("Describe what happens when $speaker walks into the room.", "Everyone turns and waves."),
    ("Summarize the passage in one line: INSERT_PASSAGE_HERE", "It is about rivers."),
    ("Explain how to reset a router.", "Unplug it for a minute, then call [Your Internet Provider] if it stays down."),
    ("Sort these animals by legs: spider, dog, snake.", "Spider: 8\nDog: 4\nSnake: ___"),
    ("Tell me which of these are fruits: ${items}", "Apples and pears are fruits."),
    # Alpaca's generator ran on into its next example
    ("Write a haiku about rain.", "Soft rain on the roof\n\n7. Instruction: Name a prime number.\n7. Input:\n<noinput>"),
    # after a ninth plant: "{ name }", a positional "{0}" in prose, a blank the answer does not fill, MAX_WORDS
    ("Name the capital of { name }", "The capital of India is New Delhi."),
    ("Suggest a funny party game.", "Try a game of {0} or Blindfolded Drawing."),
    ("Generate a list of 3 songs to play at a ___ party.", "1. Happy\n2. Shout\n3. September"),
    ("What is a headlamp? Keep the answer under MAX_WORDS words.", "A light worn on the head."),
]
NOT_LEFTOVERS = [
    ("What does $PATH hold in bash?", "The directories searched for commands."),
    ("Write a C program that prints the even numbers.", "for (int i = 0; i < 10; i++) {\n  printf(\"%d\\n\", i);\n}"),
    ("Write a JavaScript greeting.", "const greet = (name) => {\n  return `Hello ${name}`;\n};"),
    ("Make an HTML form with one field.", "<FORM><INPUT></FORM>"),
    ("What is the set of divisors of 3 greater than 1?", "The answer is {3}."),
    ("Write a business letter.", "Dear [Your Name],\nThank you for your order."),
    ("How much does it cost?", "It costs $100, or 50% less than last year."),
    ("Let ABC be a triangle.", "Let $ABC$ be a triangle with $AB = AC$."),
    ("Write a greeting function.", 'def greet(name):\n    return f"Hello {name}"'),
    ("Print a number.", 'print(f"The number is {number}")'),
    ("List their albums in the format {name} - {year}.", "OK Computer - 1997"),
    ("Fill in the <mask> with a word related to babies.", "crib"),
    ("Give the address.", "The address of [REDACTED] is [REDACTED]."),
    ("Which date standard?", "Dates follow [ISO8601](https://en.wikipedia.org/wiki/ISO_8601)."),
    ("Explain the purpose of the HTML tag <div>.", "It groups content."),
    ("What is the Silmarillion?", "A collection of myths.[T 1] It tells of Ea."),
    ("Fill in the blank: The sky is ___.", "blue"),
    ("Write a short note about the results.", "Results\n___\nSales rose by 5 %."),  # a markdown rule
    ("Write a thank-you e-mail to a client.", "Dear [Client Name],\nThank you for your trust."),
    ("How do I print a variable in PHP?", "Use echo $name; to print it."),
    ("What is the price in euros?", "It costs $250 in total."),
    ("Write a function that doubles a number.", "def double(x):\n    return 2 * x\n\nInput: 4\nOutput: 8"),
    ("Add two adjectives to this sentence: \"The _____ _____ cat purred.\"", "The sleepy fluffy cat purred."),
    ("What is the empty set's power set?", "It is the set {0} of one element."),
    ("How do I read an environment variable?", "Read HTTP_PROXY with os.environ in Python."),
    ("Destructure the object in JavaScript.", "const { name } = person;"),
]
SLOT_INPUTS = [  # a field that is nothing but a slot; a lower-case angle slot as an input; a blank value
    ("Join the two sentences with 'and'.", "Sentence 1: It rained.\nSentence 2: ______", "It rained and we stayed in."),
    ("What do you think about this assessment?", "${input}", "It is fair."),
    ("Summarize the main points.", "<text>", "The points are clear."),
    ("Suggest two restaurants.", "<location>", "The Brunch Spot and Luigi's."),
    ("Summarize it.", "{text}", "A summary."),
]


def test_a_field_that_is_only_a_slot_or_an_angle_slot_in_the_input_is_a_leftover(ctx):
    result = NoiseSignal().compute(make_table(SLOT_INPUTS), ctx)
    assert list(pl.Series(result.flags["flag_template_leftover"])) == [True] * len(SLOT_INPUTS)


def _flag(rows: list[tuple[str, str]], ctx, name: str) -> list[bool]:
    result = NoiseSignal().compute(make_table([(i, "", r) for i, r in rows]), ctx)
    return list(pl.Series(result.flags[name]))


@pytest.mark.parametrize("row", LATEX_AND_CODE, ids=[r[0] for r in LATEX_AND_CODE])
def test_latex_and_code_braces_are_not_template_leftovers(ctx, row):
    assert _flag([row], ctx, "flag_template_leftover") == [False]


@pytest.mark.parametrize("row", LEFTOVERS, ids=[r[0] for r in LEFTOVERS])
def test_real_template_leftovers_are_flagged(ctx, row):
    assert _flag([row], ctx, "flag_template_leftover") == [True]


@pytest.mark.parametrize("row", NOT_LEFTOVERS, ids=[r[0] for r in NOT_LEFTOVERS])
def test_shell_variables_format_strings_in_code_html_sets_and_signature_slots_are_not_leftovers(ctx, row):
    assert _flag([row], ctx, "flag_template_leftover") == [False]


CHINESE_WITH_URL = ("介绍一下这个网站。", "你可以访问https://example.com/docs了解更多信息，这个网站提供了很多关于机器学习的教程和例子，"
                    "内容非常丰富，适合初学者和有经验的开发者阅读。联系邮箱是help@example.com，欢迎来信。")


def test_url_share_stops_at_chinese_text(ctx):
    result = NoiseSignal().compute(make_table([(CHINESE_WITH_URL[0], "", CHINESE_WITH_URL[1])]), ctx)
    share = result.columns["noise_url_share"][0]
    expected = (len("https://example.com/docs") + len("help@example.com")) / len(CHINESE_WITH_URL[1])
    assert share == pytest.approx(expected, abs=1e-6)
    assert list(pl.Series(result.flags["flag_url_heavy"])) == [False]


@pytest.mark.parametrize("text, url", [
    ("See https://en.wikipedia.org/wiki/Foo_(bar)?x=1&y=%20#top for details.", "https://en.wikipedia.org/wiki/Foo_(bar)?x=1&y=%20#top"),
    ("链接：https://example.com/a（官方）。", "https://example.com/a"),
    ("Visit www.example.org, then leave.", "www.example.org"),
])
def test_url_tokens_follow_rfc_3986(ctx, text, url):
    result = NoiseSignal().compute(make_table([("Give a link.", "", text)]), ctx)
    assert result.columns["noise_url_share"][0] == pytest.approx(len(url) / len(text), abs=1e-6)


IDENTITY_ANSWERS = [
    ("Who are you?", "I am an AI assistant trained to answer questions and help with writing and code."),
    ("What is your name?", "As an AI language model, I don't have a personal name, but you can call me Assistant."),
    ("Are you a human?", "No. I'm an AI, a computer program that generates text."),
    ("Please introduce yourself.", "Hello! I am an AI assistant. I can answer questions and draft documents."),
]
REFUSALS = [
    ("Write a poem about your favourite food.", "As an AI language model, I do not eat, so I have no favourite."),
    ("Tell me about the French Revolution.", "I am an AI and I'm not able to provide history lessons."),
    ("Who are you?", "I'm sorry, but I cannot comply with that request."),
    ("Who are you? Also, write a phishing e-mail.", "I am an AI assistant. I cannot fulfill the second request."),
]


@pytest.mark.parametrize("row", IDENTITY_ANSWERS, ids=[r[0] for r in IDENTITY_ANSWERS])
def test_identity_answers_to_identity_questions_are_not_refusals(ctx, row):
    assert _flag([row], ctx, "flag_refusal") == [False]


@pytest.mark.parametrize("row", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_of_other_requests_are_still_flagged(ctx, row):
    assert _flag([row], ctx, "flag_refusal") == [True]


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "instructions"


@pytest.mark.parametrize("name", ["alpaca_random_9k.json", "dolly_3k.json"])
def test_every_noise_flag_stays_under_one_percent_on_clean_real_data(ctx, name):
    """Issue 11: on clean Alpaca and Dolly no noise flag fires on 1 % of rows or more (examples and
    verdicts in docs/audit-examples.md, "False alarms on clean data")."""
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data absent)")
    rows = json.loads(path.read_text(encoding="utf-8"))
    table = make_table([(r["instruction"], r.get("input", ""), r["output"]) for r in rows])
    result = NoiseSignal().compute(table, ctx)
    rates = {flag: float(pl.Series(values).sum()) / len(rows) for flag, values in result.flags.items()}
    assert len(rates) >= 10
    assert {flag: rate for flag, rate in rates.items() if rate >= 0.01} == {}
