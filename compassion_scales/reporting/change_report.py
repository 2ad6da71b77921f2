"""Printable per-client change reports (HTML and Markdown) for a
:class:`~compassion_scales.analyses.change.ChangeResult`, in plain language."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError
from compassion_scales.stats.change import NO_RC

__all__ = ["PLAIN", "write_reports", "unique_stems", "report_markdown", "report_html"]

#: the change categories in plain words
PLAIN = {
    "reliable_improvement": "reliably improved",
    "reliable_deterioration": "reliably worse",
    "reliable_increase": "reliably higher",
    "reliable_decrease": "reliably lower",
    "no_reliable_change": "no reliable change",
    "recovered": "recovered",
    "improved": "improved",
    "unchanged": "unchanged",
    "deteriorated": "deteriorated",
}


def _band(bands: list[dict[str, Any]], value: float) -> str | None:
    if not bands or value is None or not np.isfinite(value):
        return None
    first = bands[0]
    for b in first.get("bands", []):
        if float(b["min"]) <= value <= float(b["max"]):
            return str(b["label"])
    return None


def _fmt(x: Any, digits: int = 1) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "-"
    if not np.isfinite(f):
        return "-"
    return f"{f:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{f:.0f}"


def _client_text(result: Any, pid: Any, rows: pd.DataFrame | None = None) -> dict[str, Any]:
    """Plain-language content of one client's report."""
    if rows is None:
        rows = result.persons[result.persons[result.id_col] == pid]
    params = result.parameters.set_index("score")
    entries = []
    for r in rows.itertuples(index=False):
        s = r.score
        p = params.loc[s]
        direction = p["higher_is"]
        better_word = {"worse": "Lower scores are better.", "better": "Higher scores are better.",
                       "neutral": "Higher or lower is neither better nor worse."}[direction]
        rc = r.reliable_change
        if pd.isna(rc):
            meaning = "Change cannot be judged: " + (r.note if isinstance(r.note, str) else "a score is missing") + "."
        elif rc == NO_RC:
            meaning = (f"The change of {_fmt(r.diff)} points is within what measurement error alone "
                       f"could produce (a change of more than {_fmt(p['rc_threshold'])} points is "
                       "needed), so it is not a reliable change.")
        else:
            meaning = (f"The change of {_fmt(r.diff)} points is larger than measurement error alone "
                       f"would produce (more than {_fmt(p['rc_threshold'])} points): "
                       f"{PLAIN[str(rc)]}.")
        clinical = None
        if isinstance(r.clinical_change, str):
            side = "the range of people without these difficulties" if r.post_functional else \
                "the range typical of people seeking help"
            clinical = (f"After treatment the score is in {side} (cut-off {_fmt(p['cutoff'])}: "
                        f"{_CRITERIONPLAIN.get(str(p['criterion']), 'the published cut-off')}). "
                        f"Overall: {r.clinical_change}.")
        elif direction != "neutral":
            clinical = ("No published norms for people with and without difficulties are available "
                        "for this score, so no clinical cut-off is used.")
        entries.append({
            "label": result.labels.get(s, s), "score": s, "pre": r.pre, "post": r.post,
            "diff": r.diff, "rci": r.rci, "better": better_word, "meaning": meaning,
            "clinical": clinical,
            "rc_plain": PLAIN.get(str(rc), "cannot be judged") if not pd.isna(rc) else "cannot be judged",
            "overall": str(r.clinical_change) if isinstance(r.clinical_change, str) else "-",
            "band_pre": _band(result.bands.get(s, []), r.pre),
            "band_post": _band(result.bands.get(s, []), r.post),
            "sources": f"Reliability {_fmt(p['reliability'], 2)} ({p['reliability_source']}); "
                       f"SD {_fmt(p['sd'], 2)} ({p['sd_source']}); norms: {p['norms_source'] or '-'}",
        })
    return {"id": pid, "entries": entries}


#: Jacobson-Truax cut-off criteria in plain words (instead of "criterion a/b/c")
_CRITERIONPLAIN = {
    "a": "two standard deviations better than the average of people seeking help",
    "b": "within two standard deviations of the average of people without these difficulties",
    "c": "the point halfway between people seeking help and people without these difficulties",
}

_EXPLAIN = (
    "Every questionnaire score contains some measurement error: answering the same questions "
    "twice gives slightly different numbers even when nothing has changed. The Reliable Change "
    "Index (RCI; Jacobson & Truax, 1991) divides the change by the size of change that "
    "measurement error can produce. A change is called reliable when it is larger than "
    "1.96 times this error, which measurement error alone would produce less than 5 times "
    "in 100. Where published norms exist, the report also says whether the score moved from "
    "the range typical of people seeking help into the range of people without these "
    "difficulties (the clinical cut-off): 'recovered' means a reliable improvement that "
    "crosses the cut-off; 'improved' a reliable improvement that does not; 'unchanged' no "
    "reliable change; 'deteriorated' a reliable change for the worse. These numbers support, "
    "and do not replace, clinical judgement.")


def report_markdown(result: Any, pid: Any, rows: pd.DataFrame | None = None) -> str:
    """One client's change report as Markdown (``rows``: their rows of ``result.persons``)."""
    c = _client_text(result, pid, rows)
    title = result.instrument_name or result.instrument or "Questionnaire scores"
    lines = [f"# Change report: {title}", "", f"**Client:** {pid}", ""]
    overall = any(e["overall"] != "-" for e in c["entries"])   # the column only when it has content
    lines += ["| Scale | Before | After | Change | Reliable change? |" + (" Overall |" if overall else ""),
              "|---|---|---|---|---|" + ("---|" if overall else "")]
    for e in c["entries"]:
        lines.append(f"| {e['label']} | {_fmt(e['pre'])}"
                     + (f" ({e['band_pre']})" if e["band_pre"] else "")
                     + f" | {_fmt(e['post'])}" + (f" ({e['band_post']})" if e["band_post"] else "")
                     + f" | {_fmt(e['diff'])} | {e['rc_plain']} (RCI {_fmt(e['rci'], 2)})"
                     + (f" | {e['overall']} |" if overall else " |"))
    lines.append("")
    for e in c["entries"]:
        lines += [f"## {e['label']}", "", e["better"], "", e["meaning"], ""]
        if e["clinical"]:
            lines += [e["clinical"], ""]
        lines += [f"*Sources:* {e['sources']}", ""]
    lines += ["## What these numbers mean", "", _EXPLAIN, ""]
    return "\n".join(lines)


def report_html(result: Any, pid: Any, rows: pd.DataFrame | None = None) -> str:
    """One client's change report as a printable HTML page."""
    c = _client_text(result, pid, rows)
    esc = html.escape
    title = esc(result.instrument_name or result.instrument or "Questionnaire scores")
    rows = []
    overall = any(e["overall"] != "-" for e in c["entries"])   # the column only when it has content
    for e in c["entries"]:
        pre = esc(_fmt(e["pre"]) + (f" ({e['band_pre']})" if e["band_pre"] else ""))
        post = esc(_fmt(e["post"]) + (f" ({e['band_post']})" if e["band_post"] else ""))
        rows.append(f"<tr><td>{esc(e['label'])}</td><td>{pre}</td><td>{post}</td>"
                    f"<td>{esc(_fmt(e['diff']))}</td>"
                    f"<td>{esc(e['rc_plain'])} (RCI {esc(_fmt(e['rci'], 2))})</td>"
                    + (f"<td>{esc(e['overall'])}</td>" if overall else "") + "</tr>")
    sections = []
    for e in c["entries"]:
        body = f"<p>{esc(e['better'])}</p><p>{esc(e['meaning'])}</p>"
        if e["clinical"]:
            body += f"<p>{esc(e['clinical'])}</p>"
        body += f"<p class='src'>Sources: {esc(e['sources'])}</p>"
        sections.append(f"<h2>{esc(e['label'])}</h2>{body}")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Change report: {title}, client {esc(str(pid))}</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;font-size:11pt}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px}"
        ".src{font-size:9pt;color:#444}@media print{body{margin:0}}</style></head><body>"
        f"<h1>Change report: {title}</h1><p><strong>Client:</strong> {esc(str(pid))}</p>"
        "<table><thead><tr><th>Scale</th><th>Before</th><th>After</th><th>Change</th>"
        "<th>Reliable change?</th>" + ("<th>Overall</th>" if overall else "") + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>"
        + "".join(sections)
        + f"<h2>What these numbers mean</h2><p>{esc(_EXPLAIN)}</p></body></html>\n")


def _safe_name(pid: Any) -> str:
    text = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(pid))
    return text.strip("._") or "client"


def unique_stems(ids: Sequence[Any], prefix: str = "client_") -> list[str]:
    """One file stem per id, distinct even on case-insensitive disks.

    Ids that clean to the same name (``a/b``, ``a_b``, ``a b``; ``JD`` and ``jd``)
    get ``_2``, ``_3``... in the order they come.

    Examples
    --------
    >>> unique_stems(["a/b", "a_b", "a b", "JD", "jd"])
    ['client_a_b', 'client_a_b_2', 'client_a_b_3', 'client_JD', 'client_jd_2']
    """
    used: set[str] = set()
    out = []
    for pid in ids:
        base = f"{prefix}{_safe_name(pid)}"
        stem, k = base, 1
        while stem.casefold() in used:
            k += 1
            stem = f"{base}_{k}"
        used.add(stem.casefold())
        out.append(stem)
    return out


def write_reports(result: Any, directory: str | Path,
                  formats: Sequence[str] = ("html", "md")) -> list[Path]:
    """Write one report per matched client into ``directory``; returns the file paths."""
    bad = [f for f in formats if f not in ("html", "md")]
    if bad:
        raise AnalysisError(f"Report formats are 'html' and 'md', not {', '.join(bad)}.")
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    groups = list(result.persons.groupby(result.id_col, sort=False))
    stems = unique_stems([pid for pid, _ in groups])
    for (pid, rows), stem in zip(groups, stems, strict=True):
        if "md" in formats:
            p = out_dir / f"{stem}.md"
            p.write_text(report_markdown(result, pid, rows), encoding="utf-8")
            paths.append(p)
        if "html" in formats:
            p = out_dir / f"{stem}.html"
            p.write_text(report_html(result, pid, rows), encoding="utf-8")
            paths.append(p)
    return paths
