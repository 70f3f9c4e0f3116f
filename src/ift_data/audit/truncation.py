"""Truncated responses, judged on evidence at the end of the text (the noise signal's ``truncated_response``).

A response counts as cut when its end shows it, at any length and in lists too (the reason is the
``noise_truncation_reason`` column):

- ``empty_item``: the last line is a bare list marker (``3.``, ``-``) under earlier items, or the next number of
  a numbered list without its dot ("4. ...\n5"), or a text stops on an inline marker ("... are: 1)", "1)
  encrypting data, 2) using ..., 3)");
- ``dangling_punct``: it stops on a comma, semicolon, colon, dash, an opening bracket or a lone ``#`` or
  ``@`` (not a letter's "Sincerely,", not a form whose items all end with a colon);
- ``dangling_word``: it stops on a word that cannot end an English sentence (article, possessive,
  conjunction, copula, a contracted verb: "if you're"; in prose also prepositions that need an object:
  "... because of the", and words no sentence of 91,475 clean texts ends on: "his", "any", "also", "due",
  "usually", "when" outside an embedded question ...); or before a name's last part (a surname's particle,
  "Vincent van"; a place name's first word, "Texas, and New"; initials after "by" or a first name, "by J. R.
  R."); or the whole answer is one word no answer is where a sentence is asked for ("The"; "She" for "Rewrite
  ...", not where the instruction asks for a word of a sentence);
- ``cut_word``: it stops inside a word, as a token limit cuts ("... on eating a healt", "- Lettu"): the
  last word is no English word but begins one, in English text (``audit/word_list.py``), or begins a longer
  word the prompt or the text holds whole ("Ian Nepomnia"), or a "Key: value" list's last value stops on
  the start of a word its earlier values hold ("Ford: Car M", "Gato: Span"); a capitalized word counts at the
  start of its line or after a word that is neither capitalized nor followed by a comma ("... and Centr"), and
  so does one capital letter as a marked item under items of words ("6. Use e-tickets\n7. U"); a
  name the prompt writes only longer, cut inside its last word even where that is an English word ("Bayer 04
  Lever" for "Bayer 04 Leverkusen"); one letter after an article or a listed word ("and the i", "blue, y"), or
  after any word or a word and a comma in text with no mathematics ("had a population o", "by plane, t"), after
  a capitalized word too ("the Association o") unless that word labels a letter ("Plan b"), the letter is a
  case's "v" ("Brown v") or the text names a planet ("Proxima Centauri b"); a rare word that begins far more
  frequent ones, at odds of ``word_list.CUT_ODDS`` by wordfreq's frequencies, not a predicate noun nor in
  verse ("the firs", "shape it wit"; after two listed items, "Rugby, Volleyb", and a name's second part, "the
  United Stat", at ``word_list.NAME_CUT_ODDS``); letters neither word list has that begin a common word, in any
  case and after anything ("Octob", "Lionel Messi: Arge"); a capitalized word at odds of 300 ("Sum: 15,
  Produc"); an answer of at most three words that ends at odds of 50 ("Th", "Do yo"; not a filled blank); one
  capital letter where the instruction asks for a sentence and offers or asks for no letter ("H"); a word cut
  after its apostrophe ("his father’"); a last line that begins an earlier one ("Group 1: 5, 10\nGr"); classed
  "Label: item" lines that copy the prompt's items and stop a word short of another ("Country: Morgan" for
  "Morgan Wallen"), and a "Key: value" list whose last value is an earlier value's first words, ending on a
  modifier or a value given twice ("Food: Not" under "Not Useful");
- ``open_bracket`` / ``open_quote``: a bracket or quotation mark opened in the last sentence never closes (in
  a list of short lines read as verse, a round or square bracket its last line opened: "-Etching (mainly");
- ``list_item``: the items of a list end with sentence punctuation and the last one, shorter than most of them,
  does not (one as long as the others only lost its full stop), or the lines
  of a "Key: value" or "Name - value" list are followed by a short line without the separator
  ("Ring: Hand\nGlove: Hand\nGlasses: Face\nLi"), or lines that class the prompt's items ("Ford is an automobile
  company.") by the bare name of the next one ("Indian"), or one line that does so ("RAM is American, Toyota
  Motor" for "... RAM, Toyota Motor Corporation"); a line of two or more of the prompt's items, as written, that
  ends on the start of another is ``cut_word`` ("Red: ruby, rust, card" for "... rust, cardinal");
- ``short_item``: the last item of a list of two or more (or of three labelled items: "Day 3: Wander") is one
  word where every earlier item has at least five ("... of your own qualifications\n4. Prepare"); the last item
  of a comma list of four or more on one line is one word where every earlier item has two to four ("Tom
  Sandoval, Ariana Madix, Tom");
- ``missing_items``: a numbered list, or a list of short unmarked lines, stops before the number of items the
  instruction asked for (a numbered list also after a complete item, when nothing follows it; "What are 6
  kinds ...", "Think of seven ..." ask for a number too); a request for several that names no number ("What
  are some ...", "Who are some ...", "separate them with a comma") is answered by a marked list of one or two
  items, and a request for several with or without a number by one item of at most three words ("Name some
  herbs." -> "Mint", "List five novels by Jane Austen." -> "Emma"); one line classes one of the items the
  instruction lists to be classed (after its colon, its question or on a line of their own) and names no
  other ("... string or percussion: Maraca, Valiha" -> "Valiha is string"; for three or more items to class,
  not labels, the bare name too: "Tell me whether these are birds: robin, bat, owl" -> "Robin"), or ends on
  one name after "are", "include", "such as" ... for a question about several ("What are some popular 1980s
  movies?" -> "... are Sixteen Candles"); lines that each
  answer for one item of the instruction's list ("Shortstop: Baseball") answer its first items in order and stop
  before its end; a list ends the answer with fewer items than the line above it announces ("Here are 3
  things to consider:") or with one item under a colon that announces several ("Here are some tips:"), or
  on a sentence that announces what should follow ("Here are a few ways to get back in."); a poem has fewer lines
  than its form or the instruction gives it ("Write a haiku ..." answered by two lines, or by "Budding blossom
  brings/New life to"; lines broken by newlines, "<br>" or slashes); a recipe asked for has its "Ingredients"
  heading but none for its steps ("Instructions", "Directions", "Method" ...); a letter or e-mail asked for opens
  with a greeting line and has no closing after it ("Sincerely,", "Lots of Love,", any short line ending in a comma);
  a poem asked for is one short line ("Standing tall"); one item follows a colon whose sentence announces
  several ("Some types of desserts are: cupcakes"); one item is classed where the input lists three or more
  ("Team 1: Turtle"); a quiz question is left without its answer where earlier ones have one or the prompt
  asks for answers;
- ``fragment``: prose whose earlier sentences end with sentence punctuation stops without it, on a
  fragment much shorter than the response's own sentences (a complete last sentence whose full stop was
  dropped, common in human-written data such as Dolly, is about as long as the others); or a one-line answer
  whose last sentence is a short opening clause with no comma and no main clause ("If you have cats as
  pets", "Contrary to what many people think", "Based on the data", "Prior to the Civil War"; "When ...",
  "After ...", "Over the past ..." where the prompt asks about no time), where the prompt asks no condition or
  time and offers no such choice ("before, during or after"), or that says the prompt's own condition again ("If
  the Earth stopped spinning" for "What would happen if the Earth stopped spinning?"); or a quiz question that
  stops without its question mark ("Q: Who wrote");
- ``too_short``: two or three words without punctuation where the instruction asks for written text
  (explain, describe, write ... and not a title, name, word or list); or a one-line answer of a few words
  that only leads into a sentence: a lead-in ("In short", "Currently"), a prepositional phrase of the prompt's
  own where it asks no place or time ("In tennis", "In the future" for "... for the future"), the question's
  subject named again ("What is Marmite?" -> "Marmite"), or any phrase of the instruction said again where it
  offers no answers to choose from ("Identify one advantage of electric cars" -> "Electric cars"), the person's
  full name alone for "Who was ...?", the prompt's goal after "To" ("To make a small fire"), or a letter's
  salutation alone where the prompt asks for a letter or e-mail ("Dear Colleague", a bare "Hello");
- ``bare_end``: prose that stops on a word with no punctuation, in a file whose other prose responses end
  with punctuation (``truncation_columns``: the file's own habit decides); not where its last three words end
  a line or quotation of the prompt without punctuation there too (an edited sentence, a chosen option), nor
  where it shares half its words with an input that ends bare (a rewrite);
- ``code_cut``: code (fenced blocks or code-shaped lines) that stops where no program can: on an opening
  bracket, a comma, ``=`` or ``+``, a block header with no body, an unfinished header, a bracket or quote
  its last line opened, a name cut short, a keyword that needs more (``if``), an SQL keyword (``SELECT * FROM``)
  or a SELECT list with no FROM, a Python definition with no body (read as code however short), a tag left open
  (``<button``; also in markup not read as code). Code is judged on nothing else.

Never judged: one-word answers that are words ("Positive", "42"; one that is no word, one letter or an opening
word is judged where it cannot be the answer), titles and name lists (Title Case, no sentence), poems and
lyrics (short unpunctuated lines) except on a dangling article, conjunction or punctuation, a song's empty
section label ("Chorus:") or fewer lines than asked.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

from ift_data.audit.base import AuditContext
from ift_data.audit.word_list import (
    ASKS_ABOUT_LETTERS,
    SHORT_WORDS,
    cut_name,
    cut_odds,
    cut_word,
    known,
    unlisted_word_start,
)

# Words after which an English sentence cannot stop: articles, possessives, conjunctions, copulas, the
# prepositions that need an object. Not "on/up/out/in/off" (phrasal verbs end sentences), nor
# "it/them/more/too/so/not/all" (ordinary sentence ends), nor the modal verbs ("Yes, I can").
ALWAYS_DANGLING = frozenset({"the", "a", "an", "of", "and", "or", "but", "nor", "because", "although", "whereas",
                             "whether", "unless", "into", "onto", "very", "whose", "your", "my", "our", "their",
                             "is", "are", "was", "were"})
# Words that end questions, relative clauses and verse ("the one I came with", "what it's for"): dangling
# only in prose that is not verse.
PROSE_DANGLING = frozenset({"to", "with", "for", "at", "by", "as", "than", "such", "if", "while", "its",
                            "including", "between", "among", "during", "toward", "towards", "upon", "via",
                            "per", "from", "extremely", "i", "he", "she", "we", "they", "highly", "quite", "rather",
                            "every", "several", "various", "which", "include", "includes",
                            # no sentence of 91,475 clean texts ends on these, where token-limit cuts often do
                            "his", "any", "also", "just", "due", "based", "according", "typically",
                            "usually", "never", "let", "unlike", "when", "where", "how"})
# ... unless they end an embedded question ("no indication of when", "never says when", "you'll know how"), "his"
# is a pronoun ("bigger than his"), an adverb follows a comma ("..., usually"), "never" or "due" a copula ("the
# answer is never", "when it's due"), "any" a verb ("if you need any"), or "let" is "to let"
_ENDS_THE_SENTENCE = re.compile(
    r"(?i)\b(?:know|knows|knew|sure|matter|idea|indication|tell|tells|told|ask|asked|wonder|wondered|see|explain|"
    r"explains|show|shows|learn|learned|remember|decide|decides|forget|forgot|says|said|say|out|here's|that's|"
    r"this is|and|or|of|exactly)\s+(?:when|where|how)$|"
    r"\b(?:than|of|is|was|are|were|be|became|become|remains?)\s+his$|"
    r",\s+(?:never|usually|typically|due|also)$|\b(?:is|was|are|were|be|been|it's|that's)\s+(?:never|due)$|"
    r"\b(?:need|needs|have|has|had|want|wants|got|get|take|see|find|found|without)\s+any$|"
    r"\bto\s+let$")

_TERMINAL = ".!?。！？…‼⁉।॥۔؟።။"  # Devanagari, Urdu, Arabic, Ethiopic and Myanmar stops too
_CLOSERS = "\"'”’)]}»›*_`"
_MARKERS = r"\d{1,3}[.)]|[-*•+▪◦]|[A-Za-z][.)]|\(\w{1,3}\)"  # "1." "2)" "-" "•" "a)" "(iv)"
_LIST_ITEM = re.compile(rf"^\s*(?:{_MARKERS})\s+\S")
_MARKER = re.compile(rf"^\s*(?:{_MARKERS})\s+")
_BARE_MARKER = re.compile(rf"^\s*(?:{_MARKERS}|(?:Step|Day|Part)\s+\d+[.:)]?)\s*$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# The sentence end first: the abbreviation look-behinds are only tried after one (the same splits, faster).
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bvs\.)"
                             r"(?<!\betc\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bJr\.)(?<!\bSr\.)(?<!\bNo\.)(?<!\b[A-Z]\.)"
                             r"(?<!\bMt\.)(?<!\bFt\.)(?<!\bProf\.)(?<!\bGen\.)(?<!\bGov\.)(?<!\bRev\.)(?<!\bSen\.)"
                             r"(?<!\bRep\.)(?<!\bCapt\.)(?<!\bSgt\.)(?<!\bLt\.)(?<!\bCol\.)(?<!\bInc\.)(?<!\bLtd\.)"
                             r"(?<!\bCo\.)(?<!\bCorp\.)(?<!\bAve\.)(?<!\bBlvd\.)(?<!\bapprox\.)(?<!\bca\.)"
                             r"[\"'”’)\]]*\s+")
_ATTRIBUTION = re.compile(r"(?:^|\s)[-–—]\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3}$")
_CODE_WORDS = (r"def|class|import|from|return|if|for|while|public|private|function|var|let|const|#include|SELECT|"
               r"INSERT|UPDATE|CREATE|DELETE|WHERE|FROM|elif|else|try|except|with|async")
_CODE_LINE = re.compile(rf"[;{{}}]\s*$|^\s*({_CODE_WORDS})\b|^\s*<\w+[^>]*>|\w+\(.*\)\s*$|^\s*[\w.]+\s*=\s*\S")
# ``_CODE_LINE`` in parts a line can be tested on cheaply (``_code_line``): the anchored alternatives, and a
# call "f(x)" at the end of the line, only tried on a line that ends with ")".
_CODE_LINE_ANCHORED = re.compile(rf"\s*(?:({_CODE_WORDS})\b|<\w+[^>]*>|[\w.]+\s*=\s*\S)")
_CODE_CALL_END = re.compile(r"\w+\(.*\)\s*$")
_CODE_START = re.compile(r"^\s*(def|class|import|from|return|if|for|while|public|private|function|var|let|const|"
                         r"#include|SELECT|INSERT|UPDATE|CREATE|DELETE|WHERE|FROM|[\w.]+\s*[:=]\s*\S)")
_LATEX = re.compile(r"\$|\\[a-zA-Z]+|\\[(\[]")
_HASHTAGS = re.compile(r"(?:^|\s)#\w+(?:\s+#\s?\w+)*\s*$")  # a spaced one after others ("#Books  # MustRead")
_OPTIONS = re.compile(r"\(?[\w ]{1,15}(?:/[\w ]{1,15})+\)?")  # "Yes/No", "True / False", "(A/B/C)"
_URL_END = re.compile(r"(?:https?://|www\.)\S+$")
_SALUTATION = re.compile(r"(?i)^\s*(sincerely|regards|best regards|kind regards|warm regards|warmest regards|"
                         r"best wishes|best|cheers|thanks|thank you|yours truly|yours sincerely|yours|respectfully|"
                         r"cordially|love|with love|all the best|dear [^,]*|hi [^,]*|hello[^,]*)\s*,\s*$")
_VERSE_WORDS = re.compile(r"(?i)\b(poem|poetry|haiku|limerick|sonnet|verse|lyrics|song|rap|ode|stanza|"
                          r"acrostic|ballad|jingle|chant)s?\b")
_IDIOM_END = re.compile(r"(?i)\b(and so on|and so forth|or so|and the like|and more|if any|if so|if not|as well|"
                        r"as such|and all|or not|at all|and such|which is which|and then some|"
                        r"(?:a|for a|in a|once in a|after a) (?:little |short |long |good )?while|worth (?:\w+ )?while|"
                        r"not quite|quite a|(?:happy|glad|love|like|be able) to)$")
# A preposition a wh-clause strands after its copula: "that's what the guard is for", "where this one is from"
_WH_STRANDED = re.compile(r"(?i)\b(?:what|where|who|which|whom)\b(?:\s+[\w'’-]+){1,4}\s+(?:is|are|was|were)\s+"
                          r"(?:for|from|about|like|with|of|in|on|at|to)$")
_CHOICE_LABEL_BEFORE = frozenset({"option", "answer", "choice", "vitamin", "plan", "type", "grade", "class",
                                  "part", "section", "step", "group", "category", "point", "letter", "list",
                                  "column", "row", "team", "person", "player", "city", "country", "company",
                                  "model", "version", "level", "phase", "stage", "exhibit", "figure", "table",
                                  "appendix", "chapter", "side", "size", "note", "key", "is", "was", "be"})
_COPULAS = frozenset({"is", "was", "be"})
_THAT_IS_THAT = re.compile(r"(?i)\b(?:that|this|it|so|and) (?:is|was) that$|\b(?:what|who|which|how|where) "
                           r"(?:[\w'’-]+ ){0,3}(?:is|are|was|were) that$")  # "and that is that", "who is that"
_COPULA_ENDS = frozenset({"is", "are", "was", "were"})
# A clause that may end on its copula: after a wh-word or "as", a subject of one to four words ("what it is", "how
# formal the situation is", "as it was", "the way things are")
_EMBEDDED_CLAUSE = re.compile(r"(?i)\b(?:what|how|where|who|whoever|whatever|wherever|whichever|as|the way)"
                              r"(?:\s+[\w'’-]+){1,4}\s+(?:is|are|was|were)$")

# A preposition English leaves at the end of a relative or infinitival clause: "goals for the company to strive
# for", "a task they are struggling with", "someone you can rely on" (a noun, "that" or "whom" before the subject)
_STRANDING_PREPOSITIONS = r"(?:with|for|at|by|from|to|on|in|upon|about|of)"
_STRANDED = re.compile(
    rf"(?i)(?:\bto\s+[a-z]+|(?:\b(?!(?:and|or|but|so|because|if|when|then|while|as|since|until|after|before|"
    rf"although|though|where|why|how|what|who|do|did|does|can|will|would|should|could)\b)[a-z]{{3,}}|\bthat|\bwhom)"
    rf"\s+(?:(?:i|you|we|they|he|she|people|it)\s+(?:(?:am|are|is|was|were|have|has|had|will|would|can|could|might|"
    rf"may|should|must|do|did|don't|didn't)\s+)?|(?:i|you|we|they|he|she|it)['’](?:m|re|s|ve|d|ll)\s+)[a-z]+)"
    rf"\s+{_STRANDING_PREPOSITIONS}$")
# A "Key: value" line whose value is one or two words ("Pronouns used: they"): a listed value, not prose.
_KEYED_VALUE = re.compile(r"^[^:\n]{1,40}:\s*\S+(?:\s+\S+)?\s*$")
# A contracted verb cannot end an English sentence ("* if you’re", "I think we'll"; "I know who you are" can):
# "'re", "'m", "'ve", "'ll", "'d" after a pronoun or a name. Not "'s", which is also a possessive ("It is John's").
_STRANDED_CONTRACTION = re.compile(r"(?i)^[\"“‘(]*[a-z]+['’](?:re|m|ve|ll|d)$")
_LAST_NAME_PART = re.compile(r"(?:^|[\s(\"'“‘/-])([^\W\d_]{2,})$")  # the last word: a name cut in half
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_KEY_VALUE = re.compile(r"^[^:\n]{1,40}:[ \t]+(\S.*)$")
# A prompt that offers lettered choices or options ("(a) red (b) blue", "a) ...", "Options: ..."), after which
# "The answer is a" names one.
_OFFERS_CHOICES = re.compile(r"(?i)(?:^|[\s(])a[.):]\s|\b(?:options?|choices?|multiple[- ]choice)\b")
# Words a Title Case line leaves in lower case ("The Lord of the Rings").
_TITLE_SMALL_WORDS = frozenset({"a", "an", "the", "of", "and", "or", "nor", "but", "in", "on", "at", "to", "for",
                                "with", "by", "from", "as", "into", "vs", "via", "per", "de", "la", "von", "van"})
# "The police", "One can": two words that open a sentence are a fragment, "Red apple" an answer.
_FRAGMENT_STARTS = frozenset({"The", "A", "An", "This", "These", "Those", "One", "Some", "Many", "Most", "It",
                              "They", "We", "He", "She", "I", "You", "There", "Each", "Every", "Our", "My", "Their",
                              "Its", "His", "Her", "Your", "When", "If", "In", "To", "For", "As", "At"})
_LIST_DANGLING = ALWAYS_DANGLING | PROSE_DANGLING - {"and", "or"}
_INLINE_NUMBERED = re.compile(r"(?:^|\s)\d{1,2}[.)]\s+\S")
_BARE_WORD_END = re.compile(r"(?:^|\s)[\w'’.,-]*\w$")
_SENTENCE_BEFORE = re.compile(r"[.!?。！？][\"')\]]?\s+\S")
_TERMINAL_OR_CLOSER = frozenset(_TERMINAL + _CLOSERS)
CUT_WORD_CONTEXT = 2000  # characters at the end of a response that the cut-word test reads
_KEY_VALUE_LINES = re.compile(r"(?m)^[^:\n]{1,40}:[ \t]+\S[^\n]*\n[^:\n]{1,40}:[ \t]+\S")  # two "Key: value" lines
_LAST_CONJUNCTION = re.compile(r"^(.*?)\b(?:and|or)\s+(\S.*)$")
SERIES_ITEM_WORDS = 4  # the items of an enumeration closed by "and"/"or" have at most this many words
SHORT_ITEM_EARLIER_WORDS = 5  # short_item: a one-word last item after items of at least this many words
_LABELLED_ITEM = re.compile(r"^\s*(?:Day|Step|Week|Part|Phase|Stage|Tip|Option)\s+\d{1,2}\s*[:.)-]\s*(\S.*)$")
# A "Key: value" or "Name - value" line: the separator, after a key of at most five words
_KEYED_LINE = re.compile(r"^[^:\n]{1,60}?(: | [-–—] )")
_CODE_OPEN_END = "([{,=+"  # code cannot stop on these
_SQL_STATEMENT = re.compile(r"^\s*(?:SELECT\s.*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b)",
                            re.IGNORECASE | re.DOTALL)
_SQL_OPEN_KEYWORD = re.compile(r"(?i)\b(?:select|from|where|join|on|and|or|by|set|values|into|as)$")
_CODE_BLOCK_HEADER = re.compile(r"^\s*(?:for|while|if|elif|else|def|class|with|try|except|finally)\b.*:\s*$")
_CODE_OPEN_HEADER = re.compile(r"^\s*(?:for|while|if|elif|def|class|with)\s[^(){}\[\];:=]*$")  # "for i in"
# A last line of code that is a keyword needing more after it ("def f(n):\n    if"; not "return", which ends a body)
_CODE_BARE_KEYWORD = re.compile(r"^\s*(?:if|for|while|elif|else|with|try|except|def|class|import|from|lambda|not|and|or|"
                                r"in|is)\s*$")
# An answer that opens with a Python definition, read as code even when it is too short to look like code
_DEFINITION_FIRST = re.compile(r"^\s*(?:def|class)\s+\w+\s*(?:\([^)\n]*\))?\s*(?:->\s*[^:\n]+)?:[ \t]*(?:\n|$)")
# A SELECT list with no FROM after it ("SELECT title, author, rating"): a query cut before its table
_SQL_SELECT_ONLY = re.compile(r"^\s*SELECT\s+(?:DISTINCT\s+)?(?:\*|[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*$")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_UNCLOSED_TAG = re.compile(r"(?:^|\s)</?[A-Za-z][\w-]*(?:\s[^<>]*)?$")
_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?>")


def _closed_series(sentence: str) -> bool:
    """An enumeration of three or more short items closed by "and"/"or" before its last one is finished
    ("..., drive a car, take a bus, use the subway or hail a cab"; "Facebook, TikTok, Reddit, and Youtube"),
    while a long clause after the comma is not ("..., which was a victory for them, and ensured")."""
    parts = sentence.split(",")
    if len(parts) < 3:
        return False
    found = _LAST_CONJUNCTION.match(parts[-1].strip())
    if found is None:
        return False
    before, last = found.group(1).split(), found.group(2).split()
    if not 1 <= len(last) <= SERIES_ITEM_WORDS or len(before) > SERIES_ITEM_WORDS or len(last[-1]) < 2:
        return False
    return all(1 <= len(part.split()) <= SERIES_ITEM_WORDS for part in parts[-3:-1])


_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class TruncationSettings:
    """Thresholds from the rules (``noise.truncation_*``)."""

    min_words: int = 2                 # responses shorter than this are never judged (one-word answers)
    fragment_ratio: float = 0.5        # prose: last fragment shorter than this share of the median sentence
    fragment_min_sentences: int = 1    # ... when at least this many complete sentences give the median
    list_punctuated_share: float = 0.8  # lists: this share of earlier items end with sentence punctuation
    list_min_items: int = 2            # ... in a list of at least this many items (the last one included)
    verse_max_line_words: int = 12     # verse: 3+ lines, most this short and unpunctuated
    bare_end_min_words: int = 3        # a bare end counts in responses at least this long


def _words(text: str) -> list[str]:
    return text.split()


def _code_line(line: str) -> bool:
    """``_CODE_LINE.search(line)`` for a line without line breaks, without scanning prose for a call."""
    end = line.rstrip()[-1:]
    if end in (";", "{", "}"):
        return True
    return bool(_CODE_LINE_ANCHORED.match(line) or (end == ")" and _CODE_CALL_END.search(line)))


def looks_like_code(text: str) -> bool:
    """Fenced code, or most lines shaped like code (statements, braces, tags, assignments)."""
    if "```" in text:
        return True
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return False
    if len(lines) == 1:
        line = lines[0].rstrip()
        # "[{}]\s*$", "[=():].*;\s*$", or a statement ending with ";"
        return line[-1] in "{}" or (line[-1] == ";" and (any(c in line[:-1] for c in "=():")
                                                          or bool(_CODE_START.search(lines[0]))))
    code = sum(1 for ln in lines if _code_line(ln))
    return code >= 2 and code / len(lines) >= 0.4


@lru_cache(maxsize=65536)
def _asks_for_verse(instruction: str) -> bool:
    return bool(_VERSE_WORDS.search(instruction))


@lru_cache(maxsize=65536)
def _word_task(instruction: str) -> tuple[bool, bool]:
    """(a word-order task, a word-order or other word task): answers that are rearranged words."""
    order = bool(_WORD_ORDER_TASK.search(instruction))
    return order, order or bool(_WORD_TASK.search(instruction))


def looks_like_verse(text: str, instruction: str, max_line_words: int) -> bool:
    """A poem, lyrics or a list of titles/names: three or more short lines, most of them without sentence
    punctuation, or an instruction that asks for verse, titles or names."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if _asks_for_verse(instruction) and not any(_LIST_ITEM.match(ln) for ln in lines[-1:]):
        return True
    if len(lines) < 3:
        return False
    short = [ln for ln in lines if len(ln.split()) <= max_line_words and not _LIST_ITEM.match(ln)]
    unpunctuated = [ln for ln in short if ln[-1] not in _TERMINAL]
    return len(short) >= 0.7 * len(lines) and len(unpunctuated) >= 0.5 * len(lines)


def _open_bracket(text: str) -> str | None:
    """An opening bracket or quotation mark in the last sentence that never closes."""
    if not any(c in text for c in "([{“„\""):
        return None
    tail = _SENTENCE_SPLIT.split(text)[-1]
    depth = {"(": 0, "[": 0, "{": 0, "“": 0, "„": 0}
    pairs = {")": "(", "]": "[", "}": "{", "”": "“"}
    for ch in tail:
        if ch == "“" and depth["„"] > 0:  # German and Czech quotes open low and close with “: „so“
            depth["„"] -= 1
        elif ch in depth:
            depth[ch] += 1
        elif ch in pairs and depth[pairs[ch]] > 0:
            depth[pairs[ch]] -= 1
    if any(depth[b] for b in "([{"):
        return "open_bracket"
    if depth["“"] or depth["„"]:
        return "open_quote"
    # straight double quotes: an odd number in the tail whose last one opens a quotation (after a space or
    # the start, before a letter or as the text's last character: '... is known as "'), not inches (12")
    quotes = [m.start() for m in re.finditer('"', tail)]
    if len(quotes) % 2 == 1:
        i = quotes[-1]
        before = tail[i - 1] if i else " "
        after = tail[i + 1] if i + 1 < len(tail) else ""
        if (before.isspace() or before in "([:—–-") and (after.isalpha() or (not after and i > 0)):
            return "open_quote"
    return None


def _dangling_word(text: str, verse: bool, instruction: str = "") -> str | None:
    """The text stops on a word an English sentence cannot end on (``ALWAYS_DANGLING``; in prose that is
    not verse also ``PROSE_DANGLING``). "... is a" names a choice ("The answer is a") only where the
    ``instruction`` offers lettered choices."""
    if not text[-1].isalpha():
        return None
    words = _words(text)  # text ends with a letter: its last word is what "(\S+)\s*$" finds
    last = words[-1] if words else ""
    word = _WORD.findall(last)
    if not word or word[-1] != last.strip("\"'“‘(["):
        return None  # "e-mail", "R&D", URLs, numbers: not a bare word
    w = word[-1]
    if w.isupper() and len(w) > 1 or (w == "A"):
        return None  # acronyms, "vitamin A", "Option A"
    lw = w.lower()
    if _IDIOM_END.search(text, max(0, len(text) - 40)) or (lw == "i" and w != "I"):  # "print i": a variable, not the pronoun
        return None
    prev = re.sub(r"[^\w]", "", words[-2]).lower() if len(words) >= 2 else ""
    if w == "I" and len(words) >= 2 and (words[-2][:1].isupper() or ASKS_ABOUT_LETTERS.search(instruction)):
        return None  # a regnal or ordinal numeral ("Charles I", "World War I"), the letter or symbol asked for
    if lw == "a" and prev in _CHOICE_LABEL_BEFORE and (prev not in _COPULAS or _OFFERS_CHOICES.search(instruction)):
        return None
    if lw in _COPULA_ENDS and _EMBEDDED_CLAUSE.search(text, max(0, len(text) - 80)):
        return None  # "it is what it is", "depending on how formal the situation is"
    if _WH_STRANDED.search(text, max(0, len(text) - 80)) \
            or lw == "of" and _STRANDED.search(text, max(0, len(text) - 80)):
        return None  # "that's what the guard is for", "the main uses I can think of"
    if lw in ALWAYS_DANGLING or (_STRANDED_CONTRACTION.search(last) and not verse):
        return "dangling_word"
    if lw == "that" and prev in _COPULA_ENDS and not _THAT_IS_THAT.search(text, max(0, len(text) - 40)):
        return "dangling_word"  # "The key points of this news are that": a clause announced, never given
    if verse:
        return None
    if lw in PROSE_DANGLING:
        last_line = text.splitlines()[-1]
        if _STRANDED.search(text, max(0, len(text) - 80)) or _KEYED_VALUE.match(last_line) \
                or _ENDS_THE_SENTENCE.search(text, max(0, len(text) - 40)):
            return None
        return "dangling_word"
    return None


def _begins_a_word_above(text: str, prompt: str) -> bool:
    """The last word is no English word but the start of a longer word of the prompt or of the text before it,
    and that word is not written whole ("Ian Nepomnia" where the passage names Nepomniachtchi)."""
    match = _LAST_NAME_PART.search(text)
    if match is None or known(match.group(1).lower()):
        return False
    seen = set(_LETTER_RUN.findall(text[: match.start(1)][-CUT_WORD_CONTEXT:])) | set(_LETTER_RUN.findall(prompt))
    return _begins_only(match.group(1), seen)


# The capitalized words that end a text: a name ("... against Bayer 04 Lever"), after a word that is not
# capitalized, a comma or the line's start
_FINAL_NAME = re.compile(r"(?:^|(?<=[\s,;:(\"“]))((?:[A-Z][\w'’.&-]*|\d+)(?:[ \t]+(?:[A-Z][\w'’.&-]*|\d+))*)$",
                         re.MULTILINE)
CUT_NAME_MIN_LETTERS = 3  # the cut name's last word, and the letters the prompt's word goes on with
# Endings that make a name's derived word ("Japanese", "Brazilian", "Southern", "Europeans"): no cut name
_DERIVED_ENDINGS = frozenset("ese ian ians ans ern erns ish ics ism ist ists ite ites ers ness".split())


def _cut_prompt_name(text: str, prompt: str) -> bool:
    """The text ends on a name the prompt writes only longer, inside its last word ("... at home against Bayer 04
    Lever" where the passage has "Bayer 04 Leverkusen"): at least ``CUT_NAME_MIN_LETTERS`` letters of it, and
    as many left out. Also for a last word that is an English word ("Lever"), which ``_begins_a_word_above``
    leaves alone. Not a name before its next word ("... is Marvel" for "Marvel Comics": answers shorten names)
    nor before a derived ending ("Japan" in "Japanese")."""
    if not text[-1:].isalpha() or not prompt:
        return False
    match = _FINAL_NAME.search(text)
    if match is None or not match.group(1)[:1].isupper():
        return False
    name = match.group(1)
    if len(_LETTER_RUN.findall(name)[-1]) < CUT_NAME_MIN_LETTERS:
        return False
    rests = [_LETTER_RUN.match(prompt, m.end()) for m in re.finditer(rf"(?<![\w'’-]){re.escape(name)}", prompt)]
    return bool(rests) and all(rest is not None and rest.group(0).islower() and len(rest.group(0)) >= CUT_NAME_MIN_LETTERS
                               and rest.group(0) not in _DERIVED_ENDINGS for rest in rests)


# "... are woodwind, G": a lower-case word, a comma and a capital (not a surname's initial: "Traver, C")
_LAST_INITIAL = re.compile(r"(?<![\w'’-])[a-z][^\W\d_]+,[ \t]*([A-Z])$")
# ... or after "is" or a capitalized word and a comma, where the prompt lists the items ("Lincoln is A" for "British
# or American", "Jeep is American, S" for "... Subaru")
_LAST_INITIAL_CLASSED = re.compile(r"(?:\b(?:is|are|was|were)|(?<![\w'’-])[A-Z][^\W\d_]+,)[ \t]*([A-Z])$")


def _cut_prompt_initial(text: str, prompt: str) -> bool:
    """The text ends, after a lower-case word and a comma, on the one capital letter that begins a name of the
    prompt's that the text does not hold ("Dizi and Panflute are woodwind, G" for "... Giga, Panflute, Chuniri,
    Dizi"): a cut name's first letter. Not after a lone letter ("vitamins A, B, C") or a name ("Traver, C"), nor
    where the text writes every such name. Where the prompt lists items and offers no lettered choices, also after
    "is" or a capitalized word and a comma ("Lincoln is A" for "... British or American: Lotus, Lincoln")."""
    match = _LAST_INITIAL.search(text)
    if match is None and prompt and not _OFFERS_CHOICES.search(prompt) and _prompt_items(prompt, at_least=2):
        match = _LAST_INITIAL_CLASSED.search(text)
    if match is None or not prompt:
        return False
    names = set(re.findall(rf"\b{match.group(1)}[a-z]{{2,}}", prompt))
    return bool(names) and not all(name in text for name in names)


# A word and an apostrophe at the very end, the letters after it cut ("... revisiting his father’" for "father’s"):
# not a plural's possessive ("the Sisters'"), a dropped g ("lovin'") nor a quotation's closing mark
_CUT_AFTER_APOSTROPHE = re.compile(r"(?<![\w'’-])[A-Za-z]+(?<![sS])(?<!in)['’]$")
_OPENING_SINGLE_QUOTE = re.compile(r"(?:^|[\s(\[“\"=:])[‘']")


def _cut_after_apostrophe(text: str) -> bool:
    """The text stops on a word's apostrophe, what follows it cut ("his father’" for "his father’s"), and no
    single quotation mark opens anywhere before it (a closing one: "known as 'La Tour Eiffel'")."""
    return _CUT_AFTER_APOSTROPHE.search(text) is not None and _OPENING_SINGLE_QUOTE.search(text) is None


def _cut_line_start(text: str) -> bool:
    """The last line is the start of an earlier line, cut inside a word ("Group 1: 5, 10, 4\nGr"): at least two
    characters, which some earlier line goes on from with a letter."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    return len(last) >= 2 and last[-1].isalpha() \
        and any(line.startswith(last) and line[len(last):][:1].isalpha() for line in lines[:-1])


_LAST_LETTERS = re.compile(r"(?:^|[\s\"'(“‘:,/-])([A-Za-z]{2,})$")


END_WORD_CHARS = 80  # the end-anchored tests below read this many last characters (a word is shorter)
CAPITALIZED_CUT_ODDS = 300.0  # _capitalized_cut: the cut odds of a capitalized last word that count anywhere


def _capitalized_cut(text: str) -> bool:
    """The text ends on a capitalized word of three letters or more that is far likelier the start of a longer
    word (``cut_odds`` of ``CAPITALIZED_CUT_ODDS``: "Sum: 15, Produc", "Whic"), after anything, a capitalized
    word or a comma too. Of the 91,475 clean texts none ends so ("Sergey Brin", 157; "Viktor Frankl", 30)."""
    match = _LAST_LETTERS.search(text[-END_WORD_CHARS:])
    if match is None:
        return False
    word = match.group(1)
    return len(word) >= 3 and word[0].isupper() and word[1:].islower() and cut_odds(word.lower()) >= CAPITALIZED_CUT_ODDS


SHORT_ANSWER_TOKENS = 3  # _short_answer_cut: answers of at most this many words
SHORT_ANSWER_CUT_ODDS = 50.0


_FILLS_A_BLANK = re.compile(r"(?i)_{2,}|\bblanks?\b|\bfill in\b|\bmissing (?:word|letters?|part)\b")


def _short_answer_cut(text: str, instruction: str) -> bool:
    """An answer of at most ``SHORT_ANSWER_TOKENS`` words that ends on two letters or more, far likelier the start
    of a longer word (``cut_odds`` of ``SHORT_ANSWER_CUT_ODDS``: "Th", "Do yo", "Appl"), where ``cut_word`` has
    too few words around it to read the text as English. Not an abbreviation in capitals, nor two capital
    letters after a comma ("Redmond, Wa"), nor a hyphenated word's last part ("Sci-fi"), nor the word that fills
    a blank ("the mens ___" -> "rea"). Of the 1,187 clean texts of three words or fewer none ends so."""
    if len(text.split()) > SHORT_ANSWER_TOKENS or _FILLS_A_BLANK.search(instruction):
        return False
    match = _LAST_LETTERS.search(text)
    if match is None or match.group(1).isupper() or text[match.start(1) - 1: match.start(1)] in ("-", "/"):
        return False  # an abbreviation, a hyphenated word's last part ("Sci-fi")
    word = match.group(1)
    if len(word) == 2 and word[0].isupper() and text[: match.start(1)].rstrip().endswith(","):
        return False
    return cut_odds(word.lower()) >= SHORT_ANSWER_CUT_ODDS


# A prompt that asks for a sentence or more of text, which one letter never is, and one that asks for a letter,
# a symbol, a grade, a note or an option, which one letter may be
_ASKS_FOR_SENTENCES = re.compile(r"(?i)^\s*(?:please\s+)?(?:re-?write|paraphrase|reword|rephrase|edit|correct|combine|"
                                 r"translate|transform|change|convert|construct|compose|write|generate|create|"
                                 r"make up|summari[sz]e|explain|describe|expand|shorten|simplify|complete)\b")
_ASKS_FOR_A_LETTER = re.compile(r"(?i)\b(?:letters?|characters?|symbols?|initials?|abbreviations?|acronyms?|grades?|"
                                r"notes?|options?|choices?|variables?|emojis?|numbers?|ratings?|answers?|"
                                r"multiple[- ]choice|vitamins?|blood|chords?|keys?)\b")


def _lone_letter_answer(text: str, instruction: str, input_text: str) -> bool:
    """The whole answer is one capital letter (not "A" or "I") where the instruction asks for a sentence or more
    ("Rewrite the sentence in a more formal tone." -> "H"), asks for no letter, symbol, grade, note or option, and
    the prompt does not hold the letter standing alone: a sentence cut after its first letter."""
    letter = text.strip("\"'“‘( ")
    if len(letter) != 1 or not letter.isupper() or letter in "AI":
        return False
    prompt = f"{instruction}\n{input_text}"
    return _ASKS_FOR_SENTENCES.search(instruction) is not None and _ASKS_FOR_A_LETTER.search(prompt) is None \
        and re.search(rf"(?<![\w'’]){letter}(?![\w'’])", prompt) is None


# A prompt that asks for one word of a sentence, which may be "the", "is" or "she"
_ASKS_FOR_A_WORD = re.compile(r"(?i)\b(?:words?|articles?|prepositions?|conjunctions?|determiners?|pronouns?|subjects?|"
                              r"verbs?|nouns?|adjectives?|adverbs?|part of speech|blanks?|missing|options?|select|"
                              r"choose|pick|identify)\b|_{2,}")
# Words that open a sentence and never answer alone where a sentence is asked for ("Rewrite ..." -> "She")
_SENTENCE_OPENERS = frozenset("she he they we it this these those there which what who how why when where his her "
                              "its".split())


def _opening_word_only(text: str, instruction: str) -> bool:
    """The whole answer is one word that no answer is: an article, conjunction or other word no sentence ends on
    (``ALWAYS_DANGLING``: "The"), or a pronoun or question word that opens one (``PROSE_DANGLING``,
    ``_SENTENCE_OPENERS``: "She", "Which") where the instruction asks for a sentence or more; not where it asks
    for a word of a sentence ("Select the correct pronoun ..." -> "is")."""
    word = text.strip("\"'“‘( ").lower()
    if not word.isalpha() or _ASKS_FOR_A_WORD.search(instruction):
        return False
    return word in ALWAYS_DANGLING or (word in PROSE_DANGLING or word in _SENTENCE_OPENERS) \
        and _ASKS_FOR_SENTENCES.search(instruction) is not None


def _unlisted_last_word(text: str) -> bool:
    """The text ends on letters that neither word list has (pyspellchecker's dictionary, wordfreq's English list
    with its names and rare words) but that begin a common word ("Octob", "Vegetab", "Lionel Messi: Arge"): a word
    cut, in any case and after anything. 1 of 91,475 clean texts ends so, itself a cut ("Beave")."""
    match = _LAST_LETTERS.search(text[-END_WORD_CHARS:])
    return match is not None and unlisted_word_start(match.group(1).lower())


# Where a name stops before its last part: a surname's particle after a name ("Vincent van"), a place name's first
# word that never ends one ("Texas, and New", "Los"), or two or more initials after "by" or a first name ("The
# Lord of the Rings by J. R. R."; not lettered options, "Options: A. B. C."). None of the 91,475 clean texts
# ends so.
_NAME_PART_END = re.compile(r"(?:[A-Z][a-z]+ (?:van|von|de|da|di|du|del|della|der|den|bin|ibn|al|dos|das)"
                            r"|(?:^|[\s,])(?:New|San|Los|Las|Saint|Puerto|Abu|Hong|Sri|Buenos|Addis|Kuala|Tel|Sao|São))$")
_INITIALS_END = re.compile(r"(?:\b(?:by|of|from|with|author|writer|poet)\s|\b[A-Z][a-z]+\s)(?:[A-Z]\. )+[A-Z]\.$")


def _begins_only(fragment: str, words: set[str]) -> bool:
    """``fragment`` is not among ``words`` but begins a longer one of them."""
    return fragment not in words and any(len(word) > len(fragment) and word.startswith(fragment) for word in words)


_MODIFIERS = frozenset("not non very more less most least somewhat partly partially highly fairly too so quite rather "
                       "slightly mostly".split())  # words a value cannot stop on ("Not" for "Not Useful")


def _cut_value(text: str) -> bool:
    """A "Key: value" list whose last value stops on the start of a word its earlier values hold whole, on a
    letter or two or a non-word ("GMC: Car Manufacturer\nFord: Car M"; not "Future tense: will walk"), or on the
    first words of an earlier value, never a value alone, that end on a modifier or begin a value given twice
    ("Sand: Not Useful\nFood: Not"; not "A: Yes\nB: Yes please\nC: Yes", nor a shortened "Chile: Spanish" under
    "Peru: Spanish Speaking")."""
    if ":" not in text:
        return False
    lines = [ln for ln in text.splitlines() if ln.strip()]
    values = [m.group(1) for ln in lines if (m := _KEY_VALUE.match(ln))]
    if len(values) < 3 or not _KEY_VALUE.match(lines[-1]):
        return False
    last = _LETTER_RUN.findall(values[-1])
    if not last or not text[-1].isalpha():
        return False
    cut = values[-1].strip()
    earlier = [value.strip() for value in values[:-1]]
    if any(value.startswith(cut) and value[len(cut):][:1].isalpha() for value in earlier):
        return True  # the value stops inside a word an earlier value holds ("Perro: Spanish\nGato: Span")
    longer = [value for value in earlier if value.startswith(cut + " ")]
    if longer and cut not in earlier and (cut.split()[-1].lower() in _MODIFIERS | ALWAYS_DANGLING | PROSE_DANGLING
                                          or max(map(earlier.count, longer)) >= 2):
        return True  # ... or on an earlier value's first words, a modifier or a value given twice ("Food: Not")
    fragment = last[-1]
    if known(fragment.lower()) and (len(fragment) > 2 or fragment.lower() in SHORT_WORDS):
        return False  # "Future tense: will walk" after "walked"
    return _begins_only(fragment, {word for value in values[:-1] for word in _LETTER_RUN.findall(value)})


def _salutation(text: str) -> bool:
    """A letter's closing ("Sincerely,", "With heartfelt gratitude,") on its own line at the end."""
    lines = [ln.strip() for ln in text.splitlines()]
    last = lines[-1]
    if _SALUTATION.match(last):
        return True
    own_paragraph = len(lines) >= 2 and (not lines[-2] or lines[-2][-1:] in _TERMINAL)
    return own_paragraph and last.endswith(",") and len(last.split()) <= 4


def _same_as_earlier_items(text: str) -> bool:
    """List items that all end the same way (a form: "* Name:", "* Price:")."""
    items = _list_lines(text)
    return len(items) >= 2 and all(it[-1:] == items[-1][-1:] for it in items[:-1])


def _list_lines(text: str) -> list[str]:
    """The list items of the last block of consecutive list lines (continuation lines joined)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    items: list[str] = []
    for ln in reversed(lines):
        if _LIST_ITEM.match(ln):
            items.append(ln.strip())
        elif items or not ln.strip():
            break
        else:
            return []  # the last line is not an item
    return list(reversed(items))


_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                "twelve": 12, "fifteen": 15, "twenty": 20}
_REQUESTED = re.compile(r"(?i)\b(list|name|give|generate|provide|write|suggest|create|come up with|identify|"
                        r"brainstorm|outline|describe|enumerate)\b[^.?!\n]{0,40}?\b(two|three|four|five|six|seven|"
                        r"eight|nine|ten|twelve|fifteen|twenty|[2-9]|1[0-9]|20)\b(?![-.,:/%)])")
# ... or asked as a question, or to think of them, with the number close by ("What are 6 types of ...", "What are
# the names of the three dragons", "Think of seven protein sources"; not "a title for a story about two friends")
_REQUESTED_NEAR = re.compile(r"(?i)\b(think (?:of|up)|(?:what|which|who) (?:are|were))"
                             r"(?:\s+(?!(?:below|above|under|over|than|after|before|since|from|to|in|on|at|by|with|"
                             r"within|per|every|about|around|between)\b)[\w'’]+){0,4}?\s+"
                             r"(two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|[2-9]|1[0-9]|20)\b"
                             r"(?=\s+[A-Za-z])(?!\s+(?:and|or|of)\b)")
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+\S", re.M)
_LONE_NUMBER = re.compile(r"[0-9]{1,3}")  # a list's next number on a line of its own (not "²", nor 5,000 digits)


def _items(text: str) -> int:
    """How many items a response lists: numbered or bulleted lines when it is a list, else the
    comma/semicolon/"and"-separated parts of its last line (CJK enumeration commas too: "工具、タイヤ、自転車")."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    marked = [ln for ln in lines if _LIST_ITEM.match(ln)]
    inline = len(re.findall(r"(?:^|\s)\d{1,2}[.)]\s+\S", text))
    if marked or inline >= 2:
        return max(len(marked), inline)
    return len([p for p in re.split(r"[,;、，；|]|\band\b|\bor\b", lines[-1]) if p.strip()]) if lines else 0


def _count_request(instruction: str) -> re.Match[str] | None:
    """Where the instruction asks for a number of things (group 2: the number), by a verb or a question."""
    return _REQUESTED.search(instruction) or _REQUESTED_NEAR.search(instruction)


@lru_cache(maxsize=65536)
def _requested_items(instruction: str) -> int:
    """How many items the instruction asks for ("Name five animals." -> 5), 0 when it names no number."""
    asked = _count_request(instruction)
    if not asked:
        return 0
    return _COUNT_WORDS.get(asked.group(2).lower()) or int(asked.group(2))


@lru_cache(maxsize=65536)
def _counts_no_items(instruction: str) -> bool:
    """The number the instruction asks for counts words, syllables, minutes ... (``_NOT_ITEMS``), not items."""
    counted = _count_request(instruction)
    after = instruction[counted.end():].split()[:1] if counted else []
    return bool(after) and after[0].lower().startswith(_NOT_ITEMS)


def _missing_items(text: str, instruction: str) -> str | None:
    """A response that stops, without sentence punctuation, before it lists as many items as the
    instruction asked for ("Name five animals." -> "1. Polar bear\n2. Arctic")."""
    want = _requested_items(instruction)
    if not want:
        return None
    if re.search(r"[=<>{}]", text) or _SQL_STATEMENT.match(text):
        return None  # equations, markup, a query ("... LIMIT 5")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    numbers = [int(n) for n in _NUMBERED.findall(text)]
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        return None  # numbering restarts: sections, sub-steps
    marked = [ln for ln in lines if _LIST_ITEM.match(ln)]
    if marked and not _LIST_ITEM.match(lines[-1]):
        return None  # the list ended and text follows it
    if not marked and len(lines) > 1:
        # lines count as items unless the number counts something else ("a 5 word haiku", "10 syllables")
        return "missing_items" if not _counts_no_items(instruction) and 2 <= _unmarked_items(lines) < want else None
    if 1 <= _items(text) < want:
        return "missing_items"
    return None


# Tasks whose answer is words rearranged, converted or quoted, not written prose: word order, ciphers,
# transcriptions, one-sentence edits, phrase and part-of-speech answers. A bare end is no sign of a cut
# there, and in a word-order task neither is a function word at the end ("chess I like play to").
_WORD_ORDER_TASK = re.compile(r"(?i)\b(sort|arrange|rearrange|reverse(?![- ]?engineer)|invert|swap|scramble|unscramble|alphabetical|"
                              r"jumble|order of the words|word order)")
_CIPHER_TASK = r"encode|encrypt|decrypt|cipher|pig latin|phonetic|ipa\b|translat"  # answers in no plain English
_WORD_TASK = re.compile(rf"(?i)\b({_CIPHER_TASK}|transcribe|"
                        r"identify (all )?(the )?(verb|noun|pronoun|adjective|adverb|subject|object)|"
                        r"(verb|noun|prepositional) phrase|"
                        r"change the (verb|tense|word|emoji)|convert (the|this) (text|sentence|phrase)|"
                        r"turn (a|the|this) (noun|verb|sentence|phrase)|divide the|synonym|antonym|key ?phrase|"
                        r"seed word|alliterat|irregular verb|past tense|similar sentences|"
                        r"tense of|passive voice|active voice)")
# Tasks whose answer may be no English word: ciphers, codes, transcriptions, word games, other languages.
_NON_WORD_TASK = re.compile(rf"(?i)\b({_CIPHER_TASK}|transcri|anagram|scramble|jumble|abbreviat|acronym|spell|rhym|"
                            r"made[- ]up|invent(ed)? (a )?word)")
_ASKS_FOR_TEXT = re.compile(r"(?i)^\s*(please\s+)?(write|explain|describe|generate|compose|create|construct|"
                            r"summari[sz]e|discuss|outline|elaborate|develop|draft|compare|analy[sz]e|argue|"
                            r"justify|tell me (about|why|how))\b")
_ASKS_FOR_SHORT = re.compile(r"(?i)\b(title|name|word|phrase|headline|slogan|tagline|hashtag|keyword|list|acronym|"
                             r"password|username|number|equation|formula|code|query|expression|adjective|noun|verb|"
                             r"synonym|antonym|rhyme|emoji|label|category|colou?r|one|two|three|letter|abbreviation|"
                             r"sentence|character|domain|url|variable|heading|tag|css|html)s?\b")


# A request for several items that names no number ("Name some herbs", "Give me a list of ...", "What are some ...")
_ASKS_FOR_ITEMS = re.compile(r"(?i)(?:^\s*(?:please\s+)?list\b(?!\s+of)|\b(?:give me a list|make a list|"
                             r"(?:create|generate|write|provide|compile|produce|make|give)\s+(?:me\s+)?a\s+"
                             r"(?:(?:short|brief|bulleted|numbered|quick)\s+)?list|"
                             r"name (?:some|a few|several)|what are some|"
                             r"(?:give (?:me )?|suggest )(?:some|a few|several)\s+(?:[a-z-]+\s+){0,2}[a-z-]+[^s\W]s|"
                             r"some examples|examples of|ideas (?:for|of)|"
                             r"(?:what|who|where|which) (?:are|were) (?:some|common|good|popular|famous|different|"
                             r"typical|lots of|examples|types|kinds|ways|the (?:best|most|main|typical|top|different|"
                             r"names|types|kinds))|comma[- ]separated|separated? (?:them )?(?:with|by) (?:a )?commas?)\b)")  # "give me some advice": one piece will do
ONE_ITEM_WORDS = 3  # one_item: the one item left has at most this many words


_A_COUNT = re.compile(rf"(?i)\b(?:{'|'.join(_COUNT_WORDS)}|one|eleven|single|couple|pair|\d+)\b")  # any number


@lru_cache(maxsize=65536)
def _asks_for_items(instruction: str) -> bool:
    """The instruction asks for several items and names no number of them ("Name some herbs", not "Find two
    examples")."""
    return _ASKS_FOR_ITEMS.search(instruction) is not None and _A_COUNT.search(instruction) is None


_ONE_ANSWER_ASKED = re.compile(r"(?i)\b(?:one|single|a word|favou?rite|best)\b")  # one answer will do


def _one_item(text: str, instruction: str) -> str | None:
    """``missing_items`` for one item of at most ``ONE_ITEM_WORDS`` words (one line, no separator, "and", number
    or sentence punctuation) where the instruction asks for several, without a number ("Name some herbs I can
    grow." -> "Mint") or with one ("List five titles by Anne Rice." -> "Lasher"; not where it also asks for one
    or the number counts words): what a cut at the first comma leaves of a list."""
    words = text.split()
    if len(words) > ONE_ITEM_WORDS or "\n" in text or text[-1] in _TERMINAL_OR_CLOSER \
            or any(ch in ",;、，；&/" or ch.isdigit() for ch in text) or {"and", "or"} & set(map(str.lower, words)):
        return None
    several = _asks_for_items(instruction) or (_requested_items(instruction) >= 2 and not _counts_no_items(instruction)
                                               and not _ONE_ANSWER_ASKED.search(instruction))
    return "missing_items" if several else None


# A sentence that promises several names and gives one ("... in the 1980s are Sixteen Candles", "... include
# Newton"), for a question about several ("What are some ...", "Who were the members ...")
_ONE_NAME_FOR_SEVERAL = re.compile(r"\b(?:are|were|include|includes|including|such as|namely)\s+(?:the\s+)?"
                                   r"[A-Z][\w'’.&-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z0-9][\w'’.&-]*){0,5}$")
_ASKS_ABOUT_SEVERAL = re.compile(r"(?i)\b(?:some|list|several|few|examples|members|what are|who are|who were|"
                                 r"which are|what were|name (?:the|all)|give me)\b")


def _names_one_of_several(text: str, instruction: str) -> bool:
    """One line, with no list in it, that ends on a single name after "are", "include", "such as" ... where the
    instruction asks about several: the first name of a list cut at its first comma (``missing_items``). Not
    after "like", which names one example ("through a service like Airbnb")."""
    if "\n" in text or "," in text or ";" in text or re.search(r"\b(?:and|or)\b", text):
        return False
    return _ONE_NAME_FOR_SEVERAL.search(text) is not None and _ASKS_ABOUT_SEVERAL.search(instruction) is not None


FEW_ITEMS = 2  # _few_items: a marked list of at most this many items
# The answer says that one or two is all there is ("There is only one:", "Earth has one natural satellite:")
_SAYS_HOW_FEW = re.compile(r"(?i)\b(?:only|just|sole|single|one|two|both|no other)\b[^\n]*:\s*$", re.MULTILINE)


def _few_items(text: str, instruction: str) -> str | None:
    """``missing_items`` for a marked list that ends on its first or second item where the instruction asks for
    several without a number ("Generate a list of ..." -> "1. Solar power."): a list cut after a complete item;
    not where the answer says one or two is all there is ("There is only one:")."""
    marked = max(sum(1 for line in text.splitlines() if _LIST_ITEM.match(line)), len(_INLINE_NUMBERED.findall(text)))
    if _SAYS_HOW_FEW.search(text):
        return None
    return "missing_items" if 1 <= marked <= FEW_ITEMS and _asks_for_items(instruction) else None


# The line above a list that announces several items ("Here are some tips:", "... include the following:") or a
# number of them ("Here are 3 things to consider:", "The 13 departments are:")
_ANNOUNCES_ITEMS = re.compile(r"(?i)\b(?:here are|here is a list|here's a list|the following|as follows|include|"
                              r"includes|including|are|list of|some|several|a few|these|various|many|steps|ways|"
                              r"tips|ideas|examples|options|reasons)\b[^:\n]*:\s*$")
_ANNOUNCED_COUNT = re.compile(r"(?i)\b(?:here are|these are|the following|there are|are|the|top|include|includes)\s+"
                              r"(?:the\s+)?(two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|"
                              r"[2-9]|1[0-9]|20)\s+(?:[\w'’-]+\s+){0,3}?[\w'’-]+s\b")
_INLINE_MARKER = re.compile(r"(?:^|\s)\d{1,2}[.)](?=\s*[^\W\d_])")  # "9)be able": a space after the marker or not


def _announced_items(text: str) -> str | None:
    """``missing_items`` for a list whose own introduction, the line above its first item, announces more
    items than follow it, and nothing after them: one item under "Here are some tips:" (a list announced
    with a colon), or fewer than "Here are 3 things to consider:" promises."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    first = next((i for i, ln in enumerate(lines) if _LIST_ITEM.match(ln)), 0)
    if first == 0 or not all(_LIST_ITEM.match(ln) or ln[:1].isspace() for ln in lines[first:]):
        return None
    intro = lines[first - 1]
    if _SAYS_HOW_FEW.search(intro):
        return None
    count = max(sum(1 for ln in lines[first:] if _LIST_ITEM.match(ln)), len(_INLINE_MARKER.findall(text)))
    announced = _ANNOUNCED_COUNT.search(intro)
    if announced and intro.rstrip().endswith(":"):
        want = _COUNT_WORDS.get(announced.group(1).lower()) or int(announced.group(1))
        return "missing_items" if count < want else None
    return "missing_items" if count == 1 and _ANNOUNCES_ITEMS.search(intro) else None


# The words before a colon that announce several items ("... the following countries:", "... include:"), and the
# words ending in s that are no plural ("here goes:", "as this process:")
_ANNOUNCING_WORDS = frozenset("following follows include includes including are".split())
_NOT_PLURAL = frozenset("goes does has this thus always perhaps less unless across bonus status focus class process "
                        "address business success means says reads plus yes gas bus".split())
_INLINE_INTRO = re.compile(r"(?i)\b(?:here are|the following|as follows|include|includes|including|are|list of|some|"
                           r"several|a few|these|various|many|a number of|examples|options|types|kinds)\b")
INLINE_ITEM_WORDS = 5  # _one_item_after_colon: the one item's words, at most


def _one_item_after_colon(text: str) -> str | None:
    """``missing_items`` for a last line whose last sentence announces several items before a colon ("Some
    different types of desserts are: cupcakes", "The Benelux region is made up of the following countries:
    Belgium") and gives one: no comma, full stop, "and", "or", bracket or equation after the colon. A list cut after its
    first item, which the sentence's plural (or "the following", "include") says is not all. Not where full stops
    part the items ("Options: A. B. C.")."""
    last = text.splitlines()[-1]
    intro, colon, item = last.rpartition(":")
    item = item.strip().rstrip(".!")
    if not colon or not item or len(item.split()) > INLINE_ITEM_WORDS or re.search(r"[,;&(/=.]|\b(?:and|or)\b", item):
        return None
    sentence = _SENTENCE_SPLIT.split(intro)[-1]
    before = re.search(r"([A-Za-z]+)\W*$", sentence)
    if before is None or ":" in sentence or not _INLINE_INTRO.search(sentence):
        return None
    word = before.group(1).lower()
    plural = word.endswith("s") and len(word) > 3 and word not in _NOT_PLURAL
    return "missing_items" if word in _ANNOUNCING_WORDS or plural else None


# A last sentence that announces what should follow it ("Here are some tips to help you.", "... as follows.")
_ANNOUNCES_MORE = re.compile(r"(?:^|[.!?]\s+)(?:(?:So|And)\s+here|Here|Below)\s+(?:are|is|'s)\b[^.!?\n:,;]*[.!]?$|"
                             r"(?:^|[.!?]\s+)[^.!?\n:,;]*\b(?:the following|as follows)[.!]?$")


def _announces_more(text: str) -> str | None:
    """``missing_items`` for an answer whose last line ends on a sentence announcing what follows it, and
    nothing does: a cut after the introduction ("... Here are a few ways to get back in.")."""
    return "missing_items" if _ANNOUNCES_MORE.search(text.splitlines()[-1]) else None


def _too_short(text: str, instruction: str) -> str | None:
    """Two or three words without punctuation where the instruction asks for written text ("Write a
    definition of natural selection." -> "Natural selection"): what is left of a cut after the first words."""
    words = text.split()
    if 2 <= len(words) <= 3 and "\n" not in text and all(w.isalpha() for w in words) \
            and _ASKS_FOR_TEXT.search(instruction) and not _ASKS_FOR_SHORT.search(instruction):
        return "too_short"
    return None


# Phrases that lead into a sentence and are never an answer on their own ("In short", "Technically speaking"):
# what a cut at the first comma leaves of "In short, ..."
_LEAD_INS = frozenset({
    "in short", "in summary", "in total", "in general", "in fact", "in addition", "in conclusion", "in brief",
    "in other words", "in particular", "in practice", "in theory", "in reality", "in contrast", "in the end",
    "in most cases", "in many cases", "in some cases", "in this case", "in that case", "in the past",
    "for example", "for instance", "for this reason", "as a result", "as such", "technically",
    "technically speaking", "generally speaking", "broadly speaking", "historically", "ultimately", "basically",
    "unfortunately", "fortunately", "however", "additionally", "firstly", "secondly", "thirdly", "lastly",
    "finally", "overall", "even today", "nowadays", "these days", "traditionally", "essentially", "simply put",
    "put simply", "that said", "that being said", "interestingly", "moreover", "furthermore", "consequently",
    "accordingly", "specifically", "notably", "importantly", "alternatively", "nevertheless", "nonetheless",
    "currently", "at first", "at the moment", "to be honest", "to summarize", "to sum up", "all in all",
    "on the other hand", "on the contrary", "by contrast", "at the same time", "to begin with", "first of all",
    "above all", "after all", "in my opinion", "personally", "honestly", "surprisingly", "ironically",
    "at present", "at the present time", "in recent years", "in the meantime", "meanwhile", "to date", "as of now",
    "as of today", "for now",
    # sentence adverbs and connectives: no answer of the 91,475 clean texts is one of them alone
    "therefore", "thus", "hence", "besides", "instead", "otherwise", "similarly", "likewise", "conversely",
    "regardless", "anyway", "admittedly", "undoubtedly", "clearly", "obviously", "naturally", "luckily", "sadly",
    "thankfully", "hopefully", "in my experience", "as mentioned", "as mentioned above", "as noted",
    "as a result of this", "in this way", "by doing so", "in doing so", "in this regard", "on top of that",
    "in the long run", "at the end of the day", "in a nutshell", "in essence", "for the most part", "by and large",
    "more importantly", "most importantly", "even so", "in any case", "in either case", "in both cases",
    "to clarify", "to put it simply", "simply stated", "in simple terms", "in layman's terms",
})
# A phrase of the prompt's own, led by a preposition ("What is a top spin serve in tennis?" -> "In tennis")
_PREPOSITION_PHRASE = re.compile(r"(?i)^(?:in|on|for|from|during|within|among)(?: [\w'’-]+){1,5}$")
_ASKS_WHERE_OR_WHEN = re.compile(r"(?i)^\s*(?:where|when|what (?:year|time|date|day|month|country|city|place|state)|"
                                 r"in (?:what|which)|which (?:year|country|city|place|state))\b")
# The subject of "What is X?", "Why is X ...?", "Where is X located?": an answer that only names it again
# ("Kraft Dinner", "The Sugarloaf mountain") is the subject of a sentence cut at its first comma
_QUESTION_SUBJECT = re.compile(r"(?i)^\s*(?:what|who|where|why|how)\s+(?:is|are|was|were|does|do|did)\s+"
                               r"(.+?)(?=\s*[?,(]|\s+(?:and|located|known|called|used|made|considered|a|an|so|"
                               r"important|famous|good|bad|better|different|popular)\b|\s*$)")
_ARTICLE = re.compile(r"(?i)^(?:the|a|an)\s+")
LEAD_IN_WORDS = 6  # _lead_in: the answer's words, at most


def _bare_phrase(text: str) -> str:
    return " ".join(_ARTICLE.sub("", re.sub(r"\s*\([^)]*\)\s*$", "", text.strip())).lower().split())


def _lead_in(text: str, instruction: str) -> str | None:
    """``too_short`` for a one-line answer of a few words that only leads into a sentence: a lead-in phrase
    ("In short", "Technically speaking"), a prepositional phrase of the prompt's own, or its noun phrase after
    another preposition, where the prompt asks no place or time ("In tennis", "In the future" for "... for the
    future"), the question's subject named again ("What is Kraft Dinner?" -> "Kraft Dinner"), the prompt's goal
    after "To" ("To make a small fire"), the full name alone of the person a "Who was ...?" asks about ("Rosa
    Louise McCauley Parks"), or a salutation alone where the prompt asks for an addressed text ("Dear Colleague";
    a bare "Hello" where the prompt holds no greeting to answer): a sentence cut at its first comma."""
    words = text.split()
    if len(words) > LEAD_IN_WORDS or "\n" in text or text[-1] in _TERMINAL or any(ch.isdigit() for ch in text):
        return None
    phrase = " ".join(text.lower().split())
    if phrase in _LEAD_INS:
        return "too_short"
    if _PREPOSITION_PHRASE.match(text) and not _ASKS_WHERE_OR_WHEN.match(instruction):
        prompt = " " + " ".join(instruction.lower().split())
        noun_phrase = phrase.split(" ", 1)[1]  # two words or more: "the future" in "Make a prediction for the future."
        if phrase in prompt or len(words) >= 3 and f" {noun_phrase}" in prompt:
            return "too_short"
    subject = _QUESTION_SUBJECT.match(instruction)
    answer = _bare_phrase(text)
    if subject and answer and answer == _bare_phrase(subject.group(1)):
        return "too_short"
    if subject and _ASKS_WHO.match(instruction) and all(w[:1].isupper() for w in words) \
            and set(_bare_phrase(subject.group(1)).split()) < set(answer.split()):
        return "too_short"  # "Who was Rosa Parks?" -> "Rosa Louise McCauley Parks": the person's full name alone
    if text.startswith("To ") and _restates_prompt(text, instruction) and not _ASKS_A_PURPOSE.search(instruction):
        return "too_short"  # "To make a small fire" for "Tell me how to make a small fire."
    if _SALUTATION_ONLY.match(text) and _ASKS_FOR_ADDRESSED_TEXT.search(instruction) \
            and not _ASKS_A_GREETING.search(instruction) and (len(words) > 1 or not _GREETING_WORD.search(instruction)):
        return "too_short"  # "Dear John Smith" or "Hello" for "Write an email ...": the letter's opening alone
    return None


# A prompt that offers its answers ("Classify ... as A or B", "Which of ...", "Determine whether ..."), whose phrase
# an answer may repeat
_OFFERS_ANSWERS = re.compile(r"(?i)\b(?:or|either|whether|classify|categori[sz]e|categorie[sz]e|vs|versus|which)\b")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|'[^'\n]*'|‘[^’]*’")
PROMPT_PHRASE_WORDS = (2, 6)  # _prompt_phrase_only: the answer's words, without a leading article


def _prompt_phrase_only(text: str, instruction: str) -> bool:
    """A one-line answer of a few words, no punctuation at its end, that only says a phrase of the instruction
    again ("Identify one advantage of using electric cars" -> "Electric cars"; "Convert 23 kilograms to pounds"
    -> "23 kilograms"): the subject of a sentence cut after it. Not where the instruction offers the answers to
    choose from, a phrase it quotes ("the main subject of: "The old man went fishing""), nor the whole of it."""
    low, high = PROMPT_PHRASE_WORDS
    if "\n" in text or not text[-1:].isalnum() or len(text.split()) > high or _OFFERS_ANSWERS.search(instruction):
        return False
    answer = _bare_phrase(text)
    if len(answer.split()) < low or _PREPOSITION_PHRASE.match(answer) or _ASKS_WHERE_OR_WHEN.match(instruction):
        return False  # a place or time the prompt asks for ("Where ... in Paris?" -> "In Paris"): _lead_in's
    words = re.sub(r"[^\w\s'’+.%-]", " ", _QUOTED.sub(" ", instruction).lower()).split()
    prompt = " ".join(word.rstrip(".") for word in words)
    return f" {answer} " in f" {prompt} " and answer != _bare_phrase(prompt)  # the whole: repeats_instruction's


_ASKS_A_PURPOSE = re.compile(r"(?i)^\s*why\b|\b(?:purpose|goal|aim|objective|reason|what for|in order)\b")
# A salutation, with its addressee or alone ("Dear Colleague", "Hi Dr. Gupta", "Hello"; a bare one only where the prompt
# holds no greeting it could answer)
_SALUTATION_ONLY = re.compile(r"^(?:Dear|Hi|Hello|Hey|Greetings|Good (?:morning|afternoon|evening))(?:[ \t]+[\w'’.&-]+)"
                              r"{0,4}$")
_GREETING_WORD = re.compile(r"(?i)\b(?:dear|hi|hello|hey|greetings|good (?:morning|afternoon|evening))\b")
_ASKS_WHO = re.compile(r"(?i)^\s*who\s+(?:is|was|are|were)\b")
_ASKS_FOR_ADDRESSED_TEXT = re.compile(r"(?i)\b(?:e-?mail|letter|message|note|memo|speech|invitation|reply|toast|"
                                      r"announcement|newsletter)s?\b")  # a text that opens with a salutation
_ASKS_A_GREETING = re.compile(r"(?i)\b(?:greet|greeting|salutation|say (?:hello|hi))")


# A clause or phrase that opens a sentence and cannot be one ("If you have cats as pets", "Contrary to what many
# people think"), unless the prompt asks under what condition or when
_INTRO_CLAUSE = re.compile(r"^(?:If|While|Although|Though|Unless|Whenever|Contrary to|Also known as|Commonly known as|"
                           r"Known as|Despite|Regardless of|Depending on|According to|Based on|Given|Compared to|"
                           r"Compared with|In addition to|Apart from|Aside from|Instead of|Thanks to|Along with|"
                           r"In order to|Prior to|Just like|Much like|Similar to|Unlike|Rather than|As opposed to|"
                           r"In contrast to|In terms of|With regard to|Regarding|As for|When it comes to)\b")
_ASKS_A_CONDITION = re.compile(r"(?i)^\s*(?:when|under what|in what|why|what if)\b|\b(?:if|whether|how (?:do|does|can|should) (?:i|you|we) know)\b")
INTRO_CLAUSE_WORDS = 8  # _intro_clause: the last sentence's words, at most (a longer one holds its main clause:
# "If you can accomplish this you score a touchdown")


# A time clause ("When making an investment decision") opens a sentence too, unless the prompt asks about a time
_TIME_CLAUSE = re.compile(r"^(?:When|Once|Since|Until|Before|After|(?:Over|During|In) the (?:past|next|last|coming|"
                          r"previous|following))\s")
_ASKS_ABOUT_A_TIME = re.compile(r"(?i)^\s*when\b|\bwhen (?:did|does|do|is|are|was|were|will|would|should|can|could|"
                                r"you|i|we|they|he|she|it|one|people|someone|a|an|the|to)\b|"
                                r"\b(?:time|times|season|age|year|date|day|month|period|moment|until|how long|how soon|"
                                r"how often|era|century|decade|before|after|during|since)\b")


def _intro_clause(text: str, instruction: str) -> str | None:
    """``fragment`` for a one-line answer whose last sentence is a short opening clause without its main clause
    and without a comma: a sentence cut at its first comma."""
    last = _SENTENCE_SPLIT.split(text)[-1].strip()
    if len(last.split()) > INTRO_CLAUSE_WORDS or any(ch in last for ch in ",;:"):
        return None
    time_clause = _TIME_CLAUSE.match(last) is not None
    if not time_clause and not _INTRO_CLAUSE.match(last):
        return None
    opener = last.split()[0].lower()
    if re.search(rf"(?i)(?:,|\bor)\s+{re.escape(opener)}\b", instruction):
        return None  # the opener is one of the prompt's choices ("before, during or after World War II")
    if _restates_prompt(last, instruction):
        return "fragment"  # the prompt's own condition said again ("What would happen if the Earth stopped spinning?")
    if time_clause:
        return None if _ASKS_ABOUT_A_TIME.search(instruction) or _ASKS_A_CONDITION.search(instruction) else "fragment"
    return None if _ASKS_A_CONDITION.search(instruction) else "fragment"


RESTATED_WORDS = 3  # _restates_prompt: the clause's words after its first, at least ...
RESTATED_SHARE = 0.8  # ... and this share of them in the prompt


def _restates_prompt(clause: str, prompt: str) -> bool:
    """The words of ``clause`` after its first (at least ``RESTATED_WORDS``) are, for ``RESTATED_SHARE`` of them,
    words of the ``prompt``: the answer only says the prompt's condition or subject again."""
    words = [w.lower() for w in _WORD.findall(clause)[1:]]
    if len(words) < RESTATED_WORDS:
        return False
    asked = {w.lower() for w in _WORD.findall(prompt)}
    return sum(w in asked for w in words) >= RESTATED_SHARE * len(words)


def _list_item(text: str, settings: TruncationSettings) -> str | None:
    """The last item of a list whose other items end with punctuation stops on a word, and is shorter than most
    of them: cut inside it (a full-length last item that only lacks its full stop is a finished one)."""
    items = _list_lines(text)
    if len(items) < settings.list_min_items:
        return None
    earlier = items[:-1]
    punctuated = sum(1 for it in earlier if it.rstrip("*_ ")[-1:] in _TERMINAL)
    if punctuated >= settings.list_punctuated_share * len(earlier) and items[-1][-1:].isalnum() \
            and len(items[-1].split()) < statistics.median(len(it.split()) for it in earlier):
        return "list_item"
    return None


def _unkeyed_last_line(text: str) -> bool:
    """Two lines that pair a key with a value by one separator ("Ring: Hand", "Richard Nixon - Republican")
    followed by a last line of one to three words without it ("Li", "Gerald"): a pair cut before its
    separator (``list_item``; read before the verse test, which such lists pass)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    last = lines[-1] if len(lines) >= 3 else ""
    if len(last) < 2 or len(last.split()) > 3 or not (last[0].isalpha() and last[-1].isalpha()) or "." in last:
        return False  # not "W.B", an initial: a name's end after a quotation
    separators = [m.group(1) if (m := _KEYED_LINE.match(ln)) else None for ln in lines[-3:-1]]
    return separators[0] is not None and separators[0] == separators[1] and separators[0].strip() not in last


_NAME_IS_LINE = re.compile(r"^([A-Z][^\n]{0,60}?) (?:is|are|was|were) \S")


def _unclassed_last_line(text: str, prompt: str) -> bool:
    """An answer that classes the prompt's items a line each ("Ford is an automobile company.\nTriumph is a
    motorcycle company.") and stops on the next item's bare name ("Indian"): its last two lines begin with
    names the prompt holds, and the last line is one, one to three words long (``list_item``)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) < 3 or not prompt:
        return False
    last = lines[-1]
    if len(last.split()) > 3 or not (last[0].isupper() and last[-1].isalpha()) or not _holds_name(prompt, last):
        return False
    subjects = [m.group(1) if (m := _NAME_IS_LINE.match(ln)) else None for ln in lines[-3:-1]]
    return all(subject is not None and subject != last and _holds_name(prompt, subject) for subject in subjects)


# A line that answers for one item: "Toe: Lower Body", "John Kennedy - Democrat", "Ford is an automobile company"
_ITEM_ANSWER_LINE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])?\s*([^:\n]{1,60}?)\s*(?::|\s[-–—]\s|\s(?:is|are|was|were)\s)")
UNMARKED_ITEM_WORDS = 5  # a line of an unmarked list has at most this many words
MIN_ANSWERED_ITEMS = 2  # lines that answer the first items of the prompt's list, in its order, at least


def _prompt_items(instruction: str, at_least: int = 3) -> list[str]:
    """The items an instruction lists after its colon ("Classify each ...: arm, toe, finger"), else after its
    question ("Which characters belong to DC or Marvel? Ultron, Brainiac") or on a last line of their own,
    lower-cased; empty when it lists fewer than ``at_least`` or an item has more than four words."""
    return _split_items(_items_tail(instruction), r"[,;]|\band\b|\bor\b", " .?!\"'", at_least)


def _split_items(text: str, separators: str, strip: str, at_least: int) -> list[str]:
    """``text`` split at ``separators`` into items lower-cased and stripped of ``strip``; empty when there are
    fewer than ``at_least`` or an item has more than four words."""
    items = [item.strip(strip).lower() for item in re.split(separators, text)]
    items = [item for item in items if item]
    return items if len(items) >= at_least and all(len(item.split()) <= 4 for item in items) else []


def _items_tail(instruction: str) -> str:
    """Where an instruction's list of items would be: after its last colon, else after its last question
    mark, else its last line (of several)."""
    if ":" in instruction:
        return instruction.rsplit(":", 1)[1]
    if "?" in instruction.rstrip()[:-1]:
        return instruction.rsplit("?", 1)[1] or ""
    lines = [ln for ln in instruction.splitlines() if ln.strip()]
    return lines[-1] if len(lines) >= 2 else ""


_NOT_ITEMS = ("word", "syllable", "letter", "character", "sentence", "minute", "second", "hour", "day", "year")
_ITEM_WORD = re.compile(r"[^\W\d_]{2}")


def _unmarked_items(lines: list[str]) -> int:
    """How many items a list of short unmarked lines holds ("Soy Sauce\nOyster Sauce\nGinger", under an
    optional heading that ends with a colon), 0 when the lines are no such list."""
    items = [ln for ln in lines if not ln.rstrip().endswith(":")]
    short = all(len(ln.split()) <= UNMARKED_ITEM_WORDS and ln.rstrip()[-1:] not in _TERMINAL and ":" not in ln
                and " - " not in ln and _ITEM_WORD.search(ln) for ln in items)
    return len(items) if short else 0


def _answers_first_items(text: str, instruction: str) -> bool:
    """Lines that each answer for one item of the instruction's list, the first items in its order, and stop
    before its end ("Shortstop: Baseball\nOutfielder: Baseball" for "shortstop, outfielder, midfielder, ...";
    ``missing_items``): an answer cut after a complete line."""
    items = _prompt_items(instruction)
    if not items:
        return False
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not MIN_ANSWERED_ITEMS <= len(lines) < len(items):
        return False
    keys = [m.group(1).strip().lower() if (m := _ITEM_ANSWER_LINE.match(ln)) else None for ln in lines]
    return keys == items[: len(keys)]


# An instruction that asks for each listed item to be classed: class names before the colon ("string or
# percussion") or classing words; not a choice of one label among those listed ("one of the following: ...")
_CLASSES_EACH = re.compile(r"(?i)\b(?:classify|categori[sz]e|sort|group|each|label|tell me (?:if|whether)|and which)\b|"
                           r"\b\w+ or \w+\b")
# ... and asks it of several items, so that one item's bare name is no answer (not "which one", "the odd one out")
_CLASSES_SEVERAL = re.compile(r"(?i)\b(?:classify|categori[sz]e|sort|group|each|whether|and which)\b|"
                              r"\bwhich (?:of (?:the following|these|those) )?(?:[\w-]+ ){0,3}are\b")
_ASKS_FOR_ONE = re.compile(r"(?i)\b(?:which one|odd one|the only|one of|different from|does not belong|doesn't belong|"
                           r"(?:which|what) (?:\w+ ){0,3}is\b)")
# ... where the list is of the things to class, not of the labels ("Categorize the sentence in the following
# types: fact, opinion or unknown" -> "Fact")
_LABELS_LISTED = re.compile(r"(?i)\b(?:categor(?:y|ies)|labels?|types?|classes|options|choices|genres?|emotions?|"
                            r"sentiments?|tags?|sentence|text|statement|tweet|review|paragraph|passage|this|it)\b")
CLASSED_BARE_ITEMS = 3  # _classes_one_item: a bare item's name is a cut answer where the prompt lists this many
CLASSED_ITEM_WORDS = 8  # _classes_one_item: the answer's words, at most


def _input_items(input_text: str, at_least: int = 3) -> list[str]:
    """The items an input lists, lower-cased: comma, semicolon or line separated, each of at most four words;
    empty when it lists fewer than ``at_least``."""
    return _split_items(input_text, r"[,;\n]|\band\b", " .?!\"'-*•", at_least)


def _classes_one_item(text: str, instruction: str, input_text: str = "") -> bool:
    """One short line that classes one of the two or more items the instruction lists (``_items_tail``) and
    names no other ("Identify which instrument is string or percussion: Maraca, Valiha" -> "Valiha is string"):
    the first item of an answer cut at its first comma (``missing_items``). The bare name alone only for three
    or more items to class, not labels, where one is not asked for ("Tell me whether these are birds: robin,
    bat, owl" -> "Robin"; not "Which of these is a mammal: shark, dolphin" -> "Dolphin"). The items may be the
    input's, three or more, where the instruction lists none ("Categorize the following words." / "Turtle, Eagle,
    Shark" -> "Team 1: Turtle")."""
    if "\n" in text or "," in text or ";" in text or len(text.split()) > CLASSED_ITEM_WORDS:
        return False
    tail = _items_tail(instruction)
    head = instruction[: len(instruction) - len(tail)]
    items = _prompt_items(instruction, at_least=2)
    if not items and input_text:  # "Categorize the following words." with the words in the input
        head, items = instruction, _input_items(input_text)
    if not items or not _CLASSES_EACH.search(head) or re.search(r"(?i)\bone of\b", head):
        return False
    answer = text.lower()
    # an item named in the plural or possessive counts as named ("Cars" for "car", "Bloody Mary's")
    named = [m.group(0) for item in items if (m := re.search(rf"(?<!\w){re.escape(item)}(?:e?s|['’]s)?(?!\w)", answer))]
    if len(named) != 1:
        return False
    if answer.strip(" .!?\"'") != named[0]:
        return True
    return len(items) >= CLASSED_BARE_ITEMS and _CLASSES_SEVERAL.search(head) is not None \
        and not _ASKS_FOR_ONE.search(head) and not _LABELS_LISTED.search(head)


_ITEM_IS_LABEL = re.compile(r"^\s*(?:and\s+)?(.+?)\s+(?:is|are|was|were)\s+\S")  # "RAM is American"


def _prompt_item_cut(text: str, instruction: str) -> str | None:
    """A one-line answer that goes through the items the instruction lists and stops on one of them: after
    items classed by "is" ("RAM is American, Toyota Motor" for "... RAM, Toyota Motor Corporation"), an item
    without its class (``list_item``); after at least two of the prompt's items copied as written, the start of
    another ("Red: Burgundy, brick, ruby, card" for "... ruby, cardinal"; ``cut_word``)."""
    if "\n" in text or not text[-1].isalnum():
        return None
    items = _prompt_items(instruction, at_least=2)
    segments = [part.strip() for part in re.split(r"[,;]", text)]
    last = segments[-1].lower()
    if not items or len(segments) < 2 or not last or len(last.split()) > 4:
        return None
    classed = [_ITEM_IS_LABEL.match(part) for part in segments[:-1]]
    if all(m and m.group(1).lower() in items for m in classed) and not _ITEM_IS_LABEL.match(segments[-1]) \
            and any(item == last or item.startswith(last + " ") for item in items):
        return "list_item"
    earlier = [segments[0].split(":", 1)[-1].strip().lower(), *(part.lower() for part in segments[1:-1])]
    if len(earlier) >= 2 and all(part in items for part in earlier) and last not in items \
            and any(item.startswith(last) and len(item) - len(last) >= 2 for item in items):
        return "cut_word"
    return None


def _classed_lines_cut(text: str, instruction: str) -> str | None:
    """``cut_word`` for "Label: item, item" lines that copy the instruction's items as written and stop on the
    start of another, a word or more short of it ("Pop: Dua Lipa, Harry Styles\nCountry: Morgan" for "... Dua
    Lipa, Morgan Wallen, Harry Styles"): ``_prompt_item_cut`` over several lines. Every item before it must be
    one of the prompt's, so an answer that shortens names is left alone."""
    if "\n" not in text or not text[-1].isalnum():
        return None
    items = _prompt_items(instruction, at_least=2)
    if not items:
        return None
    parts = [part.strip().lower() for line in text.splitlines() if line.strip()
             for part in re.split(r"[,;]|\band\b", line.split(":", 1)[-1]) if part.strip()]
    *earlier, last = parts
    if len(earlier) >= 2 and all(part in items for part in earlier) and last not in items \
            and any(item.startswith(last) and len(item) - len(last) >= 2 for item in items):
        return "cut_word"
    return None


def _holds_name(prompt: str, name: str) -> bool:
    """``prompt`` writes ``name`` as a word or words of its own."""
    return re.search(rf"(?<![\w'’-]){re.escape(name)}(?![\w'’-])", prompt) is not None


def _next_number(text: str, number: int) -> bool:
    """``number`` follows the numbered list above it (the items before it run 1, 2, ... ``number`` - 1)."""
    return _next_after([int(n) for n in _NUMBERED.findall(text)], number, 1)


def _next_after(numbers: list[int], number: int, at_least: int) -> bool:
    """``numbers`` (at least ``at_least`` of them) run 1, 2, ... and ``number`` comes next."""
    return len(numbers) >= at_least and number == len(numbers) + 1 and numbers == list(range(1, number))


def _bracket_opened_on_last_line(line: str) -> bool:
    """``line`` opens a round or square bracket it does not close."""
    return line.count("(") > line.count(")") or line.count("[") > line.count("]")


def _inline_marker_next(text: str) -> bool:
    """The text stops on the next marker of an inline numbered list ("1) ..., 2) ..., 3)")."""
    last = re.search(r"(?:^|\s)\(?(\d{1,2})[.)]$", text)
    if last is None:
        return False
    numbers = [int(n) for n in re.findall(r"(?:^|\s)\(?(\d{1,2})[.)]\s+\S", text[: last.start() + 1])]
    return _next_after(numbers, int(last.group(1)), 2)


def _short_item(text: str) -> str | None:
    """A list of two or more items whose last item is one word after items of at least
    ``SHORT_ITEM_EARLIER_WORDS`` words each: a cut after the item's first word."""
    items = _list_lines(text)
    if len(items) < 2:
        return None
    return _one_word_last([len(_MARKER.sub("", item, count=1).split()) for item in items])


COMMA_ITEMS = 4  # short_comma_item: the comma list's items, the last one among them, at least
_ITEM_LINE_LABEL = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])?\s*(?:[^:,\n]{1,40}:\s*)?")


def _short_comma_item(text: str) -> str | None:
    """``short_item`` for a comma list on the last line: the last of ``COMMA_ITEMS`` or more items is one word
    (not "etc") after items of two to four words each, all of them capitalized or none, and no "and" / "or"
    closes the list."""
    line = text.rsplit("\n", 1)[-1]
    if line.count(",") < COMMA_ITEMS - 1:
        return None
    items = [item.split() for item in _ITEM_LINE_LABEL.sub("", line, count=1).split(",")]
    last = items[-1]
    if len(items) < COMMA_ITEMS or len(last) != 1 or not last[0].isalpha() or last[0].lower() in ("etc", "and", "or"):
        return None
    if not all(2 <= len(item) <= 4 for item in items[:-1]):
        return None  # (an empty item, "Plums,,, r", too)
    capitals = {item[0][:1].isupper() for item in items}  # items of one kind: "rector of X, near Y, Sussex" is not
    return "short_item" if len(capitals) == 1 else None


def _one_word_last(sizes: list[int]) -> str | None:
    return "short_item" if sizes[-1] == 1 and min(sizes[:-1]) >= SHORT_ITEM_EARLIER_WORDS else None


def _labelled_short_item(text: str) -> str | None:
    """``short_item`` for items labelled "Day 1:", "Step 2:" ... at the end of the text ("Day 1: Visit ...\n\nDay
    2: Spend ...\n\nDay 3: Wander"); read before the verse test, which such short lines may pass."""
    labelled: list[str] = []
    for line in reversed([ln for ln in text.splitlines() if ln.strip()]):
        match = _LABELLED_ITEM.match(line)
        if match is None:
            break
        labelled.insert(0, match.group(1))
    return _one_word_last([len(item.split()) for item in labelled]) if len(labelled) >= 3 else None


def _tag_line(line: str) -> bool:
    """The last sentence of ``line`` is mostly hashtags: a tweet's tag line ("#AIforEveryone #AI revolution")."""
    tokens = _SENTENCE_SPLIT.split(line)[-1].split()
    return sum(token.startswith("#") for token in tokens) * 2 >= len(tokens)


def _fragment(text: str, settings: TruncationSettings) -> str | None:
    """Prose that stops without sentence punctuation on a fragment much shorter than its own sentences."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    last = lines[-1]
    if not last[-1].isalnum() or (("-" in last or "–" in last or "—" in last) and _ATTRIBUTION.search(last)) \
            or _IDIOM_END.search(last, max(0, len(last) - 40)):
        return None  # a quotation's author, an idiom that ends a sentence ("... and then some")
    if _LIST_ITEM.match(last) or ("#" in last and (_HASHTAGS.search(last) or _tag_line(last))) \
            or (("://" in last or "www." in last) and _URL_END.search(last)) or last.endswith(":"):
        return None
    if len(lines) > 1 and len(last.split()) <= 4 and all(w[:1].isupper() or not w[:1].isalpha()
                                                          for w in last.split()):
        return None  # a signature, a name, a heading
    if len(lines) > 1 and lines[-2].endswith(",") and len(lines[-2].split()) <= 4 and len(last.split()) <= 4:
        return None  # a signature under a letter's closing ("Lots of Love,\n\nWilf x")
    prose = [ln for ln in lines if not _LIST_ITEM.match(ln)]
    sentences = [s for ln in prose for s in _SENTENCE_SPLIT.split(ln) if s.strip()]
    if len(sentences) < settings.fragment_min_sentences + 1:
        return None
    complete = [len(s.split()) for s in sentences[:-1] if s.rstrip("\"'”’)] ")[-1:] in _TERMINAL]
    if len(complete) < settings.fragment_min_sentences:
        return None
    fragment = len(sentences[-1].split())
    if _OPTIONS.fullmatch(sentences[-1].strip()):
        return None  # the options after a question ("... in Antarctica? Yes/No")
    if fragment < settings.fragment_ratio * statistics.median(complete):
        return "fragment"
    return None


def truncation_reason(response: str, instruction: str = "", settings: TruncationSettings | None = None,
                      input_text: str = "") -> str | None:
    """Why ``response`` looks cut off (one of the module docstring's reasons), or None. ``input_text``: the
    row's input, whose words a cut name may begin."""
    text = response.rstrip()
    if not text:
        return None
    return _reason(text, instruction, settings or TruncationSettings(), looks_like_code(text), input_text)


# A row's verse test, asked by both _reason and _prose_end: the last few answers are kept.
_verse = lru_cache(maxsize=8)(looks_like_verse)


_INITIAL_ITEM = re.compile(rf"^\s*(?:{_MARKERS})\s+[A-Z]$")  # a marked item of one capital letter ("7. U")


def _longer_items_before(text: str) -> bool:
    """The marked items before the last have a word of two letters or more each: the list is not one of letters."""
    earlier = [ln for ln in text.splitlines()[:-1] if _LIST_ITEM.match(ln)]
    return bool(earlier) and all(re.search(r"[^\W\d_]{2}", _MARKER.sub("", ln, count=1)) for ln in earlier)


# Verse forms and their lines; a poem asked for with its number of lines ("a 4-line poem", "a poem with five lines")
_VERSE_FORM_LINES = {"haiku": 3, "limerick": 5, "sonnet": 14, "couplet": 2, "quatrain": 4, "tercet": 3, "cinquain": 5}
_ASKS_TO_WRITE = re.compile(r"(?i)^\s*(?:please\s+)?(?:write|compose|create|generate|make|produce|craft|come up with|"
                            r"construct|pen)\b")
_SEVERAL_POEMS = re.compile(r"(?i)\b(?:haikus|limericks|sonnets|couplets|quatrains|poems|verses|stanzas|songs|each)\b")
_LINE_COUNT = re.compile(rf"(?i)\b(\d{{1,2}}|{'|'.join(_COUNT_WORDS)})[- ]lines?\b")
_VERSE_FORM = re.compile(rf"(?i)\b(?:a|an|one)\s+(?:[\w-]+\s+){{0,2}}({'|'.join(_VERSE_FORM_LINES)})\b")


_LINE_BREAK_TAG = re.compile(r"(?i)<br\s*/?>")


@lru_cache(maxsize=8)
def _asked_verse_lines(instruction: str) -> int | None:
    """The lines of the one poem ``instruction`` asks to write: a form's ("Write a haiku about autumn." -> 3) or a
    count it gives ("Compose a 4-line poem"), or None."""
    if not _ASKS_TO_WRITE.match(instruction) or not _VERSE_WORDS.search(instruction) \
            or _SEVERAL_POEMS.search(instruction):
        return None
    if (count := _LINE_COUNT.search(instruction)) is not None:
        number = count.group(1).lower()
        return int(number) if number.isdigit() else _COUNT_WORDS[number]
    form = _VERSE_FORM.search(instruction)
    return _VERSE_FORM_LINES[form.group(1).lower()] if form is not None else None


def _short_verse(text: str, instruction: str) -> bool:
    """A poem with fewer lines than its form or the instruction gives it ("Write a haiku" answered by two lines,
    or "Budding blossom brings/New life to"), where the answer shows its lines (line breaks or slashes)."""
    asked = _asked_verse_lines(instruction)
    if asked is None:
        return False
    lines = [ln for ln in _LINE_BREAK_TAG.sub("\n", text).splitlines() if ln.strip()]  # "<br>" breaks lines too
    if len(lines) == 1:  # lines written with slashes: "Budding blossom brings/New life to", not "and/or"
        lines = [part for part in text.split("/") if part.strip()]
        if any(len(part.split()) < 2 for part in lines):
            return False
    return 1 < len(lines) < asked


_ASKS_FOR_A_POEM = re.compile(r"(?i)\b(?:poem|poetry|haiku|limerick|sonnet|ode|ballad|acrostic)s?\b")
# ... of one line or phrase, or a line of one ("Write a one-line poem", "a title for the poem", "a line of poetry")
_ASKS_FOR_ONE_LINE = re.compile(r"(?i)\b(?:lines?|titles?|slogans?|phrases?|taglines?|words?|sentences?|names?|couplets?|"
                                r"mottos?)\b|\bone[- ]line|\bsingle\b")
ONE_LINE_POEM_WORDS = 10  # _one_line_poem: a poem's one line, at most


def _one_line_poem(text: str, instruction: str) -> bool:
    """A poem asked for, answered by one short line with no line breaks or slashes ("Generate a haiku about the
    mountains." -> "Majestic peaks so high"): its first line alone. Of the 117 poems asked for in Alpaca, Alpaca
    t45 and Dolly none is answered so."""
    return "\n" not in text and "/" not in text and len(text.split()) <= ONE_LINE_POEM_WORDS \
        and _ASKS_TO_WRITE.match(instruction) is not None and _ASKS_FOR_A_POEM.search(instruction) is not None \
        and not _SEVERAL_POEMS.search(instruction) and not _ASKS_FOR_ONE_LINE.search(instruction)


_ASKS_FOR_A_RECIPE = re.compile(r"(?i)\brecipes?\b")
_ASKS_ABOUT_INGREDIENTS = re.compile(r"(?i)\bingredients?\b")
_INGREDIENTS_HEADING = re.compile(r"(?im)^[ \t]*(?:#+[ \t]*|\*\*)?ingredients\b")
_STEPS_HEADING = re.compile(r"(?im)^[ \t]*(?:#+[ \t]*|\*\*)?(?:instructions|directions|method|steps|preparation|"
                            r"procedure|how to make)\b")


def _recipe_without_steps(text: str, instruction: str) -> bool:
    """A recipe asked for (not its ingredients alone) that has its "Ingredients" heading but no heading for its steps
    ("Instructions", "Directions", "Method" ...): cut inside the ingredients or right after them."""
    return _ASKS_FOR_A_RECIPE.search(instruction) is not None and not _ASKS_ABOUT_INGREDIENTS.search(instruction) \
        and _INGREDIENTS_HEADING.search(text) is not None and _STEPS_HEADING.search(text) is None


_ASKS_TO_WRITE_A_LETTER = re.compile(r"(?i)^\s*(?:please\s+)?(?:write|compose|draft|create|generate|craft)\b"
                                     r"[^.?!\n]{0,60}\b(?:e-?mail|letter)\b")
_GREETING_LINE = re.compile(r"(?im)^[ \t]*(?:dear|hi|hello|hey|greetings)\b[^\n]{0,60}$")
# A valediction: a closing word ("Sincerely", "Warmest regards", "Lots of love") or any short line ending in a comma
_CLOSING_LINE = re.compile(r"(?im)^[ \t]*(?:sincerely|regards|best|warm|warmest|kind|kindest|thanks|thank you|cheers|"
                           r"yours|respectfully|cordially|with|all the best|love|lots of love|take care|talk soon|"
                           r"see you|looking forward|hope|gratefully|faithfully|truly|affectionately|xoxo)\b|"
                           r"^[ \t]*[A-Z][^\n,.!?]{0,30},[ \t]*$")


def _letter_without_closing(text: str, instruction: str) -> bool:
    """A letter or e-mail asked for that opens with a greeting line ("Dear Ms. Lee,") and has no closing after it
    ("Sincerely,", "Best regards", "Lots of Love,"): cut before its end."""
    if _ASKS_TO_WRITE_A_LETTER.search(instruction) is None:
        return False
    greeting = _GREETING_LINE.search(text)
    return greeting is not None and _CLOSING_LINE.search(text, greeting.end()) is None


def _lacks_its_end(text: str, instruction: str) -> bool:
    """The kind of text the instruction asks for has parts this one lacks: a poem's lines, a recipe's steps, a
    letter's closing (``missing_items``)."""
    return _short_verse(text, instruction) or _one_line_poem(text, instruction) \
        or _recipe_without_steps(text, instruction) \
        or _letter_without_closing(text, instruction)


# A song's or poem's section label with nothing under it ("Chorus:", "[Verse 2]"): the section was cut
_EMPTY_SECTION = re.compile(r"^\s*(?:(?:Verse|Chorus|Bridge|Outro|Intro|Pre-Chorus|Refrain|Hook|Stanza)(?: \d+)?:"
                            r"|\[(?:Verse|Chorus|Bridge|Outro|Intro|Pre-Chorus|Refrain|Hook)[^\]\n]*\])\s*$")
# A quiz question's line ("Q: Who wrote ...", "Question 3: ..."), and a prompt that asks for the answer with it
_QUESTION_LINE = re.compile(r"^\s*(?:Q|Question)\s*\d*\s*[:.)]\s*\S")
_ASKS_FOR_ANSWERS = re.compile(r"(?i)\banswers?\b|\bjokes?\b|\briddles?\b|\bquiz\b|\bfaq\b|\bq\s*(?:&|and)\s*a\b")


def _unanswered_question(text: str, last_line: str, instruction: str) -> str | None:
    """The text stops on a quiz question's line ("Q: ..."): ``fragment`` when the question itself stops
    without punctuation ("Q: Who wrote"), ``missing_items`` when it is whole but its answer is missing, where
    earlier questions have "A:" lines or the prompt asks for answers too. None of the 91,475 clean texts ends
    on such a line."""
    if not _QUESTION_LINE.match(last_line):
        return None
    if text[-1:].isalnum():
        return "fragment"
    answered = re.search(r"(?m)^\s*(?:A|Answer)\s*\d*\s*[:.)]", text) is not None
    return "missing_items" if answered or _ASKS_FOR_ANSWERS.search(instruction) else None


def _one_word_reason(text: str, instruction: str, input_text: str) -> str | None:
    """``_reason`` of a one-word answer, judged only where one word cannot answer: an opening word where a sentence
    is asked for, one item for a request for several or to class several, a lead-in, or, outside word games, a
    word cut short or one capital letter."""
    word_game = _word_task(instruction)[1]
    if not word_game and _opening_word_only(text, instruction):
        return "dangling_word"
    reason = _one_item(text, instruction) or ("missing_items" if _classes_one_item(text, instruction, input_text)
                                              else None) or _lead_in(text, instruction)
    if reason or word_game or _NON_WORD_TASK.search(instruction):
        return reason
    cut = _unlisted_last_word(text) or _short_answer_cut(text, instruction) \
        or _lone_letter_answer(text, instruction, input_text)
    return "cut_word" if cut else None


def _reason(text: str, instruction: str, settings: TruncationSettings, code: bool, input_text: str = "") -> str | None:
    """``truncation_reason`` of a right-stripped, non-empty text whose ``looks_like_code`` is ``code``."""
    if code or _DEFINITION_FIRST.match(text):
        return _code_cut(text)
    if _sql_stops_on_keyword(text):  # SQL on one line, not read as code: "SELECT * FROM"
        return "code_cut"
    last_line = text.splitlines()[-1]
    if reason := _unanswered_question(text, last_line, instruction):
        return reason
    if _EMPTY_SECTION.match(last_line) and "\n" in text:
        return "empty_item"  # "... the stars are bright\n\nChorus:": a song's next section, cut before its lines
    if _INITIAL_ITEM.match(last_line) and _longer_items_before(text):
        return "cut_word"  # "6. Use e-tickets instead of paper\n7. U": an item cut after its first letter
    if _BARE_MARKER.match(last_line) and len([ln for ln in text.splitlines() if ln.strip()]) >= 2:
        return "empty_item"
    if "<" in last_line and _UNCLOSED_TAG.search(last_line) and _TAG.search(text):
        return "code_cut"  # markup not read as code that stops inside a tag ("</button>\n<button")
    if (number := _LONE_NUMBER.fullmatch(last_line.strip())) and _next_number(text, int(number.group(0))):
        return "empty_item"  # "4. Natural Language Processing Engineer\n5": the next marker without its dot
    if text[-1] in _TERMINAL or (text[-1] in _CLOSERS and text.rstrip(_CLOSERS)[-1:] in _TERMINAL):
        if _INITIALS_END.search(text[-END_WORD_CHARS:]):
            return "dangling_word"  # "... by J. R. R.": a name's initials without the name
        if _lacks_its_end(text, instruction):
            return "missing_items"  # a poem cut after a whole line, a recipe after its ingredients, a letter
        # a list cut after a complete item: fewer items than asked for, nothing after them
        if _LIST_ITEM.match(last_line) and sum(map(bool, map(_LIST_ITEM.match, text.splitlines()))) >= 2:
            return _missing_items(text, instruction) or _few_items(text, instruction) or _announced_items(text)
        return "missing_items" if "\n" in text and _answers_first_items(text, instruction) \
            or _LIST_ITEM.match(last_line) and (_few_items(text, instruction) or _announced_items(text)) \
            or not _LIST_ITEM.match(last_line) and (_announces_more(text) or _one_item_after_colon(text)) else None
    verse = _verse(text, instruction, settings.verse_max_line_words)
    if text[-1] in ".)" and re.search(r"(?:^|[\s:])\(?\d{1,2}[.)]$", text) and not re.search(r"\d[.)]\s*\d{1,2}[.)]$", text) \
            and (re.search(r"[:\n]\s*\(?\d{1,2}[.)]$", text) or _list_lines(text[: text.rfind(" ")] or "")):
        return "empty_item"  # "... are: 1)"
    if text[-1] in "'’" and not verse and _cut_after_apostrophe(text):
        return "cut_word"
    if text[-1] in ".)" and _inline_marker_next(text):
        return "empty_item"  # "1) encrypting data, 2) using ..., 3)"
    if text[-1] in "#@" and (len(text) == 1 or text[-2].isspace()):
        return "dangling_punct"  # a hashtag or handle cut after its sign
    if text[-1] == ";" and re.search(r"&#?\w+;$", text):
        return None  # an HTML entity ("&nbsp;") is markup, not a dangling semicolon
    if text[-1] in ",，、;；(（[{–—&" or text.endswith((" -", " :", " =", " +", " /")):
        if _salutation(text) or _same_as_earlier_items(text):
            return None
        return "dangling_punct"
    if text[-1] == ":" and not _same_as_earlier_items(text) and not _code_line(last_line) \
            and (not verse or _KEY_VALUE_LINES.search(text[: -len(last_line)] if last_line else text)):
        return "dangling_punct"  # in a "Name: value" list too ("Stan: Kid\nKyle: Kid\nButters:")
    if len(_words(text)) < settings.min_words and not _UNSPACED.search(text):
        return _one_word_reason(text, instruction, input_text)
    word_order = _word_task(instruction)[0]
    # a list of short lines is read as verse; only a poem asked for may end a line on "at" or "for"
    reason = None if word_order else _dangling_word(text, verse and _asks_for_verse(instruction), instruction)
    if reason:
        return reason
    if not word_order and _NAME_PART_END.search(text[-END_WORD_CHARS:]):
        return "dangling_word"
    prompt = f"{instruction}\n{input_text}"
    if not word_order and not _NON_WORD_TASK.search(instruction) \
            and (cut_word(text[-CUT_WORD_CONTEXT:], prompt=instruction, verse=verse or _asks_for_verse(instruction))
                 or _begins_a_word_above(text, prompt) or _cut_value(text) or _cut_line_start(text)
                 or _unlisted_last_word(text) or _capitalized_cut(text) or _short_answer_cut(text, instruction)
                 or _cut_prompt_name(text, prompt) or _cut_prompt_initial(text, prompt)
                 or cut_name(text[-CUT_WORD_CONTEXT:])):
        return "cut_word"
    if _lacks_its_end(text, instruction):
        return "missing_items"  # after the text's own end evidence (a dangling word, a cut word) is read
    lines = "\n" in text
    if lines:  # read before the verse test, which lists of short lines pass
        reason = ("list_item" if _unkeyed_last_line(text) or _unclassed_last_line(text, prompt) else None) \
            or _classed_lines_cut(text, instruction) \
            or ("missing_items" if _answers_first_items(text, instruction) else None) \
            or _labelled_short_item(text) or _missing_items(text, instruction) \
            or (_few_items(text, instruction) or _announced_items(text) if _LIST_ITEM.match(last_line) else None)
        if reason:
            return reason
    if verse:
        # a round or square bracket its last line opened never closes, in short lines too ("-Etching (mainly")
        return "open_bracket" if _bracket_opened_on_last_line(last_line) else None
    if not (("$" in text or "\\" in text) and _LATEX.search(text)):
        reason = _open_bracket(text)
        if reason:
            return reason
    return (_list_item(text, settings) or _short_item(text) or _short_comma_item(text)
            or (None if lines else _missing_items(text, instruction) or _one_item(text, instruction)
                or _prompt_item_cut(text, instruction)
                or ("missing_items" if _classes_one_item(text, instruction, input_text)
                    or _names_one_of_several(text, instruction) else None)
                or (_few_items(text, instruction) if _LIST_ITEM.match(last_line) else None))
            or _fragment(text, settings) or _too_short(text, instruction)
            or (None if lines else _lead_in(text, instruction) or _intro_clause(text, instruction)
                or ("too_short" if _prompt_phrase_only(text, instruction) else None))
            or (None if _LIST_ITEM.match(last_line) else _announces_more(text) or _one_item_after_colon(text)))


def _code_cut(text: str) -> str | None:
    """``code_cut`` when code stops where no program can: on an opening bracket, a comma, ``=`` or ``+``; on
    a block header with no body (``for x in xs:``) or a header left unfinished (``for i in``); with a bracket
    or a double quote its last line opened and never closed (``print("The``); on a lone name that begins
    one defined above (``calcu`` after ``calculate_mean``); on a keyword that needs more (``if``); or an SQL
    statement on a keyword."""
    if text[-1] in _CODE_OPEN_END or _sql_stops_on_keyword(text):
        return "code_cut"
    if text.endswith("```"):
        return None
    head, _, last = text.rpartition("\n")
    if _CODE_BLOCK_HEADER.match(last) or _CODE_OPEN_HEADER.match(last) or _CODE_BARE_KEYWORD.match(last):
        return "code_cut"
    if sum(map(last.count, "([{")) > sum(map(last.count, ")]}")) or (last.count('"') % 2 and '"""' not in last):
        return "code_cut"
    if _UNCLOSED_TAG.search(last):
        return "code_cut"  # markup that stops inside a tag ("<button")
    name = last.strip()
    if len(name) >= 3 and _IDENTIFIER.fullmatch(name) and _begins_only(name, set(_IDENTIFIER.findall(head))):
        return "code_cut"
    return None


def _sql_stops_on_keyword(text: str) -> bool:
    """An SQL statement that stops on a keyword that needs more after it ("SELECT * FROM"), or a SELECT list
    that never reaches its FROM ("SELECT title, author"; not "SELECT 1" nor "SELECT NOW()")."""
    return _SQL_STATEMENT.match(text) is not None and _SQL_OPEN_KEYWORD.search(text) is not None \
        or _SQL_SELECT_ONLY.match(text) is not None


def prose_end(response: str, instruction: str = "", settings: TruncationSettings | None = None) -> bool:
    """A response whose last line reads as prose (not code, verse, a list item, a heading or a word list):
    the rows on which a file's habit of ending with sentence punctuation is measured."""
    text = response.rstrip()
    return bool(text) and _prose_end(text, instruction, settings or TruncationSettings(), looks_like_code(text))


_NUMBERED_LABEL = re.compile(r"^\s*([A-Z][a-z]+)\s+\d{1,3}\s*[-–—:.)]\s*(?=\S)")  # "Scene 4 - ", "Week 2: "


def _prose_end(text: str, instruction: str, settings: TruncationSettings, code: bool) -> bool:
    """``prose_end`` of a right-stripped, non-empty text whose ``looks_like_code`` is ``code``."""
    if code or _UNSPACED.search(text[-20:]):
        return False
    last = text.splitlines()[-1].strip()
    label = _NUMBERED_LABEL.match(last)
    if label or _LIST_ITEM.match(last):
        # "Scene 4 - ..." under "Scene 3 - ...", or a marked item: a list item reads as prose when it is the only
        # one, or holds sentences of its own
        if label:
            content = last[label.end():]
            only_item = not any((other := _NUMBERED_LABEL.match(ln)) and other.group(1) == label.group(1)
                                for ln in text.splitlines()[:-1])
        else:
            content = _MARKER.sub("", last, count=1)
            only_item = not any(_LIST_ITEM.match(ln) for ln in text.splitlines()[:-1]) \
                and not re.match(r"^\s*\(?[A-Ea-e][.)]", last)  # "A) ..." copies an answer option
        if not (only_item or re.search(r"[a-z]{2}[.!?][\"')\]]?\s+[A-Z]", content)):
            return False
        last = content
    split = last.split()
    if "=" in last or sum(map(str.isalpha, split)) < 0.5 * len(split):
        return False  # equations, codes
    short = len(split) == 2 and split[0] in _FRAGMENT_STARTS and split[1][:1].islower()
    if len(split) < 3 and not short or ("#" in last and (_HASHTAGS.search(last) or _tag_line(last))) \
            or (("://" in last or "www." in last) and _URL_END.search(last)):
        return False
    if last.count(",") >= 2:
        parts = [p.split() for p in last.split(",")]
        if max(map(len, parts)) <= 3 and not any(w.lower() in _LIST_DANGLING for p in parts for w in p):
            return False  # a word list: "dog, cat, hat"
    if ":" in last and (len(last.split(":")[-1].split()) <= 3 or len(last.split(":")[0].split()) <= 3):
        return False  # "Verbs: walked, quickly", "Dependent variable: grade received for the exam"
    if (("-" in last or "–" in last or "—" in last) and _ATTRIBUTION.search(last)) \
            or len(_INLINE_NUMBERED.findall(last)) >= 2:
        return False  # a quotation's author, an inline numbered list
    words = [w for w in split if w[0].isalpha()]  # split() gives no empty words
    if len(words) >= 3 and sum(1 for w in words if w[0].isupper()) >= 0.6 * len(words):
        return False  # a headline or title
    return not _verse(text, instruction, settings.verse_max_line_words)


def bare_end(response: str, instruction: str = "", settings: TruncationSettings | None = None,
             input_text: str = "") -> bool:
    """Prose that stops on a lower-case word with no sentence punctuation ("... in which the pH"): a cut
    where the file's other prose ends with punctuation, a habit in human-written files (see noise.py). Not
    where the prompt (``instruction`` and ``input_text``) ends a line or a quotation the same way, nor where the text
    rewrites an input that ends bare: an edited sentence or a chosen option keeps the bare end it was given."""
    text = response.rstrip()
    if not _BARE_WORD_END.search(text) or not prose_end(text, instruction, settings):
        return False
    return _bare_end_of_prose(text, instruction, settings or TruncationSettings(), input_text)


ECHO_WORDS = 3  # _echoes_prompt_end: the response's last words that must end a line or quotation of the prompt
_QUOTE_OR_LINE_END = r"(?:[\"'”’)\]]+[.!?:]?)?[ \t]*(?:\n|$)"


def _echoes_prompt_end(text: str, prompt: str) -> bool:
    """The last ``ECHO_WORDS`` words of ``text`` end a line, a quotation or the whole of ``prompt`` there too,
    with no sentence punctuation ("Edit the sentence: ... from the from the mountain was incredible")."""
    words = text.split()[-ECHO_WORDS:]
    if len(words) < ECHO_WORDS or not prompt:
        return False
    echo = r"(?<!\S)" + r"\s+".join(map(re.escape, words)) + _QUOTE_OR_LINE_END
    return re.search(echo, prompt, re.IGNORECASE) is not None


REWRITE_SHARED_WORDS = 0.5  # _rewrites_bare_input: the share of the two texts' distinct words they have in common


def _rewrites_bare_input(text: str, input_text: str) -> bool:
    """``text`` rewrites an ``input_text`` that itself ends on a word without punctuation: at least
    ``REWRITE_SHARED_WORDS`` of their distinct words in common ("The man was so malevolent, his laugh sounded
    abrasive" -> "... so malicious, his laugh sounded harsh")."""
    source = input_text.rstrip()
    if not source[-1:].isalnum():
        return False
    ours, theirs = set(_WORD.findall(text.lower())), set(_WORD.findall(source.lower()))
    return bool(ours) and len(ours & theirs) >= REWRITE_SHARED_WORDS * len(ours | theirs)


def _bare_end_of_prose(text: str, instruction: str, settings: TruncationSettings, input_text: str = "") -> bool:
    """``bare_end`` of a right-stripped text that ``prose_end`` accepts."""
    if not (text[-1].isalnum() or text[-1] == "_") or not _BARE_WORD_END.search(text):
        return False
    # a lower-case last word, or any word or number at the end of a line that is not in Title Case; in a
    # response of at least bare_end_min_words (short bare answers are phrases, rewrites and word games),
    # or a two-word sentence opening ("The police")
    if _word_task(instruction)[1]:
        return False
    last = text.splitlines()[-1].split()
    opening = len(text.split()) == 2 and last[0] in _FRAGMENT_STARTS and last[1][:1].islower()
    if len(text.split()) < settings.bare_end_min_words and not opening:
        return False
    if _closed_series(_SENTENCE_SPLIT.split(text)[-1]):
        return False
    lower = sum(1 for w in last if w[:1].islower() and w not in _TITLE_SMALL_WORDS)
    return (last[-1][:1].islower() or lower >= (1 if len(last) >= 4 else 2)) \
        and not _echoes_prompt_end(text, f"{instruction}\n{input_text}") and not _rewrites_bare_input(text, input_text)


def truncation_suspect(response: str) -> bool:
    """Weaker hint: prose that stops without sentence punctuation after earlier sentences that had it."""
    text = response.rstrip()
    return bool(text) and _suspect(text, looks_like_code(text))


def _suspect(text: str, code: bool) -> bool:
    """``truncation_suspect`` of a right-stripped, non-empty text whose ``looks_like_code`` is ``code``."""
    if text[-1] in _TERMINAL_OR_CLOSER or code:
        return False
    last = text.splitlines()[-1]
    return bool(_SENTENCE_BEFORE.search(text)) and not _LIST_ITEM.match(last) \
        and not _HASHTAGS.search(last) and len(_words(text)) >= 8


@dataclass
class TruncationColumns:
    flag: pl.Series
    reason: pl.Series
    suspect: pl.Series
    summary: dict[str, Any]


def settings_from(ctx: AuditContext) -> TruncationSettings:
    """The ``noise.truncation_*`` rules as settings."""
    rule = lambda key, default: ctx.rule("noise", key, default)  # noqa: E731
    base = TruncationSettings()
    return TruncationSettings(
        min_words=int(rule("truncation_min_words", base.min_words)),
        fragment_ratio=float(rule("truncation_fragment_ratio", base.fragment_ratio)),
        fragment_min_sentences=int(rule("truncation_fragment_min_sentences", base.fragment_min_sentences)),
        list_punctuated_share=float(rule("truncation_list_punctuated_share", base.list_punctuated_share)),
        list_min_items=int(rule("truncation_list_min_items", base.list_min_items)),
        verse_max_line_words=int(rule("truncation_last_line_words", base.verse_max_line_words)),
        bare_end_min_words=int(rule("truncation_bare_end_min_words", base.bare_end_min_words)))


def _text_triples(table: pl.DataFrame, chunk: int = 65536) -> Iterator[tuple[str | None, str | None, str | None]]:
    """(response, instruction, input) per row, as Python strings a chunk of rows at a time (bounded memory)."""
    for start in range(0, table.height, chunk):
        part = table.slice(start, chunk)
        inputs = part["input"].to_list() if "input" in part.columns else [None] * part.height
        yield from zip(part["response"].to_list(), part["instruction"].to_list(), inputs, strict=True)


def truncation_columns(table: pl.DataFrame, ctx: AuditContext) -> TruncationColumns:
    """Per row: the reason a response looks cut (or null), the flag, and the weaker suspect column.

    A bare end (prose stopping on a word without sentence punctuation) is a cut only in a file whose prose
    otherwise ends with punctuation: when at most ``truncation_max_bare_end_share`` of a file's prose
    responses (at least ``truncation_min_prose_rows`` of them) end bare beyond the ``truncation_bare_per_strong``
    bare ends expected per row with strong evidence of a cut, each bare end is flagged
    (reason ``bare_end``); in a file that often drops its final full stop (human-written answers) it is only
    a suspect. The summary gives each file's share and whether the rule was used.

    In two phases: ``truncation_features`` (per row, any batch of rows) and ``truncation_finalize`` (each
    file's habit, over the gathered features)."""
    files = table["source_file"] if "source_file" in table.columns else pl.Series([""] * table.height, dtype=pl.String)
    return truncation_finalize(truncation_features(table, ctx), files, ctx)


# The per-row evidence ``truncation_finalize`` reads: the reason from the text alone, prose end, bare end.
FEATURE_COLUMNS = ("_trunc_reason", "_trunc_prose", "_trunc_bare", "_trunc_suspect")


def truncation_features(table: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
    """Per row of ``table``: the reason its response looks cut from its own text (or null), whether it ends
    as prose, whether that prose ends bare, and the suspect column."""
    settings = settings_from(ctx)
    reasons: list[str | None] = []
    prose: list[bool] = []
    bare: list[bool] = []
    suspect: list[bool] = []
    for response, instruction, input_text in _text_triples(table):
        text, instruction = (response or "").rstrip(), instruction or ""
        if not text:
            reasons.append(None)
            prose.append(False)
            bare.append(False)
            suspect.append(False)
            continue
        code = looks_like_code(text)  # once per row: the three judgements below all ask
        reason = _reason(text, instruction, settings, code, input_text or "")
        reasons.append(reason)
        is_prose = _prose_end(text, instruction, settings, code)
        prose.append(is_prose)
        is_bare = reason is None and is_prose and _bare_end_of_prose(text, instruction, settings, input_text or "")
        bare.append(is_bare)
        suspect.append(reason is not None or is_bare or _suspect(text, code))
    for cached in (_asks_for_verse, _word_task, _requested_items, _counts_no_items, _verse, _asks_for_items,
                   _asked_verse_lines):
        cached.cache_clear()  # the caches hold instructions and texts: free them with the table's strings
    return pl.DataFrame([pl.Series("_trunc_reason", reasons, dtype=pl.String),
                         pl.Series("_trunc_prose", prose, dtype=pl.Boolean),
                         pl.Series("_trunc_bare", bare, dtype=pl.Boolean),
                         pl.Series("_trunc_suspect", suspect, dtype=pl.Boolean)])


def truncation_finalize(features: pl.DataFrame, files: pl.Series, ctx: AuditContext) -> TruncationColumns:
    """Each file's habit of ending prose with punctuation (``files``: each row's source file) decides its
    bare ends; the columns and the summary of ``truncation_columns``."""
    max_share = float(ctx.rule("noise", "truncation_max_bare_end_share", 0.03))
    min_prose = int(ctx.rule("noise", "truncation_min_prose_rows", 50))
    per_strong = float(ctx.rule("noise", "truncation_bare_per_strong", 0.6))
    frame = features.select(pl.col("_trunc_reason"), pl.col("_trunc_prose"), pl.col("_trunc_bare")) \
        .with_columns(files.alias("_file"))
    per_file: dict[str, dict[str, Any]] = {}
    flagged_files = []
    counted = frame.group_by("_file", maintain_order=True).agg(  # files in order of first appearance
        pl.col("_trunc_prose").sum(), pl.col("_trunc_bare").sum(), pl.col("_trunc_reason").is_not_null().sum())
    for name, n_prose, n_bare, n_strong in counted.iter_rows():
        # The file's habit: bare ends beyond those its cuts explain. A random cut shows strong evidence
        # (a dangling word, comma, marker ...) or only a bare end in a ratio of about 10:7 (Alpaca and Dolly), so heavy
        # truncation does not pass for a habit of dropping full stops.
        habit = max(0.0, n_bare - per_strong * n_strong) / n_prose if n_prose else 0.0
        flagged = n_prose >= min_prose and habit <= max_share
        per_file[str(name)] = {"prose_rows": n_prose, "bare_end_rows": n_bare, "strong_rows": n_strong,
                               "bare_end_habit": round(habit, 4), "bare_end_flagged": flagged}
        if flagged:
            flagged_files.append(name)
    reason_series = frame.select(
        pl.when(pl.col("_trunc_reason").is_null() & pl.col("_trunc_bare") & pl.col("_file").is_in(flagged_files))
        .then(pl.lit("bare_end")).otherwise(pl.col("_trunc_reason")).alias("r"))["r"].rename("")
    counts = {r: int(k) for r, k in reason_series.drop_nulls().value_counts().iter_rows()}
    return TruncationColumns(flag=reason_series.is_not_null(), reason=reason_series,
                             suspect=features["_trunc_suspect"].rename(""),
                             summary={"reasons": dict(sorted(counts.items())), "files": per_file})
