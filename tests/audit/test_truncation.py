"""Truncated responses (issue 11): short answers and lists count, the evidence is the end of the text, and
code, one-word answers, titles, name lists, poems and long markdown/LaTeX answers do not fire."""

from __future__ import annotations

import polars as pl
import pytest
from audit_tables import make_table

from ift_data.audit.noise import NoiseSignal
from ift_data.audit.truncation import bare_end, truncation_reason

CUT = [
    # (instruction, response, reason)
    ("What is the capital of France?", "The capital of France is", "dangling_word"),
    ("Why is the sky blue?", "Because of the", "dangling_word"),
    ("Describe a sunset.", "The sun sank slowly and the sky turned a deep", None),  # "deep": bare end only
    ("Name three fruits.", "Apples, bananas, and", "dangling_word"),
    ("Give tips for sleeping well.", "1. Go to bed at the same time.\n2. Avoid screens before bed.\n3. The",
     "dangling_word"),
    ("Give tips for sleeping well.", "1. Go to bed at the same time every night.\n2. Keep your room cool.\n3.",
     "empty_item"),
    ("List the steps.", "- Preheat the oven.\n- Mix the flour and sugar.\n-", "empty_item"),
    ("List ways to save money.", "1. Cook at home every day.\n2. Cancel unused subscriptions.\n3. Buy second-hand",
     "list_item"),
    ("Name five planets.", "1. Mercury\n2. Venus\n3. Earth", "missing_items"),
    ("Explain photosynthesis.", "Plants turn light into sugar (a process that takes place in the chloroplasts",
     "open_bracket"),
    ("Give a famous quote.", "Einstein once said “Imagination is more important than", "dangling_word"),
    ("Give a famous quote.", "Einstein once said “Imagination is more important than knowledge", "open_quote"),
    ("Summarize the article.", "The report finds that emissions fell in 2020,", "dangling_punct"),
    ("List the ingredients.", "You will need the following:", "dangling_punct"),
    ("Explain inflation.", "Inflation is a general rise in prices across an economy over time. It reduces the "
                           "purchasing power of money and is measured by price indices such as the CPI. Central "
                           "banks try to keep it", "fragment"),
    ("Say something about tea.", "I like tea. It", "fragment"),
    ("Translate to Chinese.", "我喜欢喝茶，因为", None),
    ("Translate to Chinese.", "我喜欢喝茶，", "dangling_punct"),
    ("What is 2+2?", "The answer is:", "dangling_punct"),
    ("Write a definition of the term natural selection.", "Natural selection", "too_short"),
    ("Meanwhile, add a transition.", "Meanwhile, she", "dangling_word"),
    ("Give five tips.", "1. Sleep well.\n2. Eat well.\n3. Move more.\n4. Drink water.\n5. Be", "list_item"),
    ("Name three colours.", "- Red\n- Blue", "missing_items"),
]


@pytest.mark.parametrize("instruction, response, reason", CUT, ids=[r[1][-25:] for r in CUT])
def test_cut_responses_name_their_evidence(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


COMPLETE = [
    ("Classify the sentiment.", "Positive"),
    ("What is 6 times 7?", "42"),
    ("Which option is right?", "A"),
    ("Which vitamin is in carrots?", "Vitamin A"),
    ("Suggest a title for a book about space.", "Journey Beyond the Stars"),
    ("Suggest a movie title.", "Gone with the Wind"),
    ("Name the Beatles.", "John Lennon, Paul McCartney, George Harrison and Ringo Starr"),
    ("List four famous painters.", "1. Leonardo da Vinci\n2. Vincent van Gogh\n3. Claude Monet\n4. Frida Kahlo"),
    ("List three fruits.", "- Apple\n- Banana\n- Orange"),
    # a last item as long as the others that only lacks its full stop is finished
    ("List ways to save money.", "1. Cook at home.\n2. Cancel unused subscriptions.\n3. Buy second-hand clothes"),
    ("Write a haiku about autumn.", "Crimson leaves falling\nWhispers of the cooling wind\nThe year lets go"),
    ("Write a short poem about the sea.", "The sea is wide and deep and blue\nIt sings a song that's old and "
                                          "new\nAnd every wave that rolls to shore\nBrings back the dreams of "
                                          "days of yore"),
    ("Write a Python function that adds two numbers.", "```python\ndef add(a, b):\n    return a +\n```"),
    ("Write a for loop in Python.", "for i in range(10):\n    total = total + i\n    print(total)"),
    ("Write a SQL query for all users.", "SELECT * FROM users WHERE active = 1;"),
    ("Style a div.", "margin: auto;"),
    ("Describe a cat.", "<div>A cat is a small animal</div>&nbsp;"),
    ("Write a thank-you letter.", "Dear Anna,\n\nThank you for the lovely gift. It made my day.\n\nBest regards,"),
    ("Write a tweet about coffee.", "Nothing beats the first sip of the morning. #coffee #MondayMotivation"),
    ("Give me an inspiring quote.", "\"The best way out is always through.\" - Robert Frost"),
    ("Explain recursion.", "Recursion is when a function calls itself. Each call works on a smaller part of "
                           "the problem until it reaches a base case. The results are then combined."),
    ("Is this statement true?", "Yes, it is true that water boils at 100 degrees Celsius at sea level"),
    ("Which word is the pronoun?", "their"),
    ("Convert 5 km to miles.", "5 km = 3.11 miles"),
    ("Who wrote Hamlet?", "William Shakespeare"),
    ("Give the date.", "4th of October 1830"),
    ("Name the form fields.", "* Name:\n* Address:\n* Phone:"),
    ("List some examples.", "Examples include cats, dogs, and so on"),
    ("Write a title for a blog post.", "Sunny Days Ahead"),
    ("Name three primary colours.", "Red, yellow and blue"),
    ("Generate three domain names.", "1. travel.com 2. trips.net 3. go.org"),
]


@pytest.mark.parametrize("instruction, response", COMPLETE, ids=[r[1][:25] for r in COMPLETE])
def test_complete_answers_code_titles_names_and_poems_do_not_fire(instruction: str, response: str) -> None:
    assert truncation_reason(response, instruction) is None


# Long LIMA-style answers: markdown headings, tables, LaTeX, code, block quotes, nested lists.
LIMA_LIKE = [
    ("How do I compute the derivative of $x^2 \\sin x$?",
     "Use the product rule $(uv)' = u'v + uv'$ with $u = x^2$ and $v = \\sin x$:\n\n"
     "$$\\frac{d}{dx}\\left(x^2 \\sin x\\right) = 2x \\sin x + x^2 \\cos x$$\n\n"
     "So the derivative is $2x\\sin x + x^2\\cos x$"),
    ("What is the expected value of a die roll?",
     "For a fair six-sided die each face has probability $\\frac{1}{6}$, so\n\n"
     "$$E[X] = \\sum_{k=1}^{6} k \\cdot \\frac{1}{6} = \\frac{21}{6} = 3.5$$"),
    ("Compare Python and Go for web services.",
     "## Python vs Go\n\n| | Python | Go |\n|---|---|---|\n| typing | dynamic | static |\n"
     "| concurrency | asyncio | goroutines |\n\n**Summary:** pick Go for raw throughput, Python for ecosystem."),
    ("How do I reverse a list in Python?",
     "There are several ways.\n\n* Slicing creates a copy:\n\n```python\nrev = items[::-1]\n```\n\n"
     "* `list.reverse()` reverses in place:\n\n```python\nitems.reverse()\n```"),
    ("Explain the Pythagorean theorem.",
     "In a right triangle with legs $a$ and $b$ and hypotenuse $c$:\n\n\\[a^2 + b^2 = c^2\\]\n\n"
     "For example, a triangle with legs 3 and 4 has a hypotenuse of length 5."),
    ("What should I pack for a week of hiking?",
     "Here's a checklist:\n\n### Clothing\n- Moisture-wicking shirts (3)\n- Hiking pants\n- Rain jacket\n\n"
     "### Gear\n- Backpack (40-50 L)\n- Headlamp\n- Water filter"),
    ("Who are you?", "I'm an AI assistant. I can answer questions, help you write, and explain code.\n\n"
                     "> Note: I can make mistakes, so double-check important facts."),
    ("Give me a recipe for pancakes.",
     "**Ingredients**\n\n1. 1 cup flour\n2. 1 egg\n3. 1 cup milk\n4. 1 tbsp sugar\n\n**Steps**\n\n"
     "1. Whisk everything together.\n2. Cook on a hot pan until golden.\n\nEnjoy!"),
    ("Solve $2x + 3 = 7$.", "Subtract 3 from both sides: $2x = 4$. Divide by 2: $x = 2$"),
    ("Write a limerick about a cat.",
     "There once was a cat from Peru\nWho dreamed he was eating a shoe\nHe woke with a fright\n"
     "In the middle of night\nAnd found that his dream had come true"),
]


def test_lima_like_long_answers_raise_no_noise_flag(ctx) -> None:
    result = NoiseSignal().compute(make_table([(i, "", r) for i, r in LIMA_LIKE]), ctx)
    fired = {name: [i for i, v in enumerate(pl.Series(values)) if v] for name, values in result.flags.items()}
    assert {name: rows for name, rows in fired.items() if rows} == {}


PUNCTUATED = [(f"Explain topic {i}.", "", f"Topic {i} is a broad subject that many people find interesting. "
               f"It has a long history and several practical uses in daily life number {i}.") for i in range(80)]


def test_a_bare_end_is_flagged_where_the_file_ends_its_prose_with_punctuation(ctx) -> None:
    rows = [*PUNCTUATED, ("Describe the ocean.", "", "The ocean covers most of the planet and holds a huge variety")]
    result = NoiseSignal().compute(make_table(rows), ctx)
    assert list(pl.Series(result.flags["flag_truncated_response"])) == [False] * 80 + [True]
    assert result.columns["noise_truncation_reason"][80] == "bare_end"
    file_summary = result.summary["truncation"]["files"]["t.jsonl"]
    assert file_summary["bare_end_flagged"] and file_summary["bare_end_rows"] == 1


def test_a_bare_end_is_only_a_suspect_in_a_file_that_drops_its_full_stops(ctx) -> None:
    dropped = [(q, "", a.rstrip(".")) for q, _, a in PUNCTUATED[:20]]
    result = NoiseSignal().compute(make_table(PUNCTUATED[20:] + dropped), ctx)
    assert not any(pl.Series(result.flags["flag_truncated_response"]))
    assert all(result.columns["noise_truncation_suspect"][60:])
    assert not result.summary["truncation"]["files"]["t.jsonl"]["bare_end_flagged"]


@pytest.mark.parametrize("text, expected", [
    ("The ocean covers most of the planet and holds a", True),
    ("The police", True),
    ("Red apple", False),
    ("dog, cat, hat", False),
    ("The Lord of the Rings", False),
    ("1. Walk\n2. Run", False),
])
def test_bare_end_reads_prose_not_titles_word_lists_or_list_items(text: str, expected: bool) -> None:
    assert bare_end(text) is expected


def test_rules_thresholds_are_read(ctx) -> None:
    strict = {**ctx.rules, "noise": {**ctx.rules["noise"], "truncation_min_words": 5}}
    ctx_strict = type(ctx)(rules=strict, seed=0)
    row = [("What is the capital?", "", "It is the")]
    assert list(pl.Series(NoiseSignal().compute(make_table(row), ctx).flags["flag_truncated_response"])) == [True]
    assert list(pl.Series(NoiseSignal().compute(make_table(row), ctx_strict).flags["flag_truncated_response"])) \
        == [False]


# Cuts a token limit makes (an independent plant of 80 truncations, 2026-12-07): inside a word, a year cut to its
# century, an opening quote as the last character, one letter left of a word.
TOKEN_LIMIT_CUTS = [
    ("What is a balanced diet?", "The current guidance on eating a healt", "cut_word"),
    ("Reverse engineer this program to understand how it works.", "Reverse engineering involves studying the pr",
     "cut_word"),
    ("List what to buy.", "Here is the list:\n- Bananas\n- Apples\n- Cheese\n- Tomat", "cut_word"),
    ("Tell me about the royal engagement.", "Prince William proposed to Catherine Middleton at the Royal Lodge in 20",
     "cut_word"),
    ("Write a haiku about the ocean.", "Endless waves, crashing ashore,\nThough the clouds may c", "cut_word"),
    ("Who painted the Starry Night?", "The most famous painting by Vincent van Gogh is \"", "open_quote"),
    ("Modify the given sentence to include a synonym.", "He utilized his expertise to ac", "cut_word"),
    ("Tell me whether each South Park character is a kid or an adult.", "Randy: Adult\nStan: Kid\nKyle: Kid\nButters:",
     "dangling_punct"),
    # after a fourth plant (2026-12-07): code stopping on an opening bracket or an SQL keyword, a one-word last
    # item, a preposition ending a list of short lines no poem was asked for, a cut word in a capitalized list
    ("Write a function that adds the squares.", "def total(xs):\n    out = 0\n    for x in xs:\n        out += pow(",
     "code_cut"),
    ("Write a query for the cheap products.", "SELECT name, price FROM products WHERE", "code_cut"),
    ("How should I prepare for an exam?", "1. Start revising two weeks early\n2. Work through the old papers\n"
     "3. Sleep well the night before\n4. Revise", "short_item"),
    ("How can a student earn money?", "Sell crafts online\nWalk dogs for neighbours\nTutor younger pupils at",
     "dangling_word"),
    ("What goes in a salad?", "- Onions\n- Peppers\n- Olives\n- Cucum", "cut_word"),
    ("Are the Beatles still together?", "No. The band officially b", "cut_word"),
    ("Write a for loop in Python.", "for i in range(10):\n    total = total + i\n    print(total,", "code_cut"),
    # after a fifth plant: a block header with no body, an unfinished header, an unclosed call, a name cut short
    ("Write a loop.", "def count(items):\n    n = 0\n    for item in items:", "code_cut"),
    ("Write a loop.", "def count(items):\n    n = 0\n    for item", "code_cut"),
    ("Handle the error.", "try:\n    run()\nexcept ValueError:\n    print(\"Could not", "code_cut"),
    ("Average a list.", "def average_of(xs):\n    return sum(xs) / len(xs)\n\naver", "code_cut"),
    # after a sixth plant: "is a" where no lettered choices were offered, a word the passage holds whole cut,
    # a "Key: value" list's value cut, one letter after a comma
    ("Which is a fish?", "A robin is a bird, a trout is a", "dangling_word"),
    ("Which is older, the Rookery or the Monadnock?", "The Rookery is older than the Monadno", "cut_word"),
    ("Classify these companies.", "Chase: Bank\nGMC: Car Manufacturer\nToyota: Car Manufacturer\nFord: Car M",
     "cut_word"),
    ("Name two red fruits.", "Red fruit: strawberry, c", "cut_word"),
    # later: a capitalized word cut after a word that is not a name's first part, a keyed list's last pair cut
    # before its separator, a one-word item after a long one, an inline list's next marker, a hashtag's sign
    ("Where does the plant grow?", "It grows wild in Portugal and Centr", "cut_word"),
    ("List the champions.", "2021 Milwaukee Bucks\n2020 Los Angeles Lakers\n2019 Toronto Raptors\n2018 Gol", "cut_word"),
    ("Group the tasks.", "Group 1: Planning\nGroup 2: Budgets\nGroup 3: Schedul", "cut_word"),
    ("Match each item to its room.", "Sofa: Living room\nBed: Bedroom\nOven: Kitchen\nBathtub", "list_item"),
    ("Name the authors.", "Emma - Jane Austen\nDracula - Bram Stoker\nUlysses", "list_item"),
    ("How can I sleep better?", "Try these:\n- Keep the same bedtime on weekdays and weekends\n- Avoid", "short_item"),
    ("How do I secure my account?", "Three steps: 1) choose a long passphrase, 2) turn on two-factor sign-in, 3)",
     "empty_item"),
    ("Write a tweet about our sale.", "Everything is half price this weekend only! #", "dangling_punct"),
    # after an eighth plant: a numbered list's next number without its dot, markup cut inside a tag, a contracted
    # verb at the end, a value that stops inside a word an earlier value holds, a bracket a short line opened
    ("Name four rivers.", "1. The Nile\n2. The Amazon\n3. The Yangtze\n4", "empty_item"),
    ("Make two HTML links.", '<a href="/home">Home</a>\n<a href="/about"', "code_cut"),
    ("How do I fix a slow laptop?", "Close the apps you do not use, and if you're", "dangling_word"),
    ("Tell me the language of each word: chien, dog, chat", "Chien: French\nDog: English\nChat: Fre", "cut_word"),
    ("List the steps.", "-Wash the wafer\n-Coat it with resist\n-Expose it (usually", "dangling_word"),  # an open bracket too
    ("Plan three days in Rome.", "Rome in three days:\nDay 1: Walk through the Forum and climb the Palatine Hill.\n\n"
     "Day 2: Spend the morning in the Vatican Museums.\n\nDay 3: Explore", "short_item"),
    # after a ninth plant: a name the prompt writes only longer cut inside its last word, an item's bare name
    # after lines that class the items, one letter after an article or a comma, a list stopping short of the
    # count asked for after a complete item
    ("Tell me about his career: he played for Bayer 04 Leverkusen.", "He scored against Bayer 04 Lever", "cut_word"),
    ("Classify each as a car or a motorcycle company: Ford, Triumph, Indian",
     "Ford is an automobile company.\nTriumph is a motorcycle company.\nIndian", "list_item"),
    ("What is an I-Bond?", "An I-Bond earns interest at both a fixed rate and the i", "cut_word"),
    ("What colors are in traditional tattoos?", "Thick black lines with black shading and red, blue, y", "cut_word"),
    ("Come up with five methods for reducing stress.", "1. Exercise: it lowers stress hormones.\n2. Meditate: ten "
     "minutes a day helps.\n3. Sleep: eight hours a night.", "missing_items"),
    # lines that answer the first items of the prompt's list and stop; short unmarked lines short of the count
    ("Tell me whether each position is in soccer or baseball: shortstop, outfielder, midfielder, goalie",
     "Shortstop: Baseball\nOutfielder: Baseball", "missing_items"),
    ("Give me a list of 6 seasonings used in Chinese cooking", "Soy Sauce\nOyster Sauce\nGinger", "missing_items"),
]
NOT_CUT = [
    ("Explain.", "„Gib deiner Katze die Energie, die sie zum Aufblühen braucht.“"),  # German quotes close with “
    ("Solve for x.", "Subtract 3 from both sides and divide by 2 to solve for x"),  # bare end at most, not a cut word
    ("Convert 3 inches.", "3 inches is 7.62 cm"),
    ("Write the function.", "def add(a: int, b: int) -> int:\n    return a + b"),
    ("Name a soup.", "Chicken broth"),
    ("Describe reptiles.", "Lizard: reptile\nSnake: reptile"),
    ("Unscramble the word.", "The word is tomat"),  # a word game's answer need not be a word
    ("Write an English sentence that is grammatical.", "john is the kind of fool that i told you about"),
    ("Write an English sentence that is grammatical.", "jack eats more caviar than he eats mush"),  # rare words
    ("Write an English sentence that is grammatical.", "the plums were weighed by the grocer"),
    ("Write an English sentence that is ungrammatical.", "all mr collins has done is have praised lady de bourg"),
    ("Write an English sentence that is grammatical.", "poseidon had run away, before the executioner murdered hera"),
    ("Write a short poem.", "Roses are red\nViolets are blue\nSugar is sweet\nAnd here is my view:"),
    ("Write a short poem about music.", "Turn the record up\nDance the night away\nThat is where it's at"),
    ("Name some sports.", "- Football is played worldwide\n- Tennis needs a racket and a net\n- Rowing"),
    ("List hobbies.", "- Reading\n- Long walks in the park\n- Cooking"),
    ("Write the query.", "SELECT name FROM products WHERE price < 10 ORDER BY name"),
    ("Write the function.", "function add(a, b) {\n  return a + b;\n}"),
    ("Average a list.", "def average_of(xs):\n    return sum(xs) / len(xs)\n\naverage_of([1, 2])"),
    ("Write a loop.", "for x in range(3):\n    print(x)\nelse:\n    print(\"done\")"),
    ("Which option is right? (a) red (b) blue", "The right option is a"),
    # prose that opens like SQL is not judged as code ("Thanks" begins "Thanksgiving" above)
    ("Pick a gift.", "Select a gift from the list below for Thanksgiving.\nThanks"),
    ("Give the tenses of walk.", "Past tense: walked\nPresent tense: walking\nFuture tense: will walk"),
    ("List the variables.", "The variables are x, y, z"),
    ("Write the class.", "class Point:\n    def __init__(self, x):\n        self.x = x\n\np = Point(1)\np"),
    # a name's second part, a place after its town, a hyphenated term: not a capitalized word cut short
    ("Who wrote it?", "The book was written by Viktor Frankl"),
    ("Where is it based?", "The company is headquartered in Mountain View, Calif"),
    ("What did they use?", "They profiled the cells with single cell RNA-Seq"),
    ("Match each item to its room.", "Sofa: Living room\nBed: Bedroom\nOven: Kitchen"),
    ("Who said it?", "Quote: “Hope is the thing with feathers.”\nSource: a poem\nE.D"),
    ("Give the steps.", "1) Mix the flour and water, 2) knead the dough for ten minutes, 3) bake at 220 degrees"),
    ("Which language?", "It is written in C#"),
    ("Is x less than y?", "Use <b>yes</b> when x<y"),
    ("Whose book is it?", "That book is John's"),
    ("Tell me the language of each country.", "Peru: Spanish Speaking\nUSA: English\nChile: Spanish"),
    ("Give the year.", "The tower was finished in\n1889"),
    ("Plan a training week.", "Day 1: Run five easy kilometres at a steady pace.\nDay 2: Rest"),
    # a name the prompt writes longer as a derived word or with a next word; a name line that is classed; a list
    # with the count asked for
    ("What is a famous Japanese dish?", "Sushi is a dish from Japan"),
    ("Which publisher? Batman: DC Comics; Thor: Marvel Comics", "Batman is DC, Thor is Marvel"),
    ("Classify as a state or a city: Washington, Boise", "Washington is a state\nBoise is a city"),
    ("Give three reasons to cycle.", "1. It is cheap.\n2. It is fast in town.\n3. It keeps you fit."),
    ("Generate a 5 word haiku.", "Silver moonlight cascades\nGlistening on water waves\nSerenity unfolds"),
    ("Tell me whether each position is in soccer or baseball: shortstop, outfielder, midfielder",
     "Shortstop: Baseball\nOutfielder: Baseball\nMidfielder: Soccer"),
    ("Classify each as soccer or baseball: shortstop, outfielder, midfielder",
     "Baseball: shortstop, outfielder\nSoccer: midfielder"),
]


@pytest.mark.parametrize("instruction, response, reason", TOKEN_LIMIT_CUTS, ids=[r[1][-20:] for r in TOKEN_LIMIT_CUTS])
def test_token_limit_cuts_are_found(instruction: str, response: str, reason: str) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response", NOT_CUT, ids=[r[1][-20:] for r in NOT_CUT])
def test_closed_quotes_variables_units_code_and_rare_words_are_not_cuts(instruction: str, response: str) -> None:
    assert truncation_reason(response, instruction) is None


@pytest.mark.parametrize("text, expected", [
    ("You can walk, ride a bike, drive a car, take a bus, use the subway or hail a cab", False),
    ("Popular apps are Facebook, Instagram, TikTok, Twitter, Reddit, and Youtube", False),
    ("They belong to organizations such as the United Nations, NATO, and the G", True),
    ("The Sioux won the battle, which was a significant victory for them, and ensured", True),
    ("It covers books, digital books, and other material such as artwork, videos and other", True),
])
def test_an_enumeration_closed_by_and_or_is_finished(text: str, expected: bool) -> None:
    """A series of short items whose last follows "and"/"or" ends there (Dolly drops the full stop after it);
    a long clause after the comma, or a one-letter last item, does not."""
    assert bare_end(text) is expected


@pytest.mark.parametrize("response", ["1" * 5000, "The area is the side raised to\n²", "Steps:\n1. Mix\n2. Bake\n①",
                                      "1. Mix\n2. Bake\n" + "3" * 5000])
def test_digit_like_last_lines_are_judged_not_crashed_on(response: str) -> None:
    """A last line of thousands of digits, or of a digit that is no decimal ("²", "①"), is no list number."""
    assert truncation_reason(response, "Write the answer.") in (None, "bare_end", "fragment", "too_short", "cut_word")


@pytest.mark.parametrize("response, cut", [
    # written for this test: the second part of a name cut short, a word English has not but begins
    ("The band's singer is Freddie Mercu", True),
    ("She moved from Ohio to New Hampsh", True),
    ("It was directed by Steven Spielbe", True),
    # whole names, also rare ones no word list has, and initials
    ("The band's singer is Freddie Mercury", False),
    ("The chess champion is Magnus Carlsen", False),
    ("The novel was written by Chimamanda Ngozi Adichie", False),
    ("Its founder was Lothar Vrenski", False),
    ("The house words belong to House Lothston", False),
    # rare surnames that begin common words: wordfreq's English list holds them ("Frankl", "Princip")
    ("Man's Search for Meaning by Viktor Frankl", False),
    ("The archduke was shot by Gavrilo Princip", False),
])
def test_a_name_cut_after_its_first_part_is_a_cut_word(response: str, cut: bool) -> None:
    assert (truncation_reason(response, "Answer the question.") == "cut_word") is cut


@pytest.mark.parametrize("response", [
    # written for this test: English ends a relative or infinitival clause on its preposition
    "1. Drink more water\n2. Sleep eight hours\n3. Find a hobby you can lose yourself in",
    "Keep a jar of notes about the things you are thankful for",
    "Choose a cause that they can work toward and a mentor to learn from",
    # a listed value after a key, a signature under a closing, options after a question, spaced hashtags
    "Subjects found: they",
    "Thank you for the lovely weekend. The food was wonderful. We will come again soon.\n\nWith love,\n\nsam x",
    "Read the statement below. Decide whether it is accurate. Is the Great Wall visible from space? True/False",
    "Sunsets over the bay never get old. Grab a blanket and watch one tonight. #Sunset #Bay  # Golden",
])
def test_stranded_prepositions_keyed_values_signatures_and_options_are_ends(response: str) -> None:
    assert truncation_reason(response, "Answer the request.") is None


@pytest.mark.parametrize("response", [
    "The dog was playing with",  # a main clause's subject: the object is missing
    "Because they were arguing with",
    "Our answer: the",  # an article after a key is still cut
])
def test_a_preposition_after_a_main_clause_is_still_dangling(response: str) -> None:
    assert truncation_reason(response, "Answer the request.") == "dangling_word"


def test_cjk_enumeration_commas_separate_items() -> None:
    assert truncation_reason("苹果、香蕉、橙子", "Name three fruits.") is None
    assert truncation_reason("苹果、香蕉", "Name three fruits.") == "missing_items"


@pytest.mark.parametrize("response, reason", [
    # written for this test: a cut leaves a rare word that begins far more frequent ones, a lone letter that no
    # mathematics explains, a short interjection that begins a common word, a short last item of a name list,
    # or a determiner or "which" that needs more after it
    ("The museum opened its doors to the public for the firs", "cut_word"),
    ("Knead the dough on a floured board and then shape it wit", "cut_word"),
    ("The festival drew visitors from every corner of the country and raised money for local schoo", "cut_word"),
    ("The village had a population o", "cut_word"),
    ("Store the bread in a cool place and eat it within two days or t", "cut_word"),
    ("Rinse the lentils and let them soak before you cook them so they are soft when yo", "cut_word"),
    ("Popular sports there are Soccer, Cricket, Rugby, Volleyb", "cut_word"),
    ("Jazz singers: Ella Fitzgerald, Billie Holiday, Nina Simone, Sarah Vaughan, Etta", "short_item"),
    ("The new library offers quiet rooms, free computers and several", "dangling_word"),
    ("Farmers in the valley grow wheat and barley, both of which", "dangling_word"),
])
def test_cuts_inside_a_word_or_a_list_item_are_found(response: str, reason: str) -> None:
    assert truncation_reason(response, "Answer the question.") == reason


@pytest.mark.parametrize("instruction, response", [
    # written for this test: rare words that end sentences, letters that name variables, vitamins and grades,
    # name lists whose last item is one word among one-word items, "which is which"
    ("Where do the apples go?", "Put the apples in the big pot"),
    ("What did he write?", "He wrote a letter to his aunt and a postcard to his son"),
    ("Solve for t.", "Divide both sides by 4 to solve for t"),
    ("Which nutrient?", "Sunflower seeds are rich in vitamin e"),
    ("How did she do?", "She passed the exam with a grade of e"),
    ("Describe the motion.", "The distance covered grows with the square of the time t"),
    ("Name some fruits.", "Apples, Pears, Plums, Cherries, Figs"),
    ("Name the authors.", "Jane Austen, Charles Dickens, Mark Twain, Leo Tolstoy"),
    ("Describe the test.", "The twins look alike, and nobody can tell which is which"),
    ("Who is there?", "It is just you and i"),
])
def test_rare_words_variables_and_whole_lists_are_not_cuts(instruction: str, response: str) -> None:
    assert truncation_reason(response, instruction) is None


def test_cut_odds_weigh_a_prefix_against_the_word() -> None:
    """A rare word that begins frequent ones is likelier a cut than itself; a frequent word is not."""
    from ift_data.audit.word_list import CUT_ODDS, cut_odds

    assert cut_odds("firs") > CUT_ODDS > 1 > cut_odds("know")
    assert cut_odds("pot") < CUT_ODDS and cut_odds("zzzzqx") == 0.0


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a request for several items answered by the one item a cut at its first comma left
    ("Name some herbs I can grow on a windowsill.", "Basil", "missing_items"),
    ("Give me a list of rivers in Europe", "The Danube", "missing_items"),
    ("What are some fun things to do in the snow?", "Sledding", "missing_items"),
    # one thing asked for, a number, two items, or a full sentence: no cut
    ("Name the longest river in Europe.", "The Volga", None),
    ("Give me some advice on saving money", "Spend less", None),
    ("Name some rhymes for cat.", "Hat and bat", None),
    ("What are some prime numbers below 5?", "2 and 3", None),
    ("Name some herbs.", "Basil.", None),
    # a number asked for, or a request worded as a question or by comma-separated items
    ("List five novels by Jane Austen.", "Emma", "missing_items"),
    ("Give me the top 5 coffee brands.", "Lavazza", "missing_items"),
    ("What are 6 kinds of cheese?", "Cheddar", "missing_items"),
    ("Think of seven vegetables that grow in shade", "Spinach", "missing_items"),
    ("Who are some famous Roman emperors?", "Augustus", "missing_items"),
    ("Extract the rivers from the text and separate them with a comma.", "Rhine", "missing_items"),
    # the number is not a count of items asked for, or one item is asked for
    ("Describe the relationship between the two nouns in one word.", "Friendship", None),
    ("What is your favourite of these five films?", "Alien", None),
    ("Think of a title for a story about two friends.", "Best Friends Forever", None),
    ("What are some prime numbers below 5", "Two", None),
])
def test_one_item_for_a_request_of_several(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: each listed item is to be classed, and the answer classes the first one only
    ("Identify which of these is a mammal or a reptile: gecko, otter", "Otter is a mammal", "missing_items"),
    ("Classify these as fruit or vegetable: carrot, plum, leek", "carrot: vegetable", "missing_items"),
    ("Tell me whether these cities are in Spain or Italy: Seville, Turin", "Seville is in Spain", "missing_items"),
    # every item classed, a label picked from those listed, one thing asked, or the bare item
    ("Identify which of these is a mammal or a reptile: gecko, otter", "Otter is a mammal, gecko is a reptile",
     None),
    ("Classify the review into one of the following: positive, negative", "The review is negative", None),
    ("Which of these is a mammal: gecko, otter", "otter", None),
])
def test_one_classed_item_of_several(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response", [
    # written for this test: a predicate noun, a rhyme in verse, letters used as symbols in the text or prompt
    ("What do you call a young goat?", "A young goat is called a kid, and a female is a doe"),
    ("Write a two-line verse about dawn.", "The rooster crows across the lea,\nAnd wakes the sleeping world for thee"),
    ("In F = ma, what is each letter?", "F is the force, a is the acceleration and the mass is m"),
    ("What do the symbols mean?", "Here x is the input, y is the output and the time is t"),
])
def test_predicates_rhymes_and_symbol_letters_are_not_cuts(instruction: str, response: str) -> None:
    assert truncation_reason(response, instruction) is None


@pytest.mark.parametrize("instruction, response", [
    # written for this test: a numeral or the letter asked for, a clause that ends on its copula, an abbreviation
    # that ends no sentence, a hyphenated name, a planet's letter, a query with a limit
    ("Who ruled England in 1600?", "The queen at that time was Elizabeth I"),
    ("When did the armistice come?", "It came in November 1918, at the end of World War I"),
    ("Which letter names the speed of light?", "Physicists write the speed of light as c"),
    ("What did she want?", "She had heard rumours about the old house and wanted to find out what it was"),
    ("What does the idiom mean?", "You accept a situation you cannot change, so it is what it is"),
    ("Which peak is the highest in Japan?", "At 3,776 metres, the tallest mountain in Japan is Mt. Fuji"),
    ("Who directed the film?", "The film was written and directed by Bong Joon-ho"),
    ("What is the nearest exoplanet?", "The closest known exoplanet is Proxima Centauri b"),
    ("Write a SQL query that returns the five oldest users.", "SELECT name FROM users ORDER BY born LIMIT 5"),
    ("What is a whisk?", "A whisk is a kitchen tool of looped wire. Beating egg whites is the job it's made for"),
    ("Was she a good sprinter?", "She won four national titles in a row. She was a good sprinter and then some"),
])
def test_numerals_asked_letters_copula_clauses_and_abbreviations_are_not_cuts(instruction: str, response: str) -> None:
    assert truncation_reason(response, instruction) is None


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a marked list that stops on its first or second item for a request of several
    ("Generate a list of ways to save water at home.", "1. Take shorter showers.\n2. Fix leaking taps.",
     "missing_items"),
    ("Make a list of things to pack for a beach day.", "- Sunscreen", "missing_items"),
    # a count asked for and given, or an inline list of many
    ("Find two examples of renewable energy.", "1. Solar power\n2. Wind power", None),
    ("Generate a list of islands.", "1. Bali 2. Crete 3. Sicily 4. Corsica 5. Maui", None),
])
def test_a_list_of_one_or_two_items_for_a_request_of_several(instruction: str, response: str,
                                                            reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a sentence that promises several names and gives one, for a question about several
    ("What are some famous Italian painters?", "Famous Italian painters include Caravaggio", "missing_items"),
    ("Who were the members of the band?", "The members of the band were Paul Weller", "missing_items"),
    # a question about one, or a list that is there
    ("Who founded the company?", "The company was founded by people like Henry Ford", None),
    ("What are some famous Italian painters?", "Famous Italian painters include Caravaggio and Titian", None),
])
def test_one_name_for_a_question_about_several(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: what a cut at the first comma leaves of a classing answer
    ("Which cars are German or Japanese? Golf, Civic", "Golf is German", "missing_items"),
    ("Sort these into fruit and vegetables.\nApple, Leek, Pear, Kale", "Fruit - Apple", "missing_items"),
    ("Tell me whether these are birds: robin, bat, owl, moth, wren", "Robin", "missing_items"),
    ("Classify these as metals or gases: iron, neon, copper, argon", "Copper", "missing_items"),
    # one item asked for, or the list holds the labels: one name is the whole answer
    ("Which of these is a mammal: shark, dolphin, trout", "Dolphin", None),
    ("Which one is the odd one out: red, blue, seven, green", "Seven", None),
    ("Categorize the sentence in the following types: fact, opinion or unknown.", "Fact", None),
    ("Classify this sentence into the categories: Food, Travel, Hobbies", "Hobbies", None),
])
def test_a_classing_answer_that_names_one_item(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a lead-in or the question's own subject, left by a cut at the first comma
    ("Is coffee bad for you?", "In short", "too_short"),
    ("Who runs the company?", "Currently", "too_short"),
    ("How hard is it to learn chess?", "Technically speaking", "too_short"),
    ("What is a tiebreak in tennis?", "In tennis", "too_short"),
    ("What is Marmite?", "Marmite", "too_short"),
    ("Where is Table Mountain located?", "The Table Mountain", "too_short"),
    ("Why is Kyoto, Japan worth a visit?", "Kyoto", "too_short"),
    ("What is Rust (the language)?", "Rust (programming language)", "too_short"),
    # a place or time asked for, a real answer, or a sentence
    ("Where do people play tennis in Paris?", "In Paris", None),
    ("What is the capital of Peru?", "Lima", None),
    ("What is Marmite?", "A yeast spread", None),
    ("Is coffee bad for you?", "In short, no.", None),
    ("What book was the musical Hamilton based on?", "Hamilton", None),
])
def test_a_lead_in_or_the_subject_alone(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


def test_sentence_stops_of_other_scripts_end_a_list() -> None:
    assert truncation_reason("मियामी, जैक्सनविल और फोर्ट लॉडरडेल।", "What are three cities in Florida?") is None


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: an opening clause left alone by a cut at the first comma
    ("Which house plants are toxic?", "If you have dogs as pets", "fragment"),
    ("How do I brake on a motorbike?", "Slow down early. While riding at a steady speed", "fragment"),
    ("Who was Cicero?", "Contrary to what some believe", "fragment"),
    # the prompt asks for a condition or a time, the clause holds its main clause, or it ends with a stop
    ("When should I water the lawn?", "If the soil is dry", None),
    ("Which house plants are toxic?", "If you have dogs as pets you should avoid lilies and ivy", None),
    ("Which house plants are toxic?", "If you have dogs as pets.", None),
])
def test_an_opening_clause_alone(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("response, reason", [
    # written for this test: a list whose own introduction promises more than follows it
    ("Here are some tips for a long flight:\n- Drink plenty of water.", "missing_items"),
    ("Some good books from 2020 include:\n\n- The Vanishing Half", "missing_items"),
    ("Here are 3 things to check before you buy:\n* The price.\n* The warranty.", "missing_items"),
    ("You need the following five skills: 1) patience; 2)focus; 3) care.", None),  # inline, no line of items
    # as many items as announced, one announced, or text after the list
    ("Here are 2 things to check before you buy:\n* The price.\n* The warranty.", None),
    ("Here is the answer:\n- Paris", None),
    ("Here are some tips:\n- Drink water.\n\nHave a good flight!", None),
])
def test_a_list_shorter_than_its_introduction(response: str, reason: str | None) -> None:
    assert truncation_reason(response, "Help me with this.") == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: an answer that goes through the prompt's items and stops on one
    ("Tell me which are fruits or vegetables: leek, pear, Granny Smith apple", "Leek is a vegetable, pear is a fruit, Granny Smith",
     "list_item"),
    ("Which of these are birds: robin, magpie, kingfisher, bat", "Birds: robin, magpie, king", "cut_word"),
    # every item classed, a name the prompt does not hold, or fewer than two items copied before it
    ("Tell me which are fruits or vegetables: leek, pear", "Leek is a vegetable, pear is a fruit", None),
    ("Which of these are birds: robin, magpie, kingfisher, bat", "Birds: robin, magpie, kingfisher", None),
    ("Which of these are birds: robin, magpie, kingfisher, bat", "Birds: robin, king", None),
])
def test_an_answer_that_stops_on_one_of_the_prompts_items(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("response, reason", [
    # written for this test: words no sentence of the clean corpora ends on, where token limits cut
    ("The knight drew his", "dangling_word"),
    ("You can use it to reduce costs when", "dangling_word"),
    ("The project was delayed due", "dangling_word"),
    ("Most people are usually", "dangling_word"),
    # an embedded question, a possessive pronoun, an ellipsis after a modal, "those without", an adverb after a
    # comma, "never" or "due" after a copula, "any" after a verb, "to let"
    ("Nobody could tell me exactly when", None),
    ("The map never says where", None),
    ("Between nine and ten, usually", None),
    ("The honest answer is never", None),
    ("Pay on the day it's due", None),
    ("Just ask if you need any", None),
    ("The flat upstairs is to let", None),
    ("I knew my horse was faster than his", None),
    ("The system keeps working as it should", None),
    ("People with a degree earn more than those without", None),
])
def test_words_no_sentence_ends_on(response: str, reason: str | None) -> None:
    assert truncation_reason(response, "Tell me about it.") == reason


@pytest.mark.parametrize("response, reason", [
    # written for this test: an answer cut after the sentence that introduces its list
    ("Locks can be tricky. Here are a few ways to get back in.", "missing_items"),
    ("There are many options. They can be grouped as follows.", "missing_items"),
    ("Below are the steps", "missing_items"),
    # the list follows, or the sentence announces nothing
    ("Here are a few ways to get back in:\n- Call a locksmith.\n- Ask a neighbour for the spare key.", None),
    ("Here is the museum, right by the river.", None),
])
def test_an_answer_that_stops_after_announcing_more(response: str, reason: str | None) -> None:
    assert truncation_reason(response, "Help me with this.") == reason


@pytest.mark.parametrize("response, reason", [
    # written for this test: a list of one item that says one is all there is, or one that does not
    ("There is only one:\n- Lake Michigan", None),
    ("Earth has one natural satellite:\n1. The Moon", None),
    ("Here is the list:\n- Antarctica", "missing_items"),
])
def test_a_one_item_list_that_says_so(response: str, reason: str | None) -> None:
    assert truncation_reason(response, "List the lakes that lie entirely within Canada.") == reason


@pytest.mark.parametrize("response", [
    # written for this test: complete endings on a word that usually dangles
    "Wait until the dough has rested for a little while",
    "It is a trip worth your while",
    "Is it round? Not quite",
    "Sure, happy to",
    "That's exactly what the handle is for",
    "Those are all the uses I can think of",
])
def test_idioms_and_stranded_prepositions_end_sentences(response: str) -> None:
    assert truncation_reason(response, "Tell me about it.") is None


def test_a_comma_list_with_empty_items_is_judged_not_crashed() -> None:
    assert truncation_reason("Apples, Pears, Plums,,, r", "Name some fruit.") is None


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a lone letter a cut left after a capitalized word or a comma, where no label, case
    # name or planet explains it; a rare word that begins far more frequent ones at odds between 20 and 50
    ("What is ASEAN?", "ASEAN is the Association o", "cut_word"),
    ("Who founded the colony?", "The colony was founded under a royal charter given to the Bay Company i", "cut_word"),
    ("How can I travel there?", "You can fly by plane, t", "cut_word"),
    ("What is a backup plan?", "If the first plan fails, you can always fall back on Plan b", None),
    ("What case ended school segregation?", "The ruling that ended it was Brown v", None),
    ("Which planet was found first?", "The first planet found around that star was Kepler b", None),
    ("Where can I fill up my tank?", "The easiest place to fill up is at a gas stat", "cut_word"),
])
def test_lone_letters_after_names_and_commas_and_rarer_cut_words(instruction: str, response: str,
                                                                 reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


def test_a_bare_end_the_prompt_already_had_is_no_cut() -> None:
    # written for this test: an edited sentence, and an option chosen from a list, end as the prompt ends them
    edit = "Edit the following sentence, removing the repetition:"
    assert not bare_end("The view from the mountain was incredible", edit,
                        input_text="The view from the from the mountain was incredible")
    assert not bare_end("The man walked slowly down the street",
                        'Edit the following sentence: "The man walked the slow down the street".')
    assert not bare_end("3. Open the Notes app", "Select the command.",
                        input_text="1. Connect to the cloud\n2. Open my files\n3. Open the Notes app")
    # a rewrite of an input that ends bare, its last word changed too
    assert not bare_end("The man was so malicious, his laugh sounded harsh", "Replace the highlighted words.",
                        input_text="The man was so malevolent, his laugh sounded abrasive")
    # the same words inside a prompt's sentence, or a prompt that ends them with a full stop, explain nothing
    assert bare_end("The man walked slowly down the street", "Edit the following sentence.")
    assert bare_end("The view from the mountain was incredible", edit,
                    input_text="The view from the from the mountain was incredible.")
    # an input that ends bare but that the answer does not rewrite (a passage it answers from)
    assert bare_end("The town grew around its harbour over many centuries", "Answer from the passage.",
                    input_text="Oslo was founded around 1040 and its port has shaped it ever since, see the map")


def test_labelled_lines_without_stops_are_a_list_not_prose() -> None:
    # written for this test: "Scene 4 - ..." under "Scene 1 - ...": its items end bare, so the last one does too
    storyboard = ("The ad has four scenes:\nScene 1 - Introduce the product and its main features\n"
                  "Scene 2 - Show the benefits of the product\nScene 3 - Connect the product to the customer")
    assert not bare_end(storyboard, "Design a storyboard for an advertisement.")
    # one labelled line is no list: prose that stops on a word
    assert bare_end("Here is the plan for the week ahead of us.\nDay 1: We walk to the lake and then rest at the hut",
                    "Plan a week.")


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a name of the prompt's cut to its first letter after a comma; not a letter in a
    # series, a surname's initial, or a letter the text has already written out as a name
    ("Tell me which of these are fruits or vegetables: Kale, Mango, Leek, Guava",
     "Mango is a fruit, and Kale and Leek are vegetables, G", "cut_word"),
    ("Which vitamins are in Citrus fruit?", "The vitamins in citrus fruit are A, B, C", None),
    ("Who wrote the Cooper paper?", "It was written by Jones, A. and Cooper, C", None),
    ("Tell me which of these are fruits: Kale, Mango, Guava", "Mango and Guava are fruits, and Kale is not, G",
     None),
])
def test_a_prompt_name_cut_to_its_initial(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a list item cut after its first letter; a list of letters is no cut
    ("Give ways to reduce paper waste.", "1. Print on both sides\n2. Use e-tickets instead of paper\n3. U",
     "cut_word"),
    ("Which answers are right?", "1. A\n2. C\n3. D", None),
])
def test_a_list_item_of_one_capital_letter(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


def test_a_lower_case_word_that_labels_only_when_capitalized() -> None:
    # written for this test: "Part b" labels a letter; "the most important part o" is "part of" cut
    assert truncation_reason("The answer is in Part b", "Where is the answer?") is None
    assert truncation_reason("This is the most important part o", "Explain the point.") == "cut_word"


def test_a_tweet_tag_line_is_no_fragment() -> None:
    # written for this test: the last "sentence" of a tweet is its hashtags, one of them spaced apart
    tweet = "AI is moving fast, from assistants to self-driving cars. The future is here! #AIforAll #AI revolution"
    assert truncation_reason(tweet, "Compose a tweet about AI.") is None
    assert not bare_end(tweet, "Compose a tweet about AI.")


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: one classed item named in the plural, or for "which of these are A or B"; not where
    # the question asks for one ("which of these is")
    ("Classify these as having wheels or not: car, boat, bicycle, drone", "Cars", "missing_items"),
    ("Tell me which of the following teams are playing football or hockey? Jets, Rangers, Giants, Devils",
     "Jets", "missing_items"),
    ("Which of these is a mammal or a fish: shark, dolphin, trout", "Dolphin", None),
])
def test_one_classed_item_in_the_plural_or_for_which_are(instruction: str, response: str,
                                                         reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a sentence cut at its first comma that leaves a longer prepositional phrase of the
    # prompt's, its noun phrase after another preposition, a time clause, or a clause announced by "is that"
    ("Design an outfit for a glamorous evening out.", "For a glamorous evening out", "too_short"),
    ("Make a prediction for the future.", "In the future", "too_short"),
    ("What do you need to consider when making an investment decision?", "When making an investment decision",
     "fragment"),
    ("Based on the following information, identify the key points.", "The key points of this news are that",
     "dangling_word"),
    # an infinitive, a letter's salutation, a restated condition or time, a "Based on" opening
    ("Tell me how to make a small fire.", "To make a small fire", "too_short"),
    ("Write a short speech to welcome the new students.", "Hello everyone", "too_short"),
    ("Write an email to a colleague asking for a meeting.", "Dear Colleague", "missing_items"),  # no closing
    ("What would happen if the Earth stopped spinning?", "If the Earth stopped spinning", "fragment"),
    ("Describe what happens when a hurricane forms.", "When a hurricane forms", "fragment"),
    ("Extrapolate the trends based on the data.", "Based on the data", "fragment"),
    ("Show how to make a cup of cappuccino coffee.", "To make a cappuccino coffee", "too_short"),
    ("Explain the economic differences between the North and South.", "Prior to the Civil War", "fragment"),
    ("Describe the recent rise of cryptocurrencies.", "Over the past several years", "fragment"),
    ("Are self-driving cars legal in the UK?", "At present", "too_short"),
    # not where the prompt offers the opener as a choice
    ("Classify the sentence as from the era before, during or after World War II.", "After World War II", None),
    # not where the prompt asks about a time, a purpose or a greeting, nor a closing idiom
    ("When did the band split up?", "After the third album", None),
    ("Why do we exercise?", "To stay healthy and strong", None),
    ("Greet the customer by email.", "Hello Mr. Smith", None),
    ("When should I water the plants?", "When the soil is dry", None),
    ("What is the best time to visit Japan?", "When the cherry blossoms bloom", None),
    ("Tell me when you would use a hammer.", "When you need to drive a nail", None),
    ("How did the season end?", "We lost the final, and that is that", None),
])
def test_first_comma_cuts_that_leave_an_opening(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a poem with fewer lines than its form or the instruction gives it
    ("Write a haiku about autumn.", "Crimson leaves falling\nWhispers of the cooling wind", "missing_items"),
    ("Compose a haiku about rain.", "Soft rain on the roof/Drumming a quiet tune", "missing_items"),
    ("Generate a limerick about a cat.", "A cat with a hat and a cane\nWould stroll every day down the lane.",
     "missing_items"),
    ("Write a poem with 4 lines about the sea.", "The sea is wide\nThe sea is deep.", "missing_items"),
    # the whole poem, lines broken by "<br>", several poems, a poem the prompt gives, a haiku on one line
    ("Write a haiku about autumn.", "Crimson leaves falling\nWhispers of the cooling wind\nThe year lets go", None),
    ("Compose a haiku poem.", "At spring's first rainbows<br>\nThe river runs away<br>From the setting sun", None),
    ("Write two haikus about rain.", "Rain falls softly down\nOn the quiet roof", None),
    ("Improve this poem of 20 lines.", "The night is dark\nThe stars are bright", None),
    ("Write a haiku about autumn.", "Crimson leaves falling, whispers of the cooling wind, the year lets go", None),
])
def test_a_poem_shorter_than_its_form(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a recipe cut inside or after its ingredients; not one with its steps, nor a task
    # about the ingredients alone
    ("Write a recipe for tomato soup.", "Ingredients:\n- 6 tomatoes\n- 1 onion\n- 2 cups stock", "missing_items"),
    ("Write a recipe for tomato soup.", "Ingredients:\n- 6 tomatoes\n- 1 onion\n\nInstructions:\n1. Chop them.\n"
     "2. Simmer for 20 minutes.", None),
    ("Adjust the ingredients of this recipe for 8 servings.", "Ingredients:\n- 12 tomatoes\n- 2 onions", None),
])
def test_a_recipe_without_its_steps(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a letter cut before its closing; not one that closes, however it signs off
    ("Write an email to your landlord about the heating.", "Dear Mr. Brown,\n\nThe heating in my flat has not "
     "worked since Monday.", "missing_items"),
    ("Write an email to your landlord about the heating.", "Dear Mr. Brown,\n\nThe heating has not worked since "
     "Monday. Could you send someone?\n\nBest regards,\nAnna", None),
    ("Write a letter to your parents.", "Dear Mum and Dad,\n\nI miss you both.\n\nLots of Love,\n\nWilf x", None),
    ("Write a letter to your parents.", "Dear Mum and Dad,\n\nI miss you both.\n\nYour son,\nTom", None),
    ("Describe a typical e-mail greeting.", "Dear Sir or Madam,\n\nIt opens the letter.", None),
])
def test_a_letter_cut_before_its_closing(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("response, reason", [
    # written for this test: a word cut after its apostrophe; not a plural's possessive, a dropped g, or a
    # quotation's closing mark
    ("The main idea is that he found something special while revisiting his father’", "cut_word"),
    ("The main idea is that he found something special at his uncle'", "cut_word"),
    ("The house in the story belongs to the three Sisters'", None),
    ("The song's chorus goes on and on about the night they went dancin'", None),
    ("In French, the Eiffel Tower is known as 'La Tour Eiffel'", None),
    ("The tower was called ‘the iron lady’ by the people of Paris", None),
])
def test_a_word_cut_after_its_apostrophe(response: str, reason: str | None) -> None:
    assert truncation_reason(response, "Describe it.") == reason


@pytest.mark.parametrize("response, reason", [
    # written for this test: the last line is the start of an earlier line, cut inside its first word
    ("Group 1: 5, 10, 4\nGr", "cut_word"),
    ("Step 1: Mix the flour and sugar.\nStep 2: Add the eggs.\nSte", "cut_word"),
    ("Group 1: 5, 10, 4\nGroup 2: 48", None),
    ("Red\nRed", None),
])
def test_a_last_line_that_begins_an_earlier_one(response: str, reason: str | None) -> None:
    assert truncation_reason(response, "Separate the numbers into two groups.") == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: letters no word list has but that begin a common word, in any case and after
    # anything; a capitalized word far likelier the start of a longer one; a short answer cut inside its word
    ("Convert this sequence of numbers into a date.", "Octob", "cut_word"),
    ("Identify the countries of origin for the following people.", "Lionel Messi: Arge", "cut_word"),
    ("Name three vegetables.", "Carrots, Peas, Vegetab", "cut_word"),
    ("Output the sum and the product of the numbers.", "Sum: 15, Produc", "cut_word"),
    ("Name a fruit.", "Strawber", "cut_word"),
    ("Determine the longest word in the following sentence.", "Th", "cut_word"),
    ("Is it raining where you are?", "Do yo", "cut_word"),
    ("Name three tech entrepreneurs.", "Larry Page, Jack Ma, Sergey Brin", None),  # a name: odds 157
    ("Which book did Viktor Frankl write?", "Man's Search for Meaning by Viktor Frankl", None),
    ("Where is the company based?", "Redmond, Wa", None),  # a state's abbreviation after a comma
    ("Give a short name for science fiction.", "Sci-fi", None),
    ("Fill in the blank: a person must have both the actus reus and the mens ___.", "rea", None),
    ("Spell the word backwards.", "Th", None),
])
def test_cut_words_that_no_list_has_or_that_short_answers_end_on(instruction: str, response: str,
                                                                  reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: an answer that only says a phrase of the instruction again is the subject of a
    # sentence cut after it; not where the instruction offers its answers, nor a phrase it quotes
    ("Identify one advantage of using electric cars.", "Electric cars", "too_short"),
    ("Convert 23 kilograms to pounds.", "23 kilograms", "too_short"),
    ("Who wrote the Great Gatsby?", "The Great Gatsby", "too_short"),
    ("How many soccer teams are in the English Premier League?", "The English Premier", "too_short"),
    ("Who wrote the Great Gatsby?", "F. Scott Fitzgerald", None),
    ("Classify this program as a high-level language or low-level language.", "High-level language", None),
    ("Which is bigger, the blue whale or the elephant?", "The blue whale", None),
    ('Identify the main subject of the following sentence: "The old man went fishing."', "The old man", None),
    ("Convert 23 kilograms to pounds.", "23 kilograms.", None),
])
def test_an_answer_that_only_repeats_a_phrase_of_the_prompt(instruction: str, response: str,
                                                           reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a definition with no body, a keyword that needs more, a SELECT without its FROM;
    # not a finished body, a bare return, or a SELECT of a value
    ("Create a function to check if a string is a palindrome.", "def is_palindrome(s):", "code_cut"),
    ("Write a function for the Fibonacci numbers.", "def fibonacci(n):\n    if", "code_cut"),
    ("Write a query for the books' titles.", "SELECT title, author, rating", "code_cut"),
    ("Write a query that returns every row.", "SELECT *", "code_cut"),
    ("Write a function that doubles a number.", "def double(x):\n    return x * 2", None),
    ("Write a function that returns nothing.", "def nothing():\n    return", None),
    ("Write a query for the current time.", "SELECT NOW()", None),
    ("Write the smallest query.", "SELECT 1", None),
])
def test_code_cut_after_a_header_a_keyword_or_a_select_list(instruction: str, response: str,
                                                            reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a name stopped before its last part; not a place whose last word ends it, a
    # city's initials, or lettered options
    ("Name a Dutch painter.", "The best known is Vincent van", "dangling_word"),
    ("Name three states in the US.", "California, Texas, and New", "dangling_word"),
    ("Name a book by a famous author.", "The Lord of the Rings by J. R. R.", "dangling_word"),
    ("Where did you stay?", "We stayed at Crater Lake", None),
    ("Where is the White House?", "It is in Washington, D.C.", None),
    ("Which options apply?", "Options: A. B. C.", None),
])
def test_a_name_stopped_before_its_last_part(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a quiz question cut inside it or before its answer, a song cut at a section label;
    # not a question asked for alone, nor a song that ends on its lines
    ("Generate a quiz question and answer about world history.", "Q: Who wrote", "fragment"),
    ("Generate a quiz question and answer about world history.", "Q: Who wrote the Declaration of Independence?",
     "missing_items"),
    ("Make up two riddles.", "Q: What has keys but no locks?\nA: A piano.\nQ: What has a neck but no head?",
     "missing_items"),
    ("Write a question about world history.", "Question: Who wrote the Declaration of Independence?", None),
    ("Compose a song about the night.", "Verse 1:\nThe night is young\nThe stars are bright\n\nChorus:", "empty_item"),
    ("Compose a song about the night.", "[Verse 1]\nThe night is young\nThe stars are bright\n\n[Chorus]",
     "empty_item"),
    ("Compose a song about the night.", "Verse 1:\nThe night is young\nThe stars are bright\n\nChorus:\nSing along\n"
     "Sing along", None),
])
def test_a_question_without_its_answer_and_a_section_without_its_lines(instruction: str, response: str,
                                                                       reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


def test_a_cut_word_among_names_and_two_letter_words() -> None:
    # written for this test: the words around the cut are names and "is", "in": English enough to read the cut;
    # an outline's marker at a line's start is not read so
    assert truncation_reason("Cassoday, KS in Butler County, Kansas is kn", "Where is Cassoday?") == "cut_word"
    assert truncation_reason("Negative Impact on Teacher Retention\niv", "Outline the effects.") is None


@pytest.mark.parametrize("instruction, input_text, response, reason", [
    # written for this test: an answer of one capital letter or one opening word where a sentence is asked for;
    # not a letter the prompt offers or asks for, nor a word of a sentence asked for
    ("Rewrite the sentence in a more formal tone.", "He is gonna go home.", "H", "cut_word"),
    ("Write a sentence using the word cat.", "", "T", "cut_word"),
    ("Predict the next musical note given the musical sequence.", "D E G B C", "D", None),
    ("Select the closest word for the given definition.", "Options: (A) sure (B) safe (C) sound (D) whole", "D", None),
    ("Rewrite the sentence in the active voice.", "", "I", None),
    ("Rewrite the sentence differently.", "She is happy.", "She", "dangling_word"),
    ("Name the capital of India.", "", "The", "dangling_word"),
    ("Select the correct pronoun in this sentence: He ____ surfing with friends.", "", "is", None),
    ("Insert the correct article in the sentence: \"___ object fell from the sky\".", "", "An", None),
    ("Who is the author of the novel?", "", "She", None),
])
def test_a_lone_letter_or_opening_word_where_a_sentence_is_asked_for(instruction: str, input_text: str,
                                                                     response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction, input_text=input_text) == reason


@pytest.mark.parametrize("response, reason", [
    # written for this test: a sentence that announces several items before a colon and gives one; not an
    # equation, a list of several, nor a colon that announces no items
    ("Some different types of desserts are: cupcakes", "missing_items"),
    ("The Benelux region is made up of the following countries: Belgium", "missing_items"),
    ("A rainbow consists of the following seven colors: red.", "missing_items"),
    ("Some different types of desserts are: cupcakes, pies and tarts", None),
    ("The law can be expressed as follows: Demand = Supply - Price", None),
    ("I never thought I would write these words, but here goes: I miss him", None),
    ("The answer is: Paris.", None),
])
def test_one_item_after_a_colon_that_announces_several(response: str, reason: str | None) -> None:
    assert truncation_reason(response, "Tell me about it.") == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a bare greeting for a letter, a full name alone for "Who was ...?"; not a greeting
    # that answers one, nor another name
    ("Write a polite rejection email to a recruiter.", "Hello", "too_short"),
    ("Write a reply to this message: Hello!", "Hello", None),
    ("Who was Rosa Parks?", "Rosa Louise McCauley Parks", "too_short"),
    ("Who is Lady Gaga?", "Stefani Germanotta", None),
])
def test_a_bare_greeting_or_the_full_name_alone(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: classed lines that copy the prompt's items and stop a word short of the next, and
    # a "Key: value" list whose last value is the start of an earlier one; not whole items, shortened names, or
    # a value that stands alone earlier
    ("Classify these artists as country or pop: Dua Lipa, Morgan Wallen, Harry Styles, Taylor Swift, Luke Combs",
     "Pop: Dua Lipa, Harry Styles, Taylor Swift\nCountry: Morgan", "cut_word"),
    ("Classify these artists as country or pop: Dua Lipa, Morgan Wallen, Harry Styles, Taylor Swift, Luke Combs",
     "Pop: Dua Lipa, Harry Styles, Taylor Swift\nCountry: Morgan Wallen, Luke Combs", None),
    ("Classify these artists as country or pop: Dua Lipa, Morgan Wallen, Harry Styles, Taylor Swift, Luke Combs",
     "Pop: Lipa, Styles, Swift\nCountry: Morgan", None),
    ("Tell me whether each is useful for cleaning.", "Broom: Useful\nSand: Not Useful\nDirt: Not Useful\n"
     "Dust Pan: Useful\nFood: Not", "cut_word"),
    ("Answer each.", "A: Yes\nB: Yes please\nC: Yes", None),
])
def test_classed_lines_and_values_cut_a_word_short(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason


@pytest.mark.parametrize("instruction, input_text, response, reason", [
    # written for this test: a poem answered by its first line; one item classed of the input's several; not a
    # one-line poem asked for, a line of a poem's title, nor one item picked where one is asked for
    ("Create a poem that has the theme of courage.", "", "Standing tall", "missing_items"),
    ("Write a one-line poem about rain.", "", "Rain taps the roof like a patient friend.", None),
    ("Write a title for a poem about rain.", "", "Patient Rain", None),
    ("Categorize the following words into two teams.", "Turtle, Eagle, Shark, Hawk", "Team 1: Turtle",
     "missing_items"),
    ("Classify the items into different categories.", "Jeans, Apples, Shirts, Bananas", "Clothes: Jeans",
     "missing_items"),
    ("Which of these is a mammal?", "shark, dolphin, trout", "Dolphin", None),
])
def test_a_poems_first_line_and_one_of_the_inputs_items(instruction: str, input_text: str, response: str,
                                                        reason: str | None) -> None:
    assert truncation_reason(response, instruction, input_text=input_text) == reason


@pytest.mark.parametrize("instruction, response, reason", [
    # written for this test: a letter cut after a name, and a class's initial after "is" or a capitalized item
    # where the prompt lists the items; not a lettered choice, a case's "v" or a letter on a line of its own
    ("What two continents is Russia a part of?", "Russia i", "cut_word"),
    ("Who called Timothy Leary a brave neuronaut?", "Tom Robbins c", "cut_word"),
    ("Identify which car manufacturer is British or American: Lotus, Lincoln", "Lotus is British, Lincoln is A",
     "cut_word"),
    ("Identify which car manufacturer is Japanese or American: Jeep, Subaru", "Jeep is American, S", "cut_word"),
    ("Which option is right? A) Apple B) Pear", "The answer is A", None),
    ("Which case ended school segregation?", "The landmark case was Brown v", None),
    ("Outline the effects.", "1. Lower Teacher Salaries\n    b", None),
])
def test_a_letter_cut_after_a_name_or_a_class(instruction: str, response: str, reason: str | None) -> None:
    assert truncation_reason(response, instruction) == reason
