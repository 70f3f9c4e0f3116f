"""Use case of each row, in InstructGPT's table of prompt categories (Ouyang et al. 2022, table 1).

Categories: ``generation``, ``open_qa``, ``brainstorming``, ``chat``, ``rewrite``, ``summarization``,
``classification``, ``closed_qa``, ``extraction``, ``other``.

How a row is tagged (``tag_rows``): with the shipped weights, by the keyword rules alone (``rule_tags``).
The weights' ``use_model`` says whether the linear model of steps 2 and 3 is consulted at all, and
``scripts/train_use_case_model.py`` decides it: the model is used when the tagger with the model beats the
rules both in cross-validation on the project's own labelled rows (the rules fit no parameters, so their
accuracy there is their cross-validated accuracy) and on real rows labelled by hand (the Alpaca and
Self-Instruct dev sets of ``benchmarks/labels/``). On today's 1,639 own rows it wins the first (0.892 vs
0.869) and loses the second (0.684 vs 0.776), so the shipped weights say ``use_model`` false; the fitted
model is still stored. On Dolly (test data, never fitted or used for that choice) the rules score accuracy
0.786 / macro-F1 0.677 and the model path 0.759 / 0.643 (docs/benchmarks.md "Use-case tagger"): neither
meets the goal of 0.8.

With ``use_model`` true:

1. The keyword rules below (``rule_tag``) read the row. Their answer stands for ``chat`` (more than one
   turn, or a conversational message: a greeting, thanks, small talk), ``rewrite`` and ``classification``;
   for ``generation`` with an input or with a writing verb first (write / compose / draft / create ...);
   for ``other`` on an instruction of at most three words; and, for a row with an input, as far as the
   weights' ``input_rule`` says (``_rules_decide``).
2. Otherwise a linear model (``audit/use_case_model.py``: multinomial logistic regression on the
   instruction's static embedding, the row's shape and the keyword rules' answer) picks one of the
   open-ended task categories (generation, open_qa, brainstorming, summarization, closed_qa,
   extraction). It is fitted by ``scripts/train_use_case_model.py`` on the project's own labelled rows
   (``models/use-case-logreg/train.jsonl``, written for the project), never on Dolly or Alpaca.
3. ``other`` instead of the model's pick when the rules found no recognizable request and the model is
   unsure (top probability under the weights' ``other_threshold``).

The keyword rules (``rule_tag``), first match wins, read from the instruction's wording and form, from
whether the row carries an input (a context to work on) and from the shape of the response:

1. ``chat``: more than one turn.
2. ``rewrite``: rewrite / rephrase / paraphrase / translate / proofread / correct / edit / convert /
   simplify / "make it more formal" ...
3. ``summarization``: summarize / summary / TL;DR / "in one sentence, what ...".
4. ``extraction``: extract / pull out / "list all the X mentioned" / "find all" / "from the text, list";
   with an input only, or with the text to work on quoted in the instruction. Later, with an input: a
   request for the text as a whole (describe it, its key points) is ``summarization`` and a request for
   several items from it (list, "what are the", names of, mentioned) is ``extraction``.
5. ``classification``: classify / categorize / "which of these is" / "is X a Y or a Z" /
   "tell me whether" / "identify which" / sentiment / "label each" / a FLAN-style OPTIONS block ...
6. ``brainstorming``: brainstorm / ideas / suggestions / "what are some" / "give me a list of" /
   "list some" / "ways to" / "tips" ...; without an input, also "list ..." / "name ..." (not "name the / a X",
   one fact: open_qa) / "give me N".
7. ``generation``: write / compose / draft / create / generate / imagine / a story, poem, essay,
   letter, email, song ...
8. with an input and no rule above: by the answer's shape, a list is ``extraction``, a paragraph of
   three or more sentences (40+ words) ``summarization``, a short answer ``closed_qa``.
9. ``open_qa``: a question without one (wh-word, auxiliary verb first, or a question mark), or an
   explain / describe / define / compare / tell / give request.
10. ``other``.

1b. (before rule 2) ``chat`` also for a conversational message: hi / hello / thanks / bye / how are you /
   "let's chat" ... at the start of the instruction.
1c. (before rule 2) ``other`` for a computation or a mechanical operation: calculate / solve / simplify /
   convert units or formats / sort or rank by an order / count / reverse / a math problem ...

"With an input" means a real one (``input_kind``): a placeholder ("No input", "<noinput>", "N/A") is no input,
and an input of fewer than ``SHORT_INPUT_WORDS`` words that does not end as a sentence names a topic or a few
items ("Describe the given organization." / "Google"), so the rules for a given text (4 later, 8) do not apply
and the row is read like one without an input. Rules 6-9 also read more request verbs than listed (construct /
devise / come up with a ... for generation, a verb with a count for brainstorming, differentiate / analyze /
identify for open_qa). docs/benchmarks.md "Use-case tagger" measures them on hand-labelled Alpaca and
Self-Instruct rows.

The rules were written from the category definitions and hand-written instructions; an earlier version of
the tagger was tuned on a Dolly split, and some of the wording rules date from then. The evaluation is on
all of Dolly's rows, none of which the model saw (``benchmarks/bench_use_case.py``, docs/benchmarks.md
"Use-case tagger").
Column: ``use_case``. Summary: ``distribution`` (rows per category, every category listed) and
``shares``. No flag.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.use_case_model import LinearModel, feature_matrix, load_model

USE_CASES: tuple[str, ...] = ("generation", "open_qa", "brainstorming", "chat", "rewrite", "summarization",
                              "classification", "closed_qa", "extraction", "other")


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# A conversational message rather than a task: a greeting, thanks, a goodbye, small talk, or an invitation
# to chat or play, at the start of the instruction.
_CHAT = re.compile(r"^\W*(hi|hello|hey|hiya|good (morning|afternoon|evening|night)|thanks|thank you|bye|goodbye|"
                   r"lol|haha|how are you|how's (it going|your day)|how was your (day|weekend)|nice to meet you|"
                   r"can we (just )?(talk|chat)|let'?s (chat|talk|roleplay|role-play|play a game))\b", re.IGNORECASE)


_REWRITE = _words(
    r"\b(re-?write|rephrase|paraphrase|reword|proof-?read|copy-?edit)\w*",
    r"\btranslat\w+\b", r"\b(correct|fix) (the |any |all )?(grammar|spelling|punctuation|typos?|errors?|mistakes?)",
    r"\bedit (this|the following|the text|the sentence|the paragraph|my)",
    r"\b(make|turn) (this|it|the (sentence|text|paragraph|email|following)) (sound )?(more|less|into)\b",
    r"\bconvert (this|the following|the (text|sentence|paragraph))", r"\bsimplify (this|the following|the text)",
    r"\b(in|into) (plain|simple|simpler|formal|informal|passive|active) (english|language|voice|words|tone)",
    r"\bchange (the )?(tone|tense|voice)\b", r"\bshorten (this|the following|the text)",
    r"\bchange (the|this|each|all|every) (\w+ )?(verbs?|nouns?|adjectives?|words?|sentences?|tense|text|paragraph|"
    r"wording|parts? of speech)\b",
    r"\bimprove (the following|this|the) (text|document|sentence|paragraph|essay|writing|wording)\b",
    r"\b(identify|find|spot) (the |any )?(incorrect|misspelled|wrong)\b.{0,40}\bcorrect\b",
    r"\bconvert the given (text|sentence|paragraph|passage)\b", r"\bcombine (the|these) (two |following )?sentences\b",
    r"\b(edit|modify|revise) (the|this|these) (given |following )?(code|text|sentence|paragraph|passage|email|"
    r"letter|essay)s?\b", r"\bchange (this|the|these) (\w+ )?(statement|sentence|text|phrase)s?\b.{0,30}\b(to|into)\b",
    r"\bmake (the following|this|the given) (sentence|text|paragraph|phrase) (more|less|sound)\b",
    r"\b(french|spanish|german|italian|chinese|japanese|russian|portuguese|arabic|hindi|korean|dutch|latin) "
    r"(equivalent|translation|version) of\b",
    r"\breplace (the|all|every|each|any)\b.{0,60}\b(with|in the (text|sentence|code|paragraph|document))\b",
    r"\badd comments\b", r"\bconvert (it|them) (to|into)\b")
_SUMMARY = _words(r"\bsummar(y|ies|i[sz]e|i[sz]ing|i[sz]ation)\b", r"\btl;?dr\b", r"\bsum up\b", r"\bsynopsis\b",
                  r"\bcondense\b", r"\bwhat is (this|the) (text|passage|article|paragraph|story|document) about\b",
                  r"\bgist\b", r"\bmain (points|idea|ideas|takeaways?)\b", r"\bkey takeaways?\b")
# Asks for brevity: a summary of a given text, or (without one) a short answer to a question.
_BRIEF = _words(r"\bbrief(ly)?\b", r"\b(short|quick) (description|overview|explanation)\b",
                r"\bin (one|a single|two|a few|\d+) (sentence|sentences|words|bullet points)\b.*\b(about|what|describe)\b")
_EXTRACT = _words(r"\bextract\w*\b", r"\bpull (out|the)\b", r"\bfind all\b", r"\bidentify all\b",
                  r"\b(list|name) (all|every|each) (of )?(the )?\w+( \w+)? (mentioned|named|listed|in the|from the"
                  r"|that appear|referenced)", r"\b(from|in|using|based on) (the|this) (text|passage|paragraph|"
                  r"article|reference|document)\b.{0,40}\b(list|extract|bullet|separated)",
                  r"\b(list|bullet)\b.{0,60}\b(from|in|mentioned in) (the|this) (text|passage|paragraph|article)",
                  r"\bcomma[- ]separated\b", r"\bbulleted list of\b.{0,40}\b(from|in) (the|this)")
# With a given text: a request to describe or explain it as a whole, rather than a question about one fact.
_SUMMARY_WITH_INPUT = _words(r"^(please )?(describe|explain|give (me )?(an? )?(overview|description|explanation))\b",
                             r"\btell me (about|what)\b.{0,40}\b(this|the) (text|passage|article|paragraph)\b",
                             r"\b(key|main|important) (points|facts|ideas|details)\b", r"\bin (a few|\w+) words\b",
                             r"\boverview\b")
# With a given text: a request for several items out of it (a list), rather than one fact.
_LIST_FROM_INPUT = _words(r"\b(list|enumerate|bullet\w*|itemi[sz]e)\b", r"\bwhat are (the|all)\b",
                          r"\b(which|what) \w+ are (mentioned|named|listed)\b", r"\bnames of\b", r"\ball (the|of the)\b",
                          r"\bseparated by\b", r"\bidentify (the|all|every)\b", r"\bmentioned\b")
_CLASSIFY = _words(
    r"\bclassif\w+\b", r"\bcategori[sz]\w*\b", r"\bsentiment\b", r"\bidentify which\b", r"\btell me (whether|if|which)\b",
    r"\bwhich (of (these|the following|those)|one of|ones? (is|are))\b", r"\b(is|are) (each|these|the following)\b.*\bor\b",
    r"\b(determine|decide|judge|assess) (whether|if|which)\b", r"\blabel (each|the|this|these)\b",
    r"\b(rate|mark|judge|grade|tag|flag)\b.{0,60}\bas (either )?(a |an )?\w+( \w+)? or (a |an )?\w+",
    r"\b(?P<label>\w{3,}) or (un|in|im|non-?|not )(?P=label)\b",  # acceptable or unacceptable, toxic or non-toxic: a label pair
    r"\bsort (these|the following|them|each)\b", r"\bgroup (these|the following)\b", r"\bspam or\b",
    r"\bis (this|the following|it) (a |an )?\w+( \w+)? or (a |an )?\w+",
    r"\b(positive|negative|neutral) or (positive|negative|neutral)\b", r"\bwhich (is|are) (a |an )?\w+ (and|or) which\b",
    r"\b(true|false) or (true|false)\b", r"\byes or no\b", r"^(is|are) \w+( \w+)? (a|an) \w+( \w+)? or (a|an)\b",
    r"\beach (of the following|item|one) (as|is)\b",
    r"\bfor (its |their )?(linguistic )?(acceptability|grammaticality|correctness|toxicity|sentiment)\b",
    r"\b(identify|check|state|say) (if|whether)\b", r"\bas (true|false),? (or )?(true|false|uncertain)\b",
    r"\b(organi[sz]e|divide|split|separate|group|sort)\b.{0,40}\b(into|in) (\d+|two|three|four|five|six) "
    r"(categories|groups|classes|types)\b",
    r"\b(detect|tell|find out|predict|decide) (if|whether)\b", r"\bpos tags?\b", r"\bpart of speech\b",
    r"\b(candidates|categories|labels|intents?|classes|options) (include|can be|are)\b",
    r"\b(can be|is|are) one of the following\b",
    r"\b(answer|output|reply|respond|outputs?) (with )?[\"'\u201c]\w+[\"'\u201d] or [\"'\u201c]\w+")
# A request for code (a program, function, query, regular expression ...): generation, whatever the code is to
# do ("Write a regular expression to extract the numbers", "write a program to determine if ...").
_CODE_REQUEST = _words(r"^(please )?((given|using|with|for|in) [^,]{1,60}, )?(please )?(write|create|implement|construct|"
                       r"develop|generate|design|compose) "
                       r"(me )?(a|an|the|some) (\w+ ){0,3}(program|function|script|method|class|query|regex|"
                       r"regular expression|algorithm|code|snippet)\b")
# A FLAN-style OPTIONS block (two or more "- " items): a closed label set, whatever the wording around it
# ("Would a proofreader flag the following sentence as ungrammatical? ... OPTIONS: - yes - no").
_OPTIONS_BLOCK = re.compile(r"\boptions: ?- \S.*\s- \S", re.IGNORECASE)
# A computation or a mechanical operation on given items (arithmetic, conversion of units or formats, sorting,
# counting, reversing, puzzles): ``other``, what the training rows call it.
_COMPUTE = _words(
    r"(^|, )(please )?(calculate|compute|simplify|multiply|divide|subtract|factori[sz]e|alphabeti[sz]e|unscramble|"
    r"tally)\b", r"(^|, )(please )?solve (the|this|these|for|it|them|\d)", r"\b(solve|answer) (this|the) (riddle|puzzle)\b",
    r"^(please )?(add|sum) (up )?(\d|the (numbers|following numbers|values))", r"^(please )?round\b.{0,30}\d",
    r"^(please )?evaluate (the|this) (expression|equation|integral|sum|formula)\b", r"^(please )?evaluate \S*\d",
    r"\bconvert\b.{0,50}\b(to|into) (miles|kilomet\w+|meters|metres|feet|inches|pounds|kilograms|grams|ounces|"
    r"liters|litres|gallons|cups|celsius|fahrenheit|kelvin|binary|decimal|hexadecimal|octal|roman numerals|"
    r"dollars|euros|minutes|hours|seconds|days|json|csv|xml|yaml|html|base64|morse)",
    r"\bconvert\b.{0,30}\b(reading|temperature|measurement|units?|number|amount|date|time|distance|weight|length|"
    r"height|speed|price|currency)\b", r"\bin (ascending|descending|alphabetical|chronological|numerical|reverse) order\b",
    r"\b(sort|arrange|order|rearrange|rank|list)\b.{0,60}\b(ascending(ly)?|descending(ly)?|alphabetical(ly)?|"
    r"chronological(ly)?|numerical(ly)?|(highest|lowest|least|most|smallest|largest|oldest|newest|shortest|longest|"
    r"best|worst) to)\b", r"^(please )?rank (the|these|this|all)\b",
    r"\bmath(ematical)? (word )?problems?\b", r"\bsolv(e|ing) (the|this|a) (equation|system|math)",
    r"^(please )?find (out )?the (largest|smallest|biggest|maximum|minimum|highest|lowest|longest|shortest)\b",
    r"^(please )?(order|arrange|rearrange) the (given |following )?(words|letters)\b",
    r"^(please )?(count|reverse)\b", r"\bhow many (\w+ )?(letters|words|vowels|consonants|characters|times|syllables|"
    r"prime factors|digits)\b", r"\b(sum|average|mean|median|product|area|perimeter|volume|percentage|square root|"
    r"factorial|hamming distance) of\b.{0,40}(\d|numbers|given|following|two strings)",
    r"\b(next|missing) (number|term|letter) in\b", r"^(please )?(complete|continue) the (sequence|pattern|series)\b")
_BRAINSTORM = _words(r"\bbrainstorm\w*\b", r"\bideas?\b", r"\bsuggest(ions?)?\b", r"\bwhat are (some|a few|good|"
                     r"the best|ways|things)\b", r"\bgive me (a list of|some|\w+ (ways|tips|ideas|reasons|things|"
                     r"examples|names))\b", r"\b(list|name) (some|a few|\d+|three|four|five|ten|several)\b",
                     r"\bways (to|of)\b", r"\btips\b", r"\brecommend\w*\b", r"\bwhat (should|could|can) i\b",
                     r"\bthings to (do|see|bring|consider)\b", r"\bhow (can|could|do|should) i\b.*\b(ideas|ways)\b")
# Without a given text: a request for several items is brainstorming.
_LIST_REQUEST = _words(r"^(please )?(list|enumerate)\b", r"^(please )?name (?!(the|a|an|one) )", r"\bgive me (a |an )?(list|few|several|\d+|two|three|"
                       r"four|five|six|seven|eight|nine|ten)\b", r"\bwhat are (\d+|two|three|four|five|ten)\b",
                       r"\b(make|compile|create|write|draw up|put together|generate|construct) (me )?(a |an )?(short |"
                       r"quick |brief |vocabulary )?list\b",
                       r"^(please )?(come up with|think of|identify|provide|give|generate|create|suggest|find|propose|"
                       r"offer|share) (me )?(at least |up to |about )?(\d+|two|three|four|five|six|seven|eight|nine|ten|"
                       r"several|some|a few|a couple of) \w+")
_GENERATE = _words(r"^(please )?(complete|continue|finish) the (following |given )?(lyrics|paragraph|sentence|story|poem|code|dialogue|"
                   r"text|song|letter|email)\b", r"^(please )?(reply|respond|write back) to (the|this|my)\b",
                   r"^(please )?expand (the|this)\b", r"\btell me a (\w+ )?(joke|story|poem)\b", r"^(please )?plan (a|an|my)\b",
                   r"^(please )?suggest a completion\b",
                   r"^(please )?(give|provide|write) (me )?(an? )?(example|sample) (of )?(an? )?(\w+ )?(sentence|paragraph|"
                   r"story|poem|dialogue|email|letter|tweet|headline|title|slogan|haiku)\b",
                   r"^(please )?(write|compose|draft|create|generate|craft|imagine|invent|pretend|design|devise|"
                   r"construct|formulate|make up|come up with|develop|sketch|produce|outline) (a|an|the|some|my|\d)\b",
                   r"^(please )?(write|compose|draft|create|generate|craft|imagine|invent|pretend|design|come up "
                   r"with (a|an) (story|poem|name|slogan|title|tagline))\b",
                   r"\b(write|compose|draft|create|generate|craft) (me )?(a|an|the|some|\d+|two|three|short|"
                   r"funny|creative|brief)\b", r"\b(story|poem|haiku|limerick|essay|song|lyrics|letter|email|"
                   r"e-mail|tweet|blog post|speech|dialogue|script|joke|slogan|tagline|cover letter|recipe)\b.*"
                   r"\b(about|for|to|on)\b")
_QUESTION_START = re.compile(r"^\s*(question(?=:)|answer the following (\w+ )?(question|questions|quiz)\b|what|who|whom|"
                             r"whose|when|where|why|how|which|is|are|was|were|do|does|did|can|"
                             r"could|should|would|will|has|have|had|may|might|in what|at what|on what|for what|"
                             r"according to|based on|given|from)\b", re.IGNORECASE)
_EXPLAIN = _words(r"^(in (one|a|two|three|a few|\d+) (sentences?|words|paragraphs?),? )?(please )?(explain|describe|"
                  r"define|compare|contrast|summari[sz]e|name|give|provide|tell me (about|what|who|how|why|when|where)|"
                  r"give me (an? )?(overview|explanation|definition|description)|what('s| is)\b|differentiate|"
                  r"distinguish|analy[sz]e|discuss|elaborate|clarify|state|identify|determine|find|look up|guess|recap|"
                  r"predict|estimate|illustrate|outline|evaluate|assess|cite|list)\b")


# When the keyword rules' answer stands and the model is not asked: chat, rewrite and classification are
# read from explicit wording or form (several turns, "rewrite", "classify", a closed label set), and the model
# never picks them itself (its classes are the other task categories); a writing verb first (write / compose
# / draft / create ...) is generation, so a haiku or a tweet (a short answer) stays generation; an instruction
# of at most OTHER_MAX_WORDS words with no recognizable request ("banana", "test") is other. For a row with an
# input, the weights' ``input_rule`` says how far the rules go: "model" (the model decides), "wording" (the
# rules decide when the instruction's wording placed the row, the model only where the answer's shape would
# have), "all" (the rules decide every row with an input). scripts/train_use_case_model.py chooses it by
# cross-validation on the training rows, with C and the other threshold.
_GENERATE_START = re.compile(r"^(please )?(write|compose|draft|create|generate|craft|imagine|invent|pretend)\b",
                             re.IGNORECASE)
OTHER_MAX_WORDS = 3
# An input of fewer words that is not a sentence names a topic or a few items ("Google", "apple, pear, fig")
# rather than giving a text to summarize, extract from or answer questions about.
SHORT_INPUT_WORDS = 10
# What some datasets write in an empty input field (Alpaca: "No input", "<noinput>").
_NO_INPUT = re.compile(r"^\W*(no ?input|none|n/?a|null|empty|nothing)\W*$", re.IGNORECASE)
_SENTENCE_FINAL = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")


def input_kind(input_text: str) -> tuple[bool, bool]:
    """``(has_input, short_input)`` as the rules read an input: a placeholder ("No input") is no input;
    a short input has fewer than ``SHORT_INPUT_WORDS`` words and does not end as a sentence does, or has
    fewer than four words ("Behaviour: crying.")."""
    text = input_text.strip()
    if not text or _NO_INPUT.match(text):
        return False, False
    words = len(text.split())
    return True, words < SHORT_INPUT_WORDS and (words < 4 or not _SENTENCE_FINAL.search(text))


def _rules_decide(rule: str, instruction: str, has_input: bool, turns: int, input_rule: str) -> bool:
    """True when ``rule`` (``rule_tag``'s answer) is the row's use case without asking the model."""
    if turns > 1 or rule in ("chat", "rewrite", "classification"):
        return True
    if rule == "generation" and (has_input or _GENERATE_START.search(instruction)):
        return True
    if rule == "other" and len(instruction.split()) <= OTHER_MAX_WORDS:
        return True
    if has_input and input_rule != "model":
        return input_rule == "all" or tag_by_wording(instruction, True, turns) is not None
    return False


def tag(instruction: str, input_text: str = "", response: str = "", turns: int = 1,
        model: LinearModel | None = None) -> str:
    """The use case of one row (``tag_rows`` of a single row)."""
    return tag_rows([instruction], [input_text], [response], [turns], model=model)[0]


def tag_rows(instructions: Sequence[str], inputs: Sequence[str], responses: Sequence[str],
             turns: Sequence[int] | None = None, model: LinearModel | None = None) -> list[str]:
    """The use case of each row (the module docstring says how); the same for any split into batches.
    ``model``: the linear model to ask (default: the shipped weights; the training script passes the
    model of each cross-validation fold). When its ``use_model`` is false, the keyword rules' tags
    (``rule_tags``), no embedding computed."""
    n = len(instructions)
    turns = [1] * n if turns is None else turns
    if not (len(inputs) == len(responses) == len(turns) == n):
        raise ValueError("tag_rows needs one input, response and turn count per instruction")
    rules = rule_tags(instructions, inputs, responses, turns)
    tags = list(rules)
    model = load_model() if model is None else model
    if not model.use_model:
        return tags
    to_model = [i for i, (rule, t) in enumerate(zip(rules, turns, strict=True))
                if not _rules_decide(rule, " ".join(instructions[i].split()), input_kind(inputs[i])[0], t,
                                     model.input_rule)]
    if not to_model:
        return tags
    features = feature_matrix([" ".join(instructions[i].split()) for i in to_model], [inputs[i] for i in to_model],
                              [responses[i] for i in to_model], [rules[i] for i in to_model], model.rule_names)
    probabilities = model.probabilities(features)
    best = probabilities.argmax(axis=1)
    for row, i in enumerate(to_model):
        unsure = probabilities[row, best[row]] < model.other_threshold
        tags[i] = "other" if rules[i] == "other" and unsure else model.classes[best[row]]
    return tags


def rule_tags(instructions: Sequence[str], inputs: Sequence[str], responses: Sequence[str],
              turns: Sequence[int]) -> list[str]:
    """``rule_tag`` of each row, each distinct (instruction, input present, multi-turn) read once."""
    memo: dict[tuple[str, bool, bool, bool], str | None] = {}
    out = []
    for instruction, input_text, response, t in zip(instructions, inputs, responses, turns, strict=True):
        key = (instruction, t > 1, *input_kind(input_text))
        if key not in memo:
            memo[key] = tag_by_wording(instruction, key[2], 2 if key[1] else 1, key[3])
        by_wording = memo[key]
        out.append(_by_answer_shape(response) if by_wording is None else by_wording)
    return out


def rule_tag(instruction: str, has_input: bool, response: str = "", turns: int = 1, short_input: bool = False) -> str:
    """The keyword rules' use case of one row (the module docstring's rules 1-10); one of the model's
    features, and the answer for ``chat`` and ``rewrite``."""
    by_wording = tag_by_wording(instruction, has_input, turns, short_input)
    return _by_answer_shape(response) if by_wording is None else by_wording


def tag_by_wording(instruction: str, has_input: bool, turns: int = 1, short_input: bool = False) -> str | None:
    """The use case as far as the instruction, the input's presence and the turns tell it; ``None`` when
    only the response's shape can (rule 8: an input, and no wording rule matched). ``short_input``
    (``input_kind``): the input is a topic or a few items rather than a text to work on ("Describe the given
    organization." / "Google"), so the rules for a given text do not apply."""
    text = " ".join(instruction.split())
    context = has_input and not short_input
    if turns > 1 or _CHAT.search(text):
        return "chat"
    if _OPTIONS_BLOCK.search(text):
        return "classification"
    if _CODE_REQUEST.search(text):
        return "generation"
    if _COMPUTE.search(text):
        return "other"
    if _REWRITE.search(text):
        return "rewrite"
    if _SUMMARY.search(text) or (context and _BRIEF.search(text)):
        return "summarization"
    if _EXTRACT.search(text) and (has_input or len(text) > 200):
        return "extraction"
    if _CLASSIFY.search(text):
        return "classification"
    if context and _SUMMARY_WITH_INPUT.search(text):
        return "summarization"
    if context and _LIST_FROM_INPUT.search(text):
        return "extraction"
    if not context and (_BRAINSTORM.search(text) or _LIST_REQUEST.search(text)):
        return "brainstorming"
    if _GENERATE.search(text):
        return "generation"
    if context:
        return None
    if _is_question(text):
        return "open_qa"
    return None if has_input else "other"


_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)]|[a-z][.)])\s+\S", re.MULTILINE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def _by_answer_shape(response: str) -> str:
    """A request about a given text that no wording rule placed: a list answer is ``extraction``, a
    paragraph of several sentences ``summarization``, a short answer ``closed_qa``."""
    items = [part for part in re.split(r"[,;\n]", response) if part.strip()]
    if len(_LIST_LINE.findall(response)) >= 2 or (len(items) >= 3 and len(response.split()) <= 4 * len(items)):
        return "extraction"
    if len(_SENTENCE_END.findall(response.strip() + " ")) >= 3 and len(response.split()) >= 40:
        return "summarization"
    return "closed_qa"


def _is_question(text: str) -> bool:
    return bool(_QUESTION_START.search(text) or text.rstrip().endswith("?") or _EXPLAIN.search(text))


def tag_column(table: pl.DataFrame) -> pl.Series:
    """``tag_rows`` of every row of an audit table (``instruction``, ``input``, ``response``, ``turns``
    optional), as the ``use_case`` column."""
    def texts(name: str) -> list[str]:
        return table.get_column(name).fill_null("").to_list() if name in table.columns else [""] * table.height

    turns = table.get_column("turns").fill_null(1).to_list() if "turns" in table.columns else None
    tags = tag_rows(texts("instruction"), texts("input"), texts("response"), turns)
    return pl.Series("use_case", tags, dtype=pl.Utf8)


METHOD = ("keyword rules for chat, rewrite, classification, verb-first generation and short rule-less rows; "
          "else a logistic regression (static instruction embedding, row shape, the rules' answer) fitted on the "
          "project's own labelled rows")
# When the weights say use_model false (the shipped ones do): the rules alone.
METHOD_RULES = ("keyword rules alone (the logistic regression fitted on the project's own labelled rows did not "
                "beat them in cross-validation there, so the weights say use_model false)")


class UseCaseSignal:
    name: ClassVar[str] = "use_case"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        tags = tag_column(table)
        model_used = load_model().use_model
        counts = {name: 0 for name in USE_CASES}
        for name, count in tags.value_counts().iter_rows():
            counts[name] += count
        total = max(table.height, 1)
        return SignalResult(columns={"use_case": tags},
                            summary={"method": METHOD if model_used else METHOD_RULES,
                                     "model_used": model_used,
                                     "distribution": counts,
                                     "shares": {k: round(v / total, 4) for k, v in counts.items()}})
