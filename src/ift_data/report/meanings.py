"""One-line meanings of the audit's flags and figures, for a reader who has not read the docs.

Thresholds quoted here are the bundled defaults (``rules/default.yaml``); where the figure depends on the
rules in use, the text reads them from the audit's recorded rules instead (``flag_meaning`` does).
"""

from __future__ import annotations

import re
from typing import Any

FLAGS: dict[str, str] = {
    "exact_duplicate": "same text as an earlier row (one copy of each group is kept)",
    "near_duplicate": "almost the same words as another row (MinHash Jaccard >= {dedup_minhash.threshold})",
    "semantic_duplicate": "same meaning as another row (embedding cosine >= {dedup_semantic.threshold})",
    "conflict": "same prompt as other rows, but a materially different short answer",
    "label_noise": "its label disagrees, confidently, with a classifier trained on the other rows of its task",
    "outlier": "far from every other row in embedding space",
    "language_mismatch": "the response is in another language than the prompt",
    "too_long": "instruction + input + response longer than {length.max_chars} characters",
    "empty_instruction": "the instruction is empty",
    "empty_response": "the response is empty",
    "truncated_response": "the response seems cut off (stops mid-sentence, open bracket, ...)",
    "unbalanced_code_fence": "a ``` code fence is opened but never closed",
    "template_leftover": "unfilled template syntax such as {name} or {{ var }}",
    "html_debris": "HTML tags or entities left in the text",
    "refusal": "the response refuses or is AI boilerplate (\"As an AI ...\")",
    "repeats_instruction": "the response repeats the instruction",
    "nonprintable": "control or other non-printable characters",
    "repetition": "the response repeats itself (share of repeated n-grams > {noise.max_repetition})",
    "url_heavy": "most of the response is URLs or e-mail addresses",
}

FIGURES: dict[str, str] = {
    "flagged": "a row can carry several flags; it counts once here",
    "languages": "detected language per field; und = too short or unclear to tell",
    "difficulty": "a heuristic score in [0, 1] from length, reasoning and constraint words, steps asked "
                  "and readability: easy below {medium_from}, hard from {hard_from}, medium between",
    "distinct_1": "distinct words / all words of the instructions (higher: more varied)",
    "distinct_2": "distinct word pairs / all word pairs of the instructions",
    "verb_object.distinct_pairs": "different leading verb-object pairs (\"write poem\", \"list cities\")",
    "verb_object.share_with_pair": "share of instructions with such a pair (English-like ones)",
    "task_types.count": "categories in the data's category field",
    "dispersion": "mean cosine distance between rows (0: all alike, 1: unrelated)",
    "clusters.normalized_entropy": "how evenly rows spread over k-means clusters (1: evenly)",
    "masking": "loss masking to train with: response = loss on responses only; instruction = on "
               "instructions too",
    "R": "mean instruction length / mean response length, in {unit}",
    "clean": "what `ift-data clean` removes under the rules' clean.remove",
}


_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")  # {section.key} of the rules


def _rule(rules: dict[str, Any], dotted: str) -> str:
    section, key = dotted.split(".", 1)
    value = rules.get(section, {}).get(key)
    if isinstance(value, bool) or value is None:
        return "?"
    if isinstance(value, float):
        return f"{value:g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def flag_meaning(flag: str, family: str, rules: dict[str, Any]) -> str:
    """The meaning of ``flag`` (with or without the ``flag_`` prefix), thresholds from ``rules``; a flag
    this table does not know is named by the signal that wrote it."""
    name = flag.removeprefix("flag_")
    text = FLAGS.get(name)
    if text is None:
        return f"raised by the {family} signal (see docs/audit-examples.md)"
    return _PLACEHOLDER.sub(lambda m: _rule(rules, m.group(1)), text)
