"""The self-contained offline HTML report: inline CSS, inline SVG charts, every data value escaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ift_data import __version__
from ift_data.audit.summary import AuditSummary
from ift_data.io.atomic import atomic_open
from ift_data.report import svg
from ift_data.report.data import ReportData, label_noise_groups
from ift_data.report.examples import worst_examples
from ift_data.report.facts import Facts

TEMPLATE = "report.html.j2"
LENGTH_FIELDS = ("instruction", "input", "response")


def _environment() -> Environment:
    return Environment(loader=PackageLoader("ift_data", "report"), autoescape=select_autoescape(
        enabled_extensions=("html", "j2", "html.j2"), default_for_string=True, default=True))


def _column(data: ReportData, name: str) -> np.ndarray | None:
    series = data.column(name)
    if series is None or not series.dtype.is_numeric():
        return None
    return series.drop_nulls().to_numpy().astype(float)


def _length_unit(data: ReportData) -> str | None:
    """The unit the length signal counted in (words or tokens); None when it did not run."""
    run = data.summary.signals.get("length")
    return str(run.summary["unit"]) if run is not None and run.status == "ok" else None


def charts(data: ReportData, facts: Facts) -> list[dict[str, Any]]:  # noqa: C901 - one list of plots
    """The plots: lengths, R, difficulty, languages, duplicate-cluster sizes (as inline SVG Markup)."""
    out: list[dict[str, Any]] = []
    unit = _length_unit(data)
    if unit:
        for field_name in LENGTH_FIELDS:
            values = _column(data, f"length_{field_name}_{unit}")
            if values is not None and values.size and values.max() > 0:
                out.append({"group": "lengths", "svg": svg.histogram(
                    values, f"{field_name} length ({unit})", log=True, xlabel=unit)})
    ratio = _column(data, "length_ratio") if unit else None
    if ratio is not None:
        out.append({"group": "lengths", "svg": svg.histogram(
            ratio, "instruction / response ratio R", log=True, xlabel="R")})
    if facts.difficulty_buckets:
        labels = list(facts.difficulty_buckets)
        out.append({"group": "difficulty", "svg": svg.bars(
            labels, [facts.difficulty_buckets[k] for k in labels], "difficulty buckets")})
    score = _column(data, "difficulty_score")
    if score is not None and score.size:
        out.append({"group": "difficulty", "svg": svg.histogram(score, "difficulty score", xlabel="score")})
    for field_name, shares in facts.language_shares.items():
        top = sorted(shares.items(), key=lambda kv: -kv[1])
        out.append({"group": "languages", "svg": svg.bars(
            [k for k, _ in top], [v for _, v in top], f"language shares: {field_name}", percent=True)})
    for col, sizes in facts.cluster_sizes.items():
        values, counts = np.unique(np.asarray(sizes), return_counts=True)
        out.append({"group": "duplicates", "svg": svg.bars(
            [f"size {int(v)}" for v in values], counts.tolist(),
            f"{col}: clusters by size ({len(sizes):,} clusters)")})
    order = {"lengths": 0, "difficulty": 1, "languages": 2, "duplicates": 3}
    groups: dict[str, list[Markup]] = {}
    for chart in sorted(out, key=lambda c: order.get(c["group"], 9)):
        groups.setdefault(chart["group"], []).append(Markup(chart["svg"]))  # svg.py escapes every label
    return [{"group": g, "items": items} for g, items in groups.items()]


def _run_info(summary: AuditSummary) -> dict[str, Any]:
    """What the run was (inputs, rules, options, versions); timings stay in summary.json so that the page
    of a rerun is byte-identical."""
    data = summary.to_json(timings=False)
    return {key: data[key] for key in ("inputs", "rules", "options", "versions")}


def use_case_rows(summary: AuditSummary) -> list[dict[str, Any]]:
    """The use-case distribution for the page: name, rows, share, largest first; [] when not run."""
    counts = summary.use_cases
    total = sum(counts.values())
    if not total:
        return []
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"name": name, "count": count, "share": count / total} for name, count in ranked if count]


def render_html(data: ReportData, facts: Facts, per_flag: int = 5) -> str:
    template = _environment().get_template(TEMPLATE)
    return template.render(
        title=f"ift-data audit report: {_inputs_label(data)}",
        data=data,
        facts=facts,
        charts=charts(data, facts),
        flagged=worst_examples(data, per_flag=per_flag),
        run_info=_run_info(data.summary),
        use_cases=use_case_rows(data.summary),
        label_noise=label_noise_groups(data.summary),
        version=__version__,
    )


def _inputs_label(data: ReportData) -> str:
    """The audited files' names: the page is about the data, and names keep reruns byte-identical
    (no output folder, no clock in the page)."""
    return ", ".join(Path(item.path).name for item in data.summary.inputs) or "audit"


def write_html(data: ReportData, facts: Facts, path: Path, per_flag: int = 5) -> Path:
    html = render_html(data, facts, per_flag=per_flag)
    with atomic_open(path) as fh:
        fh.write(html)
    return path
