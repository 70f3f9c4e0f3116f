"""Noise: empty fields, truncated responses (``audit/truncation.py``), unbalanced code fences, repetition,
leftover template syntax, HTML debris, URL/e-mail heavy responses, refusals and AI boilerplate, responses that repeat the
instruction, non-printable characters. Phrase lists and thresholds come from the rules (``noise``)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import ngrams, normalize_expr, units
from ift_data.audit.truncation import (
    FEATURE_COLUMNS,
    looks_like_code,
    truncation_features,
    truncation_finalize,
)

_FENCED = r"(?s)```.*?(```|$)"
_HTML = r"(?i)</?(div|span|p|br|a|td|tr|th|table|li|ul|ol|html|body|head|script|style|img|font|b|i|em|strong)\b[^>]*>|&(nbsp|amp|lt|gt|quot|apos|#\d+);"
# Template syntax, told apart from LaTeX and code braces: a placeholder or `{{ var }}` must not follow a word
# character, a backslash, ^, _, $ or } (LaTeX `\frac{a}{b}}`, `x^{2}}`, `\mathbf{{v}}`) nor an f-string's quote;
# `{{ ... }}` must hold a variable (with optional filters), not a dict or JSX object; `{% ... %}` a tag name.
_NOT_AFTER_CODE = r"(?:^|[^\w\\^_$}\"'`]|(?:^|[^\w])[\"'])"
_JINJA = (_NOT_AFTER_CODE + r"\{\{-?\s*[#/]?[A-Za-z_][\w.]*(?:\s*\|[^{}\n]*)?\s*-?\}\}"
          r"|\{%-?\s*[a-z_]+\b[^%\n]*-?%\}|<<[A-Z][A-Z0-9_]*>>")
_INLINE_CODE = r"`[^`\n]*`"
# Slots other template styles leave, outside code: an explicit fill-in bracket ("[insert name here]", "[Enter
# the text]"), "[[name]]", "<<<context>>>" and Alpaca's "<nooutput>" in any field; an upper-case slot in angle
# brackets ("<INPUT>", "<LINK TO ARTICLE>": not an HTML tag unless its name is a placeholder name) where the
# prompt is not about markup; printf and template-literal slots ("%s", "%(topic)s", "${topic}") in a field that
# is not code, where the prompt is not about code; in the prompt only, "$TOPIC" and "MAX_WORDS" (not where the
# prompt is about shells or code: "$PATH") and a positional field "{0}" (a set "{3}" in an answer is mathematics,
# "a game of {0}" is not).
_FILL_IN = (r"(?i)\[(?:insert|enter|fill in|add|put|type)\b[^\]\n]{0,60}\]|<no ?output>"
            r"|<(?:insert|enter|fill in|put|type)\b[^>\n]{0,60}>"
            r"|\[\[\s*[a-z_][a-z0-9_]*\s*\]\]|<{2,3}\s*[A-Za-z_][A-Za-z0-9_]*\s*>{2,3}"
            r"|(?-i:\b(?:INSERT|ENTER|YOUR)_[A-Z0-9_]+\b|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_HERE\b)")  # INSERT_TERM_HERE
_ANGLE_SLOT = r"<([A-Z][A-Z0-9_]*(?: [A-Z0-9_]+){0,5})>"
# An upper-case name of words joined by underscores in a prompt not about code: a variable its generator left
# unfilled ("Keep the answer under MAX_WORDS words", "Describe TOPIC_NAME")
_CONSTANT_SLOT = r"(?:^|[^\w$])[A-Z]{2,}(?:_[A-Z]{2,})+(?:[^\w(]|$)"
_DOLLAR_SLOT = r"(?:^|[^\w$\\])\$\{?(?:[A-Z][A-Z0-9_]{2,}|[a-z_][a-z0-9_]{2,})\}?(?:[^\w$]|$)"  # "$TOPIC", "$name"
_POSITIONAL_SLOT = _NOT_AFTER_CODE + r"\{\d{1,2}\}"
# ... in the answer only after a word of prose and where the row holds no mathematics ("a game of {0} or
# Blindfolded Drawing"; not "the set {0}", "x ∈ {0}", nor "The answer is {3}." to a question about a set)
_PROSE_POSITIONAL_SLOT = r"\b(?:of|a|an|the|is|are|and|or|to|for|with|like|as|in|on|by)\s+\{\d{1,2}\}"
_MATHEMATICS = r"(?i)[=∈∉⊂⊆∪∩∅\\^]|\b(?:sets?|subsets?|elements?|members?|empty|union|intersection|power|matrix|vector)\b"
# printf and template-literal slots ("%s", "%(topic)s", "${topic}"): in any field that is not code itself.
_FORMAT_SLOT = r"(?:^|[^\w%])%(?:\([A-Za-z_]\w*\))?[sd](?:[^\w]|$)|\$\{[A-Za-z_]\w*\}"
# An upper-case slot in square brackets ("[TOPIC]", "[NUMBER] minutes", "[MUSICAL PIECE]"; not a markdown link
# "[ISO8601](...)", a footnote "[T 1]" or a word kept on purpose: "[REDACTED]", "[SEP]"), and, in the prompt, a
# lower-case slot in angle brackets that is no HTML tag ("a list of <entity>", an input "<location>"; not
# "<mask>" of fill-in-the-blank tasks, nor Alpaca's "<noinput>", nor a format the prompt spells out).
_CAPS_BRACKET = r"\[([A-Z]{3,}[A-Z0-9_]*(?: [A-Z0-9_]+){0,3})\](?:[^(]|$)"
BRACKET_WORDS_MEANT = frozenset("REDACTED SIC NOTE EDIT UPDATE CLS SEP MASK UNK PAD BOS EOS INST SYS TODO FIXME "
                                "OOC LOL".split())
_LOWER_ANGLE = r"<([a-z_][a-z0-9_]{2,30})>"
# A Title Case slot in square brackets that names what goes there ("[Company Name]", "[Your Utility Provider]"),
# outside letters, e-mails and other templates a reader fills in ("Dear [Recipient Name]", "[Your Name]"), where
# it is a slot by design; and a blank of three or more underscores where the prompt asks for no blank to be filled
# and no form: in the answer ("Zubat: ___", "from ___ University"), in the input as a value or the whole field
# ("Sentence 2: ______"), not a line of underscores among others (a markdown rule).
_TITLE_SLOT = (r"\[(?:(?:Your|Insert)(?: [A-Z][a-z]+){1,4}|(?:[A-Z][a-z]+ ){0,3}(?:Name|Names|Company|Provider|Service|"
               r"Title|Address|Date|City|State|Country|Location|Number|Phone|Email|Amount|Price|Topic|Product|Brand|"
               r"Recipient|Employer|Organization|Website|URL|Link|Signature|Position|Department|School|University))\]"
               r"(?:[^(]|$)")
_TEMPLATE_TEXT = (r"(?im)\b(letter|e-?mail|note|message|memo|invitation|cover|template|form|speech|toast|card|script|"
                  r"post|tweet|ad|advert\w*|announcement|press release|resume|cv|contract|agreement|invoice|proposal|"
                  r"newsletter|greeting|reply|respond|response to)\b"
                  r"|^(?:dear|hi|hello|hey|greetings|to whom)\b|\b(?:sincerely|regards|cheers|yours)\b,?\s*$")
# The generator's own template run on into the answer: the next numbered example of a Self-Instruct-style prompt
# ("... the old man's violin.\n\n12. Instruction: Edit this text ...\n12. Input:").
_RUN_ON_EXAMPLE = r"(?m)^[ \t#/]*\d{1,3}\s*[.)]\s*Instruction\s*:"
_BLANK = r"(?m)^[^\n]*[^\s_][^\n]*_{3,}|_{3,}[^\n]*[^\s_]|\A\s*_{3,}\s*\z"
_BLANK_VALUE = r"(?m):[ \t]*_{3,}[ \t]*$|\A\s*_{3,}\s*\z"  # in the input: a value or the whole field ("$1 = ___ AUD" asks)
_BLANK_TASK = (r"(?i)\b(blanks?|fill|gaps?|missing|complete|completes|insert|replace|choose|select|words?|templates?|"
               r"forms?|worksheet|quiz|test|exercise|cloze|underscores?|lines?|signature)\b")
ANGLE_WORDS_MEANT = frozenset("mask noinput noinputs none nooutput blank".split())
# A str.format slot "{topic}" (a lower-case name) in a field that is not code, outside an f-string or a format
# the prompt spells out ("List them in the format {name} - {year}"); a field that is nothing but a slot ("${input}",
# "{text}", "%s") counts although its braces look like code.
_NAMED_SLOT = _NOT_AFTER_CODE + r"\{ ?([a-z][a-z0-9_]{1,30}) ?\}(?:[^}]|$)"  # "{topic}", "{ name }"
_WHOLE_SLOT = r"^\s*(?:\$?\{\{?\s*[A-Za-z_]\w*\s*\}\}?|%s)\s*$"
_FORMAT_SPELLED_OUT = r"(?i)\bformat\b|\btemplate\b|f-string"
_FORMAT_CALL = re.compile(r"\bf[\"']|\.format\(")  # an f-string or str.format call on the slot's line
_SHELL_WORDS = (r"(?i)\b(bash|shell|zsh|powershell|terminal|command[- ]line|environment variables?|env var|linux|unix|"
                r"script|makefile|perl|php|dockerfile|yaml|regex|regular expression|python|printf|sprintf|"
                r"format strings?|string formatting|javascript|typescript|template literals?|c\+\+|c#|java|golang|"
                r"ruby|code|program|function)\b")
HTML_TAGS = frozenset("a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption "
                      "cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset "
                      "figcaption figure font footer form h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins "
                      "kbd label legend li link main map mark meta meter nav noscript object ol optgroup option output "
                      "p param picture pre progress q s samp script section select small source span strong style sub "
                      "summary sup svg table tbody td template textarea tfoot th thead time title tr track u ul var "
                      "video wbr center".split())
# URLs hold only RFC 3986 characters, so one stops at CJK text or fullwidth punctuation after it (no space
# needed), and never ends on sentence punctuation; e-mail addresses are ASCII on both sides of the @.
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_URL_END = r"[A-Za-z0-9\-_~/#\[\]@$&()*+=%]"
_URL = (rf"(?i)(?:https?://|www\.){_URL_CHARS}*{_URL_END}"
        r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# An instruction that asks the assistant about itself: "I am an AI assistant ..." answers it, not refuses it.
_IDENTITY_QUESTION = (r"(?i)\b(who|what)\s+(are|r)\s+(you|u)\b|\bwhat(\s+is|'s)\s+your\s+name\b|\byour\s+identity\b"
                      r"|\b(introduce|describe)\s+yourself\b|\babout\s+yourself\b|\bwho\s+(made|created|built|trained|"
                      r"developed|programmed)\s+you\b|\bare\s+you\s+(an?\s+)?(ai|bot|robot|human|person|machine|chatbot|"
                      r"language\s+model|real|alive|sentient|conscious)\b|\bwhat\s+can\s+you\s+do\b")
# Control characters (C0, DEL and C1: U+0080-9F, cp1252 quotes read as Latin-1, "It\x92s"), U+FFFD, and
# invisible format characters that hide or reorder text: zero width space,
# bidi embeddings/overrides (U+202A-E) and isolates (U+2066-9), word joiner, a BOM inside text, tag
# characters (U+E0000-7F). Not ZWJ/ZWNJ (emoji, Persian, Indic scripts) nor LRM/RLM (bidi text).
_NONPRINTABLE = ("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\u200b\u202a-\u202e\u2060\u2066-\u2069\ufeff"
                 "\U000e0000-\U000e007f]")
# Tag characters are legitimate in one place: an emoji subdivision flag (black flag, tags, cancel tag).
ROW_CHUNK = 25_000  # rows per slice of the row-by-row checks
_TAG_FLAG = "\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
def repetition_ratio(text: str, n: int, min_units: int) -> float:
    """Share of the text's n-gram occurrences that repeat an earlier n-gram (0 for short texts)."""
    toks = units(text.lower())
    if len(toks) < min_units:
        return 0.0
    if n < 1 or len(toks) < n:  # the general n-gram count
        grams = Counter(ngrams(toks, n))
        total = sum(grams.values())
        return (total - len(grams)) / total if total else 0.0
    sliding = list(zip(*(toks[i:] for i in range(n)), strict=False))  # every n-gram once per occurrence
    return (len(sliding) - len(set(sliding))) / len(sliding)


def _contains_template(prose: pl.Series, template_re: str, markers: str) -> pl.Series:
    """``prose.str.contains(template_re)``, run only on texts that hold a brace, "<<" or a template marker
    (every other text cannot match, and the full pattern is slow on long texts)."""
    maybe = prose.str.contains("{", literal=True) | prose.str.contains("<<", literal=True)
    if markers:
        maybe = maybe | prose.str.contains(markers)
    found = pl.Series("flag_template_leftover", [False] * len(prose), dtype=pl.Boolean)
    rows = maybe.arg_true()
    if len(rows):
        found = found.scatter(rows, prose.gather(rows).str.contains(template_re))
    return pl.select(pl.when(prose.is_null()).then(None).otherwise(found)).to_series().alias(found.name)


def _other_slots(table: pl.DataFrame, placeholders: frozenset[str], markup_re: str) -> pl.Series:
    """Rows whose text holds a slot of ``_FILL_IN``, ``_ANGLE_SLOT``, ``_DOLLAR_SLOT``, ``_CONSTANT_SLOT``,
    ``_POSITIONAL_SLOT``, ``_FORMAT_SLOT``, ``_NAMED_SLOT``, ``_TITLE_SLOT`` or ``_BLANK`` (in the instruction: one
    the answer does not fill), or a field that is only a slot
    (``_WHOLE_SLOT``), outside code, or whose answer runs on into the generator's next example
    (``_RUN_ON_EXAMPLE``); read only on texts that hold one of their characters."""
    def strip(col: str) -> pl.Expr:
        return pl.col(col).fill_null("").str.replace_all(_FENCED, " ").str.replace_all(_INLINE_CODE, " ")

    frame = table.select(strip("instruction").alias("i"), strip("input").alias("n"), strip("response").alias("r"),
                         pl.concat_str([pl.col("instruction").fill_null(""), pl.col("input").fill_null("")],
                                       separator="\n").alias("p"))
    prompt = pl.concat_str(["i", "n"], separator="\n")
    every = pl.concat_str(["i", "n", "r"], separator="\n")
    maybe = frame.select(every.str.contains(r"[\[<$%{]|___|[A-Z]_[A-Z]|Instruction"))
    rows = maybe.to_series().arg_true()
    found = pl.Series("", [False] * table.height, dtype=pl.Boolean)
    if not len(rows):
        return found
    part = frame[rows]
    markup = part["p"].str.contains(markup_re) if markup_re != "(?i)" else pl.Series([False] * part.height)
    angle = [any(name.lower() not in HTML_TAGS or name.lower() in placeholders for name in names)
             for names in part.select(every.str.extract_all(_ANGLE_SLOT).list.eval(
                 pl.element().str.strip_chars("<>")))[:, 0].to_list()]
    not_about_code = ~pl.col("p").str.contains(_SHELL_WORDS)
    hit = part.select(
        every.str.contains(_FILL_IN)
        | ((prompt.str.contains(_DOLLAR_SLOT) | prompt.str.contains(_CONSTANT_SLOT)) & not_about_code)
        | prompt.str.contains(_POSITIONAL_SLOT)
        | (pl.col("r").str.contains(_PROSE_POSITIONAL_SLOT) & ~every.str.contains(_MATHEMATICS)))[:, 0]
    hit = hit | (pl.Series(angle, dtype=pl.Boolean) & ~markup)
    caps = [any(name.split()[0] not in BRACKET_WORDS_MEANT for name in names)
            for names in part.select(every.str.extract_all(_CAPS_BRACKET).list.eval(
                pl.element().str.extract(r"\[([^\]]*)\]", 1)))[:, 0].to_list()]
    lower_angle = [any(name not in HTML_TAGS and name not in ANGLE_WORDS_MEANT for name in names)
                   for names in part.select(prompt.str.extract_all(_LOWER_ANGLE).list.eval(
                       pl.element().str.strip_chars("<>")))[:, 0].to_list()]
    format_given = part.select(pl.col("p").str.contains(_FORMAT_SPELLED_OUT))[:, 0]
    hit = hit | part.select(pl.col("r").str.contains(_RUN_ON_EXAMPLE))[:, 0]
    hit = hit | _slots_where(part, every.str.contains(_TITLE_SLOT),  # the slower tests only where a slot is
                             ~pl.col("p").str.contains(_TEMPLATE_TEXT) & ~pl.col("r").str.contains(_TEMPLATE_TEXT)
                             & not_about_code)
    hit = hit | _slots_where(part, pl.col("n").str.contains(_BLANK_VALUE) | pl.col("r").str.contains(_BLANK),
                             ~pl.col("p").str.contains(_BLANK_TASK) & not_about_code)
    asked = part.select(pl.col("i").str.contains(_BLANK) & ~pl.col("p").str.contains(_BLANK_TASK)
                        & not_about_code)[:, 0].arg_true()
    if len(asked):  # a blank in the instruction that the answer does not fill
        unfilled = [not _blank_filled(i, r) for i, r in zip(part["i"].gather(asked).to_list(),
                                                              part["r"].gather(asked).to_list(), strict=True)]
        hit = hit | pl.Series("", [False] * part.height, dtype=pl.Boolean).scatter(asked, unfilled)
    markup_given = part.select(pl.col("p").str.contains("</", literal=True))[:, 0]
    hit = hit | pl.Series(caps, dtype=pl.Boolean) \
        | (pl.Series(lower_angle, dtype=pl.Boolean) & ~markup & ~format_given & ~markup_given)
    hit = hit | part.select(pl.any_horizontal(pl.col(c).str.contains(_WHOLE_SLOT) for c in ("i", "n", "r")))[:, 0]
    named = part.select(every.str.contains(_NAMED_SLOT))[:, 0] & ~format_given
    formats = part.select(not_about_code & every.str.contains(_FORMAT_SLOT))[:, 0]
    if named.any() or formats.any():  # slots judged field by field, outside code ('printf("%d", i);')
        texts = part.select("i", "n", "r").rows()
        hit = hit | pl.Series([(bool(n) and any(_named_slot(t) for t in row))
                               or (bool(f) and any(re.search(_FORMAT_SLOT, t)
                                                   and not looks_like_code(re.sub(_FORMAT_SLOT, " X ", t)) for t in row))
                               for n, f, row in zip(named.to_list(), formats.to_list(), texts, strict=True)],
                              dtype=pl.Boolean)
    return found.scatter(rows, hit)


def _slots_where(part: pl.DataFrame, found: pl.Expr, allowed: pl.Expr) -> pl.Series:
    """Rows of ``part`` where ``found`` holds, and ``allowed`` too (evaluated on those rows only)."""
    rows = part.select(found)[:, 0].arg_true()
    hit = pl.Series("", [False] * part.height, dtype=pl.Boolean)
    return hit.scatter(rows, part[rows].select(allowed)[:, 0]) if len(rows) else hit


_AFTER_BLANK = re.compile(r"_{3,}[\s_]*((?:[^\W_]+\W+){0,2}[^\W_]+)")


def _blank_filled(instruction: str, response: str) -> bool:
    """The response writes out the instruction's text around its blank, so the blank was a task to fill ("Add two
    adjectives: 'The _____ _____ cat purred.'" -> "The sleepy fluffy cat purred."), not a slot its generator
    left ("songs to play at a ___ party")."""
    found = _AFTER_BLANK.search(instruction)
    return found is not None and found.group(1).lower() in response.lower()


def _named_slot(text: str) -> bool:
    """``text`` (a field, code spans removed) holds a ``_NAMED_SLOT`` outside code and f-strings."""
    if "{" not in text or looks_like_code(re.sub(_NAMED_SLOT, " X ", text)):  # "... between {topic}" is no code
        return False
    for match in re.finditer(_NAMED_SLOT, text):
        end = text.find("\n", match.end())
        line = text[text.rfind("\n", 0, match.start()) + 1: end if end >= 0 else len(text)]
        if not _FORMAT_CALL.search(line):
            return True
    return False


# Flags of the row-by-row checks, in the order the summary and signals.parquet list them.
_CHECK_FLAGS = ("flag_empty_instruction", "flag_empty_response", "flag_unbalanced_code_fence", "flag_template_leftover",
                "flag_html_debris", "flag_refusal", "flag_repeats_instruction", "flag_nonprintable")


class NoiseSignal:
    """Per-row phase ``row_features`` (every check, and the truncation evidence, on any batch of rows),
    dataset phase ``finalize`` (each file's habit of ending prose with punctuation decides its bare ends)."""

    name: ClassVar[str] = "noise"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        return self.finalize(self.row_features(table, ctx), table, ctx)

    def row_features(self, batch: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
        """The row-by-row checks' flags, ``noise_url_share``, the raw repetition ratio and the truncation
        evidence (``truncation_features``), one row per row of ``batch``."""
        rule = lambda key, default=None: ctx.rule("noise", key, default)  # noqa: E731
        checks = _checks(rule)
        # Row by row checks, a slice of rows at a time: the copies of the texts the expressions make
        # (joined fields, code stripped, lower case) stay bounded at a million rows.
        frame = pl.concat([batch.slice(start, ROW_CHUNK).select(checks)
                           for start in range(0, max(batch.height, 1), ROW_CHUNK)])
        placeholders = frozenset(str(p).lower() for p in rule("placeholder_names", []))
        slots = pl.concat([_other_slots(batch.slice(start, ROW_CHUNK), placeholders, _markup_re(rule))
                           for start in range(0, max(batch.height, 1), ROW_CHUNK)])[: batch.height]
        frame = frame.with_columns(pl.col("flag_template_leftover") | slots)
        n, min_units = rule("repetition_ngram", 3), rule("repetition_min_units", 30)
        repetition = np.array([repetition_ratio(t, n, min_units)  # a chunk of rows at a time: bounded memory
                               for start in range(0, batch.height, ROW_CHUNK)
                               for t in batch["response"].slice(start, ROW_CHUNK).to_list()], dtype=np.float64)
        return pl.concat([frame, pl.DataFrame([pl.Series("_noise_repetition", repetition, dtype=pl.Float64)]),
                          truncation_features(batch, ctx)], how="horizontal")

    def finalize(self, features: pl.DataFrame, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        """Thresholds on the gathered ratios, the truncation decision per file, the counts."""
        rule = lambda key, default=None: ctx.rule("noise", key, default)  # noqa: E731
        repetition = features["_noise_repetition"].to_numpy()
        flags = {c: features[c] for c in _CHECK_FLAGS}
        flags["flag_repetition"] = pl.Series(repetition > rule("max_repetition", 0.5))
        flags["flag_url_heavy"] = features["noise_url_share"] > rule("max_url_share", 0.5)
        files = table["source_file"] if "source_file" in table.columns \
            else pl.Series([""] * table.height, dtype=pl.String)
        truncation = truncation_finalize(features.select(FEATURE_COLUMNS), files, ctx)
        flags["flag_truncated_response"] = truncation.flag
        summary = {name: int(values.sum()) for name, values in flags.items()}
        return SignalResult(columns={"noise_repetition": pl.Series(repetition.round(6)),
                                     "noise_url_share": features["noise_url_share"].round(6),
                                     "noise_truncation_reason": truncation.reason,
                                     "noise_truncation_suspect": truncation.suspect},
                            flags=dict(flags), summary={"flagged": summary, "truncation": truncation.summary})


def _markup_re(rule: Any) -> str:
    """Words of a prompt about markup (``noise.markup_words``): HTML in its answer is asked for."""
    return "(?i)" + "|".join(re.escape(w) for w in rule("markup_words", []))


def _checks(rule: Any) -> list[pl.Expr]:
    """The row-by-row checks as polars expressions over the audit table's text columns."""
    placeholders = "|".join(re.escape(p) for p in rule("placeholder_names", []))
    markers = "|".join(re.escape(m) for m in rule("template_markers", []))
    placeholder_re = rf"{_NOT_AFTER_CODE}\{{({placeholders})\}}" if placeholders else ""
    template_re = "|".join(x for x in (placeholder_re, _JINJA, markers) if x)
    refusals = [p.lower() for p in rule("refusal_phrases", [])]
    identity = {p.lower() for p in rule("identity_phrases", [])}
    refusal_re = "|".join(re.escape(p) for p in refusals)
    # To an identity question only refusals proper count, not the assistant saying what it is.
    other_refusal_re = "|".join(re.escape(p) for p in refusals if p not in identity)
    markup_re = _markup_re(rule)
    all_text = pl.concat_str(["instruction", "input", "response"], separator="\n")
    prose = all_text.str.replace_all(_FENCED, " ").str.replace_all(_INLINE_CODE, " ")
    response = pl.col("response")
    url_chars = response.str.extract_all(_URL).list.eval(pl.element().str.len_chars()).list.sum()
    prompt_norm = normalize_expr(pl.col("instruction"))
    input_norm = normalize_expr(pl.col("input"))
    resp_norm = normalize_expr(response)
    return [
        (pl.col("instruction").str.strip_chars() == "").alias("flag_empty_instruction"),
        (response.str.strip_chars() == "").alias("flag_empty_response"),
        (response.str.count_matches("```") % 2 == 1).alias("flag_unbalanced_code_fence"),
        (prose.map_batches(lambda texts: _contains_template(texts, template_re, markers), return_dtype=pl.Boolean)
         if template_re else pl.lit(False)).alias("flag_template_leftover"),
        (prose.str.contains(_HTML) & ~pl.concat_str(["instruction", "input"]).str.contains(markup_re))
        .alias("flag_html_debris"),
        (url_chars.fill_null(0) / response.str.len_chars().clip(lower_bound=1)).alias("noise_url_share"),
        (pl.when(pl.col("instruction").str.contains(_IDENTITY_QUESTION))
         .then(response.str.to_lowercase().str.contains(other_refusal_re) if other_refusal_re else pl.lit(False))
         .otherwise(response.str.to_lowercase().str.contains(refusal_re) if refusal_re else pl.lit(False))
         .alias("flag_refusal")),
        ((resp_norm != "") & ((resp_norm == prompt_norm) | (resp_norm == (prompt_norm + " " + input_norm))))
        .alias("flag_repeats_instruction"),
        all_text.str.replace_all(_TAG_FLAG, "").str.contains(_NONPRINTABLE).alias("flag_nonprintable"),
    ]
