"""One self-contained HTML study report: sample, items, scores, reliability, factor
structure, group comparisons, change and a generated methods paragraph.

:func:`report` runs the analyses that apply to the data and returns a
:class:`StudyReport` whose ``html`` is a single page (inline CSS and SVG charts, a print
stylesheet for PDF). Each section that cannot be computed says why instead of failing
the whole report.
"""

from __future__ import annotations

import functools
import html as _html
import platform
import time as _time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales._compat import REMOVED_IN, renamed_arguments
from compassion_scales._format import column_hint
from compassion_scales.errors import AnalysisError
from compassion_scales.reporting.tables import APA_TABLE_CSS, Table, make_table, table_html

if TYPE_CHECKING:
    from compassion_scales.instrument import InstrumentLike

__all__ = ["report", "StudyReport"]

_CSS = """
:root{--ink:#1b1b1b;--muted:#5a5a5a;--line:#d0d0d0;--accent:#2166ac;--warn:#a33}
body{font-family:Georgia,'Times New Roman',serif;color:var(--ink);max-width:62em;margin:2em auto;
padding:0 1.2em;line-height:1.45}
h1{font-size:1.7em;margin-bottom:0.1em}h2{font-size:1.3em;border-bottom:1px solid var(--line);
margin-top:1.8em;padding-bottom:0.15em}h3{font-size:1.05em;margin-bottom:0.2em}
.sub{color:var(--muted);margin-top:0}.flag{color:var(--warn);font-weight:bold}
.box{border-left:4px solid var(--accent);background:#f4f7fb;padding:0.5em 0.9em;margin:0.8em 0}
.warnbox{border-left:4px solid var(--warn);background:#fbf3f3;padding:0.5em 0.9em;margin:0.8em 0}
.skipped{color:var(--muted);font-style:italic}.methods{text-align:justify}
nav ol{columns:2;font-size:0.95em}figure{margin:0.8em 0}figcaption{font-size:0.9em;color:var(--muted)}
ul.warnings{font-size:0.9em;color:var(--muted)}footer{margin-top:3em;font-size:0.85em;color:var(--muted)}
svg{max-width:100%;height:auto}
@media print{body{max-width:none;margin:0;font-size:10.5pt}nav{display:none}
h2{break-after:avoid}table.apa,figure{break-inside:avoid}a{color:inherit;text-decoration:none}
@page{size:A4;margin:18mm 16mm}}
"""


@dataclass(frozen=True)
class StudyReport:
    """A rendered study report.

    Attributes
    ----------
    html : str
        The complete page.
    sections : tuple of str
        Section titles, in order.
    timings : dict
        Seconds spent per section.
    skipped : dict
        Section -> why it was not computed.
    key_numbers : dict
        Headline numbers as printed (e.g. ``alpha:fcs_self`` -> ``".93"``), for checks.
    """

    html: str
    sections: tuple[str, ...]
    timings: dict[str, float]
    skipped: dict[str, str] = field(default_factory=dict)
    key_numbers: dict[str, str] = field(default_factory=dict)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8)."""
        out = Path(path)
        out.write_text(self.html, encoding="utf-8")
        return out

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        total = sum(self.timings.values())
        return (f"StudyReport({len(self.sections)} sections, {len(self.html) // 1024} KiB, "
                f"built in {total:.1f} s)")


class _Builder:
    """Collects sections, tables (numbered), warnings and what was run (for methods)."""

    def __init__(self, progress: bool) -> None:
        self.parts: list[tuple[str, str, str]] = []  # (id, title, html)
        self.timings: dict[str, float] = {}
        self.skipped: dict[str, str] = {}
        self.methods: list[str] = []
        self.key: dict[str, str] = {}
        self.n_tables = 0
        self.progress = progress

    def table(self, t: Table) -> str:
        self.n_tables += 1
        return table_html(t, self.n_tables)

    def run(self, sid: str, title: str, fn: Callable[[], str]) -> None:
        from compassion_scales.errors import CompassionScalesError

        t0 = _time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                body = fn()
            except CompassionScalesError as exc:
                self.skipped[title] = str(exc)
                body = f'<p class="skipped">Not computed: {_html.escape(str(exc))}</p>'
        msgs = sorted({str(w.message) for w in caught
                       if issubclass(w.category, (RuntimeWarning, UserWarning))
                       and "cscore" not in str(w.filename)[:0]})
        if msgs:
            body += ('<details><summary>Warnings (' + str(len(msgs)) + ')</summary><ul class="warnings">'
                     + "".join(f"<li>{_html.escape(m)}</li>" for m in msgs[:12]) + "</ul></details>")
        self.timings[title] = _time.perf_counter() - t0
        self.parts.append((sid, title, body))


def _esc(x: Any) -> str:
    return _html.escape(str(x))


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = [f"Python {platform.python_version()}"]
    for pkg in ("cscore", "numpy", "pandas", "scipy", "factor-analyzer", "statsmodels"):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def _bootstrap_omega(items: pd.DataFrame, n_boot: int, seed: int, level: float,
                     progress: bool) -> tuple[float, float]:
    """Percentile bootstrap CI of omega total (one-factor ULS, pairwise), resampling people."""
    from compassion_scales.progress_bars import bar
    from compassion_scales.stats.omega_bootstrap import bootstrap_omega_total

    with bar(total=n_boot, desc="omega bootstrap", progress=progress) as pb:
        lo, hi, _n = bootstrap_omega_total(items.to_numpy(dtype=float), n_boot, seed, level, pb)
    return lo, hi


@dataclass
class _Study:
    """What the sections of one report read: the data, the options and the scored data."""

    data: pd.DataFrame
    inst: Any
    group: str | None
    time: str | None
    id: str | None
    n_boot: int
    seed: int
    invariance: bool
    progress: bool
    level: float
    b: _Builder
    listed: Sequence[Any] | None = None
    occasions: list[Any] = field(default_factory=list)
    cross: pd.DataFrame = field(default_factory=pd.DataFrame)
    scored: Any = None
    items_all: pd.DataFrame = field(default_factory=pd.DataFrame)
    scored_items: list[str] = field(default_factory=list)
    score_ids: list[str] = field(default_factory=list)
    multi: list[Any] = field(default_factory=list)
    unverified: list[dict[str, Any]] = field(default_factory=list)
    cross_scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    on_invalid: str = "error"
    n_invalid: int = 0

    @property
    def ci_label(self) -> str:
        return f"{self.level * 100:g}% CI"

    @property
    def first(self) -> str:
        """`` (first occasion)`` after a title when the data has occasions."""
        return " (first occasion)" if self.time else ""


def _check_columns(data: pd.DataFrame, group: str | None, time: str | None, id: str | None) -> None:
    for col, what in ((group, "group"), (time, "time"), (id, "id")):
        if col is not None and col not in data.columns:
            raise AnalysisError(f"The {what} column {col!r} is not in the data; columns are: "
                                + ", ".join(map(str, data.columns[:30])) + "."
                                + column_hint(data.columns, col))


def _prepare(st: _Study) -> None:
    """Score every row, and take the first occasion for the cross-sectional analyses.

    Occasions are in time order (:func:`compassion_scales.occasions.time_order`: numbers,
    dates and categories in their own order, text labels as listed in ``occasions``; with
    ``occasions``, rows at other occasions are left out). Invalid answers stop the report
    here (``on_invalid="error"``, listed as every command lists them) or are blanked in the
    data every section reads (``"missing"``).
    """
    import compassion_scales as cs
    from compassion_scales._inputs import as_key, subset_rows
    from compassion_scales.occasions import time_order

    if st.time is not None:
        st.occasions = time_order(st.data[st.time], time=st.time, occasions=st.listed)
        if st.listed is not None:
            keep = as_key(st.data[st.time]).isin(as_key(pd.Series(st.occasions, dtype=object)))
            st.data = subset_rows(st.data, keep.fillna(False).to_numpy(dtype=bool))
    id_cols = [c for c in (st.id, st.time) if c]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st.scored = cs.score(st.data, st.inst, id=id_cols or None, on_invalid=st.on_invalid)
    st.n_invalid = len(st.scored.invalid)
    st.data = _blank_invalid(st.data, st.scored.invalid)
    data, inst, time = st.data, st.inst, st.time
    st.cross = data
    if time is not None:
        st.cross = data[(data[time] == st.occasions[0]).to_numpy(dtype=bool)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = cs.prepare_responses(st.cross, inst, on_invalid="missing")
    st.items_all = pd.DataFrame(prepared.values, columns=prepared.item_ids, index=prepared.index)
    st.scored_items = [i.id for i in inst.items if i.scored and i.id in st.items_all.columns]
    st.score_ids = [s.id for s in inst.scores if s.id in st.scored.scores.columns]
    st.multi = [s for s in inst.scores if s.id in st.score_ids and len(s.items) >= 2]
    st.unverified = [v for v in inst.raw.get("verification", []) if v.get("status") == "unverified"]
    st.cross_scores = st.scored.scores.loc[st.cross.index] if time is not None else st.scored.scores


def _blank_invalid(data: pd.DataFrame, invalid: pd.DataFrame) -> pd.DataFrame:
    """``data`` with the cells listed in ``invalid`` (file row, column) blanked."""
    from compassion_scales._inputs import file_row_numbers

    if not len(invalid):
        return data
    pos = {int(r): k for k, r in enumerate(file_row_numbers(data))}
    out = data.copy()
    for row, col in zip(invalid["row"], invalid["column"], strict=True):
        if col in out.columns and int(row) in pos:
            out.iloc[pos[int(row)], out.columns.get_loc(col)] = None
    out.attrs = dict(data.attrs)
    return out


def _sample_text(st: _Study) -> str:
    data, group, time = st.data, st.group, st.time
    out = [f"<p>{len(data)} rows"]
    if st.id:
        out.append(f" from {data[st.id].nunique()} people")
    if time is not None:
        counts = data[time].value_counts().reindex(st.occasions)
        out.append("; occasions (" + _esc(time) + "): "
                   + ", ".join(f"{_esc(k)}: n = {int(v)}" for k, v in counts.items()))
    if group is not None:
        counts = st.cross[group].value_counts(dropna=False)
        out.append("; groups (" + _esc(group) + (", first occasion" if time else "") + "): "
                   + ", ".join(f"{_esc(k)}: n = {int(v)}" for k, v in counts.items()))
    out.append(".</p>")
    if st.n_invalid:
        out.append(f"<p>{st.n_invalid} invalid answer{'s' if st.n_invalid != 1 else ''} (out of "
                   f"range, or text that is no answer) {'were' if st.n_invalid != 1 else 'was'} "
                   "treated as missing in every section (on_invalid = missing).</p>")
    return "".join(out)


def _sample_section(st: _Study) -> str:
    b = st.b
    b.key["n_rows"] = str(len(st.data))
    answers = st.items_all[st.scored_items]
    miss = answers.isna().mean()
    item_tab = pd.DataFrame({"item": miss.index, "pct_missing": miss.to_numpy() * 100})
    worst = item_tab.sort_values("pct_missing", ascending=False).head(8)
    any_missing = float(answers.isna().any(axis=1).mean() * 100)
    out = [_sample_text(st),
           f"<p>Item answers missing: {miss.mean() * 100:.1f}% of cells overall; "
           f"{any_missing:.0f}% of people skipped at least one item{st.first}.</p>"]
    summ = st.scored.summary
    summ = summ[summ["score"].isin(st.score_ids)]
    t = make_table(summ[["score", "n_rows", "n_scored", "n_complete", "n_prorated", "n_missing",
                         "rule"]].rename(columns={"n_rows": "rows", "n_scored": "scored",
                                                  "n_complete": "complete", "n_prorated": "prorated",
                                                  "n_missing": "missing"}),
                   "Scores computed and missing-data rule applied", columns="all")
    out.append(b.table(t))
    t2 = make_table(worst.assign(pct_missing=worst["pct_missing"].map(lambda v: f"{v:.1f}")),
                    "Items with the most missing answers (%)", columns="all")
    out.append(b.table(t2))
    return "".join(out)


def _items_section(st: _Study) -> str:
    from compassion_scales.reporting.svg import likert_bars

    inst, items_all = st.inst, st.items_all
    out = []
    for s in inst.scores:
        its = [i for i in s.items if i in items_all.columns]
        if not its or s.components:
            continue
        rs = inst.response_sets[inst.item(its[0]).response_set]
        codes = [o.score for o in rs.options] if rs.options else \
            list(np.arange(rs.min, rs.max + 1))
        opts = list(rs.options) if rs.options else [None] * len(codes)
        labels = [f"{c:g} {o.label}" if o is not None and o.label else f"{c:g}"
                  for c, o in zip(codes, opts, strict=True)]
        props = {}
        for it in its:
            v = items_all[it].dropna().to_numpy()
            props[it] = [float((v == c).mean()) if v.size else 0.0 for c in codes]
        out.append(f"<figure>{likert_bars(props, labels, title=s.label)}<figcaption>Answers to "
                   f"the {len(its)} items of {_esc(s.label)} ({_esc(s.id)}), share of people "
                   "answering each item.</figcaption></figure>")
    return "".join(out)


def _score_rows(st: _Study) -> pd.DataFrame:
    rows = []
    summ = st.scored.summary.set_index("score")
    for s in st.inst.scores:
        if s.id not in st.cross_scores.columns:
            continue
        v = pd.to_numeric(st.cross_scores[s.id], errors="coerce").dropna()
        lo, hi = summ.loc[s.id, "possible_min"], summ.loc[s.id, "possible_max"]
        norm = next(iter(s.norms), None)
        rows.append({"score": s.id, "n": len(v), "mean": v.mean(), "sd": v.std(), "min": v.min(),
                     "max": v.max(), "floor": f"{(v <= lo).mean() * 100:.1f}",
                     "ceiling": f"{(v >= hi).mean() * 100:.1f}",
                     "norm_mean": norm["mean"] if norm else np.nan,
                     "norm_sd": norm["sd"] if norm else np.nan,
                     "norm_sample": norm["sample"] if norm else ""})
    return pd.DataFrame(rows)


def _scores_section(st: _Study) -> str:
    df = _score_rows(st)
    notes = ["Floor and ceiling: percentage of people at the lowest and highest possible score "
             "(above 15% is usually reported as a floor or ceiling effect)."]
    if df["norm_mean"].notna().any():
        df["departs"] = np.where((df["mean"] - df["norm_mean"]).abs() > 0.5 * df["norm_sd"],
                                 "yes", "")
        notes.append("departs: the sample mean differs from the published mean by more than half "
                     "a published SD.")
    else:
        df = df.drop(columns=["norm_mean", "norm_sd", "norm_sample"])
        notes.append(f"The instrument file has no published norms for {st.inst.id}; none are compared.")
    for r in df.itertuples():
        st.b.key[f"mean:{r.score}"] = f"{r.mean:.2f}"
    t = make_table(df.rename(columns={"floor": "floor_prop", "ceiling": "ceiling_prop"}),
                   "Score descriptives" + st.first, columns="all", notes=notes)
    t.cells.columns = [{"floor prop": "Floor %", "ceiling prop": "Ceiling %",
                        "norm mean": "Norm M", "norm sd": "Norm SD",
                        "norm sample": "Norm sample", "departs": "Departs"}.get(c, c)
                       for c in t.cells.columns]
    return st.b.table(t)


def _omega_intervals(st: _Study) -> tuple[list[float], list[float]]:
    """Bootstrap interval of omega total for each multi-item score (NaN with ``n_boot=0``)."""
    lo_w, hi_w = [], []
    for s in st.multi:
        lo, hi = np.nan, np.nan
        if st.n_boot:
            its = [i for i in s.items if i in st.items_all.columns]
            keyed = _keyed_items(st.inst, s, st.items_all[its])
            lo, hi = _bootstrap_omega(keyed, st.n_boot, st.seed, st.level, st.progress)
        lo_w.append(lo)
        hi_w.append(hi)
    return lo_w, hi_w


def _reliability_section(st: _Study) -> str:
    import compassion_scales as cs

    b, n_boot, ci_label = st.b, st.n_boot, st.ci_label
    res = cs.reliability(st.cross, st.inst, n_boot=n_boot, seed=st.seed, level=st.level,
                         scores=[s.id for s in st.multi])
    summ = res.summary.copy()
    summ["omega_ci_low"], summ["omega_ci_high"] = _omega_intervals(st)
    summ["published_alpha"] = ["; ".join(f"{r['value']:.2f}".lstrip("0") + f" ({r.get('sample', '')})"
                                         for r in s.reliability if r.get("coefficient") == "alpha")
                               for s in st.multi]
    keep = ["score", "n_obs", "n_items", "alpha", "ci_low", "ci_high", "boot_ci_low",
            "boot_ci_high", "omega_total", "omega_ci_low", "omega_ci_high", "published_alpha"]
    t = make_table(summ[[c for c in keep if c in summ.columns]], "Internal consistency" + st.first,
                   columns="all", ci_label=ci_label,
                   notes=[f"α: Cronbach's alpha with Feldt {ci_label} and percentile bootstrap "
                          f"interval ({n_boot} resamples, seed {st.seed}); ω: McDonald's omega total "
                          f"(one-factor minres) with a percentile bootstrap interval "
                          f"({n_boot} resamples)."])
    for r in summ.itertuples():
        b.key[f"alpha:{r.score}"] = t.cells.loc[r.Index, "α"]
    b.methods.append(
        f"Internal consistency was estimated with Cronbach's α (Feldt {ci_label}; percentile "
        f"bootstrap, {n_boot} resamples) and McDonald's ω total from a one-factor minimum-residual "
        f"solution (percentile bootstrap, {n_boot} resamples), pairwise-complete "
        "covariances, as in R psych::alpha and psych::omega.")
    items_t = make_table(res.items, "Item analysis", table="Items")
    return b.table(t) + b.table(items_t)


def _exploratory_part(st: _Study) -> str:
    """Scree plot with parallel analysis, then the EFA with the suggested number of factors."""
    import compassion_scales as cs
    from compassion_scales.reporting.apa import sort_loadings
    from compassion_scales.reporting.svg import scree_chart

    b = st.b
    pa = cs.parallel_analysis(st.cross, instrument=st.inst, seed=st.seed, progress=st.progress)
    ev = pa.eigenvalues
    nf = max(1, int(pa.n_factors))
    obs = ev["observed_fa"].to_numpy()
    sim = ev["simulated_fa_quantile"].to_numpy() if "simulated_fa_quantile" in ev else None
    out = [f"<figure>{scree_chart(obs, sim, n_retained=nf)}<figcaption>Scree plot with "
           f"parallel analysis ({pa.n_iter} random data sets): {nf} factor(s) "
           "suggested.</figcaption></figure>"]
    b.key["pa_factors"] = str(nf)
    efa = cs.efa(st.cross, st.inst, n_factors=nf, seed=st.seed)
    out.append(b.table(make_table(sort_loadings(efa.summary, cut=0.30),
                                  f"Exploratory factor analysis: {nf} factor(s), minres, "
                                  "oblimin (loadings below .30 hidden)", table="EFAResult")))
    b.methods.append(
        f"The number of factors was chosen by parallel analysis ({pa.n_iter} simulated data sets, "
        f"95th percentile; psych::fa.parallel); an exploratory factor analysis (minres, oblimin) "
        f"with {nf} factor(s) followed.")
    return "".join(out)


def _confirmatory_part(st: _Study) -> str:
    """The declared model's fit (ML, listwise) and its factor correlations."""
    import compassion_scales as cs
    from compassion_scales.reporting.tables import cfa_factor_correlations

    b = st.b
    cfa = cs.cfa(st.cross, st.inst)
    f = cfa.fit
    fit = pd.DataFrame([{"n": cfa.n_obs, "chisq": f["chisq"], "df": f["df"], "p_val": f["p_val"],
                         "cfi": f["cfi"], "tli": f["tli"], "rmsea": f["rmsea"],
                         "rmsea_ci_low": f["rmsea_ci_low"], "rmsea_ci_high": f["rmsea_ci_high"],
                         "srmr": f["srmr"]}])
    fit_t = make_table(fit, "Confirmatory factor analysis of the declared model (ML)",
                       columns="all", ci_label="90% CI",
                       notes=[f"Listwise deletion: {cfa.n_obs} complete cases, {cfa.n_dropped} "
                              "dropped."])
    b.key["cfi"] = fit_t.cells.iloc[0]["CFI"]
    b.key["rmsea"] = fit_t.cells.iloc[0]["RMSEA"]
    out = [b.table(fit_t)]
    phi = cfa_factor_correlations(cfa)
    if len(phi):
        out.append(b.table(make_table(phi, "CFA factor correlations", columns="all")))
    b.methods.append(f"The declared factor model was fitted by maximum likelihood (lavaan's "
                     f"conventions), listwise (n = {cfa.n_obs}).")
    return "".join(out)


def _invariance_part(st: _Study) -> str:
    """Multi-group invariance across the group, when asked for (the slowest step)."""
    import compassion_scales as cs

    b, group = st.b, st.group
    if group is None:
        return ""
    if not st.invariance:
        return ('<p class="skipped">Measurement invariance was not requested '
                "(--no-invariance).</p>")
    t0 = _time.perf_counter()
    try:
        inv = cs.invariance(st.cross, st.inst, group=group, progress=st.progress)
        cols = ["step", "chisq", "df", "p_val", "cfi", "rmsea", "delta_cfi", "delta_rmsea", "holds"]
        out = b.table(make_table(inv.summary[[c for c in cols if c in inv.summary]],
                                 f"Measurement invariance across {group}", columns="all"))
        b.methods.append(f"Measurement invariance across {group} was tested by multi-group "
                         "CFA (configural, metric, scalar, strict; ΔCFI ≤ .010 and ΔRMSEA ≤ "
                         ".015).")
    except AnalysisError as exc:
        b.skipped["Measurement invariance"] = str(exc)
        out = (f'<h3>Measurement invariance across {_esc(group)}</h3><p class="skipped">'
               f"Not computed: {_esc(exc)}</p>")
    b.timings["(invariance)"] = _time.perf_counter() - t0
    return out


def _factor_section(st: _Study) -> str:
    return _exploratory_part(st) + _confirmatory_part(st) + _invariance_part(st)


def _comparison_part(st: _Study) -> str:
    import compassion_scales as cs

    b, group, ci_label = st.b, st.group, st.ci_label
    assert group is not None
    scores = st.cross_scores
    cmp = cs.compare(scores.assign(**{group: st.cross[group]}) if group not in scores else scores,
                     None, group=group, scores=st.score_ids, level=st.level)
    method_notes = [n for n in cmp.notes()[1:]
                    if not n.startswith(("Multiple comparisons", "Missing data", "Post hoc"))]
    out = [b.table(make_table(cmp.descriptives, "Group descriptives", ci_label=ci_label)),
           b.table(make_table(cmp.tests, cmp.title, table="ComparisonResult", ci_label=ci_label,
                              notes=method_notes))]
    if len(cmp.posthoc):
        out.append(b.table(make_table(cmp.posthoc, "Pairwise comparisons", ci_label=ci_label)))
    b.methods.append(f"Scores were compared across {group} with Welch's tests and "
                     f"Hedges' g ({cmp.correction} correction across scores)"
                     + (", with default-prior JZS Bayes factors (r = 0.707, as JASP)"
                        if len(cmp.levels) == 2 else "") + ".")
    return "".join(out)


def _flows_part(st: _Study) -> str:
    import compassion_scales as cs

    try:
        over_time = len(st.occasions) > 1  # one occasion: no time factor
        fl = cs.flows(st.data, st.inst, group=st.group, time=st.time if over_time else None,
                      id=st.id, occasions=st.occasions if over_time else None)
    except AnalysisError as exc:
        return f'<p class="skipped">Flows not computed: {_esc(exc)}</p>'
    model = ("a linear mixed model with a random intercept per person" if over_time
             else "mixed ANOVA" if st.group is not None else "repeated-measures ANOVA")
    model += " on mean item scores"
    st.b.methods.append(f"The flows of compassion were compared within person ({model}).")
    return st.b.table(make_table(fl.summary, "Flows of compassion", table="FlowsResult"))


def _has_flows(st: _Study) -> bool:
    return any(s.flow for s in st.inst.scores)


def _groups_section(st: _Study) -> str:
    out = _comparison_part(st) if st.group is not None else ""
    return out + (_flows_part(st) if _has_flows(st) else "")


def _change_table(st: _Study, ch: Any) -> pd.DataFrame:
    """Reliable change per score: n (%) improved, unchanged, deteriorated, not assessable."""
    g = ch.group[ch.group["classification"] == "reliable_change"].copy()
    g["cell"] = [f"{int(n)}" + (f" ({p:.0f}%)" if pd.notna(p) else "")
                 for n, p in zip(g["n"], g["percent"], strict=True)]
    wide = g.pivot(index="score", columns="category", values="cell")
    order = [c for c in ("reliable_improvement", "no_reliable_change",
                         "reliable_deterioration", "not_assessable") if c in wide.columns]
    wide = wide[order].reindex([s for s in st.score_ids if s in wide.index]).reset_index()
    wide.columns = [str(c).replace("_", " ").capitalize() if c != "score" else "score"
                    for c in wide.columns]
    return wide


def _change_section(st: _Study) -> str:
    import compassion_scales as cs

    b, first, last = st.b, st.occasions[0], st.occasions[-1]
    ch = cs.change(st.scored.scores, st.inst, id=st.id, time=st.time, occasions=(first, last),
                   scores=st.score_ids)
    wide = _change_table(st, ch)
    out = [b.table(make_table(wide, f"Reliable change from {st.time} = {first} to "
                              f"{last} (Jacobson-Truax)", columns="all",
                              notes=["n (% of people with both scores); not assessable: "
                                     "a score missing on one occasion."]))]
    for r in wide.itertuples(index=False):
        b.key[f"improved:{r[0]}"] = str(r[1])
    par = ch.parameters
    keep = [c for c in ("score", "higher_is", "n_pairs", "sd", "sd_source", "reliability",
                        "reliability_source", "rc_threshold") if c in par.columns]
    out.append(b.table(make_table(par[keep], "Reliable change parameters", columns="all",
                                  notes=ch.notes()[:1])))
    threshold = getattr(ch, "rci_threshold", getattr(ch, "rci_criterion", 1.96))
    b.methods.append(f"Change from the first to the last occasion was classified by the "
                     f"Jacobson-Truax reliable change index (|RCI| > {threshold:g}).")
    return "".join(out)


def _methods_section(st: _Study) -> str:
    import compassion_scales as cs
    from compassion_scales.reporting.labelled import instrument_name

    inst = st.inst
    cite = inst.citation.strip()
    rules = sorted({str(r) for r in st.scored.summary["rule"]})
    text = (f"Responses to the {_esc(inst.name)} ({_esc(instrument_name(inst))}; {_esc(cite)}) were "
            f"scored with cscore {cs.__version__} as the instrument file declares "
            f"({_esc('; '.join(rules))}). "
            + (f"Cross-sectional analyses use the first occasion ({_esc(st.time)} = "
               f"{_esc(st.occasions[0])}). " if st.time else "")
            + " ".join(_esc(m) for m in st.b.methods)
            + f" Software: {_esc(_versions())}.")
    out = [f'<p class="methods">{text}</p>']
    if st.unverified:
        out.append('<div class="warnbox"><p><span class="flag">Unverified in the instrument '
                   "file</span> (check before publishing):</p><ul>"
                   + "".join(f"<li>{_esc(v['topic'])}: {_esc(v.get('source', ''))}</li>"
                             for v in st.unverified) + "</ul></div>")
    return "".join(out)


def _steps(st: _Study) -> list[tuple[str, str, Callable[[_Study], str] | None]]:
    """(id, title, section) in page order; ``None`` where the section does not apply."""
    groups = st.group is not None or _has_flows(st)
    change = st.time is not None and st.id is not None and len(st.occasions) >= 2
    return [("sample", "Sample and missing data", _sample_section),
            ("items", "Item distributions", _items_section),
            ("scores", "Scores beside published norms", _scores_section),
            ("reliability", "Reliability and item analysis", _reliability_section),
            ("factors", "Factor structure", _factor_section),
            ("groups", "Flows and group comparisons", _groups_section if groups else None),
            ("change", "Change over time", _change_section if change else None),
            ("methods", "Methods", _methods_section)]


def _page(st: _Study, source: str | None) -> str:
    """The complete HTML page: header, table of contents, sections and footer."""
    import compassion_scales as cs

    inst, b = st.inst, st.b
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"<header><h1>{_esc(inst.name)}: study report</h1>"
              f'<p class="sub">{_esc(source or "data")} · {len(st.data)} rows · instrument '
              f"{_esc(inst.id)} {_esc(inst.version)} · cscore {cs.__version__} · {created}</p>"
              + ('<div class="warnbox"><span class="flag">' + str(len(st.unverified))
                 + " unverified key(s)</span> in the instrument file are flagged in the Methods "
                 "section.</div>" if st.unverified else "")
              + "</header>")
    nav = "<nav><ol>" + "".join(f'<li><a href="#{sid}">{_esc(t)}</a></li>'
                                 for sid, t, _ in b.parts) + "</ol></nav>"
    body = "".join(f'<section id="{sid}"><h2>{_esc(t)}</h2>{h}</section>' for sid, t, h in b.parts)
    total = sum(v for k, v in b.timings.items() if not k.startswith("("))
    footer = (f"<footer>Generated by cscore {cs.__version__} in {total:.1f} s. "
              f"{_esc(_versions())}.</footer>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(inst.name)}: study report</title><style>{_CSS}{APA_TABLE_CSS}</style>"
            f"</head><body>{header}{nav}{body}{footer}</body></html>\n")


def _one_bootstrap_count(args: tuple[Any, ...], kwargs: dict[str, Any]
                         ) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """0.1's ``boot`` (alpha) and ``omega_boot`` (omega) became one count, ``n_boot``."""
    old = {k: kwargs.pop(k) for k in ("boot", "omega_boot") if k in kwargs}
    if old:
        if "n_boot" in kwargs:
            raise TypeError("report(): give `n_boot` only (`boot`/`omega_boot` are its old names)")
        warnings.warn("report(): the arguments `boot` and `omega_boot` are now one count, "
                      "`n_boot`, used by every bootstrap of the report; they will stop working "
                      f"in version {REMOVED_IN}.", FutureWarning, stacklevel=3)
        kwargs["n_boot"] = old.get("omega_boot", old.get("boot"))
    return args, kwargs


@renamed_arguments(adapt=_one_bootstrap_count)
def report(data: pd.DataFrame, instrument: InstrumentLike, *, group: str | None = None,
           time: str | None = None, occasions: Sequence[Any] | None = None,
           id: str | None = None, n_boot: int = 1000, seed: int = 0,
           invariance: bool = False, progress: bool = False, source: str | None = None,
           level: float = 0.95, on_invalid: str = "error") -> StudyReport:
    """Build a self-contained HTML study report for one instrument.

    Parameters
    ----------
    data : DataFrame
        Item responses (one row per person, or per person and occasion with ``time``).
    instrument : str, path or Instrument
    group : str, optional
        Grouping column: group comparisons (with post hoc tests), measurement invariance.
    time, id : str, optional
        Occasion and person columns: change from the first to the last occasion
        (Jacobson-Truax). Cross-sectional analyses use the first occasion only.
    occasions : sequence, optional
        With ``time``: the occasions to report, in time order (``["pre", "post"]``); rows at
        other occasions are left out. Needed when the time column holds text labels
        (alphabetical order would make ``post`` the first occasion); numbers, dates and a
        categorical column keep their own order.
    n_boot : int
        Resamples of every bootstrap in the report: alpha's and omega's percentile
        intervals (0 = no bootstrap intervals).
    seed : int
        Seed of every resampling step.
    invariance : bool
        Fit the multi-group invariance models (the slowest step) when ``group`` is given.
    progress : bool
        Show a progress bar on standard error.
    source : str, optional
        Name of the data file, printed in the header.
    level : float
        Confidence level.
    on_invalid : {"error", "missing"}
        Invalid answers (out of range, text that is no answer) stop the report with a list of
        every bad cell (default, as every other command), or are blanked before any section
        is computed, with their count stated in the report.

    Returns
    -------
    StudyReport

    Examples
    --------
    >>> import compassion_scales as cs
    >>> from compassion_scales.io import read_responses
    >>> d = read_responses("examples/responses.csv")  # doctest: +SKIP
    >>> rep = cs.report(d, "fcs", group="group", time="time", id="pid")  # doctest: +SKIP
    >>> rep.save("report.html")  # doctest: +SKIP
    """
    from compassion_scales.instrument import Instrument, load_instrument

    inst = load_instrument(instrument if isinstance(instrument, (str, Instrument))
                           else Path(instrument))
    _check_columns(data, group, time, id)
    if occasions is not None and time is None:
        raise AnalysisError("occasions orders the values of the time column; name it too "
                            "(time=... / --time COL).")
    from compassion_scales.analyses.reliability import check_n_boot

    n_boot = check_n_boot(n_boot)  # refused up front, not by dropping the reliability section
    if on_invalid not in ("error", "missing"):
        raise AnalysisError(f"on_invalid must be 'error' or 'missing', not {on_invalid!r}.")
    st = _Study(data=data, inst=inst, group=group, time=time, id=id, n_boot=n_boot, seed=seed,
                invariance=invariance, progress=progress, level=level, b=_Builder(progress),
                on_invalid=on_invalid, listed=occasions)
    _prepare(st)
    steps = _steps(st)
    pbar: Any = None
    if progress:
        from compassion_scales.progress_bars import bar

        pbar = bar(total=len(steps), desc="report")
    for sid, title, section in steps:
        if section is not None:
            st.b.run(sid, title, functools.partial(section, st))
        if pbar is not None:
            pbar.update(1)
    if pbar is not None:
        pbar.close()
    return StudyReport(html=_page(st, source), sections=tuple(t for _, t, _ in st.b.parts),
                       timings=st.b.timings, skipped=st.b.skipped, key_numbers=st.b.key)


def _keyed_items(inst: Any, score: Any, items: pd.DataFrame) -> pd.DataFrame:
    """Items of ``score`` with reverse-keyed items flipped (min + max - x)."""
    out = items.copy()
    if getattr(score, "keying", "keyed") != "keyed":
        return out
    for it in out.columns:
        item = inst.item(it)
        if item.reverse:
            rs = inst.response_sets[item.response_set]
            out[it] = rs.min + rs.max - out[it]
    return out

