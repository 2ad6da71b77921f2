"""Correlation kernels, one implementation each: pairwise-complete Pearson correlations,
squared multiple correlations and ``psych::cor.smooth``. Arrays in, arrays out.

Every analysis of the package (alpha, omega, its bootstrap, EFA, parallel analysis)
uses these functions; there are no other copies (issue #11). Polychoric correlations
stay in :mod:`compassion_scales.analyses.correlations` for now.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["pairwise_cov", "pairwise_cor", "pairwise_cor_n", "pairwise_cor_stack", "cov2cor", "smc",
           "pinv_psych", "cor_smooth",
           "PSYCH_EIG_TOL"]

#: ``psych::cor.smooth``'s default ``eig.tol``.
PSYCH_EIG_TOL = 1e-12


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


def _flat(var: np.ndarray, sxx: np.ndarray) -> np.ndarray:
    """Where an item has no spread over the rows shared with another (R: "the standard
    deviation is zero"); rounding leaves ``var`` a tiny +-epsilon there, not exactly zero."""
    with np.errstate(invalid="ignore"):
        return ~(var > 1e-12 * sxx)


def pairwise_cor_n(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlations on pairwise-complete rows, and the number of such rows per pair.

    As R's ``cor(x, use = "pairwise")``: for each pair the means and standard deviations
    are taken over the rows where both columns are answered (NaN = missing). Pairs with
    fewer than two such rows get NaN; the diagonal is 1.

    Examples
    --------
    >>> x = np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 4.]])
    >>> r, n = pairwise_cor_n(x)
    >>> round(float(r[0, 1]), 4), int(n[0, 1])                  # R: cor(x, use = "pairwise")
    (0.7857, 3)
    """
    m = ~np.isnan(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nan_to_num(np.nanmean(x, axis=0))
    # centre on column means first (less cancellation), zero-fill missing cells
    x0 = np.where(m, x - centre, 0.0)
    mf = m.astype(float)
    n = mf.T @ mf
    sx = x0.T @ mf               # sx[i, j] = sum of x_i over rows where x_j is also answered
    sxx = (x0 * x0).T @ mf       # the same for x_i^2
    sxy = x0.T @ x0
    var = sxx - sx * sx / n      # n x the variance of x_i over the rows where x_j is answered
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (sxy - sx * sx.T / n) / np.sqrt(var * var.T)
    r[(n < 2) | _flat(var, sxx) | _flat(var, sxx).T] = np.nan
    np.fill_diagonal(r, 1.0)
    return r, n


def pairwise_cor(x: np.ndarray) -> np.ndarray:
    """Pearson correlations from pairwise-complete observations, as R's ``cor(x, use="pairwise")``.

    The correlation matrix of :func:`pairwise_cor_n`. Unlike ``cov2cor`` of a pairwise
    covariance matrix, the standard deviations are also taken over the rows where both
    items are answered (as ``psych::omega`` and ``psych::fa`` do).

    Examples
    --------
    >>> R = pairwise_cor(np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 4.]]))
    >>> round(float(R[0, 1]), 4)                                           # R: cor(x, use = "pairwise")
    0.7857
    """
    return pairwise_cor_n(x)[0]


def pairwise_cor_stack(xs: np.ndarray) -> np.ndarray:
    """:func:`pairwise_cor` of each ``xs[b]`` of a stack (B x n x p) at once (bootstrap resamples).

    Pairs with fewer than two common rows come out NaN (0/0), as in :func:`pairwise_cor`.

    Examples
    --------
    >>> x = np.array([[1.0, 2], [2, 1], [3, 4], [4, np.nan]])
    >>> bool(np.allclose(pairwise_cor_stack(np.stack([x, x[::-1]])), pairwise_cor(x)))
    True
    """
    m = ~np.isnan(xs)
    z = np.where(m, xs, 0.0)
    mf = m.astype(float)
    mt = np.swapaxes(mf, 1, 2)
    zt = np.swapaxes(z, 1, 2)
    n = mt @ mf
    sx = zt @ mf
    sxx = (zt * zt) @ mf
    sxy = zt @ z
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * np.swapaxes(sx, 1, 2) / n
        vi = sxx - sx * sx / n
        r = cov / np.sqrt(vi * np.swapaxes(vi, 1, 2))
    flat = _flat(vi, sxx)
    r[flat | np.swapaxes(flat, 1, 2)] = np.nan
    idx = np.arange(xs.shape[2])
    r[:, idx, idx] = 1.0
    return r


def cov2cor(c: np.ndarray) -> np.ndarray:
    """Scale a covariance matrix to a correlation matrix (R's ``cov2cor``; unit diagonal).

    Examples
    --------
    >>> cov2cor(np.array([[4.0, 2.0], [2.0, 9.0]])).round(4).tolist()
    [[1.0, 0.3333], [0.3333, 1.0]]
    """
    d = np.sqrt(np.diag(c))
    r = c / np.outer(d, d)
    np.fill_diagonal(r, 1.0)
    return r


def pinv_psych(x: np.ndarray) -> np.ndarray:
    """``psych::Pinv``: the pseudo-inverse keeping singular values above ``sqrt(eps)`` times the largest.

    Equals the inverse of a well-conditioned matrix; for a singular or nearly singular one
    (an item that is a sum of others, fewer people than items) it drops the directions that
    carry no information, as psych does. ``numpy.linalg.pinv``'s default cut-off (1e-15)
    would keep them and give huge, meaningless values.

    Examples
    --------
    >>> r = np.array([[1.0, 1.0], [1.0, 1.0]])                    # singular
    >>> pinv_psych(r).round(4).tolist()                           # R: psych::Pinv(r)
    [[0.25, 0.25], [0.25, 0.25]]
    """
    u, d, vt = np.linalg.svd(x)
    keep = d > max(np.sqrt(np.finfo(float).eps) * d[0], 0.0)
    return (vt[keep].T / d[keep]) @ u[:, keep].T


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` of a correlation matrix, as ``psych::smc``.

    Like psych, ``R^-1`` is psych's pseudo-inverse :func:`pinv_psych` (the inverse when ``r`` is
    well conditioned) and values are clipped to [0, 1] (they can only leave that range when ``r``
    is singular or not positive definite). Unlike psych, ``r`` must be a correlation matrix
    without missing entries (psych rescales a covariance matrix and works around NaN entries; no
    caller here needs that).

    Examples
    --------
    >>> r = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])
    >>> smc(r).round(4).tolist()                                  # R: psych::smc(r)
    [0.2619, 0.3187, 0.1733]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - 1.0 / np.diag(pinv_psych(r))
    return np.clip(np.nan_to_num(out, nan=0.0, neginf=0.0, posinf=1.0), 0.0, 1.0)


def cor_smooth(r: np.ndarray, eig_tol: float = PSYCH_EIG_TOL) -> tuple[np.ndarray, bool]:
    """``psych::cor.smooth``: make a correlation matrix positive definite if it is not.

    If the smallest eigenvalue is below machine epsilon, eigenvalues below ``eig_tol`` are
    set to ``100 * eig_tol``, rescaled to sum to the number of variables, and the matrix is
    rebuilt and scaled back to a unit diagonal. Returns the matrix and whether it was smoothed
    (a positive-definite matrix comes back unchanged).

    A singular matrix (smallest eigenvalue below ``p * eps`` times the largest, numpy's rank
    tolerance: an item that is the sum of others, fewer people than items) is smoothed too. Its
    smallest eigenvalue is rounding noise that falls on either side of machine epsilon depending
    on the eigen solver; psych smooths whenever R's falls below, which is the usual case, and
    the smoothed matrix does not depend on that noise.

    Examples
    --------
    >>> r = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, 0.1], [0.9, 0.1, 1.0]])   # not positive definite
    >>> s, smoothed = cor_smooth(r)
    >>> smoothed, bool(np.linalg.eigvalsh(s).min() > 0)
    (True, True)
    """
    vals, vecs = np.linalg.eigh(r)
    eps = np.finfo(float).eps
    if vals.min() >= max(eps, r.shape[0] * eps * vals.max()):
        return r, False
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    return cov2cor((vecs * vals) @ vecs.T), True
