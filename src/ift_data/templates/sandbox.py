"""The template sandbox: Jinja's immutable sandbox (no attribute escapes, no mutation) plus size and time
limits, because a template pack is untrusted code: the sandbox stops escapes, the limits stop memory and
CPU bombs.

What is bounded, per render (``LimitedSandbox.start`` opens a render's budget):
- every object an operation builds (``*``, ``+``, ``~``, ``%``, ``**``, every filter, every call such as
  ``str.format``/``replace``/``join``/``center``, block ``{% set %}`` and macro output) is checked BEFORE it
  is built where the size is predictable (repetition, concatenation, join, replace, indent, expandtabs,
  wordwrap/truncate strings, format widths and precisions, nested ``{1}`` fields included, ``%`` fields) and
  measured after: no object over ``MAX_STRING`` characters (items of lists and dicts counted recursively);
- the characters all operations of one render build together (``MAX_BUILT``), so loops that keep
  rebuilding a string (``ns.s ~ ns.s``, ``ns.s | escape``) stop early;
- loop iterations of one render (``MAX_ITERATIONS``, every ``{% for %}`` counts), so nested loops that
  write nothing stop too; ``range`` is Jinja's (at most 100,000 items);
- integer arguments (``MAX_SIZE``) and integers: the result of ``+ - * // % **`` (all intercepted), of a
  filter or of a call may not pass ``MAX_INT_BITS`` (about 4,300 decimal digits, what Python will print), refused
  before it is built for ``+ - * **``;
- the work of one render (``MAX_WORK``, units of about a nanosecond of CPU): every operation that reads its
  input whole pays for it before it runs, whatever it returns (a comparison, ``in``, a test, a filter, a str,
  bytes, list or tuple method, integer arithmetic, a slice), by ``work``: a character 1, an item of a list,
  tuple, dict, set or range ``ITEM_WORK``, an integer its 30-bit digits (products of digits for ``* // %``),
  times the operation's measured cost per unit where it is higher (``_FILTER_WORK``, ``_TEST_WORK``,
  ``_METHOD_WORK``); so a loop of 2M iterations, each scanning a 1M-character string (``s.count('x')``,
  ``'x' in s``, ``s == t``, ``s | wordcount``), stops early instead of running for minutes;
- filter calls of one render, each item that ``map``, ``select``, ``reject``, ``selectattr`` and
  ``rejectattr`` go through counted as one (``MAX_FILTER_CALLS``), and the
  work of the filters whose time is not linear in their output, predicted before they run: ``wordwrap``
  (its lines and chunks, ``MAX_WRAP_WORK``), ``batch`` and ``slice`` (their groups, ``MAX_GROUPS``).
``lipsum`` is removed (it drew from the global random state). Not bounded: the CPU time of one single
built-in call the tables do not price, on bounded inputs (e.g. a regex-free ``str.replace`` over 4M
characters, milliseconds).

``LocalMutationSandbox`` (promptsource packs only) also lets a template mutate the lists, dicts and sets it
built itself (``{% set xs = [] %}{{ xs.append(x) }}``, ``ns.d.update({...})``): a container reachable from
the render's context (the record's values, ``answer_choices``) stays immutable, every mutation is charged to
the render's budget and no container grows past ``MAX_SIZE`` items.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, Sized, ValuesView
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SandboxedFormatter

MAX_SIZE = 1_000_000  # largest int argument (a width, a count, a repetition)
MAX_STRING = 4_000_000  # largest object (characters, list items counted) one operation may build
MAX_BUILT = 8_000_000  # characters all operations of one render may build together
MAX_ITERATIONS = 2_000_000  # loop iterations of one render
MAX_INT_BITS = 14_300  # largest integer a template may compute, in bits (Python prints at most 4,300 digits)
MAX_WORK = 300_000_000  # work of one render, in units of about a nanosecond (see ``work``)
ITEM_WORK = 256  # work units of one item of a container or a range (walking one costs about 250 ns)
MAX_RENDER_CHARS = 20_000_000  # largest rendered text of one example
MAX_FILTER_CALLS = 100_000  # filter calls (and items of map/select ...) of one render: microseconds each
MAX_WRAP_WORK = 2_000_000  # wordwrap: 10 per line it writes + 1 per chunk it splits (about 0.5 s of CPU)
MAX_GROUPS = 100_000  # groups one ``batch`` or ``slice`` may make
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def weight(value: Any, limit: int = MAX_STRING) -> int:
    """Characters ``str(value)`` would hold, roughly: strings by length, containers by their items,
    counted until ``limit`` is passed (so measuring a huge object is cheap)."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + len(item)
            stack.extend(item)
        elif isinstance(item, Mapping):
            total += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 1
    return total


def work(value: Any, limit: int = MAX_WORK, per_char: int = 1, per_item: int = ITEM_WORK) -> int:
    """Work units (about a nanosecond each) of an operation that reads ``value`` whole: ``per_char`` a character
    of a string, ``per_item`` an item of a container or a range, one per 30-bit digit of an integer; counted
    until ``limit`` is passed (so pricing a huge object is cheap: walking an item costs about ``ITEM_WORK``)."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            total += per_char * len(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 30 + 1
        elif isinstance(item, list | tuple | set | frozenset | KeysView | ValuesView):
            total += per_item * (len(item) + 1)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, Mapping | ItemsView):
            total += per_item * (2 * len(item) + 1)
            if total <= limit:
                for key, val in item.items() if isinstance(item, Mapping) else item:
                    stack.append(key)
                    stack.append(val)
        elif isinstance(item, range):
            try:
                total += per_item * (len(item) + 1)
            except OverflowError:
                total += limit + 1
        else:
            total += 1
    return total


def _refuse(what: str, size: int, limit: int = MAX_STRING) -> SecurityError:
    return SecurityError(f"{what} would build {size:,} characters (limit {limit:,})")


def _check_args(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
            raise SecurityError(f"{name}: argument {value} is over the limit of {MAX_SIZE:,}")


def _number(digits: str | None) -> int:
    if not digits or digits == "*":
        return 0
    if len(digits) > len(str(MAX_SIZE)) or int(digits) > MAX_SIZE:
        raise SecurityError(f"format width or precision {digits[:12]} is over the limit of {MAX_SIZE:,}")
    return int(digits)


def _check_percent(fmt: str, args: Any) -> None:
    """Bound ``fmt % args`` before it runs: widths and precisions (``*`` ones come from ``args``)."""
    size = len(fmt)
    for width, precision, _ in _PERCENT_FIELD.findall(fmt):
        size += _number(width) + _number(precision)
    values = args if isinstance(args, tuple) else (args,)
    _check_args("%", values, {})
    size += sum(abs(v) for v in values if isinstance(v, int) and not isinstance(v, bool))
    if size > MAX_STRING:
        raise _refuse("%-formatting", size)


def _predicted(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """An upper bound of the result's size for the str/bytes operations that multiply their input (filter
    or bound method ``name``, the string first in ``args``); 0 when the result is no bigger than its input."""
    def arg(index: int, key: str, default: Any) -> Any:
        value = args[index] if len(args) > index else kwargs.get(key, default)
        return value if isinstance(value, str | bytes) else str(value)

    text: Any = args[0] if args and isinstance(args[0], str | bytes) else None
    if text is None:
        return 0
    newline, tab = ("\n", "\t") if isinstance(text, str) else (b"\n", b"\t")
    try:
        if name == "replace":
            old, new, count = arg(1, "old", ""), arg(2, "new", ""), args[3] if len(args) > 3 else kwargs.get("count")
            hits = text.count(old) if old else len(text) + 1
            if isinstance(count, int) and count >= 0:
                hits = min(hits, count)
            return len(text) + hits * len(new)
        if name == "indent":
            width = args[1] if len(args) > 1 else kwargs.get("width", 4)
            pad = len(width) if isinstance(width, str) else int(width)
            return len(text) + (text.count(newline) + 1) * pad
        if name == "expandtabs":
            return len(text) + text.count(tab) * int(args[1] if len(args) > 1 else kwargs.get("tabsize", 8))
        if name == "wordwrap":
            return len(text) * (1 + len(arg(3, "wrapstring", "\n") or "\n"))
        if name == "truncate":
            return len(text) + len(arg(3, "end", "..."))
        if name == "translate" and args[1:] and isinstance(args[1], Mapping):
            longest = max((weight(v) for v in args[1].values()), default=1)
            return len(text) * max(longest, 1)
    except TypeError:  # mixed str/bytes: the operation itself will refuse
        return 0
    return 0


def _check_work(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse, before it runs, a filter whose time grows faster than its output (``args``: the filter's
    arguments, its input first): ``wordwrap`` pays per line and per chunk (a 1M-character word wrapped at
    width 1 is 1M lines: seconds), ``batch`` and ``slice`` per group."""
    def arg(index: int, key: str, default: Any) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    value = args[0] if args else None
    if name == "wordwrap" and isinstance(value, str):
        width = arg(1, "width", 79)
        width = width if isinstance(width, int) and not isinstance(width, bool) and width > 0 else 1
        lines = value.count("\n") + 1 + len(value) // width
        chunks = value.count(" ") + value.count("\t") + (value.count("-") if arg(4, "break_on_hyphens", True) else 0)
        work = 10 * lines + chunks
        if work > MAX_WRAP_WORK:
            raise SecurityError(f"filter wordwrap would wrap {lines:,} lines of {len(value):,} characters (work "
                                f"{work:,}, limit {MAX_WRAP_WORK:,})")
    elif name in ("batch", "slice"):
        count = arg(1, "linecount" if name == "batch" else "slices", 1)
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            size = len(value) if isinstance(value, Sized) else 0  # an iterator: its producer was bounded
            groups = -(-size // count) if name == "batch" else count
            if groups > MAX_GROUPS:
                raise SecurityError(f"filter {name} would make {groups:,} groups (limit {MAX_GROUPS:,})")


def _join_items(items: Any, sep: Any) -> list[Any]:
    """The items of a join as a list, refused before joining when the result would be too big."""
    items = list(items)
    size = weight(items, MAX_STRING) + len(str(sep)) * max(len(items) - 1, 0)
    if size > MAX_STRING:
        raise _refuse("join", size)
    return items


def _charge(env: LimitedSandbox, what: str, result: Any) -> Any:
    if isinstance(result, int) and not isinstance(result, bool) and result.bit_length() > MAX_INT_BITS:
        raise _too_many_bits(what, result.bit_length())
    size = weight(result)
    if size > MAX_STRING:
        raise _refuse(what, size)
    env.spend(size)
    return result


_OBJECT_TEXT = (object.__repr__, object.__str__)  # a class that defines neither prints "<X object at 0x...>"


def text_problem(value: Any) -> str | None:
    """Why ``value`` has no text form of its own, or None: written out, a function, a method, a class, a
    generator, a range, a dict view or a Jinja helper object gives Python's repr (often with a memory address,
    so the bytes change from run to run), never data. Lists, tuples and dicts are checked item by item."""
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if isinstance(item, str | int | float | Undefined) or item is None:  # (bool is an int)
            continue
        if isinstance(item, list | tuple | dict):
            if id(item) not in seen:
                seen.add(id(item))
                stack.extend((*item.keys(), *item.values()) if isinstance(item, dict) else item)
            continue
        kind: Any = type(item)
        if isinstance(item, Iterator):
            return f"a generator or iterator ({kind.__name__}): add | list or | join"
        if isinstance(item, range | KeysView | ValuesView | ItemsView | set | frozenset):
            return f"a {kind.__name__} object: add | list (or | sort) or | join"
        if callable(item):
            return f"a function, method or class ({getattr(item, '__name__', kind.__name__)}), not a value"
        if kind.__module__.split(".")[0] == "jinja2" or (kind.__repr__, kind.__str__) == _OBJECT_TEXT:
            return f"a {kind.__name__} object, which has no text form"
    return None


def checked_text(value: Any) -> Any:
    """``value`` when it can be written as text (see ``text_problem``); else ``TemplateRuntimeError``."""
    problem = text_problem(value)
    if problem is not None:
        raise TemplateRuntimeError(f"the template writes {problem}")
    return value


def _too_many_bits(what: str, bits: int) -> SecurityError:
    return SecurityError(f"{what} would give an integer of {bits:,} bits (limit {MAX_INT_BITS:,})")


# Work per character and per item (as multiples of ``ITEM_WORK``) where it is over about 2 ns a character or
# 300 ns an item, measured on 1M characters of words and tags and on 100k-item lists; the rest cost 1 and 1.
# Free: filters and tests that never read their input whole, and the per-item filters (each item is counted).
_FILTER_WORK: dict[str, tuple[int, int]] = {
    "urlize": (500, 1), "title": (120, 1), "pprint": (60, 3), "wordcount": (40, 1), "striptags": (40, 1),
    "urlencode": (40, 1), "tojson": (10, 1), "xmlattr": (1, 5), "capitalize": (4, 1), "list": (4, 1),
    "sort": (1, 3), "groupby": (1, 3), "int": (3, 1), "escape": (3, 1), "e": (3, 1), "forceescape": (3, 1),
    "float": (2, 1),
    **dict.fromkeys(("length", "count", "attr", "default", "d", "first", "safe", "map", "select", "reject",
                     "selectattr", "rejectattr"), (0, 0)),
}
_TEST_WORK: dict[str, int] = {  # per character
    "lower": 3, "upper": 3,
    **dict.fromkeys(("defined", "undefined", "filter", "test", "none", "boolean", "false", "true", "integer",
                     "float", "string", "mapping", "number", "sequence", "iterable", "callable", "sameas",
                     "escaped"), 0),
}
_METHOD_WORK: dict[str, int] = {  # per character of the bound str or bytes; the other methods 1
    "translate": 25, "rsplit": 7, "swapcase": 6, "split": 5, "title": 5, "capitalize": 4, "islower": 3,
    "isupper": 3, "istitle": 3, "isidentifier": 2, "isprintable": 2, "isalnum": 2, "isalpha": 2,
    "isdecimal": 2, "isdigit": 2, "isnumeric": 2, "isspace": 2,
}
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gteq": operator.ge, "lt": operator.lt,
            "lteq": operator.le, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b}
_SCALARS = (int, float, bool, type(None))


def _limited_filter(env: LimitedSandbox, name: str, func: Any) -> Any:
    per_char, per_item = _FILTER_WORK.get(name, (1, 1))

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        env.call_filter_once(name)
        plain = [a for a in args if not _is_context(a)]
        _check_args(f"filter {name}", tuple(plain), kwargs)
        _check_work(name, tuple(plain), kwargs)
        if per_char or per_item:
            env.read((*plain, *kwargs.values()), f"filter {name}", per_char, per_item)
        if name == "format" and plain and isinstance(plain[0], str):
            _check_percent(plain[0], tuple(plain[1:]) or tuple(kwargs.values()))
        size = _predicted(name, tuple(plain), kwargs)
        if size > MAX_STRING:
            raise _refuse(f"filter {name}", size)
        if name == "string" and plain:
            checked_text(plain[0])
        if name == "join" and plain:
            at = next(i for i, a in enumerate(args) if not _is_context(a))
            sep = plain[1] if len(plain) > 1 else kwargs.get("d", "")
            args = (*args[:at], checked_text(_join_items(plain[0], sep)), *args[at + 1:])
        elif name in _PER_ITEM and plain and isinstance(plain[0], Iterable) and not isinstance(plain[0], Undefined):
            # a test, a filter or an attribute lookup per item: each item counts (None, Undefined: as Jinja does)
            at = next(i for i, a in enumerate(args) if not _is_context(a))
            args = (*args[:at], _counted_items(env, name, plain[0]), *args[at + 1:])
        return _charge(env, f"filter {name}", func(*args, **kwargs))

    return wrapper


def _limited_test(env: LimitedSandbox, name: str, func: Any) -> Any:
    """A test that pays for reading its arguments (``is in``, ``is eq``, ``is lower`` ...) before it runs."""
    per_char = _TEST_WORK.get(name, 1)
    if not per_char:
        return func

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        env.read((*(a for a in args if not _is_context(a)), *kwargs.values()), f"test {name}", per_char)
        return func(*args, **kwargs)

    return wrapper


# Filters that call a test, a filter or an attribute lookup once per item of their input (they only iterate it).
_PER_ITEM = frozenset({"map", "select", "reject", "selectattr", "rejectattr"})


def _counted_items(env: LimitedSandbox, name: str, items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        env.call_filter_once(name)
        yield item


def _is_context(value: Any) -> bool:
    return type(value).__name__ in ("Context", "EvalContext", "LimitedSandbox", "LocalMutationSandbox")


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` whose fields are checked after nested ``{1}`` fields are resolved."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.size = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        for digits in re.findall(r"\d+", format_spec):
            _number(digits)
        result = super().format_field(checked_text(value), format_spec)
        self.size += len(result)
        if self.size > MAX_STRING:
            raise _refuse("str.format", self.size)
        return result


class _Generator(CodeGenerator):
    """Jinja's code generator with ``~`` and every ``{% for %}`` routed through the environment."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    @optimizeconst
    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        """``a < b`` as ``environment.compare('lt', a, b)``; a chain ``a < b < c`` keeps Python's order and short
        circuit: each right side is a lambda, evaluated only when the comparison before it held."""
        if len(node.ops) == 1:
            self.write(f"environment.compare({node.ops[0].op!r}, ")
            self.visit(node.expr, frame)
            self.write(", ")
            self.visit(node.ops[0].expr, frame)
            self.write(")")
            return
        self.write("environment.compare_chain(")
        self.visit(node.expr, frame)
        self.write(", (")
        for operand in node.ops:
            self.write(f"({operand.op!r}, lambda: ")
            self.visit(operand.expr, frame)
            self.write("), ")
        self.write("))")

    @optimizeconst
    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        """Slices (which Jinja writes as plain Python, past ``environment.getitem``) through ``environment.sliced``,
        so that a copy is paid for."""
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        self.write("environment.sliced(")
        self.visit(node.node, frame)
        for part in (node.arg.start, node.arg.stop, node.arg.step):
            self.write(", ")
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
        self.write(")")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counter = nodes.EnvironmentAttribute("counted")
        if not (isinstance(node.iter, nodes.Call) and node.iter.node == counter):
            node.iter = nodes.Call(counter, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus the per-render limits in this module's docstring."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "-", "//"})
    code_generator_class = _Generator

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.finalize is None:  # (a renderer that tracks spans checks in its own finalize)
            self.finalize = checked_text
        self.filters = {name: _limited_filter(self, name, f) for name, f in self.filters.items()}
        self.tests = {name: _limited_test(self, name, f) for name, f in self.tests.items()}
        self.globals.pop("lipsum", None)
        self.built = 0
        self.iterations = 0
        self.filter_calls = 0
        self.worked = 0

    def start(self) -> None:
        """Open a new render's budget."""
        self.built = 0
        self.iterations = 0
        self.filter_calls = 0
        self.worked = 0

    def pay(self, units: int, what: str) -> None:
        """Charge ``units`` of work (see ``work``) to this render, before the operation runs."""
        self.worked += units
        if self.worked > MAX_WORK:
            raise SecurityError(f"the template's work passed the limit of {MAX_WORK:,} units in one render "
                                f"(the last operation: {what})")

    def read(self, values: tuple[Any, ...], what: str, per_char: int = 1, per_item: int = 1) -> None:
        """Charge reading ``values`` whole (``per_char`` and ``per_item`` times what ``work`` counts)."""
        limit = MAX_WORK - self.worked + 1
        units = 0
        for value in values:
            if isinstance(value, str | bytes | bytearray):  # the common case, cheaply
                units += per_char * len(value)
            elif not isinstance(value, _SCALARS):
                units += work(value, limit - units, per_char, per_item * ITEM_WORK)
        self.pay(units, what)

    def compare(self, op: str, left: Any, right: Any) -> Any:
        """A comparison or ``in``, paid for first: ``in`` reads its right side (a dict or set: hashes the left),
        the others read the shorter side."""
        if not (isinstance(left, _SCALARS) and isinstance(right, _SCALARS)):
            limit = MAX_WORK - self.worked + 1
            if op in ("in", "notin"):
                if isinstance(right, Mapping | set | frozenset | KeysView | ItemsView):
                    units = work(left, limit) + ITEM_WORK
                elif isinstance(right, str | bytes | bytearray):
                    units = work(left, limit) + len(right)
                else:
                    units = work(right, limit)
            else:
                units = min(work(left, limit), work(right, limit))
            self.pay(units, "in" if op in ("in", "notin") else "a comparison")
        return _COMPARE[op](left, right)

    def compare_chain(self, left: Any, ops: tuple[tuple[str, Any], ...]) -> Any:
        result: Any = True
        for op, right_side in ops:
            right = right_side()
            result = self.compare(op, left, right)
            if not result:
                return result
            left = right
        return result

    def sliced(self, obj: Any, start: Any, stop: Any, step: Any) -> Any:
        """``obj[start:stop:step]``; a copy of a string, bytes, list or tuple is charged like any object built."""
        result = obj[slice(start, stop, step)]
        if isinstance(result, str | bytes | bytearray | list | tuple):
            return _charge(self, "a slice", result)
        return result

    def call_filter_once(self, name: str) -> None:
        """Count one filter call (or one item a per-item filter goes through) of this render."""
        self.filter_calls += 1
        if self.filter_calls > MAX_FILTER_CALLS:
            raise SecurityError(f"over {MAX_FILTER_CALLS:,} filter calls in one render (the last: {name})")

    def spend(self, size: int) -> None:
        self.built += size
        if self.built > MAX_BUILT:
            raise SecurityError(f"the template built over {MAX_BUILT:,} characters in one render")

    def counted(self, iterable: Iterable[Any], *_: Any) -> Iterator[Any]:
        for item in iterable:
            self.iterations += 1
            if self.iterations > MAX_ITERATIONS:
                raise SecurityError(f"over {MAX_ITERATIONS:,} loop iterations in one render")
            yield item

    def concat(self, pieces: Iterable[str]) -> str:  # block set, macro and caller output
        if isinstance(pieces, list):
            size = sum(len(p) for p in pieces)
            if size > MAX_STRING:
                raise _refuse("a block", size)
            self.spend(size)
        return "".join(pieces)

    def bounded_concat(self, values: tuple[Any, ...]) -> str:
        size = weight(values, MAX_STRING)
        if size > MAX_STRING:
            raise _refuse("~", size)
        return _charge(self, "~", "".join(str(checked_text(v)) for v in values))

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool) \
                and not isinstance(right, bool):
            return self._integer_binop(operator_, left, right)
        if operator_ in ("-", "//"):
            return _charge(self, operator_, operator.sub(left, right) if operator_ == "-"
                           else operator.floordiv(left, right))
        if operator_ == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int) and not isinstance(times, bool):
                    if len(seq) * times > MAX_SIZE:
                        raise SecurityError(f"repetition would build {len(seq) * times:,} items (limit {MAX_SIZE:,})")
                    if weight(seq) * times > MAX_STRING:
                        raise _refuse("repetition", weight(seq) * times)
            return _charge(self, "*", operator.mul(left, right))
        if operator_ == "**":
            return _charge(self, "**", operator.pow(left, right))
        if operator_ == "+":
            if isinstance(left, str | bytes | list | tuple) and isinstance(right, str | bytes | list | tuple):
                size = weight(left) + weight(right)
                if size > MAX_STRING:
                    raise _refuse("+", size)
            return _charge(self, "+", operator.add(left, right))
        if isinstance(left, str | bytes):
            _check_percent(left.decode("latin-1") if isinstance(left, bytes) else left, checked_text(right))
        return _charge(self, "%", operator.mod(left, right))

    def _integer_binop(self, operator_: str, left: int, right: int) -> Any:
        """Integer arithmetic: a result over ``MAX_INT_BITS`` is refused before it is built (``+ - * **``; the
        results of ``//`` and ``%`` are no bigger than their operands), and the digits it works through are paid
        for first (a product of digits for ``*``, ``//`` and ``%``, whose schoolbook cost that is)."""
        bits_left, bits_right = left.bit_length(), right.bit_length()
        digits_left, digits_right = bits_left // 30 + 1, bits_right // 30 + 1
        if operator_ == "**":
            grows = right > 0 and abs(left) > 1
            estimate = (right * math.log2(abs(left)) if right <= MAX_INT_BITS else math.inf) if grows else 1.0
            if estimate > MAX_INT_BITS:
                raise SecurityError(f"a ** b would give an integer of over {MAX_INT_BITS:,} bits (the limit)")
            bits = 0
            units = (int(estimate) // 30 + 1) ** 2
        elif operator_ == "*":
            bits = bits_left + bits_right
            units = digits_left * digits_right
        elif operator_ in ("+", "-"):
            bits = max(bits_left, bits_right) + 1
            units = digits_left + digits_right
        else:
            bits = 0
            units = digits_left * digits_right
        if bits > MAX_INT_BITS:
            raise _too_many_bits(f"a {operator_} b", bits)
        self.pay(units, f"integer {operator_}")
        return _charge(self, operator_, self.binop_table[operator_](left, right))

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text, is_map = value.__self__, value.__name__ == "format_map"

        @functools.wraps(value)
        def bounded(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return _charge(self, "str.format", str(_BoundedFormatter(self).vformat(text, (), args[0])))
            return _charge(self, "str.format", str(_BoundedFormatter(self).vformat(text, args, kwargs)))

        return bounded

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        name = getattr(__obj, "__name__", "call")
        _check_args(name, args, kwargs)
        bound = getattr(__obj, "__self__", None)
        if isinstance(bound, str | bytes | bytearray):
            __self.read((bound, *args, *kwargs.values()), f"str.{name}", _METHOD_WORK.get(name, 1))
        elif isinstance(bound, list | tuple) and name in ("count", "index"):
            __self.read((bound, *args, *kwargs.values()), f"{type(bound).__name__}.{name}")
        elif args or kwargs:
            __self.read((*args, *kwargs.values()), name)
        if isinstance(bound, str | bytes):
            size = _predicted(name, (bound, *args), kwargs)
            if size > MAX_STRING:
                raise _refuse(f"str.{name}", size)
            if name == "join" and args:
                args = (_join_items(args[0], bound), *args[1:])
        return _charge(__self, name, super().call(__context, __obj, *args, **kwargs))


_MUTATORS: dict[type, frozenset[str]] = {
    list: frozenset({"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"}),
    dict: frozenset({"update", "pop", "popitem", "setdefault", "clear"}),
    set: frozenset({"add", "update", "discard", "remove", "pop", "clear", "difference_update",
                    "intersection_update", "symmetric_difference_update"}),
}


def container_ids(values: Iterable[Any], limit: int = MAX_SIZE) -> set[int]:
    """The ids of every list, dict and set reachable from ``values`` (at most ``limit`` containers walked)."""
    seen: set[int] = set()
    stack = list(values)
    while stack and len(seen) < limit:
        item = stack.pop()
        if isinstance(item, list | tuple | set | frozenset | dict):
            if id(item) in seen:
                continue
            if not isinstance(item, tuple | frozenset):
                seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return seen


class LocalMutationSandbox(LimitedSandbox):
    """``LimitedSandbox`` that also allows mutating the containers a template built during the render
    (see the module docstring); ``frozen`` holds the ids of the context's containers, set per render."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frozen: set[int] = set()

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """Raise at once: with Jinja's lenient ``Undefined`` (promptsource's), a refused attribute would
        otherwise render as empty text, silently."""
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not SandboxedEnvironment.is_safe_attribute(self, obj, attr, value):
            return False
        if type(obj) in _MUTATORS and attr in _MUTATORS[type(obj)]:
            return id(obj) not in self.frozen
        return super().is_safe_attribute(obj, attr, value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        bound = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(bound, list | dict | set) and name in _MUTATORS.get(type(bound), ()):
            if id(bound) in __self.frozen:  # (a method fetched before the render froze its owner)
                raise SecurityError(f"{type(bound).__name__}.{name}: the record's values are read-only")
            if name in ("extend", "update") or name.endswith("_update"):  # an iterator is counted, not trusted
                args = tuple(a if hasattr(a, "__len__") else list(__self.counted(a)) for a in args)
            added = sum(len(a) if name in ("extend", "update") or name.endswith("_update") else 1 for a in args)
            if len(bound) + added > MAX_SIZE:
                raise SecurityError(f"{type(bound).__name__}.{name} would hold over {MAX_SIZE:,} items")
            __self.spend(weight((args, kwargs)))
        return super().call(__context, __obj, *args, **kwargs)
