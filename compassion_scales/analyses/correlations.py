"""Correlation matrices for item analysis: pairwise/listwise Pearson and polychoric.

The polychoric estimator follows ``psych::polychoric`` (two-step: thresholds
from each item's marginal proportions, then the correlation that maximises the
bivariate-normal likelihood of each pair's contingency table).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError, PsychometricWarning
from compassion_scales.stats.correlation import cor_smooth, pairwise_cov

__all__ = ["polychoric", "pairwise_cov", "item_matrix", "SmoothingWarning",
           "UnequalCategoriesWarning", "r_optimize"]

Missing = Literal["pairwise", "listwise"]


class SmoothingWarning(PsychometricWarning):
    """A correlation matrix was not positive definite and was smoothed (``psych::cor.smooth``)."""


class UnequalCategoriesWarning(PsychometricWarning):
    """Items do not reach the same highest answer category, so polychoric correlations use
    per-pair thresholds and a continuity correction for empty cells (psych ``global = FALSE``)."""


def r_optimize(f: Any, lower: float, upper: float, tol: float = np.finfo(float).eps ** 0.25) -> float:
    """Minimise a function of one variable on ``[lower, upper]`` exactly as R's ``optimize``.

    A port of R's ``Brent_fmin`` (golden section and parabolic interpolation; Brent 1973),
    with R's default tolerance ``.Machine$double.eps^0.25``. psych's ``polychoric`` uses it,
    so following the same steps gives the same correlations rather than the exact optimum
    (they differ by up to about 1e-4).

    Examples
    --------
    >>> round(float(r_optimize(lambda x: (x - 1 / 3) ** 2, 0, 1)), 6)  # R: optimize(function(x) (x-1/3)^2, c(0, 1))
    0.333333
    """
    c = (3.0 - np.sqrt(5.0)) * 0.5
    eps = np.sqrt(np.finfo(float).eps)
    a, b = float(lower), float(upper)
    v = w = x = a + c * (b - a)
    d = e = 0.0
    fx = _finite(f(x))
    fv = fw = fx
    tol3 = tol / 3.0
    while True:
        xm = (a + b) * 0.5
        tol1 = eps * abs(x) + tol3
        t2 = tol1 * 2.0
        if abs(x - xm) <= t2 - (b - a) * 0.5:
            break
        p = q = r = 0.0
        if abs(e) > tol1:  # fit a parabola
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = (q - r) * 2.0
            if q > 0.0:
                p = -p
            else:
                q = -q
            r = e
            e = d
        if abs(p) >= abs(q * 0.5 * r) or p <= q * (a - x) or p >= q * (b - x):
            e = (b - x) if x < xm else (a - x)  # golden-section step
            d = c * e
        else:  # parabolic-interpolation step
            u = x + p / q
            d = p / q
            if u - a < t2 or b - u < t2:
                d = tol1 if x < xm else -tol1
        if abs(d) >= tol1:
            u = x + d
        elif d > 0.0:
            u = x + tol1
        else:
            u = x - tol1
        fu = _finite(f(u))
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv = w, fw
                w, fw = u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return float(x)


def _finite(v: float) -> float:
    v = float(v)
    return v if np.isfinite(v) else float(np.finfo(float).max)


def item_matrix(data: pd.DataFrame | np.ndarray, columns: Sequence[str] | None = None, *,
                what: str = "item column") -> tuple[np.ndarray, list[str]]:
    """Responses to a numeric item matrix: the one path every item analysis uses.

    ``reliability``, ``cronbach_alpha``, ``omega``, ``item_analysis``, ``split_half``,
    ``polychoric``, ``efa`` (and its relatives) and ``cfa`` turn their item columns into
    numbers here, so they accept and refuse the same tables.

    Parameters
    ----------
    data : DataFrame or 2-D array
        Rows = people, columns = items; NaN (or an empty cell) = missing.
    columns : list of str, optional
        The item columns of a DataFrame (default: all, in order).
    what : str
        What a column is called in error messages.

    Returns
    -------
    (ndarray, list of str)
        The float matrix and the column names. Text holding numbers (``"3"``, ``" 4 "``,
        as ``read_responses`` returns every column) is converted and empty text is missing
        (:func:`compassion_scales._inputs.numeric_columns`); an array's columns are named
        ``item_1``, ``item_2``, ...

    Raises
    ------
    AnalysisError
        When a column holds text that is not a number (listed with its file row), or
        true/false values.

    Examples
    --------
    >>> X, names = item_matrix(pd.DataFrame({"a": ["1", "2", ""], "b": [3, 4, 5]}))
    >>> X.tolist(), names
    ([[1.0, 3.0], [2.0, 4.0], [nan, 5.0]], ['a', 'b'])
    >>> item_matrix(np.ones((2, 2)))[1]
    ['item_1', 'item_2']
    """
    if isinstance(data, pd.DataFrame):
        from compassion_scales._inputs import numeric_columns

        cols = list(data.columns) if columns is None else list(columns)
        frame = numeric_columns(data, cols, what=what)
        return frame[cols].to_numpy(dtype=float, na_value=np.nan), [str(c) for c in cols]
    X = np.asarray(data, dtype=float)
    if X.ndim != 2:
        raise AnalysisError(f"The {what}s must form a two-dimensional table (rows = people, "
                            "columns = items).")
    if columns is not None:
        raise AnalysisError("Column names select items of a table, not of an array.")
    return X, [f"item_{i + 1}" for i in range(X.shape[1])]


# ----------------------------------------------------------------- bivariate normal
def _bvn_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``rho``.

    Owen's (1956) formula through Owen's T function; infinite limits allowed.
    """
    from scipy.special import ndtr, owens_t

    h = np.asarray(h, dtype=float)
    k = np.asarray(k, dtype=float)
    h, k = np.broadcast_arrays(h, k)
    out = np.empty(h.shape)
    fin = np.isfinite(h) & np.isfinite(k)
    # infinite limits: marginals or 0
    out[~fin] = np.where((h[~fin] == -np.inf) | (k[~fin] == -np.inf), 0.0,
                         np.where(h[~fin] == np.inf, ndtr(k[~fin]), ndtr(h[~fin])))
    if fin.any():
        hh = h[fin].copy()
        kk = k[fin].copy()
        if abs(rho) >= 1.0:
            out[fin] = ndtr(np.minimum(hh, kk)) if rho > 0 else np.maximum(ndtr(hh) - ndtr(-kk), 0.0)
            return out
        hh[hh == 0] = 1e-12
        kk[kk == 0] = 1e-12
        s = np.sqrt(1.0 - rho * rho)
        ah = (kk - rho * hh) / (hh * s)
        ak = (hh - rho * kk) / (kk * s)
        beta = np.where(hh * kk > 0, 0.0, 0.5)
        out[fin] = 0.5 * (ndtr(hh) + ndtr(kk)) - owens_t(hh, ah) - owens_t(kk, ak) - beta
    return out


def _cell_probs(rho: float, rc: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """Bivariate-normal probabilities of the cells cut by thresholds ``rc`` x ``cc``.

    Computed as psych's ``polyBinBvn``: every cell but the last row and column as a
    rectangle probability, the last row and column by subtraction from the margins
    (sums in extended precision, like R's ``sum``). With an infinite threshold this leaves
    round-off (about 1e-16) in the empty row or column, as psych does.
    """
    from scipy.special import ndtr

    rcut = np.concatenate([[-np.inf], rc, [np.inf]])
    ccut = np.concatenate([[-np.inf], cc, [np.inf]])
    nr, nc = rcut.size - 1, ccut.size - 1
    A = _bvn_cdf(rcut[:, None], ccut[None, :], rho)
    P = np.zeros((nr, nc))
    P[:-1, :-1] = A[1:nr, 1:nc] - A[:nr - 1, 1:nc] - A[1:nr, :nc - 1] + A[:nr - 1, :nc - 1]
    ld = np.longdouble
    prc, pcc = ndtr(rc), ndtr(cc)
    P[0, nc - 1] = float(ld(prc[0]) - P[0, : nc - 1].astype(ld).sum())
    P[nr - 1, 0] = float(ld(pcc[0]) - P[: nr - 1, 0].astype(ld).sum())
    for i in range(1, nr - 1):
        P[i, nc - 1] = float(ld(prc[i] - prc[i - 1]) - P[i, : nc - 1].astype(ld).sum())
    for j in range(1, nc - 1):
        P[nr - 1, j] = float(ld(pcc[j] - pcc[j - 1]) - P[: nr - 1, j].astype(ld).sum())
    if nc > 1:
        P[nr - 1, nc - 1] = float(ld(1 - prc[nr - 2]) - P[nr - 1, : nc - 1].astype(ld).sum())
    return P


def _poly_negloglik(rho: float, rc: np.ndarray, cc: np.ndarray, tab: np.ndarray) -> float:
    P = _cell_probs(rho, rc, cc)
    ok = (P > 0) & np.isfinite(P)
    return float(-np.sum(tab[ok] * np.log(P[ok])))


def _polychoric_pair(x: np.ndarray, y: np.ndarray, rc: np.ndarray, cc: np.ndarray,
                     ncat: int, *, global_: bool = True, correct: float = 0.5) -> tuple[float, bool, bool]:
    """ML correlation for one pair, as psych's ``polyc``; returns ``(rho, corrected, renormalised)``.

    ``global_``: thresholds ``rc``/``cc`` from each item's margins (psych ``global = TRUE``).
    Otherwise (psych ``global = FALSE``): categories nobody in the pair used are dropped, empty
    cells get ``correct / n`` (the table is not re-normalised, as in psych) and the thresholds
    come from the margins of that corrected table. When the correction pushes a cumulative
    proportion to 1 or beyond (an infinite or undefined threshold, where psych stops with an
    error or depends on rounding error), the corrected table is re-normalised to sum to 1
    and ``renormalised`` is True.
    """

    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() == 0:
        return np.nan, True, False
    xi = x[both].astype(int)
    yi = y[both].astype(int)
    tab = np.bincount(xi * ncat + yi, minlength=ncat * ncat).reshape(ncat, ncat).astype(float)
    tot = tab.sum()
    tab /= tot
    fixed = renorm = False
    if not global_:
        tab = tab[tab.any(axis=1)][:, tab.any(axis=0)]
        if correct > 0 and (tab == 0).any():
            fixed = True
            tab[tab == 0] = correct / tot
        if min(tab.shape) < 2:
            return np.nan, fixed, False
        rc, cc = _margin_thresholds(tab)
        if not (np.isfinite(rc).all() and np.isfinite(cc).all()):
            renorm = True
            tab = tab / tab.sum()
            rc, cc = _margin_thresholds(tab)
    rho = r_optimize(lambda r: _poly_negloglik(r, rc, cc, tab), -1.0, 1.0)
    return float(rho), fixed, renorm


def _margin_thresholds(tab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column thresholds from a table's cumulative margins.

    R's ``rowSums``/``colSums`` and ``cumsum`` accumulate in long double; so does this, so
    the thresholds equal psych's to the last bit.
    """
    from scipy.special import ndtri

    ld = tab.astype(np.longdouble)
    rsum = ld.sum(axis=1).astype(float).astype(np.longdouble)
    csum = ld.sum(axis=0).astype(float).astype(np.longdouble)
    with np.errstate(invalid="ignore"):
        return (ndtri(np.cumsum(rsum)[:-1].astype(float)),
                ndtri(np.cumsum(csum)[:-1].astype(float)))


def polychoric(data: pd.DataFrame | np.ndarray, *, smooth: bool = True,
               max_categories: int = 8, correct: float = 0.5) -> pd.DataFrame:
    """Polychoric correlation matrix, matching ``psych::polychoric``.

    Parameters
    ----------
    data : DataFrame
        One column per item with whole-number answers (e.g. 0-4 or 1-6); NaN = missing.
    smooth : bool
        If the matrix is not positive definite, smooth it as ``psych::cor.smooth``
        does (a :class:`SmoothingWarning` says so).
    max_categories : int
        Refuse items with more than this many answer categories (psych's ``max.cat``).
    correct : float
        Added to empty cells of a pair's cross-table when per-pair thresholds are used
        (psych's ``correct``; 0 = no correction).

    Returns
    -------
    DataFrame
        The item x item polychoric correlation matrix. ``.attrs["thresholds"]`` holds
        the thresholds (items x cut points), ``.attrs["n_obs"]`` the number of rows and
        ``.attrs["method"]`` a description.

    Notes
    -----
    Two-step estimation as in psych (``global = TRUE``): the thresholds of item j are
    :math:`\\tau_{jc} = \\Phi^{-1}(\\text{cumulative proportion} \\le c)` over the
    people who answered item j (all items share the response range of the pooled
    data); for each pair, :math:`\\rho` maximises
    :math:`\\sum_{ab} p_{ab} \\log \\pi_{ab}(\\rho)`, where :math:`p_{ab}` are the
    observed cell proportions among people answering both items and
    :math:`\\pi_{ab}` the bivariate-normal cell probabilities (Owen's T), found with
    R's ``optimize`` steps and tolerance (as psych). Missing answers are handled pairwise.

    When the items do not all reach the same highest category (after shifting the
    lowest answer of all items to the first category), psych switches to
    ``global = FALSE`` and so does this function, with an
    :class:`UnequalCategoriesWarning`: for each pair, categories neither item used in
    that pair are dropped, every empty cell of the cross-table gets ``correct / n``
    (the table is not re-normalised) and the thresholds come from that table's
    margins. A second warning counts the pairs so corrected. ``.attrs["thresholds"]``
    still holds the whole-sample thresholds (psych's ``tau``). Where the correction pushes
    a pair's cumulative proportion to 1 or beyond (very rare categories), psych either
    stops with an error or returns a value driven by rounding error; this function then
    re-scales that pair's corrected table to proportions, warns, and lists the pair in
    ``.attrs["renormalised_pairs"]``.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. Psychometrika, 44, 443-460.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3, 3, 2, 1, 2],
    ...                   "b": [1, 2, 3, 2, 2, 3, 2, 2, 1, 3]})
    >>> r = polychoric(d)   # R: psych::polychoric(d)$rho
    >>> bool(0.8 < r.loc["a", "b"] < 1)
    True
    """
    X, names = item_matrix(data)
    lo, ncat = _categories(X, names, max_categories)
    Xc = X - lo  # categories 0..ncat-1
    tau = _item_thresholds(Xc, ncat)
    # psych: when the items' highest categories differ, thresholds are taken per pair
    tops = np.nanmax(Xc, axis=0)
    global_ = bool(tops.min() == tops.max())
    if not global_:
        short = [n for n, t in zip(names, tops, strict=True) if t < tops.max()]
        warnings.warn(
            f"The items do not reach the same highest answer ({', '.join(short)} never reach "
            f"{lo + ncat - 1:g}), so each pair's polychoric correlation uses that pair's own "
            "thresholds (psych::polychoric's global = FALSE).", UnequalCategoriesWarning,
            stacklevel=2)
    R, n_fixed, renormed = _pair_correlations(Xc, tau, ncat, names, global_, correct)
    _warn_corrections(n_fixed, correct, renormed)
    method = ("polychoric (two-step ML, thresholds from each item's margins, pairwise)" if global_ else
              f"polychoric (two-step ML, thresholds per pair, {correct:g} added to empty cells)")
    if smooth and not np.isnan(R).any():
        R, smoothed = cor_smooth(R)
        if smoothed:
            warnings.warn("The polychoric correlation matrix was not positive definite and was "
                          "smoothed (as psych::cor.smooth). Treat results with caution.",
                          SmoothingWarning, stacklevel=2)
            method += ", smoothed"
    out = pd.DataFrame(R, index=names, columns=names)
    out.attrs["thresholds"] = pd.DataFrame(
        tau, index=names, columns=[f"tau_{c + 1}" for c in range(ncat - 1)])
    out.attrs["n_obs"] = int(X.shape[0])
    out.attrs["method"] = method
    out.attrs["renormalised_pairs"] = renormed
    return out


def _categories(X: np.ndarray, names: list[str], max_categories: int) -> tuple[float, int]:
    """Lowest answer and number of categories; refuses data polychoric correlations cannot use."""
    if X.shape[1] < 2:
        raise AnalysisError("Polychoric correlations need at least two items.")
    obs = X[~np.isnan(X)]
    if obs.size == 0:
        raise AnalysisError("Polychoric correlations need answered items, but every answer is missing.")
    if np.any(obs != np.round(obs)):
        raise AnalysisError(
            "Polychoric correlations need whole-number answers (ordered categories), "
            "but some answers have decimals. Use the Pearson correlations instead "
            "(leave out --ordinal / ordinal=False).")
    lo, hi = obs.min(), obs.max()
    ncat = int(hi - lo + 1)
    if ncat > max_categories:
        raise AnalysisError(
            f"The items have {ncat} answer categories (from {lo:g} to {hi:g}); polychoric "
            f"correlations are meant for at most {max_categories} ordered categories. "
            "Use Pearson correlations instead (leave out --ordinal).")
    sds = np.nanstd(X, axis=0)
    flat = [n for n, s in zip(names, sds, strict=True) if not s > 0]
    if flat:
        raise AnalysisError(
            f"Item(s) {', '.join(flat)} have the same answer for everyone (no variance); "
            "remove them before computing polychoric correlations.")
    return float(lo), ncat


def _item_thresholds(Xc: np.ndarray, ncat: int) -> np.ndarray:
    """Each item's thresholds from its own margins (items x ncat - 1)."""
    from scipy.special import ndtri

    tau = np.empty((Xc.shape[1], ncat - 1))
    for j in range(Xc.shape[1]):
        col = Xc[~np.isnan(Xc[:, j]), j].astype(int)
        freq = np.bincount(col, minlength=ncat) / col.size
        tau[j] = ndtri(np.cumsum(freq)[:-1])
    return tau


def _pair_correlations(Xc: np.ndarray, tau: np.ndarray, ncat: int, names: list[str],
                       global_: bool, correct: float
                       ) -> tuple[np.ndarray, int, list[tuple[str, str]]]:
    """Every pair's polychoric correlation; also how many pairs were corrected or re-scaled."""
    p = Xc.shape[1]
    R = np.eye(p)
    n_fixed = 0
    renormed: list[tuple[str, str]] = []
    for i in range(1, p):
        for j in range(i):
            R[i, j], fixed, renorm = _polychoric_pair(Xc[:, i], Xc[:, j], tau[i], tau[j], ncat,
                                                      global_=global_, correct=correct)
            R[j, i] = R[i, j]
            n_fixed += int(fixed)
            if renorm:
                renormed.append((names[j], names[i]))
    return R, n_fixed, renormed


def _warn_corrections(n_fixed: int, correct: float, renormed: list[tuple[str, str]]) -> None:
    if n_fixed and correct > 0:
        warnings.warn(
            f"{n_fixed} pair(s) of items had empty cells in their cross-table; {correct:g} was "
            "added to each empty cell (correction for continuity, as psych::polychoric). "
            "Examine the data carefully.", UnequalCategoriesWarning, stacklevel=3)
    if renormed:
        shown = ", ".join(f"{a}-{b}" for a, b in renormed[:5]) + (" ..." if len(renormed) > 5 else "")
        warnings.warn(
            f"For {len(renormed)} pair(s) of items ({shown}) the correction for empty cells "
            "pushed a cumulative proportion to 1 or beyond, so the corrected cross-table was "
            "re-scaled to proportions first (psych stops with an error or gives a value that "
            "depends on rounding here). Some answer categories are very rare: consider "
            "merging them.", UnequalCategoriesWarning, stacklevel=3)
