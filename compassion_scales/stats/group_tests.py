"""Two- and k-group tests, p-value corrections and effect sizes with their intervals.

Arrays in, numbers out: Welch's t-test and one-way ANOVA, Hedges' g with its
noncentral-t interval, eta squared's noncentral-F interval, the t interval of a mean,
Holm/Bonferroni/Benjamini-Hochberg corrections and the default-prior JZS Bayes factor.
Used by ``compare`` and ``flows`` (checked against R through their goldens).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from compassion_scales.errors import AnalysisError

__all__ = ["JZS_PRIOR_SCALE", "CORRECTIONS", "adjust_p", "hedges_j", "d_ci_independent",
           "eta_sq_ci", "welch_t", "pooled_d", "hedges_g_independent", "welch_anova", "t_ci",
           "jzs_bf10"]

#: Cauchy prior scale of the default JZS Bayes factor: sqrt(2)/2 = 0.7071, R BayesFactor's
#: ``rscale = "medium"`` (JASP shows it rounded, 0.707).
JZS_PRIOR_SCALE = math.sqrt(2) / 2

#: p-value corrections offered across scores / comparisons.
CORRECTIONS = ("holm", "bonferroni", "fdr_bh", "none")


# --------------------------------------------------------------------------- helpers


def adjust_p(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p values for multiple comparisons (NaN entries are left out and kept NaN).

    ``holm`` (Holm 1979), ``bonferroni``, ``fdr_bh`` (Benjamini-Hochberg) or ``none``;
    the same values as R's ``p.adjust``.

    Examples
    --------
    >>> adjust_p([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    if method not in CORRECTIONS:
        raise AnalysisError(f"Unknown correction {method!r}; use one of: {', '.join(CORRECTIONS)}.")
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    x = p[ok]
    m = x.size
    if m == 0:
        return out
    if method == "none":
        adj = x.copy()
    elif method == "bonferroni":
        adj = np.minimum(1.0, x * m)
    elif method == "holm":
        order = np.argsort(x, kind="mergesort")
        stepped = np.maximum.accumulate((m - np.arange(m)) * x[order])
        adj = np.empty(m)
        adj[order] = np.minimum(1.0, stepped)
    else:  # fdr_bh
        order = np.argsort(x, kind="mergesort")[::-1]
        stepped = np.minimum.accumulate(m / np.arange(m, 0, -1) * x[order])
        adj = np.empty(m)
        adj[order] = np.minimum(1.0, stepped)
    out[ok] = adj
    return out


def hedges_j(df: float) -> float:
    """Hedges' (1981) exact small-sample correction J(df) = Γ(df/2) / (√(df/2) Γ((df−1)/2))."""
    if not df > 1:
        return float("nan")
    return math.exp(math.lgamma(df / 2) - math.lgamma((df - 1) / 2)) / math.sqrt(df / 2)


def _brent(f: Any, lo: float, hi: float) -> float:
    from scipy.optimize import brentq

    # widen the bracket until the sign changes
    flo, fhi = f(lo), f(hi)
    k = 0
    while flo * fhi > 0 and k < 60:
        lo, hi = lo - (hi - lo), hi + (hi - lo)
        flo, fhi = f(lo), f(hi)
        k += 1
    if flo * fhi > 0:
        return float("nan")
    return float(brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))


def d_ci_independent(d: float, n1: int, n2: int, level: float = 0.95) -> tuple[float, float]:
    """Noncentral-t confidence interval for a pooled-SD standardised mean difference.

    The t statistic ``d / sqrt(1/n1 + 1/n2)`` is inverted over the noncentrality of a
    t distribution with ``n1 + n2 - 2`` df; the bounds are scaled back to d. This is the
    method of ``psych::cohen.d.ci`` (which solves with a looser tolerance).
    """
    from compassion_scales.stats.distributions import nct

    if not (np.isfinite(d) and n1 >= 2 and n2 >= 2):
        return float("nan"), float("nan")
    scale = math.sqrt(1 / n1 + 1 / n2)
    t = d / scale
    df = n1 + n2 - 2
    a = (1 - level) / 2

    def cdf(q: float) -> float:
        c = float(nct.cdf(t, df, q))
        if not np.isfinite(c):  # the CDF can give NaN far in a tail
            from scipy.stats import nct as nct_scipy

            c = 1.0 - float(nct_scipy.sf(t, df, q))
        if not np.isfinite(c):
            c = 1.0 if q < t else 0.0
        return c

    lo = _brent(lambda q: cdf(q) - (1 - a), t - 4, t)
    hi = _brent(lambda q: cdf(q) - a, t, t + 4)
    return lo * scale, hi * scale


def eta_sq_ci(f: float, df1: float, df2: float, level: float = 0.95) -> tuple[float, float]:
    """Two-sided CI for the population proportion of variance explained (η² = ω²).

    Noncentral-F inversion (Steiger 2004): find the noncentrality λ at which the observed
    F is at the upper/lower tail quantile, then convert with λ / (λ + N), N = df1 + df2 + 1.
    A bound is 0 when even λ = 0 does not reach the quantile.
    """
    from compassion_scales.stats.distributions import f as f_dist
    from compassion_scales.stats.distributions import ncf

    if not np.isfinite(f):
        return float("nan"), float("nan")
    a = (1 - level) / 2
    n_tot = df1 + df2 + 1

    def cdf(lam: float) -> float:
        return float(f_dist.cdf(f, df1, df2)) if lam <= 0 else float(ncf.cdf(f, df1, df2, lam))

    def bound(target: float) -> float:
        if cdf(0.0) <= target:
            return 0.0
        hi = max(10.0, 2 * f * df1)
        while cdf(hi) > target and hi < 1e7:
            hi *= 2
        return _brent(lambda lam: cdf(lam) - target, 0.0, hi)

    lam_lo, lam_hi = bound(1 - a), bound(a)
    return lam_lo / (lam_lo + n_tot), lam_hi / (lam_hi + n_tot)


def welch_t(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Welch's t-test (t, df, two-sided p) for mean(x) - mean(y), as R's ``t.test``."""
    from compassion_scales.stats.distributions import t as t_dist

    n1, n2 = x.size, y.size
    v1, v2 = x.var(ddof=1) / n1, y.var(ddof=1) / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return float("nan"), float("nan"), float("nan")
    t = (x.mean() - y.mean()) / se
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    return float(t), float(df), float(2 * t_dist.sf(abs(t), df))


def pooled_d(x: np.ndarray, y: np.ndarray) -> float:
    """(mean(x) - mean(y)) / pooled SD with n1 + n2 - 2 df (psych's ``hedges.g``)."""
    n1, n2 = x.size, y.size
    sp = math.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
    return float((x.mean() - y.mean()) / sp) if sp > 0 else float("nan")


def hedges_g_independent(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """d (pooled SD), Hedges' g = J·d and g's CI (J times the noncentral-t CI of d)."""
    d = pooled_d(x, y)
    lo, hi = d_ci_independent(d, x.size, y.size, level)
    j = hedges_j(x.size + y.size - 2)
    return {"d": d, "g": j * d, "g_ci_low": j * lo, "g_ci_high": j * hi}


def welch_anova(groups: list[np.ndarray]) -> tuple[float, float, float, float]:
    """Welch's (1951) one-way ANOVA: F, df1, df2, p (as R's ``oneway.test(var.equal = FALSE)``)."""
    from compassion_scales.stats.distributions import f as f_dist

    k = len(groups)
    n = np.array([g.size for g in groups], dtype=float)
    m = np.array([g.mean() for g in groups])
    v = np.array([g.var(ddof=1) for g in groups])
    if np.any(v <= 0):
        return float("nan"), float(k - 1), float("nan"), float("nan")
    w = n / v
    sw = w.sum()
    mw = (w * m).sum() / sw
    a = (w * (m - mw) ** 2).sum() / (k - 1)
    tmp = ((1 - w / sw) ** 2 / (n - 1)).sum()
    b = 1 + 2 * (k - 2) / (k ** 2 - 1) * tmp
    f = a / b
    df2 = (k ** 2 - 1) / (3 * tmp)
    return float(f), float(k - 1), float(df2), float(f_dist.sf(f, k - 1, df2))


def t_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """mean, SD, and the t-based CI of the mean."""
    from compassion_scales.stats.distributions import t as t_dist

    n = x.size
    mean = float(x.mean()) if n else float("nan")
    sd = float(x.std(ddof=1)) if n > 1 else float("nan")
    if n < 2:
        return mean, sd, float("nan"), float("nan")
    half = float(t_dist.ppf(1 - (1 - level) / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def jzs_bf10(t: float, n1: int, n2: int, r: float = JZS_PRIOR_SCALE) -> float:
    """Default-prior (JZS) Bayes factor BF10 of a two-sample t statistic.

    The Jeffreys-Zellner-Siow Bayes factor of Rouder et al. (2009, eq. 1) with a Cauchy
    prior of scale ``r`` (default sqrt(2)/2) on the standardised effect size, for the
    pooled-variance (Student) t statistic: the same number as R ``BayesFactor::ttestBF(x, y,
    rscale = "medium")`` and JASP's default Bayesian independent-samples t-test (whose prior
    width 0.707 is sqrt(2)/2 rounded). The integral over g is taken numerically with the
    likelihood under the null divided out inside the integrand, so large t statistics do not
    underflow; checked against R in ``tests/reference/bayes_factor.R``.

    Examples
    --------
    >>> round(jzs_bf10(2.5, 20, 20), 3)
    3.338
    """
    if not (np.isfinite(t) and n1 >= 2 and n2 >= 2):
        return float("nan")
    from scipy.integrate import quad

    n = n1 * n2 / (n1 + n2)  # effective sample size
    df = n1 + n2 - 2
    log_null = -(df + 1) / 2 * math.log1p(t * t / df)

    def log_integrand(g: float) -> float:
        a = 1.0 + n * g * r * r
        log_alt = -(df + 1) / 2 * math.log1p(t * t / (a * df))
        log_prior = -0.5 * math.log(2 * math.pi) - 1.5 * math.log(g) - 1.0 / (2.0 * g)
        return -0.5 * math.log(a) + log_alt - log_null + log_prior

    # the integrand peaks near g = t^2 / n for large t: split there so quad sees the peak,
    # and scale by its height so a Bayes factor beyond 1e308 becomes inf, not an overflow
    peak = max(1.0, t * t / n)
    top = log_integrand(peak)

    def scaled(g: float) -> float:
        return math.exp(log_integrand(g) - top) if g > 0.0 else 0.0

    total = quad(scaled, 0.0, peak, limit=200)[0] + quad(scaled, peak, math.inf, limit=200)[0]
    log_bf = top + math.log(total)
    return math.exp(log_bf) if log_bf < 709.0 else math.inf
