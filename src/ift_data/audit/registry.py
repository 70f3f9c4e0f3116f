"""The registered signal families, in the order the runner runs them.

Adding a signal = a module under ``audit/`` holding a class whose ``name`` is the family name, plus
one line here. Modules are imported lazily; a module that does not exist yet is reported as missing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ift_data.errors import UserError

SIGNALS: tuple[tuple[str, str], ...] = (
    ("length", "ift_data.audit.length"),
    ("dedup_exact", "ift_data.audit.dedup_exact"),
    ("dedup_minhash", "ift_data.audit.dedup_minhash"),
    ("dedup_semantic", "ift_data.audit.dedup_semantic"),
    ("language", "ift_data.audit.language"),
    ("noise", "ift_data.audit.noise"),
    ("consistency", "ift_data.audit.consistency"),
    ("label_noise", "ift_data.audit.label_noise"),
    ("difficulty", "ift_data.audit.difficulty"),
    ("diversity", "ift_data.audit.diversity"),
    ("outliers", "ift_data.audit.outliers"),
    ("format_concentration", "ift_data.audit.format_concentration"),
    ("use_case", "ift_data.audit.use_case"),
)
SIGNAL_NAMES: tuple[str, ...] = tuple(name for name, _ in SIGNALS)


@dataclass(frozen=True)
class Registered:
    name: str
    module: str
    cls: type | None  # None when the module (or its class) is missing
    missing: str | None = None


def load_signals(only: tuple[str, ...] | None = None) -> list[Registered]:
    """The registered signals (only those named in ``only``, in registry order); an unknown name is a
    ``UserError`` listing the known ones."""
    unknown = sorted(set(only or ()) - set(SIGNAL_NAMES))
    if unknown:
        raise UserError(f"unknown signal {unknown[0]!r}; use any of {', '.join(SIGNAL_NAMES)}", field="signals")
    out = []
    for name, module_name in SIGNALS:
        if only is not None and name not in only:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            out.append(Registered(name, module_name, None, f"module {module_name} not available"))
            continue
        cls = next((obj for obj in vars(module).values()
                    if isinstance(obj, type) and getattr(obj, "name", None) == name and hasattr(obj, "compute")),
                   None)
        out.append(Registered(name, module_name, cls, None if cls else f"no signal class named {name!r}"))
    return out
