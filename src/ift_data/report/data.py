"""What the reports read: the per-example signal table, the dataset-level summary and the example texts.

``load_report_data`` accepts either an audit output folder (``signals.parquet``, ``summary.json`` and,
when the runner wrote it, ``examples.parquet``) or an in-memory audit result object that carries
``signals``/``summary``/``table`` attributes (or dict keys). Text columns may also live in
``signals.parquet`` itself; the loader joins whatever it finds on ``row_id``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ift_data.errors import UserError

TEXT_COLUMNS = ("instruction", "input", "response")
EXAMPLE_FILES = ("examples.parquet", "table.parquet", "audit_table.parquet")


@dataclass
class ReportData:
    """Signals (one row per example, ``row_id`` + ``<family>_<what>`` + ``flag_<reason>``), the summary
    dict, and the example texts (``row_id`` + instruction/input/response) when available."""

    signals: pl.DataFrame
    summary: dict[str, Any]
    examples: pl.DataFrame | None = None
    source: str = ""
    families: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return self.signals.height

    @property
    def flag_columns(self) -> list[str]:
        return [c for c in self.signals.columns if c.startswith("flag_")]

    def family(self, name: str) -> dict[str, Any]:
        """The dataset-level figures of one signal family ({} when absent)."""
        value = self.families.get(name)
        return value if isinstance(value, dict) else {}

    def column(self, name: str) -> pl.Series | None:
        return self.signals[name] if name in self.signals.columns else None


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _family_summaries(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Family summaries live under ``summary['signals']`` (runner layout) or at the top level."""
    for key in ("signals", "families"):
        nested = summary.get(key)
        if isinstance(nested, dict) and nested and all(isinstance(v, dict) for v in nested.values()):
            # runner layout: {"status": "ok", "summary": {...}} per family
            return {name: (v["summary"] if isinstance(v.get("summary"), dict) else v) for name, v in nested.items()}
    return {k: v for k, v in summary.items() if isinstance(v, dict)}


def signal_status(summary: dict[str, Any]) -> dict[str, str]:
    """family -> "ok" / "skipped: why" / "missing: why", from the runner's record."""
    out = {}
    for name, value in (summary.get("signals") or {}).items():
        if isinstance(value, dict) and "status" in value:
            skipped = (value.get("summary") or {}).get("skipped")
            status = "skipped" if value["status"] == "ok" and skipped else value["status"]
            why = value.get("reason") or skipped
            out[name] = status + (f": {why}" if why and status != "ok" else "")
    return out


def _as_frame(value: Any) -> pl.DataFrame | None:
    if value is None:
        return None
    if isinstance(value, pl.DataFrame):
        return value
    try:  # pyarrow tables, pandas frames, dicts of columns
        return pl.from_arrow(value) if hasattr(value, "schema") and hasattr(value, "column") else pl.DataFrame(value)
    except Exception:  # noqa: BLE001 - anything not tabular means "no table"
        return None


def _with_row_id(frame: pl.DataFrame) -> pl.DataFrame:
    if "row_id" in frame.columns:
        return frame.with_columns(pl.col("row_id").cast(pl.Int64))
    return frame.with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64))


def _read_dir(path: Path) -> tuple[pl.DataFrame, dict[str, Any], pl.DataFrame | None]:
    signals_path, summary_path = path / "signals.parquet", path / "summary.json"
    if not signals_path.is_file():
        raise UserError("no signals.parquet here: run `ift-data audit` first", file=str(path))
    try:
        signals = pl.read_parquet(signals_path)
    except Exception as exc:  # noqa: BLE001 - polars raises several error types for bad files
        raise UserError(f"cannot read signals table: {exc}", file=str(signals_path)) from exc
    summary: dict[str, Any] = {}
    if summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read summary: {exc}", file=str(summary_path)) from exc
    examples = None
    for name in EXAMPLE_FILES:
        if (path / name).is_file():
            examples = pl.read_parquet(path / name)
            break
    if examples is None:
        examples = _reread_inputs(summary, signals.height)
    return signals, summary, examples


def _reread_inputs(summary: dict[str, Any], rows: int) -> pl.DataFrame | None:
    """The audit table again from the input files named in ``summary.json`` (same reader, same row ids);
    None when they are gone or no longer give the same number of rows."""
    paths = [item.get("path") for item in summary.get("inputs") or [] if isinstance(item, dict)]
    if not paths or not all(paths) or not all(Path(p).is_file() or Path(p).is_dir() for p in paths):
        return None
    try:
        from ift_data.io.instructions import read_instructions

        options = summary.get("options") or {}
        table = read_instructions(paths, options.get("mapping")).table
    except Exception:  # noqa: BLE001 - texts are optional in the report
        return None
    return table if table.height == rows else None


def load_report_data(result_or_dir: Any) -> ReportData:
    """Load from an audit folder or an audit result object."""
    if isinstance(result_or_dir, str | Path):
        path = Path(result_or_dir)
        signals, summary, examples = _read_dir(path)
        source = str(path)
    else:
        signals = _as_frame(_get(result_or_dir, "signals"))
        if signals is None:
            out_dir = _get(result_or_dir, "out_dir") or _get(result_or_dir, "path")
            if out_dir is None:
                raise UserError("audit result has neither a signals table nor an output folder")
            return load_report_data(Path(out_dir))
        summary = _get(result_or_dir, "summary") or {}
        examples = _as_frame(_get(result_or_dir, "table"))
        if examples is None:
            examples = _as_frame(_get(result_or_dir, "examples"))
        source = str(_get(result_or_dir, "out_dir") or "")
    signals = _with_row_id(signals)
    text_in_signals = [c for c in TEXT_COLUMNS if c in signals.columns]
    if examples is not None:
        examples = _with_row_id(examples)
        keep = ["row_id", *[c for c in (*TEXT_COLUMNS, "source_file", "source_line", "category")
                            if c in examples.columns]]
        examples = examples.select(keep)
    elif text_in_signals:
        examples = signals.select(["row_id", *text_in_signals])
    return ReportData(signals=signals, summary=summary, examples=examples, source=source,
                      families=_family_summaries(summary))
