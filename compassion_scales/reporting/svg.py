"""Small inline SVG charts for self-contained HTML reports (no matplotlib, no files).

Examples
--------
>>> svg = likert_bars({"q1": [0.1, 0.2, 0.7]}, ["no", "maybe", "yes"])
>>> svg.startswith("<svg") and "q1" in svg and "yes" in svg
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["likert_bars", "scree_chart", "palette"]


def palette(k: int) -> list[str]:
    """A diverging blue-grey-orange palette of ``k`` colours (colour-blind safe ends)."""
    lo, mid, hi = np.array([33, 102, 172]), np.array([230, 230, 230]), np.array([214, 96, 77])
    out = []
    for i in range(k):
        t = i / (k - 1) if k > 1 else 0.5
        c = lo + (mid - lo) * (t / 0.5) if t <= 0.5 else mid + (hi - mid) * ((t - 0.5) / 0.5)
        r, g, b = (int(round(v)) for v in c)
        out.append(f"#{r:02x}{g:02x}{b:02x}")
    return out


def likert_bars(proportions: Mapping[str, Sequence[float]], labels: Sequence[str],
                width: int = 760, row: int = 16, label_width: int = 120,
                title: str = "") -> str:
    """Stacked 100% bars, one per item, with a legend of the response options.

    ``proportions`` maps item id -> share of each response option (summing to 1 over
    the answers given).
    """
    k = len(labels)
    cols = palette(k)
    bar_w = width - label_width - 50
    legend_h = 22
    top = legend_h + (18 if title else 0)
    height = top + row * len(proportions) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">']
    if title:
        parts.append(f'<text x="0" y="12" font-weight="bold">{html.escape(title)}</text>')
    x: float = label_width
    y0 = top - legend_h + 4
    for lab, c in zip(labels, cols, strict=True):
        parts.append(f'<rect x="{x}" y="{y0}" width="10" height="10" fill="{c}" stroke="#666" '
                     'stroke-width="0.3"/>')
        parts.append(f'<text x="{x + 13}" y="{y0 + 9}">{html.escape(str(lab))}</text>')
        x += 18 + 6.2 * len(str(lab))
    for i, (item, props) in enumerate(proportions.items()):
        y = top + i * row
        parts.append(f'<text x="{label_width - 6}" y="{y + row * 0.72}" text-anchor="end">'
                     f'{html.escape(str(item))}</text>')
        x0 = float(label_width)
        for p, c in zip(props, cols, strict=True):
            w = bar_w * float(p)
            if w > 0:
                parts.append(f'<rect x="{x0:.2f}" y="{y + 1}" width="{w:.2f}" height="{row - 3}" '
                             f'fill="{c}"><title>{html.escape(str(item))}: {float(p) * 100:.0f}%</title></rect>')
            x0 += w
    ya = top + row * len(proportions) + 4
    for t in (0, 25, 50, 75, 100):
        xt = label_width + bar_w * t / 100
        parts.append(f'<line x1="{xt:.1f}" y1="{top}" x2="{xt:.1f}" y2="{ya}" stroke="#999" '
                     'stroke-width="0.4" stroke-dasharray="2,2"/>')
        parts.append(f'<text x="{xt:.1f}" y="{ya + 12}" text-anchor="middle">{t}%</text>')
    parts.append("</svg>")
    return "".join(parts)


def scree_chart(observed: Sequence[float], simulated: Sequence[float] | None = None,
                width: int = 480, height: int = 260, n_retained: int | None = None) -> str:
    """Scree plot: observed eigenvalues (and the parallel-analysis reference line)."""
    obs = np.asarray(observed, dtype=float)
    sim = np.asarray(simulated, dtype=float) if simulated is not None else None
    m = len(obs)
    left, right, top, bottom = 40, 10, 10, 34
    ymax = float(np.nanmax(np.concatenate([obs, sim if sim is not None else obs]))) * 1.08
    ymax = max(ymax, 1.0)
    ymin = min(0.0, float(np.nanmin(obs)) * 1.1)

    def px(i: int) -> float:
        return left + (width - left - right) * (i / max(m - 1, 1))

    def py(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - ymin) / (ymax - ymin))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<line x1="{left}" y1="{py(0):.1f}" x2="{width - right}" y2="{py(0):.1f}" stroke="#000"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{py(0):.1f}" stroke="#000"/>']
    step = 1 if ymax <= 8 else 2 if ymax <= 16 else 5
    for t in np.arange(0, ymax, step):
        parts.append(f'<text x="{left - 5}" y="{py(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    for i in range(m):
        if m <= 20 or i % 5 == 4 or i == 0:
            parts.append(f'<text x="{px(i):.1f}" y="{height - bottom + 14}" text-anchor="middle">{i + 1}</text>')
    parts.append(f'<text x="{(left + width) / 2:.0f}" y="{height - 4}" text-anchor="middle">Factor</text>')

    def line(vals: np.ndarray, colour: str, dash: str = "") -> None:
        pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(vals) if np.isfinite(v))
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"{extra}/>')

    line(obs, "#2166ac")
    for i, v in enumerate(obs):
        fill = "#2166ac" if n_retained is not None and i < n_retained else "#fff"
        parts.append(f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="3" fill="{fill}" stroke="#2166ac"/>')
    if sim is not None:
        line(sim, "#d6604d", "5,3")
    lx = width - right - 170
    parts.append(f'<line x1="{lx}" y1="{top + 8}" x2="{lx + 20}" y2="{top + 8}" stroke="#2166ac" stroke-width="1.5"/>'
                 f'<text x="{lx + 25}" y="{top + 12}">observed (factor analysis)</text>')
    if sim is not None:
        parts.append(f'<line x1="{lx}" y1="{top + 24}" x2="{lx + 20}" y2="{top + 24}" stroke="#d6604d" '
                     f'stroke-width="1.5" stroke-dasharray="5,3"/><text x="{lx + 25}" y="{top + 28}">'
                     'random data (95th percentile)</text>')
    parts.append("</svg>")
    return "".join(parts)
