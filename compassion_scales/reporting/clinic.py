"""Service-level summary of clinical change: one self-contained HTML page.

For each scale: how many clients reliably improved, stayed the same, deteriorated (and,
where the instrument file has clinical norms, recovered), with the Jacobson-Truax plot
inlined as SVG, and the reliability and SD used with their sources.
"""

from __future__ import annotations

import html as _html
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from compassion_scales.reporting.tables import APA_TABLE_CSS, make_table, table_html

__all__ = ["service_summary_html", "write_service_summary"]

_ORDER = ["recovered", "reliable_improvement", "improved", "no_reliable_change", "unchanged",
          "reliable_deterioration", "deteriorated", "not_assessable"]


def _counts(group: pd.DataFrame, classification: str, order: list[str]) -> pd.DataFrame:
    g = group[group["classification"] == classification].copy()
    g["cell"] = [f"{int(n)}" + (f" ({p:.0f}%)" if pd.notna(p) else "")
                 for n, p in zip(g["n"], g["percent"], strict=True)]
    wide = g.pivot(index="score", columns="category", values="cell")
    cols = [c for c in _ORDER if c in wide.columns] + [c for c in wide.columns if c not in _ORDER]
    wide = wide[cols].reindex([s for s in order if s in wide.index]).reset_index()
    wide.columns = ["score"] + [str(c).replace("_", " ").capitalize() for c in cols]
    return wide


def service_summary_html(result: Any, title: str = "Service summary: clinical change") -> str:
    """The summary page for a :class:`~compassion_scales.analyses.change.ChangeResult`."""
    n_tab = 0
    parts = []

    def add(frame: pd.DataFrame, caption: str, notes: list[str] | None = None) -> None:
        nonlocal n_tab
        n_tab += 1
        parts.append(table_html(make_table(frame, caption, columns="all", notes=notes or []), n_tab))

    group = result.group
    for cls in group["classification"].drop_duplicates():
        label = ("Reliable change (Jacobson-Truax RCI)" if cls == "reliable_change"
                 else str(cls).replace("_", " ").capitalize())
        add(_counts(group, cls, list(dict.fromkeys(result.parameters["score"]))), label, ["n (% of clients with both scores); not assessable: a "
                                         "score missing before or after."])
    par = result.parameters
    keep = [c for c in ("score", "higher_is", "n_pairs", "sd", "sd_source", "reliability",
                        "reliability_source", "rc_threshold", "cutoff", "norms_source")
            if c in par.columns]
    add(par[keep], "What the classification used", result.notes()[:1])
    plots = []
    for s in list(dict.fromkeys(result.parameters["score"])):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                path = Path(tmp) / "jt.svg"
                result.plot(score=s).savefig(path, dpi=150, bbox_inches="tight")
                svg = path.read_text(encoding="utf-8")
            except Exception:  # noqa: BLE001 - a plot that cannot be drawn is left out
                continue
        svg = svg[svg.find("<svg"):]
        plots.append(f"<figure>{svg}<figcaption>Jacobson-Truax plot for {_html.escape(str(s))}: "
                     "each client's score before (x) and after (y); the band around the diagonal "
                     "is no reliable change.</figcaption></figure>")
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    n_clients = int(result.persons.iloc[:, 0].nunique()) if len(result.persons) else 0
    css = ("body{font-family:Georgia,serif;max-width:60em;margin:2em auto;padding:0 1em}"
           "figure{margin:1em 0;break-inside:avoid}svg{max-width:100%;height:auto}"
           "figcaption{font-size:0.9em;color:#555}@media print{body{margin:0}}" + APA_TABLE_CSS)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_html.escape(title)}'
            f"</title><style>{css}</style></head><body><h1>{_html.escape(title)}</h1>"
            f"<p>{n_clients} clients · created {created}</p>{''.join(parts)}{''.join(plots)}"
            "</body></html>\n")


def write_service_summary(result: Any, path: str | Path) -> Path:
    """Write :func:`service_summary_html` to ``path``."""
    out = Path(path)
    out.write_text(service_summary_html(result), encoding="utf-8")
    return out
