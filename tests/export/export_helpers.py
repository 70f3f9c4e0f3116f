"""Example builders shared by the export tests (a uniquely named module, importable from tests)."""

from __future__ import annotations

from ift_data.schema import Example, Message, Provenance, Segment

CHATML_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>' }}"
    "{% if not loop.last %}{{ '\\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '\\n<|im_start|>assistant\\n' }}{% endif %}"
)


def build_example(value: str = "a fine film", answer: str = "positive", shots: int = 0,
                  system: str | None = None, ident: str = "ex-0") -> Example:
    def msg(role, *parts):
        return Message(role, tuple(Segment(text, kind, role) for kind, text in parts))

    messages: list[Message] = []
    for shot in range(shots):
        messages += [msg("user", ("boilerplate", "Review: "), ("content", f"shot {shot} was dull"),
                         ("boilerplate", "\nSentiment?")),
                     msg("assistant", ("content", "negative"))]
    messages += [msg("user", ("boilerplate", "Review: "), ("content", value), ("boilerplate", "\nSentiment?")),
                 msg("assistant", ("boilerplate", "Answer: "), ("content", answer))]
    source = Provenance("sst2_sample", "sentiment", "sentiment-fwd-01", "forward", shots, f"train.tsv:{ident}")
    return Example(ident, source, tuple(messages), system=system)


def sample_examples() -> list[Example]:
    return [
        build_example("a fine film", ident="ex-0"),
        build_example("dull, très long, 今天天气很好 🙂", "negative", shots=2, ident="ex-1"),
        build_example("", "positive", system="Be brief.", ident="ex-2"),
        build_example("uses {{ braces }} and ||| bars", "positive", ident="ex-3"),
    ]
