"""Example builders for the chat tests."""

from __future__ import annotations

import pytest

from ift_data.schema import Example, Message, Provenance, Segment


def user(*parts: tuple[str, str]) -> Message:
    return Message("user", tuple(Segment(text, kind, "user") for kind, text in parts))


def assistant(*parts: tuple[str, str]) -> Message:
    return Message("assistant", tuple(Segment(text, kind, "assistant") for kind, text in parts))


def make_example(value: str = "a fine film", answer: str = "positive", shots: int = 0,
                 system: str | None = None, ident: str = "ex-0") -> Example:
    messages: list[Message] = []
    for shot in range(shots):
        messages += [user(("boilerplate", "Review: "), ("content", f"shot {shot}"), ("boilerplate", "\nSentiment?")),
                     assistant(("content", "negative"))]
    messages += [user(("boilerplate", "Review: "), ("content", value), ("boilerplate", "\nSentiment?")),
                 assistant(("boilerplate", "Answer: "), ("content", answer))]
    source = Provenance("sst2_sample", "sentiment", "sentiment-fwd-01", "forward", shots, "train.tsv:2")
    return Example(ident, source, tuple(messages), system=system)


@pytest.fixture
def example_factory():
    return make_example
