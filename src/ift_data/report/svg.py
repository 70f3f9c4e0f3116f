"""Small inline SVG charts (histograms and bar charts) for the offline HTML report: no JS, no CDN.

Each function returns SVG markup with every label escaped, ready to insert with ``|safe``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 24, 26, 40
BAR = "#4c78a8"


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value / 1000:.3g}k"
    return f"{value:.3g}"


def _frame(title: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    return (f'<svg class="chart" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>'
            f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>'
            + "".join(body) + "</svg>")


def _axes(max_count: int, width: int, height: int) -> list[str]:
    x0, y0, y1 = LEFT, height - BOTTOM, TOP
    parts = [f'<line x1="{x0}" y1="{y0}" x2="{width - RIGHT}" y2="{y0}" class="axis"/>',
             f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" class="axis"/>']
    for frac in (0.5, 1.0):
        y = y0 - (y0 - y1) * frac
        parts.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
                     f'{escape(_fmt(max_count * frac))}</text>')
    return parts


def histogram(values: Sequence[float] | np.ndarray, title: str, *, bins: int = 30, log: bool = False,
              xlabel: str = "") -> str:
    """Histogram of ``values``; ``log`` bins on a log10 axis (for skewed lengths and ratios)."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if log:
        data = data[data > 0]
    if data.size == 0:
        return _frame(title, [f'<text x="{LEFT}" y="{HEIGHT / 2}" class="tick">no data</text>'])
    lo, hi = float(data.min()), float(np.quantile(data, 0.995))
    hi = max(hi, lo * 1.0001 + 1e-9)
    edges = np.geomspace(lo, hi, bins + 1) if log and lo > 0 else np.linspace(lo, hi, bins + 1)
    integer = bool(np.all(data == np.round(data)))
    if integer:  # counts: bin edges between integers, no empty gaps
        edges = np.unique(np.round(edges)) - 0.5
        edges = np.append(edges, edges[-1] + 1) if len(edges) < 2 else edges
        hi = float(edges[-1])
    counts, _ = np.histogram(np.clip(data, lo, hi), bins=edges)
    max_count = max(int(counts.max()), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / len(counts)
    body = _axes(max_count, WIDTH, HEIGHT)
    for i, count in enumerate(counts):
        h = plot_h * count / max_count
        x = LEFT + i * bar_w
        body.append(f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                    f'height="{h:.1f}" fill="{BAR}"><title>{escape(_fmt(edges[i]))}–'
                    f'{escape(_fmt(edges[i + 1]))}: {int(count)}</title></rect>')
    for frac in (0.0, 0.5, 1.0):
        idx = round(frac * len(counts))
        x = LEFT + idx * bar_w
        body.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" class="tick" text-anchor="middle">'
                    f'{escape(_fmt(float(edges[idx]) + (0.5 if integer else 0.0)))}</text>')
    label = (xlabel + (" (log scale)" if log else "")).strip()
    stats = f"n={data.size:,} · median {_fmt(float(np.median(data)))}"
    body.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" class="tick" text-anchor="middle">'
                f'{escape(label)} — {escape(stats)}</text>')
    return _frame(title, body)


def bars(labels: Sequence[str], counts: Sequence[float], title: str, *, percent: bool = False,
         max_bars: int = 12) -> str:
    """Horizontal bar chart, one bar per label (largest first is the caller's choice)."""
    pairs = list(zip(labels, counts, strict=True))[:max_bars]
    row_h = 20
    height = TOP + row_h * max(len(pairs), 1) + 12
    label_w = 130
    plot_w = WIDTH - label_w - RIGHT - 60
    max_value = max((float(c) for _, c in pairs), default=1.0) or 1.0
    body = []
    for i, (label, count) in enumerate(pairs):
        y = TOP + i * row_h
        w = plot_w * float(count) / max_value
        text = f"{float(count):.1%}" if percent else f"{int(count):,}"
        short = label if len(label) <= 20 else label[:19] + "…"
        body.append(f'<text x="{label_w - 6}" y="{y + 14}" class="tick" text-anchor="end">{escape(short)}'
                    f'<title>{escape(label)}</title></text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{BAR}"/>'
                    f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" class="tick">{escape(text)}</text>')
    if not pairs:
        body.append(f'<text x="{LEFT}" y="{TOP + 14}" class="tick">no data</text>')
    return _frame(title, body, height=height)
