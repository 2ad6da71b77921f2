"""Jacobson-Truax plot of a :class:`~compassion_scales.analyses.change.ChangeResult`.

Pre vs post scatter with the no-change line, the band of no reliable change and the
clinical cut-off. The figure is a bare :class:`matplotlib.figure.Figure` (no pyplot): it
renders with Agg/SVG, leaves the user's backend alone, and is saved by the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError
from compassion_scales.reporting.change_report import PLAIN
from compassion_scales.stats.change import CLINICAL_CATEGORIES, NO_RC, RC_LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["jacobson_truax_figure"]

COLOURS = {
    "recovered": "#1b7837", "improved": "#7fbf7b", "unchanged": "#999999",
    "deteriorated": "#c51b7d", "reliable_improvement": "#1b7837",
    "reliable_deterioration": "#c51b7d", "no_reliable_change": "#999999",
    "reliable_increase": "#2166ac", "reliable_decrease": "#b2182b",
}




def _limits(d: pd.DataFrame, p: pd.Series) -> tuple[float, float]:
    """Axis limits holding every pre and post score and the cut-off, padded."""
    vals = np.concatenate([d["pre"].to_numpy(float), d["post"].to_numpy(float)])
    cutoff = p["cutoff"]
    extra = [cutoff] if np.isfinite(cutoff) else []
    lo = float(np.nanmin(np.concatenate([vals, extra]))) if len(vals) else 0.0
    hi = float(np.nanmax(np.concatenate([vals, extra]))) if len(vals) else 1.0
    pad = max((hi - lo) * 0.08, float(p["rc_threshold"]) * 0.5, 1e-9)
    return lo - pad, hi + pad


def _guides(ax: Any, p: pd.Series, lo: float, hi: float) -> None:
    """No-change line, band of no reliable change, cut-off lines."""
    xs = np.array([lo, hi])
    thr = float(p["rc_threshold"])
    cutoff = p["cutoff"]
    ax.fill_between(xs, xs - thr, xs + thr, color="#dddddd", alpha=0.6,
                    label=f"no reliable change (\u00b1{thr:.3g})")
    ax.plot(xs, xs, color="#555555", lw=1, label="no change")
    if np.isfinite(cutoff):
        ax.axhline(cutoff, color="#2166ac", ls="--", lw=1,
                   label=f"cut-off {p['criterion']} = {cutoff:.3g}")
        ax.axvline(cutoff, color="#2166ac", ls=":", lw=1)


def _points(ax: Any, d: pd.DataFrame, p: pd.Series) -> None:
    """One colour per category (clinical change when assessed, else reliable change)."""
    kind = "clinical_change" if d["clinical_change"].notna().any() else "reliable_change"
    order = list(CLINICAL_CATEGORIES) if kind == "clinical_change" else [
        RC_LABELS[p["higher_is"]][0], NO_RC, RC_LABELS[p["higher_is"]][1]]
    for cat in order:
        grp = d[(d[kind] == cat).fillna(False).to_numpy(dtype=bool)]
        if grp.empty:
            continue
        label = PLAIN.get(str(cat), str(cat))
        ax.scatter(grp["pre"], grp["post"], s=28, color=COLOURS.get(str(cat), "#333333"),
                   edgecolor="white", lw=0.5, label=f"{label} ({len(grp)})", zorder=3)


def _panel(ax: Any, d: pd.DataFrame, p: pd.Series, title: str) -> None:
    lo, hi = _limits(d, p)
    _guides(ax, p, lo, hi)
    _points(ax, d, p)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel("before (pre)")
    ax.set_ylabel("after (post)")
    better = {"worse": "lower is better", "better": "higher is better"}.get(p["higher_is"], "")
    ax.set_title(title + (f"\n({better})" if better else ""), fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)


def jacobson_truax_figure(result: Any, score: str | None = None) -> Figure:
    """Pre vs post scatter with the no-change line, the RCI band and the clinical cut-off.

    Parameters
    ----------
    result : ChangeResult
    score : str, optional
        Draw only this score (default: one panel per score).

    Returns
    -------
    matplotlib.figure.Figure
        Save it with ``fig.savefig("jt.png", bbox_inches="tight")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from compassion_scales import change
    >>> pre = pd.DataFrame({"id": [1, 2, 3], "fear": [30.0, 25.0, 28.0]})
    >>> post = pd.DataFrame({"id": [1, 2, 3], "fear": [15.0, 24.0, 29.0]})
    >>> res = change(pre, second_data=post, id="id", scores=["fear"], sd=8, reliability=0.8,
    ...              higher_is="worse")
    >>> len(jacobson_truax_figure(res).axes)
    1
    """
    from matplotlib.figure import Figure

    params = result.parameters.set_index("score")
    score_ids = [score] if score else list(params.index)
    for s in score_ids:
        if s not in params.index:
            raise AnalysisError(f"No score {s!r} in this result; scores: {', '.join(params.index)}.")
    fig = Figure(figsize=(5.0 * len(score_ids), 5.0))
    axes = fig.subplots(1, len(score_ids), squeeze=False)
    for ax, s in zip(axes[0], score_ids, strict=True):
        d = result.persons[result.persons["score"] == s]
        d = d[d["pre"].notna() & d["post"].notna()]
        _panel(ax, d, params.loc[s], str(result.labels.get(s, s)))
    fig.tight_layout()
    return fig
