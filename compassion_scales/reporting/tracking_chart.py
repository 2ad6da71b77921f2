"""Per-client session charts and reports for :class:`compassion_scales.analyses.track.TrackResult`.

Charts are bare :class:`matplotlib.figure.Figure` objects (no pyplot), so they never
switch the user's backend; save them with ``fig.savefig(...)`` or show them in a
notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError

__all__ = ["client_chart", "write_client_reports"]

_PLAIN = {
    "reliable_recovery": "reliable recovery", "reliable_improvement": "reliable improvement",
    "no_reliable_change": "no reliable change", "reliable_deterioration": "reliable deterioration",
    "not_assessable": "cannot be judged", "reliable_increase": "reliably higher",
    "reliable_decrease": "reliably lower",
}


def client_chart(result: Any, client: Any, scores: list[str] | None = None) -> Any:
    """Score by session for one client: one panel per score.

    Each panel shows the observed scores (a missing session breaks the line and is
    marked on the axis; nothing is carried forward), the band of no reliable change
    around the first score (first score +/- the points needed for a reliable change),
    the clinical cut-off when there is one, and a star at the first session of
    reliable improvement.

    Parameters
    ----------
    result : TrackResult
    client : id value
    scores : list of str, optional
        Scores to draw (default: every tracked score).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from compassion_scales.analyses.track import track
    >>> d = pd.DataFrame({"client": ["a"] * 3, "session": [1, 2, 3], "fcs_self": [34.0, 30.0, 22.0]})
    >>> fig = client_chart(track(d, "fcs", id="client", session="session", sd=10,
    ...                          reliability=0.875), "a")
    >>> len(fig.axes)
    1
    """
    from matplotlib.figure import Figure

    ses = result.sessions
    rows = ses[ses[result.id_col] == client]
    if rows.empty:
        raise AnalysisError(f"No client {client!r} in this result.")
    params = result.parameters.set_index("score")
    score_ids = scores or list(dict.fromkeys(rows["score"]))
    fig = Figure(figsize=(7.0, 2.8 * len(score_ids)))
    axes = fig.subplots(len(score_ids), 1, squeeze=False)[:, 0]
    clients = result.clients.set_index([result.id_col, "score"])
    for ax, s in zip(axes, score_ids, strict=True):
        d = rows[rows["score"] == s]
        p = params.loc[s]
        x = np.arange(len(d))
        y = d["value"].to_numpy(dtype=float)
        labels = [str(v) for v in d[result.session_col]]
        ax.plot(x, y, color="#333333", marker="o", lw=1.5, zorder=3, label="score")
        obs = ~np.isnan(y)
        if obs.sum() > 1 and not obs.all():
            ax.plot(x[obs], y[obs], color="#999999", ls=":", lw=1, zorder=2,
                    label="gap (missing session, not filled)")
        thr = float(p["rc_threshold"])
        if obs.any():
            first = y[obs][0]
            ax.axhspan(first - thr, first + thr, color="#dddddd", alpha=0.6, zorder=1,
                       label=f"no reliable change from the first score (\u00b1{thr:.3g})")
        cutoff = float(p["cutoff"])
        if np.isfinite(cutoff):
            ax.axhline(cutoff, color="#2166ac", ls="--", lw=1,
                       label=f"clinical cut-off ({p['criterion']}) = {cutoff:.3g}")
        miss = ~obs
        if miss.any():  # on the axis (x in data, y in axes units), never where a score would be
            ax.scatter(x[miss], np.full(miss.sum(), 0.04), marker="x", color="#c51b7d", zorder=4,
                       transform=ax.get_xaxis_transform(), clip_on=False,
                       label="missing (no score, nothing filled in)")
        key = (client, s)
        if key in clients.index:
            fi = clients.loc[key, "first_improvement_session"]
            if pd.notna(fi):
                hit = np.flatnonzero(d[result.session_col].astype(str).to_numpy() == str(fi))
                if len(hit):
                    ax.scatter(x[hit[0]], y[hit[0]], marker="*", s=180, color="#1b7837", zorder=5,
                               label=f"first reliable improvement (session {fi})")
        ax.set_xticks(x, labels)
        ax.set_xlabel(result.session_col)
        better = {"worse": "lower is better", "better": "higher is better"}.get(str(p["higher_is"]), "")
        ax.set_title(f"{result.labels.get(s, s)}" + (f" ({better})" if better else ""), fontsize=10)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.suptitle(f"Client {client}", fontsize=11)
    fig.tight_layout()
    return fig


def _fmt(x: Any, digits: int = 2) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)
    if not np.isfinite(f):
        return "-"
    return f"{f:.{digits}f}".rstrip("0").rstrip(".")


def _client_markdown(result: Any, client: Any, chart_name: str) -> str:
    out = result.outcomes.set_index(result.id_col).loc[client]
    lines = [f"# Session-by-session report: client {client}", "",
             f"**Overall (all measures):** {_PLAIN.get(str(out['outcome']), str(out['outcome']))}", "",
             f"*Rule:* {result.rule.describe()}.", "", f"![Scores by session]({chart_name})", ""]
    ses = result.sessions[result.sessions[result.id_col] == client]
    cl = result.clients[result.clients[result.id_col] == client].set_index("score")
    params = result.parameters.set_index("score")
    for s in dict.fromkeys(ses["score"]):
        p = params.loc[s]
        c = cl.loc[s]
        lines += [f"## {result.labels.get(s, s)}", "",
                  f"Higher is {p['higher_is']}. A change of more than {_fmt(p['rc_threshold'])} points "
                  "from the first session is a reliable change (measurement error alone would produce "
                  "a change this large less than 5 times in 100)." + (f" Clinical cut-off: {_fmt(p['cutoff'])}."
                                                       if pd.notna(p["cutoff"]) else ""), "",
                  "| Session | Score | Change from first (RCI) | Since previous (RCI) | Note |",
                  "|---|---|---|---|---|"]
        for r in ses[ses["score"] == s].itertuples(index=False):
            note = r.missing if isinstance(r.missing, str) else ""
            lines.append(f"| {getattr(r, result.session_col)} | {_fmt(r.value)} | "
                         f"{_PLAIN.get(str(r.rc_first), '-')} ({_fmt(r.rci_first)}) | "
                         f"{_PLAIN.get(str(r.rc_previous), '-')} ({_fmt(r.rci_previous)}) | {note} |")
        fi = c["first_improvement_session"]
        lines += ["", f"First to latest: {_PLAIN.get(str(c['reliable_change']), 'cannot be judged')}"
                  + (f", {c['clinical_change']}" if isinstance(c["clinical_change"], str) else "")
                  + (f"; reliable improvement first reached at session {fi}." if pd.notna(fi) else "."),
                  "", f"*Sources:* SD {_fmt(p['sd'])} ({p['sd_source']}); reliability "
                  f"{_fmt(p['reliability'], 3)} ({p['reliability_source']}).", ""]
    lines += ["Missing sessions are shown as gaps: no score is carried forward from an earlier "
              "session. These numbers support, and do not replace, clinical judgement.", ""]
    return "\n".join(lines)


def write_client_reports(result: Any, directory: str | Path) -> list[Path]:
    """One Markdown report and one PNG chart per client in ``directory``; returns the paths.

    File names are ``client_<id>.md`` / ``.png``, made distinct even on
    case-insensitive disks.
    """
    from compassion_scales.analyses.change import unique_stems

    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = list(dict.fromkeys(result.outcomes[result.id_col]))
    paths: list[Path] = []
    for cid, stem in zip(ids, unique_stems(ids), strict=True):
        png = out_dir / f"{stem}.png"
        client_chart(result, cid).savefig(png, dpi=120, bbox_inches="tight")
        md = out_dir / f"{stem}.md"
        md.write_text(_client_markdown(result, cid, png.name), encoding="utf-8")
        paths += [md, png]
    return paths
