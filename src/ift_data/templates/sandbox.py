"""The template sandbox: Jinja's immutable sandbox (no attribute escapes, no mutation) plus size limits,
because a template pack is untrusted code: the sandbox stops escapes, the limits stop memory and CPU
bombs such as ``'a' * 10**10``, ``9 ** 9 ** 9``, ``'x' | center(10**10)``, ``'%999999999s' % x`` or a
loop that writes gigabytes."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Mapping
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SIZE = 1_000_000  # largest string/sequence a single operation may build, and largest int argument
MAX_POWER_BITS = 100_000  # largest result of ``**``, in bits
MAX_RENDER_CHARS = 20_000_000  # largest rendered text of one example
_WIDE_FORMAT = re.compile(r"\d{7,}")


def _check_args(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
            raise SecurityError(f"{name}: argument {value} is over the limit of {MAX_SIZE:,}")


def _limited_filter(name: str, func: Any) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_args(f"filter {name}", args, kwargs)
        if name == "format" and args and isinstance(args[0], str):
            _check_format(args[0])
        return func(*args, **kwargs)

    return wrapper


def _check_format(text: str) -> None:
    if _WIDE_FORMAT.search(text):
        raise SecurityError(f"format string with a width or precision over {MAX_SIZE:,}")


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus size limits on ``*``, ``**``, ``%``, calls and filters."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters = {name: _limited_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and not isinstance(times, bool) \
                        and len(seq) * times > MAX_SIZE:
                    raise SecurityError(f"repetition would build {len(seq) * times:,} items "
                                        f"(limit {MAX_SIZE:,})")
            return operator.mul(left, right)
        if operator_ == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 \
                    and abs(left).bit_length() * right > MAX_POWER_BITS:
                raise SecurityError(f"power would have over {MAX_POWER_BITS:,} bits")
            return operator.pow(left, right)
        if isinstance(left, str):
            _check_format(left)
            _check_args("%", right if isinstance(right, tuple) else (right,), {})
        return operator.mod(left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_args(getattr(__obj, "__name__", "call"), args, kwargs)
        bound = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(bound, str) and getattr(__obj, "__name__", "") in ("format", "format_map"):
            _check_format(bound)
        return super().call(__context, __obj, *args, **kwargs)
