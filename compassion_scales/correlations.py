"""Correlation matrices for item analysis: pairwise/listwise Pearson and polychoric.

The polychoric estimator follows ``psych::polychoric`` (two-step: thresholds
from each item's marginal proportions, then the correlation that maximises the
bivariate-normal likelihood of each pair's contingency table).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError, PsychometricWarning

__all__ = ["polychoric", "pairwise_cov", "item_matrix", "cov2cor", "pairwise_cor", "SmoothingWarning"]

Missing = Literal["pairwise", "listwise"]


class SmoothingWarning(PsychometricWarning):
    """A correlation matrix was not positive definite and was smoothed (``psych::cor.smooth``)."""


def item_matrix(data: pd.DataFrame | np.ndarray, *, what: str = "items") -> tuple[np.ndarray, list[str]]:
    """Return ``(X, names)``: a float matrix (NaN = missing) and the column names.

    Raises :class:`AnalysisError` when a column is not numeric.
    """
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns]
        bad = [c for c in data.columns
               if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]))]
        if bad:
            raise AnalysisError(
                f"The {what} must hold numbers, but column(s) {', '.join(map(str, bad))} "
                "contain text. Choose the item columns (items=... / --items, or leave "
                "identifiers out with --id), recode the answers as numbers, or score them "
                "with an instrument (-i ID).")
        X = data.to_numpy(dtype=float, na_value=np.nan)
    else:
        X = np.asarray(data, dtype=float)
        if X.ndim != 2:
            raise AnalysisError(f"The {what} must be a two-dimensional table (rows = people).")
        names = [f"V{i + 1}" for i in range(X.shape[1])]
    return X, names


def pairwise_cov(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariances from pairwise-complete observations, as R's ``cov(x, use="pairwise")``.

    Each covariance uses the rows where both items are answered, with means taken
    over those rows. Returns ``(C, N)`` where ``N`` holds the pair counts.

    Examples
    --------
    >>> import numpy as np
    >>> C, N = pairwise_cov(np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 4.]]))
    >>> [round(float(v), 4) for v in (C[0, 0], C[0, 1])], int(N[0, 1])   # R: cov(x, use = "pairwise")
    ([1.6667, 1.8333], 3)
    """
    M = ~np.isnan(X)
    # centre on column means for numerical accuracy (covariances are shift invariant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nan_to_num(np.nanmean(X, axis=0))
    X0 = np.where(M, X - centre, 0.0)
    Mf = M.astype(float)
    N = Mf.T @ Mf
    S = X0.T @ Mf          # S[j, k] = sum of x_j over rows where j and k are answered
    SS = X0.T @ X0
    with np.errstate(invalid="ignore", divide="ignore"):
        C = (SS - S * S.T / N) / (N - 1)
    C[N < 2] = np.nan
    return C, N


def pairwise_cor(X: np.ndarray) -> np.ndarray:
    """Pearson correlations from pairwise-complete observations, as R's ``cor(x, use="pairwise")``.

    Unlike ``cov2cor(pairwise_cov(X))``, the standard deviations are also taken over
    the rows where both items are answered (what ``psych::omega`` and
    ``psych::polychoric``-free code paths use).

    Examples
    --------
    >>> import numpy as np
    >>> R = pairwise_cor(np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 4.]]))
    >>> round(float(R[0, 1]), 4)                                           # R: cor(x, use = "pairwise")
    0.7857
    """
    M = ~np.isnan(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nan_to_num(np.nanmean(X, axis=0))
    X0 = np.where(M, X - centre, 0.0)
    Mf = M.astype(float)
    N = Mf.T @ Mf
    S = X0.T @ Mf
    SS = X0.T @ X0
    Q = (X0**2).T @ Mf     # Q[j, k] = sum of x_j^2 over rows where j and k are answered
    with np.errstate(invalid="ignore", divide="ignore"):
        R = (SS - S * S.T / N) / np.sqrt((Q - S**2 / N) * (Q.T - S.T**2 / N))
    R[N < 2] = np.nan
    np.fill_diagonal(R, 1.0)
    return R


def cov2cor(C: np.ndarray) -> np.ndarray:
    """Scale a covariance matrix to a correlation matrix (R's ``cov2cor``)."""
    d = np.sqrt(np.diag(C))
    R = C / np.outer(d, d)
    np.fill_diagonal(R, 1.0)
    return R


def cor_smooth(R: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """``psych::cor.smooth``: make a correlation matrix positive definite if it is not."""
    vals, vecs = np.linalg.eigh(R)
    if vals.min() >= np.finfo(float).eps:
        return R, False
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * R.shape[0] / vals.sum()
    S = (vecs * vals) @ vecs.T
    return cov2cor(S), True


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
    """Bivariate-normal probabilities of the cells cut by thresholds ``rc`` x ``cc``."""
    rcut = np.concatenate([[-np.inf], rc, [np.inf]])
    ccut = np.concatenate([[-np.inf], cc, [np.inf]])
    F = _bvn_cdf(rcut[:, None], ccut[None, :], rho)
    return F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]


def _poly_negloglik(rho: float, rc: np.ndarray, cc: np.ndarray, tab: np.ndarray) -> float:
    P = _cell_probs(rho, rc, cc)
    ok = (P > 0) & np.isfinite(P)
    return float(-np.sum(tab[ok] * np.log(P[ok])))


def _polychoric_pair(x: np.ndarray, y: np.ndarray, rc: np.ndarray, cc: np.ndarray,
                     ncat: int) -> float:
    """ML correlation for one pair given thresholds (global thresholds, as psych)."""
    from scipy.optimize import minimize_scalar

    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() == 0:
        return np.nan
    xi = x[both].astype(int)
    yi = y[both].astype(int)
    tab = np.bincount(xi * ncat + yi, minlength=ncat * ncat).reshape(ncat, ncat).astype(float)
    tab /= tab.sum()
    res = minimize_scalar(_poly_negloglik, bounds=(-1.0, 1.0), method="bounded",
                          args=(rc, cc, tab), options={"xatol": 1e-9})
    return float(res.x)


def polychoric(data: pd.DataFrame | np.ndarray, *, smooth: bool = True,
               max_categories: int = 8) -> pd.DataFrame:
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
    :math:`\\pi_{ab}` the bivariate-normal cell probabilities (Owen's T). Missing
    answers are handled pairwise. No continuity correction is applied (psych applies
    one only when ``global = FALSE``).

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
    Xc = X - lo  # categories 0..ncat-1
    p = X.shape[1]
    tau = np.empty((p, ncat - 1))
    from scipy.special import ndtri

    for j in range(p):
        col = Xc[~np.isnan(Xc[:, j]), j].astype(int)
        freq = np.bincount(col, minlength=ncat) / col.size
        tau[j] = ndtri(np.cumsum(freq)[:-1])
    R = np.eye(p)
    for i in range(1, p):
        for j in range(i):
            R[i, j] = R[j, i] = _polychoric_pair(Xc[:, i], Xc[:, j], tau[i], tau[j], ncat)
    method = "polychoric (two-step ML, thresholds from each item's margins, pairwise)"
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
    return out
