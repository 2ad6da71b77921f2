"""The three flows of compassion (self, to others, from others) across groups and time.

:func:`flows` takes an instrument whose scores carry ``flow`` tags (CEAS, FCS, or a
user's own file), puts the flows on a common metric (mean item score or percent of
maximum possible), and reports descriptives per flow x group (x time), a mixed ANOVA
(flow within, group between; Type III sums of squares by default), post hoc tests with
Hedges' g, flow inter-correlations with Fisher z and Steiger tests, and, with a time
factor, a linear mixed model.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError, MissingDataWarning, SkippedScoreWarning
from compassion_scales.group_comparison import (
    adjust_p,
    group_levels,
    hedges_g_independent,
    hedges_j,
    t_ci,
    welch_t,
)
from compassion_scales.results import ResultMixin

__all__ = ["flows", "FlowsResult", "mixed_anova", "steiger_test", "fisher_z_test", "METRICS"]

METRICS = ("mean_item", "pomp", "raw")
FLOW_ORDER = ("self", "to_others", "from_others")
_NO_GROUP = "all"


# --------------------------------------------------------------------------- mixed ANOVA


def _contr_sum(k: int) -> np.ndarray:
    c = np.zeros((k, k - 1))
    c[: k - 1] = np.eye(k - 1)
    c[k - 1] = -1.0
    return c


def mixed_anova(y: np.ndarray, groups: Sequence[Any] | None = None, *, ss_type: int = 3,
                group_observed: bool = False, within: str = "flow", between: str = "group"
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split-plot ANOVA: one within factor (columns of ``y``) and an optional between factor.

    Parameters
    ----------
    y : array (n, k)
        Complete cases: one row per person, one column per level of the within factor.
    groups : sequence of length n, optional
        Between-subject group of each row.
    ss_type : {3, 1}
        Type III (R ``afex::aov_ez(type = 3)`` / ``car::Anova``, SPSS, JASP) or Type I
        (sequential, R ``aov``). They differ for the within main effect when groups are
        unequal in size.
    group_observed : bool
        Treat the group as measured rather than manipulated in generalised eta squared
        (``afex``'s ``observed`` argument).

    Returns
    -------
    anova : DataFrame
        ``term``, ``df1``, ``df2``, ``ss``, ``ss_error``, ``ms_error``, ``f``, ``p_val``,
        ``pes``, ``ges``, ``gg_eps``, ``p_gg``, ``hf_eps``, ``p_hf``.
    sphericity : DataFrame
        Mauchly's W and its p value for the within factor (``car``'s computation).

    Notes
    -----
    The multivariate formulation of ``car::Anova.mlm``: the between design uses sum-to-zero
    contrasts; for each between term the hypothesis SSP matrix ``H`` (Type III: the term's
    coefficients are zero; Type I: sequential) is projected on the within contrasts
    ``P``: SS = tr(H P (P'P)^-1 P'). Greenhouse-Geisser ε from the eigenvalues of the
    projected error SSP; Huynh-Feldt ε = ((N−g+1)(k−1)ε_GG − 2) / ((k−1)(N−g−(k−1)ε_GG))
    (car's formula, Lecoutre's correction), capped at 1 for the p value.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1., 2, 4], [2, 3, 3], [1, 3, 5], [2, 2, 4], [3, 4, 6]])
    >>> tab, _ = mixed_anova(y)
    >>> round(float(tab.loc[0, "f"]), 3)
    19.846
    """
    from scipy.stats import chi2
    from scipy.stats import f as f_dist

    y = np.asarray(y, dtype=float)
    n, k = y.shape
    if k < 2:
        raise AnalysisError("The within-subject factor needs at least two levels (two flows).")
    if groups is None:
        codes = np.zeros(n, dtype=int)
        g = 1
    else:
        levels, codes = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
        g = len(levels)
    x = np.ones((n, 1))
    if g > 1:
        x = np.hstack([x, _contr_sum(g)[codes]])
    df_e = n - g
    if df_e < 1:
        raise AnalysisError(f"Too few people for the ANOVA: {n} complete case(s) in {g} group(s).")
    xtx_inv = np.linalg.inv(x.T @ x)
    b = xtx_inv @ x.T @ y
    res = y - x @ b
    e = res.T @ res

    def h_for(cols: list[int]) -> np.ndarray:
        lb = b[cols]
        return lb.T @ np.linalg.solve(xtx_inv[np.ix_(cols, cols)], lb)

    ybar = y.mean(axis=0)
    if ss_type == 3:
        h_int = h_for([0])
    elif ss_type == 1:
        h_int = n * np.outer(ybar, ybar)
    else:
        raise AnalysisError(f"Sums-of-squares type must be 3 or 1, not {ss_type!r}.")
    h_grp = h_for(list(range(1, g))) if g > 1 else np.zeros((k, k))

    p0 = np.ones((k, 1))
    p1 = _contr_sum(k)

    def proj(m: np.ndarray, p: np.ndarray) -> float:
        return float(np.trace(p.T @ m @ p @ np.linalg.inv(p.T @ p)))

    sse_b = proj(e, p0)
    sse_w = proj(e, p1)
    pp = k - 1
    # sphericity (car::summary.Anova.mlm)
    e_w = p1.T @ e @ p1
    psi = p1.T @ p1
    lam = np.linalg.eigvals(e_w @ np.linalg.inv(psi)).real
    lam = lam[lam > 0]
    if pp >= 2:
        gg = float((lam.sum() / pp) ** 2 / ((lam ** 2).sum() / pp))
        hf = ((df_e + 1) * pp * gg - 2) / (pp * (df_e - pp * gg))
        u = np.linalg.solve(psi, e_w)
        log_w = math.log(np.linalg.det(u)) - pp * math.log(np.trace(u) / pp)
        rho = 1 - (2 * pp ** 2 + pp + 2) / (6 * pp * df_e)
        # car uses 3 * k (not 3 * (k - 1)) in this term; kept for identical results
        w2 = ((pp + 2) * (pp - 1) * (pp - 2) * (2 * pp ** 3 + 6 * pp ** 2 + 3 * k + 2)
              / (288 * (df_e * pp * rho) ** 2))
        z = -df_e * rho * log_w
        fdf = pp * (pp + 1) / 2 - 1
        pr1, pr2 = chi2.sf(z, fdf), chi2.sf(z, fdf + 4)
        sph = pd.DataFrame({"effect": [within], "mauchly_w": [math.exp(log_w)],
                            "chi2": [z], "df": [fdf], "p_val": [float(pr1 + w2 * (pr2 - pr1))],
                            "gg_eps": [gg], "hf_eps": [hf]})
    else:
        gg = hf = float("nan")
        sph = pd.DataFrame({"effect": [within], "mauchly_w": [np.nan], "chi2": [np.nan], "df": [np.nan],
                            "p_val": [np.nan], "gg_eps": [np.nan], "hf_eps": [np.nan]})

    rows = []
    if g > 1:
        rows.append({"term": between, "df1": g - 1, "df2": df_e, "ss": proj(h_grp, p0),
                     "ss_error": sse_b, "within": False})
    rows.append({"term": within, "df1": pp, "df2": pp * df_e, "ss": proj(h_int, p1),
                 "ss_error": sse_w, "within": True})
    if g > 1:
        rows.append({"term": f"{between}:{within}", "df1": (g - 1) * pp, "df2": pp * df_e,
                     "ss": proj(h_grp, p1), "ss_error": sse_w, "within": True})
    tab = pd.DataFrame(rows)
    tab["ms_error"] = tab["ss_error"] / tab["df2"]
    tab["f"] = (tab["ss"] / tab["df1"]) / tab["ms_error"]
    tab["p_val"] = f_dist.sf(tab["f"], tab["df1"], tab["df2"])
    tab["pes"] = tab["ss"] / (tab["ss"] + tab["ss_error"])
    err_total = sse_b + sse_w  # every error term (afex: sum(unique(Error SS)))
    obs = tab["term"].str.split(":").apply(lambda parts: between in parts) if group_observed else \
        pd.Series(False, index=tab.index)
    obs_sum = float(tab.loc[obs, "ss"].sum())
    tab["ges"] = tab["ss"] / (tab["ss"] + err_total + obs_sum - tab["ss"] * obs)
    eps_gg = np.where(tab["within"], gg, np.nan)
    eps_hf = np.where(tab["within"], hf, np.nan)
    tab["gg_eps"] = eps_gg
    tab["p_gg"] = f_dist.sf(tab["f"], tab["df1"] * eps_gg, tab["df2"] * eps_gg)
    hf_c = np.minimum(1.0, eps_hf)
    tab["hf_eps"] = eps_hf
    tab["p_hf"] = f_dist.sf(tab["f"], tab["df1"] * hf_c, tab["df2"] * hf_c)
    tab = tab.drop(columns="within")
    tab.insert(1, "ss_type", ss_type)
    return tab, sph


# --------------------------------------------------------------------------- correlation tests


def fisher_z_test(r1: float, n1: int, r2: float, n2: int) -> tuple[float, float]:
    """z test of the difference between two independent correlations (Fisher's z).

    Returns the signed z for r1 − r2 and the two-sided p value; ``psych::r.test(n = n1,
    r12 = r1, r34 = r2, n2 = n2)`` reports the same test with ``|z|``.

    Examples
    --------
    >>> z, p = fisher_z_test(0.5, 103, 0.3, 103)
    >>> round(z, 3), round(p, 3)
    (1.696, 0.09)
    """
    from scipy.stats import norm

    if not (abs(r1) < 1 and abs(r2) < 1 and n1 > 3 and n2 > 3):
        return float("nan"), float("nan")
    z = (math.atanh(r1) - math.atanh(r2)) / math.sqrt(1 / (n1 - 3) + 1 / (n2 - 3))
    return float(z), float(2 * norm.sf(abs(z)))


def steiger_test(n: int, r12: float, r34: float, r13: float, r14: float, r23: float,
                 r24: float) -> tuple[float, float]:
    """Steiger's (1980) z test of two dependent correlations with no variable in common.

    Variables 1, 2 measured at one time and 3, 4 (the same constructs) at another in the
    same ``n`` people: tests r12 = r34 with the pooled-r asymptotic covariance, exactly as
    ``psych::r.test(n, r12, r34, r13, r14, r23, r24)`` (``pooled = TRUE``).

    Examples
    --------
    >>> z, p = steiger_test(100, 0.5, 0.3, 0.6, 0.3, 0.3, 0.6)
    >>> round(z, 3), round(p, 4)
    (2.043, 0.0411)
    """
    from scipy.stats import norm

    if not (abs(r12) < 1 and abs(r34) < 1 and n > 3):
        return float("nan"), float("nan")
    pr = (r12 + r34) / 2
    r1234 = 0.5 * ((r13 - pr * r23) * (r24 - r23 * pr) + (r14 - r13 * pr) * (r23 - pr * r13)
                   + (r13 - r14 * pr) * (r24 - pr * r14) + (r14 - pr * r24) * (r23 - r24 * pr))
    z1234 = r1234 / ((1 - pr ** 2) ** 2)
    if not 1 - z1234 > 0:  # the two occasions are (nearly) identical: no test possible
        return float("nan"), float("nan")
    z = (math.atanh(r12) - math.atanh(r34)) * math.sqrt(n - 3) / math.sqrt(2 * (1 - z1234))
    return float(z), float(2 * norm.sf(abs(z)))


def _paired_t(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Paired t-test (t, two-sided p) as R's ``t.test(paired = TRUE)``; NaN when the differences are constant."""
    from scipy.stats import t as t_dist

    d = x - y
    sd = float(d.std(ddof=1))
    if not sd > 0:
        return float("nan"), float("nan")
    t = float(d.mean()) / (sd / math.sqrt(d.size))
    return t, float(2 * t_dist.sf(abs(t), d.size - 1))


def _cor_row(a: np.ndarray, b: np.ndarray, level: float) -> dict[str, float]:
    from scipy.stats import norm
    from scipy.stats import t as t_dist

    n = a.size
    if n < 3 or a.std() == 0 or b.std() == 0:
        return {"n": n, "r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_val": np.nan}
    r = float(np.corrcoef(a, b)[0, 1])
    if abs(r) >= 1:
        return {"n": n, "r": r, "ci_low": r, "ci_high": r, "p_val": 0.0}
    t = r * math.sqrt((n - 2) / (1 - r * r))
    p = float(2 * t_dist.sf(abs(t), n - 2))
    if n > 3:
        half = float(norm.ppf(1 - (1 - level) / 2)) / math.sqrt(n - 3)
        lo, hi = math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)
    else:
        lo = hi = np.nan
    return {"n": n, "r": r, "ci_low": lo, "ci_high": hi, "p_val": p}


def paired_g(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Hedges' g for two measurements in the same people (Borenstein et al. 2009, eq. 4.27-4.28).

    d = mean difference / S_within with S_within = S_diff / sqrt(2(1 − r)); var(d) =
    (1/n + d²/(2n)) · 2(1 − r); g = J(n − 1)·d with Hedges' exact J; normal-theory CI.
    """
    from scipy.stats import norm

    n = x.size
    diff = x - y
    if n < 3:
        return {"g": np.nan, "g_ci_low": np.nan, "g_ci_high": np.nan}
    r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else 0.0
    s_diff = float(diff.std(ddof=1))
    if s_diff == 0 or r >= 1:
        return {"g": np.nan, "g_ci_low": np.nan, "g_ci_high": np.nan}
    s_within = s_diff / math.sqrt(2 * (1 - r))
    d = float(diff.mean()) / s_within
    v = (1 / n + d * d / (2 * n)) * 2 * (1 - r)
    j = hedges_j(n - 1)
    half = float(norm.ppf(1 - (1 - level) / 2)) * j * math.sqrt(v)
    return {"g": j * d, "g_ci_low": j * d - half, "g_ci_high": j * d + half}


# --------------------------------------------------------------------------- flow scores


def _pick_flow_scores(inst: Any, flow_score: Mapping[str, str] | str | None) -> dict[str, str]:
    tags = inst.flows()
    if not tags:
        raise AnalysisError(f"Instrument {inst.id!r} tags no score with a flow (self, to_others, "
                            "from_others), so flows cannot be compared. Add 'flow:' to its scores.")
    chosen: dict[str, str] = {}
    for flow in sorted(tags, key=lambda f: FLOW_ORDER.index(f) if f in FLOW_ORDER else 99):
        ids = tags[flow]
        if isinstance(flow_score, Mapping):
            if flow in flow_score:
                sid = flow_score[flow]
                if sid not in ids:
                    raise AnalysisError(f"Score {sid!r} is not tagged with flow {flow!r} in {inst.id!r}; "
                                        "choose one of: " + ", ".join(ids) + ".")
                chosen[flow] = sid
                continue
        elif isinstance(flow_score, str):
            hits = [s for s in ids if flow_score in s]
            if len(hits) != 1:
                raise AnalysisError(f"flow_score={flow_score!r} must match exactly one score of flow {flow!r} "
                                    f"in {inst.id!r} (its scores: " + ", ".join(ids) + ").")
            chosen[flow] = hits[0]
            continue
        published = [s for s in ids if inst.score(s).status != "derived"]
        chosen[flow] = (published or ids)[0]
    return chosen


def _metric_transform(inst: Any, sid: str, metric: str) -> tuple[float, float, int, str]:
    """(offset, divisor, n_items, description): value_on_metric = (score - offset) / divisor."""
    s = inst.score(sid)
    n_items = len(inst.score_items(sid))
    lo, hi = inst.score_range(sid)
    if metric == "raw":
        return 0.0, 1.0, n_items, "raw score"
    if metric == "pomp":
        return lo, (hi - lo) / 100.0, n_items, f"100 * (score - {lo:g}) / ({hi:g} - {lo:g})"
    if s.aggregation == "sum":
        return 0.0, float(n_items), n_items, f"sum / {n_items} items"
    if s.aggregation == "sum_of_scores":
        return 0.0, float(n_items), n_items, f"sum of component sums / {n_items} items"
    return 0.0, 1.0, n_items, "mean of items (unchanged)"


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class FlowsResult(ResultMixin):
    """The flows of compassion compared across groups (and time).

    Attributes
    ----------
    flow_scores : DataFrame
        Which score stands for each flow and how it was put on the common metric.
    values : DataFrame
        Flow values on the common metric: subject, group, time, one column per flow.
    descriptives : DataFrame
        ``flow``, ``group``, ``time``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``.
    anova : DataFrame or None
        Mixed ANOVA (flow within, group between); None with a time factor.
    sphericity : DataFrame or None
        Mauchly's test and the GG/HF epsilons.
    posthoc : DataFrame
        Pairwise tests: flows within each group (paired t) and groups within each flow
        (Welch t), Holm-adjusted per family, with Hedges' g and its CI.
    correlations : DataFrame
        Flow inter-correlations per group (and time), with CI and p.
    group_tests : DataFrame
        Fisher z tests of each flow correlation between each pair of groups.
    time_tests : DataFrame
        Steiger tests of each flow correlation between each pair of time points.
    mixed_model : DataFrame or None
        Fixed effects of the linear mixed model (with a time factor).
    mixed_model_terms : DataFrame or None
        Wald chi-square test per model term.
    mixed_model_formula : str or None
    """

    flow_scores: pd.DataFrame
    values: pd.DataFrame
    descriptives: pd.DataFrame
    anova: pd.DataFrame | None
    sphericity: pd.DataFrame | None
    posthoc: pd.DataFrame
    correlations: pd.DataFrame
    group_tests: pd.DataFrame
    time_tests: pd.DataFrame
    mixed_model: pd.DataFrame | None
    mixed_model_terms: pd.DataFrame | None
    mixed_model_formula: str | None
    metric: str
    anova_type: int
    group: str | None
    time: str | None
    subject: str | None
    level: float
    n_complete: int
    n_dropped: int
    options: dict[str, Any] = field(default_factory=dict)

    _title = "Flows of compassion"

    @property
    def summary(self) -> pd.DataFrame:
        """The ANOVA table (or, with a time factor, the mixed model's term tests)."""
        if self.anova is not None:
            return self.anova
        if self.mixed_model_terms is not None:
            return self.mixed_model_terms
        return self.descriptives

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        """(title, table) pairs in reading order, for printing every part."""
        out = [("Flow scores", self.flow_scores), ("Descriptives", self.descriptives)]
        if self.anova is not None:
            label = "Type III" if self.anova_type == 3 else "Type I (sequential)"
            out.append((f"Mixed ANOVA ({label} sums of squares)", self.anova))
            out.append(("Sphericity (Mauchly)", self.sphericity))
        if self.mixed_model is not None:
            out.append(("Linear mixed model: term tests", self.mixed_model_terms))
            out.append(("Linear mixed model: fixed effects", self.mixed_model))
        out.append(("Post hoc comparisons", self.posthoc))
        out.append(("Flow inter-correlations", self.correlations))
        if len(self.group_tests):
            out.append(("Correlations compared between groups (Fisher z)", self.group_tests))
        if len(self.time_tests):
            out.append(("Correlations compared between time points (Steiger 1980)", self.time_tests))
        return out

    def _notes(self) -> list[str]:
        pct = f"{self.level * 100:g}%"
        fs = self.flow_scores
        notes = ["Flows: " + "; ".join(f"{r.flow} = {r.score} ({r.transform})" for r in fs.itertuples())
                 + f". Metric: {self.metric}" + {"mean_item": " (mean item score; sums divided by their "
                                                               "number of items)",
                                                  "pomp": " (percent of maximum possible)",
                                                  "raw": " (scores as given)"}[self.metric] + "."]
        if self.options.get("rule"):
            notes.append(self.options["rule"])
        notes.append(f"Descriptives use every available value per flow and cell; {pct} CI = mean ± t * SE.")
        if self.anova is not None:
            if self.anova_type == 3:
                notes.append("Mixed ANOVA with Type III sums of squares (sum-to-zero contrasts), as R "
                             "afex::aov_ez(type = 3) / car::Anova, SPSS and JASP.")
            else:
                notes.append("Mixed ANOVA with Type I (sequential) sums of squares, as R aov() and "
                             "pingouin.mixed_anova; with unequal groups the flow effect differs from Type III.")
            notes.append("pes = partial eta squared; ges = generalised eta squared (Olejnik & Algina 2003; "
                         + ("group treated as observed" if self.options.get("group_observed")
                            else "group treated as manipulated") + "). p_gg / p_hf: Greenhouse-Geisser / "
                         "Huynh-Feldt corrected (HF epsilon capped at 1).")
            notes.append(f"Missing data: the ANOVA uses complete cases: {self.n_complete} people, "
                         f"{self.n_dropped} dropped for a missing flow or group.")
        if self.mixed_model_formula:
            how = "REML" if self.options.get("reml", True) else "ML"
            notes.append(f"Linear mixed model ({how}, random intercept per person, sum-to-zero contrasts; "
                         "likelihood profiled over the variance ratio, as lme4::lmer): "
                         f"{self.mixed_model_formula}; uses every available observation (no listwise "
                         "deletion).")
            attrs = self.mixed_model_terms.attrs if self.mixed_model_terms is not None else {}
            if attrs:
                notes.append(f"Mixed model variances: random intercept {attrs['random_intercept_var']:.4g}, "
                             f"residual {attrs['residual_var']:.4g}; term tests are Wald chi-square tests "
                             "of the sum-coded coefficients.")
        notes.append("Post hoc: flows within each group by paired t-tests (Hedges' g for paired data, "
                     "Borenstein et al. 2009, normal CI); groups within each flow by Welch t-tests (g = J*d, "
                     "pooled-SD d, noncentral-t CI); Holm-adjusted within each family (p_holm); each test "
                     "uses the people with both values.")
        notes.append(f"Correlations: Pearson r on people with both flows, Fisher-z {pct} CI; between groups: "
                     "Fisher z test; between time points in the same people: Steiger (1980) z, as "
                     "psych::r.test.")
        return notes

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        payload: dict[str, Any] = {"summary": self.summary}
        for title, df in self.sections():
            key = {"Flow scores": "flow_scores", "Descriptives": "descriptives",
                   "Post hoc comparisons": "posthoc", "Flow inter-correlations": "correlations",
                   "Sphericity (Mauchly)": "sphericity"}.get(title)
            if key:
                payload[key] = df
        payload.update({"anova": self.anova, "mixed_model": self.mixed_model,
                        "mixed_model_terms": self.mixed_model_terms,
                        "mixed_model_formula": self.mixed_model_formula,
                        "group_tests": self.group_tests, "time_tests": self.time_tests,
                        "metric": self.metric, "anova_type": self.anova_type,
                        "n_complete": self.n_complete, "n_dropped": self.n_dropped,
                        "notes": self._notes()})
        return to_jsonable(payload)

    def plot(self, path: str | None = None, *, title: str | None = None) -> Any:
        """Profile plot: flows on the x axis, one line per group, CI bars (one panel per time).

        Saves to ``path`` (PNG or SVG, from the extension) when given; returns the figure.
        """
        import matplotlib as mpl

        mpl.use("Agg")
        import matplotlib.pyplot as plt

        d = self.descriptives
        flows_ = list(self.flow_scores["flow"])
        times = list(pd.unique(d["time"])) if "time" in d.columns else [None]
        fig, axes = plt.subplots(1, len(times), figsize=(4.5 * len(times) + 1, 4), squeeze=False,
                                 sharey=True)
        xs = np.arange(len(flows_))
        groups = list(pd.unique(d["group"]))
        for ax, tm in zip(axes[0], times, strict=True):
            sub = d if tm is None else d[d["time"] == tm]
            for i, gname in enumerate(groups):
                s = sub[sub["group"] == gname].set_index("flow").reindex(flows_)
                off = (i - (len(groups) - 1) / 2) * 0.06
                yerr = np.vstack([s["mean"] - s["ci_low"], s["ci_high"] - s["mean"]])
                ax.errorbar(xs + off, s["mean"], yerr=yerr, marker="o", capsize=4, label=str(gname))
            ax.set_xticks(xs, [f.replace("_", " ") for f in flows_])
            ax.set_xlabel("flow")
            if tm is not None:
                ax.set_title(f"{self.time} = {tm}")
        axes[0][0].set_ylabel({"mean_item": "mean item score", "pomp": "POMP (0-100)",
                               "raw": "score"}[self.metric] + f" (mean, {self.level * 100:g}% CI)")
        if len(groups) > 1:
            axes[0][-1].legend(title=self.group)
        fig.suptitle(title or "Flows of compassion")
        fig.tight_layout()
        if path:
            from pathlib import Path

            suffix = Path(path).suffix.lower()
            if suffix not in (".png", ".svg"):
                plt.close(fig)
                raise AnalysisError(f"The plot file must end in .png or .svg, not {suffix or '(none)'!r}.")
            fig.savefig(path, dpi=150)
            plt.close(fig)
        return fig


# --------------------------------------------------------------------------- main


def flows(data: pd.DataFrame, instrument: Any = None, group: str | None = None, time: str | None = None,
          subject: str | None = None, *, metric: str = "mean_item", anova_type: int = 3,
          flow_score: Mapping[str, str] | str | None = None, columns: Mapping[str, str] | None = None,
          group_observed: bool = False, level: float = 0.95, reml: bool = True,
          column_map: Mapping[str, str] | None = None,
          patterns: Mapping[str, str] | Sequence[str] | str | None = None,
          on_invalid: str = "error", prorate: float | None = None) -> FlowsResult:
    """Compare the flows of compassion across groups (and time points).

    Parameters
    ----------
    data : DataFrame
        Raw item responses (scored with :func:`compassion_scales.score`) or a table already
        holding the flow score columns; one row per person (per time point with ``time``).
    instrument : str, Instrument or None
        An instrument whose scores carry ``flow`` tags (e.g. ``"ceas"``, ``"fcs"``).
        ``None``: give ``columns`` instead.
    group : str, optional
        Between-subject grouping column (e.g. trial arm, clinicians vs patients).
    time : str, optional
        Time-point column (long data: one row per person and time). Requires ``subject``.
    subject : str, optional
        Person identifier column (default: each row is a different person).
    metric : {"mean_item", "pomp", "raw"}
        Common metric: mean item score (sums divided by their number of items), percent of
        maximum possible ``100 (x - min) / (max - min)``, or the scores as they are
        (only sensible when the flows share length and range).
    anova_type : {3, 1}
        Sums of squares: Type III (default; afex, car, SPSS, JASP) or Type I (``aov``,
        pingouin).
    flow_score : dict or str, optional
        Which score stands for each flow: a mapping flow -> score id, or a text every flow
        has exactly one score containing (e.g. ``"action"``). Default: the first score
        tagged with the flow whose status is not ``derived``.
    columns : dict, optional
        Without an instrument: flow name -> column, already on a common metric.
    group_observed : bool
        Treat the group as observed (measured, e.g. clinicians vs patients) rather than
        manipulated in generalised eta squared.
    level : float
        Confidence level.
    reml : bool
        With ``time``: fit the linear mixed model by restricted maximum likelihood (default, as
        ``lme4::lmer``) or, with ``False``, by maximum likelihood (``lmer(REML = FALSE)``).
    column_map, patterns, on_invalid, prorate
        How raw answers are matched, validated and scored (see :func:`compassion_scales.score`).

    Returns
    -------
    FlowsResult

    Raises
    ------
    AnalysisError
        Missing columns, fewer than two flows, too few people.

    Warns
    -----
    MissingDataWarning
        People dropped from the ANOVA for a missing flow or group.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": list("aaaaabbbbb"),
    ...     "self": [1.2, 2.0, 2.4, 3.1, 2.8, 3.0, 4.1, 3.3, 4.6, 2.9],
    ...     "others": [3.0, 3.4, 4.1, 3.8, 4.4, 4.2, 5.0, 4.7, 4.9, 3.6],
    ...     "from": [2.1, 2.6, 3.3, 2.9, 2.2, 4.0, 3.8, 4.4, 4.8, 3.1]})
    >>> res = flows(df, group="arm", columns={"self": "self", "to_others": "others",
    ...                                      "from_others": "from"})
    >>> res.anova["term"].tolist()
    ['group', 'flow', 'group:flow']
    """
    if metric not in METRICS:
        raise AnalysisError(f"Unknown metric {metric!r}; use one of: {', '.join(METRICS)}.")
    if anova_type not in (1, 3):
        raise AnalysisError(f"anova_type must be 3 (Type III) or 1 (Type I), not {anova_type!r}.")
    if not 0 < level < 1:
        raise AnalysisError(f"The confidence level must be between 0 and 1, not {level}.")
    for name, col in (("group", group), ("time", time), ("subject", subject)):
        if col is not None and col not in data.columns:
            raise AnalysisError(f"The {name} column {col!r} is not in the data; columns are: "
                                + ", ".join(map(str, data.columns)) + ".")
    if time is not None and subject is None:
        raise AnalysisError("With a time column, name the person identifier column too (subject=..., "
                            "--id) so the same people can be followed over time.")
    if time is None and subject is not None:
        from compassion_scales._inputs import require_one_row_per_person

        require_one_row_per_person(data, subject, source=data.attrs.get("source"))

    rule = None
    if instrument is None:
        if not columns:
            raise AnalysisError("Give an instrument whose scores are tagged with flows, or columns="
                                "{flow: column}.")
        miss = [c for c in columns.values() if c not in data.columns]
        if miss:
            raise AnalysisError("Column(s) not in the data: " + ", ".join(miss) + ".")
        from compassion_scales._inputs import numeric_columns

        frame = numeric_columns(data, list(columns.values()), what="flow column")
        info = pd.DataFrame({"flow": list(columns), "score": list(columns.values()),
                             "n_items": [np.nan] * len(columns), "transform": ["as given"] * len(columns)})
        mapping = dict(columns)
        offsets = {f: (0.0, 1.0) for f in columns}
        if metric != "raw":
            metric_used = "raw"
            rule = (f"No instrument given: the columns are used as they are (metric {metric!r} needs the "
                    "instrument to know item counts and ranges).")
        else:
            metric_used = "raw"
    else:
        from compassion_scales.group_comparison import resolve_scores
        from compassion_scales.instrument import Instrument, load_instrument

        inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
        from compassion_scales._inputs import InputOptions

        mapping = _pick_flow_scores(inst, flow_score)
        ids = [c for c in (subject, time) if c is not None]
        ready = all(v in data.columns for v in mapping.values())
        frame, _, got, _how = resolve_scores(
            data, inst, list(mapping.values()) if ready else None, ids, options=InputOptions.of(column_map, patterns, on_invalid, prorate),
            reserved={"group": group, "time": time, "subject": subject})
        lost = [f for f, sid in mapping.items() if sid not in got]
        if lost:
            warnings.warn("Flow(s) " + ", ".join(lost) + " left out: the items of their score(s) "
                          + ", ".join(mapping[f] for f in lost) + " are not in the data.",
                          SkippedScoreWarning, stacklevel=2)
            mapping = {f: sid for f, sid in mapping.items() if sid in got}
        rows, offsets = [], {}
        for flow, sid in mapping.items():
            off, div, n_items, how = _metric_transform(inst, sid, metric)
            offsets[flow] = (off, div)
            rows.append({"flow": flow, "score": sid, "label": inst.score(sid).label,
                         "status": inst.score(sid).status, "n_items": n_items, "transform": how})
        info = pd.DataFrame(rows)
        metric_used = metric
        if flow_score is None:
            rule = ("Flow scores: for each flow the first score tagged with it that is not 'derived' "
                    "(choose others with flow_score / --flow-score).")
    if len(mapping) < 2:
        raise AnalysisError("At least two flows are needed; the instrument tags only "
                            + ", ".join(mapping) + ".")

    flow_names = list(mapping)
    vals = pd.DataFrame(index=frame.index)
    vals["subject"] = frame[subject].to_numpy() if subject else np.arange(len(frame))
    vals["group"] = frame[group].to_numpy() if group else _NO_GROUP
    if time:
        vals["time"] = frame[time].to_numpy()
    for f in flow_names:
        off, div = offsets[f]
        vals[f] = (pd.to_numeric(frame[mapping[f]], errors="coerce").astype(float) - off) / div
    vals = vals.reset_index(drop=True)
    if time is not None and vals.duplicated(["subject", "time"]).any():
        raise AnalysisError(f"Some people have more than one row at the same time point ({subject!r} x "
                            f"{time!r}); keep one row per person and time.")
    if time is None and subject is not None and vals["subject"].duplicated().any():
        raise AnalysisError(f"Identifier {subject!r} repeats; without a time column each person needs one "
                            "row (or name the time column).")
    g_levels = group_levels(vals["group"]) if group else [_NO_GROUP]
    t_levels = group_levels(vals["time"]) if time else [None]

    def cells():
        for tm in t_levels:
            for gl in g_levels:
                m = vals["group"] == gl
                if tm is not None:
                    m &= vals["time"] == tm
                yield tm, gl, vals[m]

    # descriptives
    desc = []
    for tm, gl, sub in cells():
        for f in flow_names:
            x = sub[f].dropna().to_numpy()
            mean, sd, lo, hi = t_ci(x, level)
            row = {"flow": f, "group": gl}
            if time:
                row["time"] = tm
            row.update({"n": int(x.size), "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi})
            desc.append(row)
    descriptives = pd.DataFrame(desc)

    # mixed ANOVA (no time factor)
    anova = sph = None
    complete = vals.dropna(subset=flow_names + (["group"] if group else []))
    n_complete, n_dropped = len(complete), len(vals) - len(complete)
    if time is None:
        if n_dropped:
            warnings.warn(f"{n_dropped} of {len(vals)} people were left out of the ANOVA because a flow "
                          "or the group was missing (complete cases).", MissingDataWarning, stacklevel=2)
        anova, sph = mixed_anova(complete[flow_names].to_numpy(float),
                                 complete["group"].to_numpy() if group else None,
                                 ss_type=anova_type, group_observed=group_observed)

    # post hoc
    post = []
    for tm in t_levels:
        fam = []
        for gl in g_levels:
            sub = vals[(vals["group"] == gl) & ((vals["time"] == tm) if time else True)]
            for a, b in itertools.combinations(flow_names, 2):
                pair = sub[[a, b]].dropna()
                x, y = pair[a].to_numpy(), pair[b].to_numpy()
                if x.size < 3:
                    continue
                t, p = _paired_t(x, y)
                fam.append({"comparison": "flows within group", "time": tm, "group": gl, "flow": None,
                            "a": a, "b": b, "n_a": x.size, "n_b": y.size, "mean_a": x.mean(),
                            "mean_b": y.mean(), "mean_diff": float((x - y).mean()),
                            "t": t, "df": float(x.size - 1), "p_val": p,
                            **paired_g(x, y, level)})
        fam_df = pd.DataFrame(fam)
        if len(fam_df):
            fam_df["p_holm"] = adjust_p(fam_df["p_val"], "holm")
            post.append(fam_df)
        fam = []
        if len(g_levels) > 1:
            for f in flow_names:
                sub = vals[(vals["time"] == tm)] if time else vals
                for a, b in itertools.combinations(g_levels, 2):
                    x = sub.loc[sub["group"] == a, f].dropna().to_numpy()
                    y = sub.loc[sub["group"] == b, f].dropna().to_numpy()
                    if x.size < 2 or y.size < 2:
                        continue
                    t, df, p = welch_t(x, y)
                    es = hedges_g_independent(x, y, level)
                    fam.append({"comparison": "groups within flow", "time": tm, "group": None, "flow": f,
                                "a": a, "b": b, "n_a": x.size, "n_b": y.size, "mean_a": x.mean(),
                                "mean_b": y.mean(), "mean_diff": float(x.mean() - y.mean()),
                                "t": t, "df": df, "p_val": p, "g": es["g"], "g_ci_low": es["g_ci_low"],
                                "g_ci_high": es["g_ci_high"]})
        fam_df = pd.DataFrame(fam)
        if len(fam_df):
            fam_df["p_holm"] = adjust_p(fam_df["p_val"], "holm")
            post.append(fam_df)
    posthoc = pd.concat(post, ignore_index=True) if post else pd.DataFrame()
    if not time and len(posthoc):
        posthoc = posthoc.drop(columns="time")

    # correlations
    cors = []
    for tm, gl, sub in cells():
        for a, b in itertools.combinations(flow_names, 2):
            pair = sub[[a, b]].dropna()
            row = {"group": gl}
            if time:
                row["time"] = tm
            row.update({"flow_a": a, "flow_b": b,
                        **_cor_row(pair[a].to_numpy(), pair[b].to_numpy(), level)})
            cors.append(row)
    correlations = pd.DataFrame(cors)
    gtests = []
    if len(g_levels) > 1:
        for tm in t_levels:
            c = correlations if not time else correlations[correlations["time"] == tm]
            for a, b in itertools.combinations(flow_names, 2):
                cc = c[(c["flow_a"] == a) & (c["flow_b"] == b)].set_index("group")
                for g1, g2 in itertools.combinations(g_levels, 2):
                    r1, n1, r2, n2 = cc.loc[g1, "r"], cc.loc[g1, "n"], cc.loc[g2, "r"], cc.loc[g2, "n"]
                    if not (np.isfinite(r1) and np.isfinite(r2)) or n1 < 4 or n2 < 4:
                        continue
                    z, p = fisher_z_test(r1, n1, r2, n2)
                    row = {"time": tm} if time else {}
                    row.update({"flow_a": a, "flow_b": b, "group_1": g1, "group_2": g2, "r_1": r1, "n_1": n1,
                                "r_2": r2, "n_2": n2, "z": z, "p_val": p})
                    gtests.append(row)
    group_tests = pd.DataFrame(gtests)
    ttests = []
    if time and len(t_levels) > 1:
        for gl in g_levels:
            sub = vals[vals["group"] == gl]
            for t1, t2 in itertools.combinations(t_levels, 2):
                w1 = sub[sub["time"] == t1].set_index("subject")[flow_names]
                w2 = sub[sub["time"] == t2].set_index("subject")[flow_names]
                both = w1.add_suffix("__1").join(w2.add_suffix("__2"), how="inner")
                for a, b in itertools.combinations(flow_names, 2):
                    cols = [f"{a}__1", f"{b}__1", f"{a}__2", f"{b}__2"]
                    m = both[cols].dropna().to_numpy(float)
                    if m.shape[0] < 5:
                        continue
                    r = np.corrcoef(m, rowvar=False)
                    z, p = steiger_test(m.shape[0], r[0, 1], r[2, 3], r[0, 2], r[0, 3], r[1, 2], r[1, 3])
                    ttests.append({"group": gl, "flow_a": a, "flow_b": b, "time_1": t1, "time_2": t2,
                                   "n": m.shape[0], "r_1": r[0, 1], "r_2": r[2, 3], "z": z, "p_val": p})
    time_tests = pd.DataFrame(ttests)

    # linear mixed model
    mm = mm_terms = formula = None
    if time:
        mm, mm_terms, formula = _mixed_model(vals, flow_names, g_levels if group and len(g_levels) > 1
                                             else None, t_levels, reml=reml)

    return FlowsResult(flow_scores=info, values=vals, descriptives=descriptives, anova=anova,
                       sphericity=sph, posthoc=posthoc, correlations=correlations, group_tests=group_tests,
                       time_tests=time_tests, mixed_model=mm, mixed_model_terms=mm_terms,
                       mixed_model_formula=formula, metric=metric_used, anova_type=anova_type, group=group,
                       time=time, subject=subject, level=level, n_complete=n_complete, n_dropped=n_dropped,
                       options={"rule": rule, "group_observed": group_observed, "reml": reml})


def _mixed_model(vals: pd.DataFrame, flow_names: list[str], g_levels: list[Any] | None,
                 t_levels: list[Any], reml: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    from scipy.stats import chi2, norm

    from compassion_scales.stats.lmm import random_intercept_lmm

    long = vals.melt(id_vars=["subject", "group", "time"], value_vars=flow_names, var_name="flow",
                     value_name="value").dropna(subset=["value"])
    # sum-to-zero contrasts in the given level order (the last level is dropped), columns ordered
    # as R and patsy order them: by term degree, the first factor varying fastest within a term
    levels = {"flow": [str(f) for f in flow_names], "time": [str(t) for t in t_levels]}
    factors = ["flow", "time"]
    if g_levels:
        levels["group"] = [str(g) for g in g_levels]
        factors = ["flow", "group", "time"]
    contrasts: dict[str, tuple[list[str], np.ndarray]] = {}
    keep = np.ones(len(long), dtype=bool)  # rows with a missing group or time are left out
    for f in factors:
        codes = pd.Categorical(long[f].astype(str), categories=levels[f]).codes
        k = len(levels[f])
        coding = np.vstack([np.eye(k - 1), -np.ones((1, k - 1))])  # contr.sum
        contrasts[f] = ([f"{f}[{lv}]" for lv in levels[f][:-1]], coding[codes])
        keep &= codes >= 0
    names, cols = ["Intercept"], [np.ones(len(long))]
    term_of: list[frozenset[str]] = [frozenset()]
    for r in range(1, len(factors) + 1):
        for combo in itertools.combinations(factors, r):
            t_names, t_cols = contrasts[combo[0]][0], list(contrasts[combo[0]][1].T)
            for f in combo[1:]:
                f_names, f_cols = contrasts[f]
                t_names = [f"{a}:{b}" for b in f_names for a in t_names]
                t_cols = [a * b for b in f_cols.T for a in t_cols]
            names += t_names
            cols += t_cols
            term_of += [frozenset(combo)] * len(t_names)
    X = np.column_stack(cols)[keep]
    try:
        fit = random_intercept_lmm(long["value"].to_numpy(float)[keep], X,
                                   long["subject"].astype(str).to_numpy()[keep], reml=reml)
    except ValueError as exc:
        raise AnalysisError("The linear mixed model cannot be fitted: some combination of flow, group and "
                            "time has no observations, or there are too few observations. "
                            f"Detail: {exc}") from None
    formula = "value ~ " + " * ".join(factors) + " + (1 | subject)"
    z = fit.beta / fit.se
    half = norm.ppf(0.975) * fit.se
    fe = pd.DataFrame({"term": names, "estimate": fit.beta, "se": fit.se, "z": z,
                       "p_val": 2 * norm.sf(np.abs(z)), "ci_low": fit.beta - half,
                       "ci_high": fit.beta + half})
    # Wald chi-square per model term (the sum-coded coefficients of that term)
    terms = []
    for r in range(1, len(factors) + 1):
        for combo in itertools.combinations(factors, r):
            idx = [i for i, s in enumerate(term_of) if s == frozenset(combo)]
            b = fit.beta[idx]
            w = float(b @ np.linalg.solve(fit.cov_beta[np.ix_(idx, idx)], b))
            terms.append({"term": ":".join(combo), "df": len(idx), "chi2": w,
                          "p_val": float(chi2.sf(w, len(idx)))})
    terms_df = pd.DataFrame(terms)
    terms_df.attrs["random_intercept_var"] = fit.tau2
    terms_df.attrs["residual_var"] = fit.sigma2
    return fe, terms_df, formula
