"""Atheris fuzz target for the config layer: the YAML loader and every reader built on it (recipes, task
specs, template packs, promptsource files, chat formats, audit rules, masking rules).

    python benchmarks/fuzz_config.py --seconds 120

Any text must load or raise a one-line ``UserError`` of bounded length; a loaded document never expands
past the loader's alias budget. Anything else (a traceback, a hang over -timeout, memory over
-rss_limit_mb) is a finding and stops the run with the input saved as ``crash-*``/``timeout-*``. Not part
of the test suite; needs ``pip install atheris``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from ift_data.audit.rules import load_rules
    from ift_data.builder.recipe import load_recipe
    from ift_data.chat.custom import load_custom_format
    from ift_data.chat.recommend import load_rules as load_masking_rules
    from ift_data.config import brief, parse_yaml, plain
    from ift_data.config.yaml_loader import EXPANSION_FACTOR, MIN_EXPANSION_BUDGET
    from ift_data.errors import UserError
    from ift_data.tasks.spec import load_task_spec
    from ift_data.templates.pack import load_pack
    from ift_data.templates.promptsource import PROMPTSOURCE_TAGS, import_promptsource

FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-config-"))
(FOLDER / "rows.jsonl").write_text('{"text": "a", "label": 0}\n', encoding="utf-8")
(FOLDER / "task.yaml").write_text("name: t\nfamily: sentiment\nsource: {format: jsonl, splits: {train: rows.jsonl}}\n"
                                  "fields: {text: text, label: label}\nlabels: [negative, positive]\n",
                                  encoding="utf-8")
PIECES = ["\n", "  ", "- ", ": ", ", ", "[", "]", "{", "}", "&a ", "&b ", "*a", "*b", "<<: ", "? ", "!Template ",
          "!TemplateMetadata ", "!!python/object/apply:os.system ", "!!binary ", "!!set ", "!!int ", "0x", "0b",
          "1:2:3", "9" * 50, ".nan", ".inf", "~", "null", "true", "'", '"', "|\n", ">\n", "---\n", "#", "\t",
          "name", "family", "templates", "datasets", "task: task.yaml", "mixing", "temperature", "few_shot", "k",
          "roles", "user", "assistant", "header", "label_noise", "max_clases", "extends", "default", "weights",
          "id", "variant", "input", "target", "jinja", "answer_choices", "{{ text }} ||| {{ label }}", "\x00",
          "\ufeff", "\u2028"]
READERS = [
    ("recipe.yaml", load_recipe), ("spec.yaml", load_task_spec), ("pack.yaml", load_pack),
    ("chat.yaml", load_custom_format), ("rules.yaml", load_rules), ("masking.yaml", load_masking_rules),
    ("templates.yaml", lambda path: import_promptsource(path, "fuzz")),
]


def _text(fdp: atheris.FuzzedDataProvider) -> str:
    if fdp.ConsumeBool():
        return fdp.ConsumeUnicodeNoSurrogates(4096)
    parts = []
    for _ in range(fdp.ConsumeIntInRange(0, 64)):
        parts.append(PIECES[fdp.ConsumeIntInRange(0, len(PIECES) - 1)] if fdp.ConsumeBool()
                     else fdp.ConsumeUnicodeNoSurrogates(6))
    return "".join(parts)


def _one_line(exc: UserError) -> None:
    message = exc.format()
    assert "\n" not in message and len(message) < 2000, brief(message)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    selector = fdp.ConsumeIntInRange(0, len(READERS))
    text = _text(fdp)
    if selector == len(READERS):
        try:
            loaded = parse_yaml(text, source="fuzz.yaml", tags=PROMPTSOURCE_TAGS if fdp.ConsumeBool() else ())
        except UserError as exc:
            _one_line(exc)
            return
        size = len(json.dumps(plain(loaded), default=str, skipkeys=True))
        assert size <= 8 * max(MIN_EXPANSION_BUDGET, EXPANSION_FACTOR * len(text)), size
        brief(loaded)
        return
    name, read = READERS[selector]
    path = FOLDER / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        read(path if name != "rules.yaml" else str(path))
    except UserError as exc:
        _one_line(exc)


def main() -> None:
    from fuzz_main import fuzz

    if not any(arg.startswith("-timeout=") for arg in sys.argv):
        sys.argv.append("-timeout=10")
    fuzz(one_input, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
