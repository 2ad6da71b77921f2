"""Split-plot (mixed) ANOVA: one within factor and an optional between factor. Arrays in, frames out.

The multivariate formulation of R's ``car::Anova.mlm`` (with ``afex``'s generalised eta
squared); used by :func:`compassion_scales.flows` with the flows as the within factor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError

__all__ = ["mixed_anova", "contr_sum"]


def contr_sum(k: int) -> np.ndarray:
    """Sum-to-zero contrasts for ``k`` levels (R's ``contr.sum``), a ``k x (k - 1)`` matrix.

    Examples
    --------
    >>> contr_sum(3).tolist()
    [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    """
    c = np.zeros((k, k - 1))
    c[: k - 1] = np.eye(k - 1)
    c[k - 1] = -1.0
    return c


@dataclass(frozen=True)
class _Fit:
    """Multivariate linear model of the k within levels on the between design."""

    n: int
    k: int
    g: int
    b: np.ndarray
    xtx_inv: np.ndarray
    e: np.ndarray  # error SSP matrix

    @property
    def df_e(self) -> int:
        return self.n - self.g

    def hypothesis(self, cols: list[int]) -> np.ndarray:
        """Type III hypothesis SSP matrix of the coefficients ``cols`` being zero."""
        lb = self.b[cols]
        return lb.T @ np.linalg.solve(self.xtx_inv[np.ix_(cols, cols)], lb)


def _fit(y: np.ndarray, groups: Sequence[Any] | None) -> _Fit:
    n, k = y.shape
    if k < 2:
        raise AnalysisError("The within-subject factor needs at least two levels (two flows).")
    if groups is None:
        codes, g = np.zeros(n, dtype=int), 1
    else:
        levels, codes = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
        g = len(levels)
    x = np.ones((n, 1))
    if g > 1:
        x = np.hstack([x, contr_sum(g)[codes]])
    if n - g < 1:
        raise AnalysisError(f"Too few people for the ANOVA: {n} complete case(s) in {g} group(s).")
    xtx_inv = np.linalg.inv(x.T @ x)
    b = xtx_inv @ x.T @ y
    res = y - x @ b
    return _Fit(n=n, k=k, g=g, b=b, xtx_inv=xtx_inv, e=res.T @ res)


def _project(m: np.ndarray, p: np.ndarray) -> float:
    """SS of the SSP matrix ``m`` on the within contrasts ``p``: tr(M P (P'P)^-1 P')."""
    return float(np.trace(p.T @ m @ p @ np.linalg.inv(p.T @ p)))


def _sphericity(fit: _Fit, within: str) -> tuple[pd.DataFrame, float, float]:
    """Mauchly's test and the GG / HF epsilons (``car::summary.Anova.mlm``)."""
    from compassion_scales.stats.distributions import chi2

    k, pp, df_e = fit.k, fit.k - 1, fit.df_e
    if pp < 2:
        nan = float("nan")
        sph = pd.DataFrame({"effect": [within], "mauchly_w": [nan], "chisq": [nan], "df": [nan],
                            "p_val": [nan], "gg_eps": [nan], "hf_eps": [nan]})
        return sph, nan, nan
    p1 = contr_sum(k)
    e_w = p1.T @ fit.e @ p1
    psi = p1.T @ p1
    lam = np.linalg.eigvals(e_w @ np.linalg.inv(psi)).real
    lam = lam[lam > 0]
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
    sph = pd.DataFrame({"effect": [within], "mauchly_w": [math.exp(log_w)], "chisq": [z], "df": [fdf],
                        "p_val": [float(pr1 + w2 * (pr2 - pr1))], "gg_eps": [gg], "hf_eps": [hf]})
    return sph, gg, hf


def _terms(fit: _Fit, y: np.ndarray, ss_type: int, within: str, between: str) -> pd.DataFrame:
    """Rows term, df1, df2, ss, ss_error, within (sums of squares of each term)."""
    k, g, pp, df_e = fit.k, fit.g, fit.k - 1, fit.df_e
    if ss_type == 3:
        h_int = fit.hypothesis([0])
    else:
        ybar = y.mean(axis=0)
        h_int = fit.n * np.outer(ybar, ybar)
    h_grp = fit.hypothesis(list(range(1, g))) if g > 1 else np.zeros((k, k))
    p0, p1 = np.ones((k, 1)), contr_sum(k)
    sse_b, sse_w = _project(fit.e, p0), _project(fit.e, p1)
    rows = []
    if g > 1:
        rows.append({"term": between, "df1": g - 1, "df2": df_e, "ss": _project(h_grp, p0),
                     "ss_error": sse_b, "within": False})
    rows.append({"term": within, "df1": pp, "df2": pp * df_e, "ss": _project(h_int, p1),
                 "ss_error": sse_w, "within": True})
    if g > 1:
        rows.append({"term": f"{between}:{within}", "df1": (g - 1) * pp, "df2": pp * df_e,
                     "ss": _project(h_grp, p1), "ss_error": sse_w, "within": True})
    tab = pd.DataFrame(rows)
    tab.attrs["error_total"] = sse_b + sse_w  # every error term (afex: sum(unique(Error SS)))
    return tab


def _tests(tab: pd.DataFrame, gg: float, hf: float, between: str, group_observed: bool) -> pd.DataFrame:
    """F tests, partial and generalised eta squared, GG / HF corrected p values."""
    from compassion_scales.stats.distributions import f as f_dist

    tab["ms_error"] = tab["ss_error"] / tab["df2"]
    tab["f"] = (tab["ss"] / tab["df1"]) / tab["ms_error"]
    tab["p_val"] = f_dist.sf(tab["f"], tab["df1"], tab["df2"])
    tab["pes"] = tab["ss"] / (tab["ss"] + tab["ss_error"])
    if group_observed:
        obs = tab["term"].str.split(":").apply(lambda parts: between in parts)
    else:
        obs = pd.Series(False, index=tab.index)
    obs_sum = float(tab.loc[obs, "ss"].sum())
    tab["ges"] = tab["ss"] / (tab["ss"] + tab.attrs["error_total"] + obs_sum - tab["ss"] * obs)
    eps_gg = np.where(tab["within"], gg, np.nan)
    eps_hf = np.where(tab["within"], hf, np.nan)
    tab["gg_eps"] = eps_gg
    tab["p_gg"] = f_dist.sf(tab["f"], tab["df1"] * eps_gg, tab["df2"] * eps_gg)
    hf_c = np.minimum(1.0, eps_hf)
    tab["hf_eps"] = eps_hf
    tab["p_hf"] = f_dist.sf(tab["f"], tab["df1"] * hf_c, tab["df2"] * hf_c)
    tab = tab.drop(columns="within")
    tab.attrs = {}
    return tab


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
    within, between : str
        Names of the two factors in the ``term`` column.

    Returns
    -------
    anova : DataFrame
        ``term``, ``ss_type``, ``df1``, ``df2``, ``ss``, ``ss_error``, ``ms_error``, ``f``,
        ``p_val``, ``pes``, ``ges``, ``gg_eps``, ``p_gg``, ``hf_eps``, ``p_hf``.
    sphericity : DataFrame
        Mauchly's W, its ``chisq`` and p value for the within factor (``car``'s computation).

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
    y = np.asarray(y, dtype=float)
    if ss_type not in (1, 3):
        raise AnalysisError(f"Sums-of-squares type must be 3 or 1, not {ss_type!r}.")
    fit = _fit(y, groups)
    sph, gg, hf = _sphericity(fit, within)
    tab = _tests(_terms(fit, y, ss_type, within, between), gg, hf, between, group_observed)
    tab.insert(1, "ss_type", ss_type)
    return tab, sph
