"""The one YAML loader for every config file: recipes, task specs, template packs, rules, chat formats.

PyYAML's ``SafeLoader`` underneath (no python/object tags; a caller may name extra tags, read as plain
mappings), plus what it lacks: a key given twice in one mapping is refused, every mapping and list
remembers its line (:class:`YamlMap`, :class:`YamlList`), and resource bombs become one-line errors
instead of hangs or tracebacks: alias expansion is bounded ("billion laughs"), so are nesting depth,
integer size and file size.
"""

from __future__ import annotations

import functools
import hashlib
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ift_data.config.brief import brief, one_line
from ift_data.errors import SpecError, UserError

MAX_FILE_BYTES = 16 * 2**20
MAX_DEPTH = 64
# Aliases may make a document at most this many times larger than its text (and never larger than
# MIN_EXPANSION_BUDGET below that): size counts one per node plus the characters of each scalar.
EXPANSION_FACTOR = 10
MIN_EXPANSION_BUDGET = 100_000
MAX_INT_BITS = 14_284  # about 4,300 decimal digits, Python's own limit for int <-> str
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlMap(dict[Any, Any]):
    """A mapping read from YAML; ``line`` is where it starts and ``key_lines`` where each key is (1-based)."""

    __slots__ = ("line", "key_lines")

    def __init__(self, items: Any = (), line: int | None = None, key_lines: dict[Any, int] | None = None) -> None:
        super().__init__(items)
        self.line = line
        self.key_lines: dict[Any, int] = key_lines or {}

    def line_of(self, key: Any) -> int | None:
        """The line of ``key`` when it is present, else the line of the mapping."""
        return self.key_lines.get(key, self.line)


class YamlList(list[Any]):
    """A list read from YAML; ``line`` is where it starts and ``item_lines[i]`` where item ``i`` starts."""

    __slots__ = ("line", "item_lines")

    def __init__(self, items: Iterable[Any] = (), line: int | None = None, item_lines: list[int] | None = None) -> None:
        super().__init__(items)
        self.line = line
        self.item_lines: list[int] = item_lines or []

    def line_of(self, index: int) -> int | None:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_of(value: Any, key: Any = None) -> int | None:
    """The line of ``value`` (or of ``key``/index inside it) when it was read by :func:`load_yaml`."""
    if isinstance(value, YamlMap | YamlList):
        return value.line if key is None else value.line_of(key)
    return None


def plain(value: Any) -> Any:
    """``value`` with every :class:`YamlMap`/:class:`YamlList` turned into a plain dict/list (for values
    handed to code that serializes them)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class LimitError(ComposerError):
    """A document past one of the loader's bounds (aliases, depth, integer size)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that measures each node's expanded size and depth while composing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.budget = max(MIN_EXPANSION_BUDGET, EXPANSION_FACTOR * len(text))
        self.depth = 0
        self.sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, expanded depth)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self.sizes:
                raise LimitError(f"alias *{brief(event.anchor)} refers to a node that contains it", event.start_mark)
            node = self._compose(parent, index)
            if self.depth + self.sizes[id(node)][1] > MAX_DEPTH:
                raise LimitError(f"nesting deeper than {MAX_DEPTH} levels (through alias *{brief(event.anchor)})",
                                 event.start_mark)
            return node
        event = self.peek_event()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        node = self._compose(parent, index)
        self.depth -= 1
        self._measure(node)
        return node

    def _compose(self, parent: Node | None, index: Any) -> Node:
        return cast(Node, super().compose_node(parent, index))

    def _measure(self, node: Node) -> None:
        if isinstance(node, ScalarNode):
            self.sizes[id(node)] = (1 + len(node.value), 1)
            return
        children = node.value if isinstance(node, SequenceNode) else [n for pair in node.value for n in pair]
        measured = [self.sizes[id(child)] for child in children]
        size = 1 + sum(s for s, _ in measured)
        depth = 1 + max((d for _, d in measured), default=0)
        if size > self.budget:
            raise LimitError(f"aliases expand this document past {self.budget:,} nodes and characters "
                             "(a 'billion laughs' file?)", node.start_mark)
        self.sizes[id(node)] = (size, depth)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        if not isinstance(node, ScalarNode):
            return super().construct_object(node, deep)
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            # PyYAML's scalar constructors trust the resolver; an explicit tag (`!!int ""`, `!!bool maybe`,
            # `!!timestamp x`) reaches them with text they cannot read.
            raise ConstructorError(None, None, f"{brief(node.value)} is not a valid {_tag(node.tag)} value",
                                   node.start_mark) from None

    def construct_undefined(self, node: Node) -> Any:
        raise ConstructorError(None, None, f"tag {brief(_tag(node.tag))} is not allowed here: config files hold "
                               "plain values only", node.start_mark)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        digits = self.construct_scalar(node).replace("_", "").lstrip("+-")
        if len(digits) > 4 * MAX_INT_BITS or (digits.isdecimal() and len(digits) > 4300):
            raise LimitError("integer too large (more than 4,300 digits)", node.start_mark)
        value = super().construct_yaml_int(node)
        if value.bit_length() > MAX_INT_BITS:
            raise LimitError("integer too large (more than 4,300 digits)", node.start_mark)
        return value


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _construct_map(loader: _SafeLoader, node: Node) -> YamlMap:
    if not isinstance(node, MappingNode):
        raise ConstructorError(None, None, f"tag {brief(_tag(node.tag))} must be on a mapping", node.start_mark)
    first: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(None, None, "a mapping key must be a plain value, not a list or mapping",
                                   key_node.start_mark) from None
        if key in first:
            raise ConstructorError(None, None, f"duplicate key {brief(key)} in one mapping (first on line "
                                   f"{first[key]})", key_node.start_mark)
        first[key] = key_node.start_mark.line + 1
    mapping = loader.construct_mapping(node, deep=True)  # flattens `<<` merges; explicit keys win
    key_lines = {loader.construct_object(k, deep=True): k.start_mark.line + 1 for k, _ in node.value}
    key_lines.update(first)
    return YamlMap(mapping, line=node.start_mark.line + 1, key_lines=key_lines)


def _construct_list(loader: _SafeLoader, node: Node) -> YamlList:
    if not isinstance(node, SequenceNode):
        raise ConstructorError(None, None, "expected a list", node.start_mark)
    items = [loader.construct_object(child, deep=True) for child in node.value]
    return YamlList(items, line=node.start_mark.line + 1, item_lines=[c.start_mark.line + 1 for c in node.value])


_SafeLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_SafeLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
_SafeLoader.add_constructor("tag:yaml.org,2002:int", _SafeLoader.construct_yaml_int)
_SafeLoader.add_constructor(None, _SafeLoader.construct_undefined)


@functools.lru_cache(maxsize=8)
def _loader_class(tags: frozenset[str]) -> type[_SafeLoader]:
    if not tags:
        return _SafeLoader
    class _TaggedLoader(_SafeLoader):
        pass

    for tag in sorted(tags):
        _TaggedLoader.add_constructor(tag, _construct_map)
    return _TaggedLoader


def parse_yaml(text: str, *, source: str, error: type[UserError] = SpecError, tags: Iterable[str] = ()) -> Any:
    """Parse one YAML document. ``tags`` names extra local tags (e.g. ``!Template``) read as plain mappings;
    any other tag, a duplicate key or a bound passed raises ``error`` naming ``source`` and the line."""
    try:
        loader = _loader_class(frozenset(tags))(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise error(_problem(exc), file=source, line=_line(exc, text)) from None


def read_text(path: Path, error: type[UserError] = SpecError) -> str:
    """A config file's text: a regular UTF-8 file of at most ``MAX_FILE_BYTES``; else a one-line ``error``."""
    return _read_text_hashed(path, error)[0]


def _read_text_hashed(path: Path, error: type[UserError]) -> tuple[str, str]:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise error("cannot read: not a regular file", file=str(path))
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise error(f"cannot read: larger than {MAX_FILE_BYTES // 2**20} MiB (too big for a config file)",
                    file=str(path))
    try:
        return data.decode("utf-8"), hashlib.sha256(data).hexdigest()
    except UnicodeDecodeError as exc:
        raise error(f"cannot read: not UTF-8 text (byte {exc.start})", file=str(path)) from None


def load_yaml(path: str | Path, *, error: type[UserError] = SpecError, tags: Iterable[str] = ()) -> Any:
    """Read and parse one YAML config file (see :func:`parse_yaml`)."""
    return load_yaml_hashed(path, error=error, tags=tags)[0]


def load_yaml_hashed(path: str | Path, *, error: type[UserError] = SpecError,
                     tags: Iterable[str] = ()) -> tuple[Any, str]:
    """(the parsed document, the sha256 of the very bytes parsed): a file edited while a run reads it
    can never be recorded with a hash of bytes the run did not use."""
    path = Path(path)
    text, sha256 = _read_text_hashed(path, error)
    return parse_yaml(text, source=str(path), error=error, tags=tags), sha256


def _problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"invalid YAML: character U+{exc.character:04X} is not allowed in YAML text"
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    return f"invalid YAML: {one_line(f'{context}: {problem}' if context else problem)}"


def _line(exc: yaml.YAMLError, text: str) -> int | None:
    if isinstance(exc, yaml.reader.ReaderError):
        return text.count("\n", 0, exc.position) + 1
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None
