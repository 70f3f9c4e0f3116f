"""The answer-options block (FLAN 2022): absent, fixed ``OPTIONS:`` list, or randomized header and
marker style; the target may be the option text or its marker."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from ift_data.templates.render import SegmentedValue

FIXED_HEADER = "OPTIONS:"
RANDOM_HEADERS = ("OPTIONS:", "Options:", "Choose from:", "Pick one:", "Possible answers:",
                  "Select from the following:", "Answer choices:")
MarkerStyle = Callable[[int], str]
MARKER_STYLES: dict[str, MarkerStyle] = {
    "dash": lambda i: "-",
    "paren_upper": lambda i: f"({chr(65 + i)})",
    "upper_dot": lambda i: f"{chr(65 + i)}.",
    "lower_dot": lambda i: f"{chr(97 + i)}.",
    "paren_lower": lambda i: f"({chr(97 + i)})",
    "number_dot": lambda i: f"{i + 1}.",
}
EMPTY = SegmentedValue(())
_STYLE_NAMES = sorted(MARKER_STYLES)


def options_block(choices: Sequence[str], mode: str, rng: random.Random) -> tuple[SegmentedValue, list[str] | None]:
    """The block (starting with a newline) and the marker of each choice (None for dash markers)."""
    if mode == "none" or not choices:
        return EMPTY, None
    if mode == "fixed":
        header, style = FIXED_HEADER, "dash"
    else:
        header = RANDOM_HEADERS[rng.randrange(len(RANDOM_HEADERS))]
        style = _STYLE_NAMES[rng.randrange(len(_STYLE_NAMES))]
        if len(choices) > 26 and style != "number_dot":
            style = "dash"
    key = (header, style, *choices)
    try:
        made = _MADE.get(key)
    except TypeError:  # a choice that cannot be a key: make the block each time
        made = _block(choices, header, style)
    if made is None:
        if len(_MADE) >= _MADE_MAX:
            _MADE.clear()
        made = _MADE[key] = _block(choices, header, style)
    block, markers = made
    return block, None if markers is None else list(markers)


_MADE: dict[tuple[str, ...], tuple[SegmentedValue, tuple[str, ...] | None]] = {}  # blocks made (immutable)
_MADE_MAX = 4096


def _block(choices: Sequence[str], header: str, style: str) -> tuple[SegmentedValue, tuple[str, ...] | None]:
    marker = MARKER_STYLES[style]
    spans: list[tuple[str, str]] = []
    prefix = f"\n{header}"
    markers: list[str] = []
    for index, choice in enumerate(choices):
        markers.append(marker(index))
        spans.append((f"{prefix}\n{markers[-1]} ", "boilerplate"))
        spans.append((choice, "content"))
        prefix = ""
    return SegmentedValue(tuple(spans)), None if style == "dash" else tuple(markers)
