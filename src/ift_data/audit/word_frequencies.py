"""wordfreq's word frequencies, read from the lists in its wheel (nothing is downloaded) without wordfreq's
own caches, which keep every list twice (as read and as a dictionary: about 30 MB a language)."""

from __future__ import annotations

from functools import cache


@cache
def frequencies(lang: str, min_frequency: float = 0.0) -> dict[str, float]:
    """Word -> frequency for wordfreq's language code ``lang`` (its ``best`` list), the words at least
    ``min_frequency`` frequent only (a rare word's frequency tells little and costs memory)."""
    import wordfreq

    found: dict[str, float] = {}
    for index, bucket in enumerate(wordfreq.read_cBpack(wordfreq.available_languages("best")[lang])):
        frequency = wordfreq.cB_to_freq(-index)  # one float object for the whole bucket
        if frequency < min_frequency:
            break
        for word in bucket:
            found[word] = frequency
    return found
