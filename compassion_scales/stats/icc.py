"""The six Shrout-Fleiss intraclass correlations: a complete n x k matrix in, a table out.

Matches ``psych::ICC(x, lmer = FALSE)``: point estimates, F tests and F-based intervals
(Satterthwaite degrees of freedom for ICC2 / ICC2k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ICC_TYPES", "MeanSquares", "mean_squares", "icc_table"]

#: the six forms and their descriptions, in psych's order
ICC_TYPES = (
    ("ICC1", "single rater, absolute agreement, one-way random"),
    ("ICC2", "single rater, absolute agreement, two-way random"),
    ("ICC3", "single rater, consistency, two-way mixed"),
    ("ICC1k", "mean of k raters, absolute agreement, one-way random"),
    ("ICC2k", "mean of k raters, absolute agreement, two-way random"),
    ("ICC3k", "mean of k raters, consistency, two-way mixed"),
)


@dataclass(frozen=True)
class MeanSquares:
    """Two-way ANOVA mean squares of an n (targets) x k (raters) matrix."""

    n: int
    k: int
    msb: float  # between targets
    msj: float  # between raters (judges)
    mse: float  # residual
    msw: float  # within targets


def mean_squares(x: np.ndarray) -> MeanSquares:
    """Mean squares of a complete matrix (no missing values).

    Examples
    --------
    >>> ms = mean_squares(np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 4.0]]))
    >>> round(float(ms.msb), 4), round(float(ms.mse), 4)
    (4.1667, 0.5)
    """
    n, k = x.shape
    gm = x.mean()
    ssb = k * np.sum((x.mean(axis=1) - gm) ** 2)
    ssj = n * np.sum((x.mean(axis=0) - gm) ** 2)
    sse = np.sum((x - gm) ** 2) - ssb - ssj
    dfb, dfj, dfe = n - 1, k - 1, (n - 1) * (k - 1)
    return MeanSquares(n=n, k=k, msb=ssb / dfb, msj=ssj / dfj, mse=sse / dfe,
                       msw=(ssj + sse) / (dfj + dfe))


def _estimates(m: MeanSquares) -> dict[str, float]:
    n, k, MSB, MSJ, MSE, MSW = m.n, m.k, m.msb, m.msj, m.mse, m.msw
    return {"ICC1": (MSB - MSW) / (MSB + (k - 1) * MSW),
            "ICC2": (MSB - MSE) / (MSB + (k - 1) * MSE + k * (MSJ - MSE) / n),
            "ICC3": (MSB - MSE) / (MSB + (k - 1) * MSE),
            "ICC1k": (MSB - MSW) / MSB,
            "ICC2k": (MSB - MSE) / (MSB + (MSJ - MSE) / n),
            "ICC3k": (MSB - MSE) / MSB}


def _f_intervals(m: MeanSquares, q: float) -> tuple[dict[str, float], dict[str, float]]:
    """Intervals of ICC1, ICC3 and their k forms from the F distribution."""
    from compassion_scales.stats.distributions import f as fdist

    n, k = m.n, m.k
    f11, f21 = m.msb / m.msw, m.msb / m.mse
    f1l = f11 / fdist.ppf(q, n - 1, n * (k - 1))
    f1u = f11 * fdist.ppf(q, n * (k - 1), n - 1)
    f3l = f21 / fdist.ppf(q, n - 1, (n - 1) * (k - 1))
    f3u = f21 * fdist.ppf(q, (n - 1) * (k - 1), n - 1)
    lo = {"ICC1": (f1l - 1) / (f1l + k - 1), "ICC3": (f3l - 1) / (f3l + k - 1),
          "ICC1k": 1 - 1 / f1l, "ICC3k": 1 - 1 / f3l}
    hi = {"ICC1": (f1u - 1) / (f1u + k - 1), "ICC3": (f3u - 1) / (f3u + k - 1),
          "ICC1k": 1 - 1 / f1u, "ICC3k": 1 - 1 / f3u}
    return lo, hi


def _icc2_interval(m: MeanSquares, icc2: float, q: float) -> tuple[float, float]:
    """Interval of ICC2 with Satterthwaite degrees of freedom (psych::ICC)."""
    from compassion_scales.stats.distributions import f as fdist

    n, k, MSB, MSJ, MSE = m.n, m.k, m.msb, m.msj, m.mse
    fj = MSJ / MSE
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu = fdist.ppf(q, n - 1, v)
    fl = fdist.ppf(q, v, n - 1)
    low = n * (MSB - fu * MSE) / (fu * (k * MSJ + (k * n - k - n) * MSE) + n * MSB)
    high = n * (fl * MSB - MSE) / (k * MSJ + (k * n - k - n) * MSE + n * fl * MSB)
    return low, high


def icc_table(x: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """The six ICCs of a complete n x k matrix with F tests and ``level`` intervals.

    Returns
    -------
    DataFrame
        ``type, description, icc, f, df1, df2, p_val, ci_low, ci_high, n_obs, n_raters``;
        ``attrs["mean_squares"]`` holds MSB, MSJ, MSE and MSW.

    Examples
    --------
    >>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...                [6, 2, 4, 7]], dtype=float)
    >>> icc_table(sf)["icc"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    from compassion_scales.stats.distributions import f as fdist

    m = mean_squares(np.asarray(x, dtype=float))
    n, k = m.n, m.k
    values = _estimates(m)
    q = 1 - (1 - level) / 2
    lo, hi = _f_intervals(m, q)
    lo["ICC2"], hi["ICC2"] = _icc2_interval(m, values["ICC2"], q)
    lo["ICC2k"] = lo["ICC2"] * k / (1 + lo["ICC2"] * (k - 1))
    hi["ICC2k"] = hi["ICC2"] * k / (1 + hi["ICC2"] * (k - 1))
    one_way = (m.msb / m.msw, n - 1, n * (k - 1))
    two_way = (m.msb / m.mse, n - 1, (n - 1) * (k - 1))
    rows = []
    for t, desc in ICC_TYPES:
        f, d1, d2 = one_way if t in ("ICC1", "ICC1k") else two_way
        rows.append({"type": t, "description": desc, "icc": float(values[t]), "f": float(f),
                     "df1": float(d1), "df2": float(d2), "p_val": float(fdist.sf(f, d1, d2)),
                     "ci_low": float(lo[t]), "ci_high": float(hi[t]), "n_obs": n, "n_raters": k})
    out = pd.DataFrame(rows)
    out.attrs["mean_squares"] = {"MSB": m.msb, "MSJ": m.msj, "MSE": m.mse, "MSW": m.msw}
    return out
