"""Atheris fuzz target for the sandboxed, span-tracked template renderer.

    python benchmarks/fuzz_templates.py --seconds 120

Any template body and values must render into spans that join to the plain render, or raise
``RenderError``; anything else (an escape, a crash, a memory bomb over -rss_limit_mb) is a finding.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from ift_data.templates.render import Renderer, RenderError, joined

RENDERER = Renderer()
PIECES = ["{{ text }}", "{{ answer }}", "{{ options }}", "{% if text %}", "{% endif %}", "{% for n in label_names %}",
          "{% endfor %}", "{{ n }}", "|upper", "|join(', ')", "''.__class__", "lipsum", "cycler.__init__", "* ",
          "** ", "10**9", "range(", ")", "(", "{{ ", " }}", "{% ", " %}", "'", '"', "[", "]", ".", "__globals__",
          "'{0:>{1}}'.format(", "'%*s' % (", "{% set ns = namespace(s=text) %}", "{% set ns.s = ns.s ~ ns.s %}",
          " ~ ", " + ", "|replace('', ", "|indent(", "|join", "{% for i in range(99999) %}", "{% set x %}",
          "{% endset %}", "999999", ".expandtabs("]


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    parts = []
    for _ in range(fdp.ConsumeIntInRange(0, 12)):
        parts.append(PIECES[fdp.ConsumeIntInRange(0, len(PIECES) - 1)] if fdp.ConsumeBool()
                     else fdp.ConsumeUnicodeNoSurrogates(8))
    body = "".join(parts)
    text = fdp.ConsumeUnicodeNoSurrogates(40)
    context = {"text": text, "answer": "yes", "options": "", "label_names": ["no", "yes"]}
    try:
        spans = RENDERER.render(body, context)
    except RenderError:
        return
    for piece, kind in spans:
        assert kind in ("boilerplate", "content") and piece
        assert "<class" not in piece or "<class" in body or "<class" in text
    try:
        RENDERER.plain_env.start()
        plain = RENDERER.plain_env.from_string(body).render(context).strip()
    except Exception:  # noqa: BLE001
        return
    assert joined(spans) == plain, (body, joined(spans), plain)


def main() -> None:
    from fuzz_main import fuzz

    fuzz(one_input, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
