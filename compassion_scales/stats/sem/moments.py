"""Sample moments the SEM engine fits: covariance (divisor N) and means per group, and with
missing data (FIML) the missing-data patterns and the unrestricted model estimated by EM."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from compassion_scales.errors import AnalysisError, ConvergenceWarning
from compassion_scales.stats.sem.engine import LOG2PI, Pattern, Sample
from compassion_scales.stats.sem.patterns import (
    LowRankSums,
    PatternList,
    PatternPart,
    padded_inverse,
    pattern_loglik,
    stacked_patterns,
)

__all__ = ["missing_patterns", "em_saturated", "sample_moments", "complete_moments", "fiml_moments"]


def missing_patterns(X: np.ndarray) -> list[Pattern]:
    """Missing-data patterns: (observed columns, n, mean, covariance with divisor n) per pattern.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [3.0, np.nan], [2.0, 4.0]])
    >>> [(o.tolist(), n) for o, n, _, _ in missing_patterns(X)]
    [([0], 1), ([0, 1], 2)]
    """
    obs = ~np.isnan(X)
    keys, inv = np.unique(obs, axis=0, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    starts = np.searchsorted(inv[order], np.arange(len(keys) + 1))
    out = PatternList()
    for k, key in enumerate(keys):
        o = np.flatnonzero(key)
        Xk = X[order[starts[k]:starts[k + 1]]][:, o]
        n = Xk.shape[0]
        m = Xk.mean(axis=0)
        C = Xk - m
        out.append((o, n, m, C.T @ C / n))
    return out


def _em_sums_padded(mu: np.ndarray, Sig: np.ndarray, part: PatternPart) -> tuple[np.ndarray, np.ndarray]:
    """Sums of the completed cases and their cross-products (conditional covariances included)
    over patterns by their padded inverses.

    With ``P`` the zero-padded inverse of a pattern's ``Sigma_oo``, ``R = Sigma P`` regresses every
    item on the observed ones (its observed rows are exactly unit rows, its missing columns 0),
    so the completed cases are ``(I - R) mu + R y``, and the missing block of the conditional
    covariance is ``Sigma - R Sigma``.
    """
    p = len(mu)
    T1, T2 = np.zeros(p), np.zeros((p, p))
    for st in part.stack.chunks():
        P = padded_inverse(Sig, st.obs, logdet=False)[0]
        R = np.where(st.obs[:, :, None], np.eye(p)[None], Sig @ P)
        miss = ~st.obs
        nk = st.n[:, None]
        s1 = nk * st.ybar
        s2 = st.n[:, None, None] * (st.S + st.ybar[:, :, None] * st.ybar[:, None, :])
        a = mu - R @ mu                      # (I - R) mu: 0 in the observed items
        Rs1 = np.matmul(R, s1[:, :, None])[:, :, 0]
        T1 += (nk * a + Rs1).sum(axis=0)
        C = (Sig - R @ Sig) * (miss[:, :, None] & miss[:, None, :])
        cross = a.T @ Rs1
        T2 += (nk * a).T @ a + cross + cross.T + (R @ s2 @ R.transpose(0, 2, 1) + st.n[:, None, None] * C).sum(axis=0)
    return T1, T2


def _em_step(mu: np.ndarray, Sig: np.ndarray, parts: Sequence[PatternPart], n: int) -> tuple[np.ndarray, np.ndarray]:
    """One EM step over all patterns at once.

    Patterns missing few items: with ``Q = F F'`` (``Sigma_oo^-1 = Omega - Q``, zero-padded) the
    completed cases are ``mu + (I - Sigma Q)(y - mu)`` and the conditional covariance is
    ``Sigma Q Sigma``, so the sums need only :class:`~compassion_scales.stats.sem.patterns.LowRankSums`.
    """
    low = [pt for pt in parts if pt.miss is not None]
    T1, T2 = np.zeros(len(mu)), np.zeros((len(mu), len(mu)))
    if low:
        t = LowRankSums.of(low, mu, np.linalg.inv(Sig), float(n))
        e = t.d - Sig @ t.Fd                 # sum w (I - Sigma Q) d
        SA = Sig @ t.A.T
        T1 = n * (t.W * mu + e)
        T2 = n * (t.W * np.outer(mu, mu) + np.outer(mu, e) + np.outer(e, mu) + t.M - SA - SA.T
                  + Sig @ (t.B + t.C) @ Sig)
    for pt in parts:
        if pt.miss is None:
            a, b = _em_sums_padded(mu, Sig, pt)
            T1 += a
            T2 += b
    mu_new = T1 / n
    Sig_new = T2 / n - np.outer(mu_new, mu_new)
    return mu_new, 0.5 * (Sig_new + Sig_new.T)  # rounding must not build up an asymmetric part


def em_saturated(X: np.ndarray, pats: Sequence[Pattern], tol: float = 1e-12, max_iter: int = 10000
                 ) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """ML mean and covariance of incomplete normal data by EM (the FIML 'h1' model).

    Returns (mean, covariance, log-likelihood, converged).
    """
    n = X.shape[0]
    mu = np.nanmean(X, axis=0)
    Sig = np.diag(np.nanvar(X, axis=0))
    parts = stacked_patterns(pats, X.shape[1])
    converged = False
    for _ in range(max_iter):
        mu_new, Sig_new = _em_step(mu, Sig, parts, n)
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(Sig_new - Sig)))
        mu, Sig = mu_new, Sig_new
        if delta < tol:
            converged = True
            break
    return mu, Sig, pattern_loglik(parts, mu, Sig), converged


def complete_moments(X: np.ndarray) -> Sample:
    """(S, ybar, n) of complete data, S with divisor n."""
    n = X.shape[0]
    ybar = X.mean(axis=0)
    C = X - ybar
    return C.T @ C / n, ybar, n


def fiml_moments(X: np.ndarray, logl_independence: float | None = None) -> tuple[Sample, bool]:
    """FIML sample of incomplete data: (EM covariance, EM means, n, patterns, h1 log-likelihoods),
    and whether EM converged. ``logl_independence`` defaults to the independence model's value."""
    pats = missing_patterns(X)
    ybar, S, ll, conv = em_saturated(X, pats)
    if logl_independence is None:
        nobs_item = (~np.isnan(X)).sum(axis=0)
        v = np.nanvar(X, axis=0)
        logl_independence = float(np.sum(-0.5 * nobs_item * (LOG2PI + np.log(v) + 1.0)))
    return (S, ybar, X.shape[0], pats, {"logl": ll, "logl_independence": logl_independence}), conv


def _check_moments(S: np.ndarray, items: Sequence[str], where: str) -> None:
    sd = np.sqrt(np.diag(S))
    if np.any(sd == 0):
        bad = [items[int(j)] for j in np.flatnonzero(sd == 0)]
        raise AnalysisError(f"Item(s) {', '.join(bad)} have no variance{where}; remove them from the model.")
    ev = np.linalg.eigvalsh(S / np.outer(sd, sd))
    if ev[0] < 1e-10:
        raise AnalysisError(
            f"The item covariance matrix{where} is singular (some items are exact copies or linear "
            "combinations of others); remove the redundant items.")


def sample_moments(X: np.ndarray, items: Sequence[str], *, fiml: bool = False, where: str = "") -> Sample:
    """One group's sample for :class:`~compassion_scales.stats.sem.engine.SEMEngine`, checked.

    Parameters
    ----------
    X : ndarray
        Cases x items (NaN = missing; without ``fiml`` the rows must be complete).
    items : sequence of str
        Item names, for the messages.
    fiml : bool
        Missing-data patterns and the EM estimate of the unrestricted model.
    where : str
        Text naming the group in messages (e.g. " in group 'a'").

    Raises
    ------
    AnalysisError
        Fewer cases than items, an item with fewer than two answers or no variance, or a
        singular covariance matrix.

    Examples
    --------
    >>> S, ybar, n = sample_moments(np.array([[1.0, 2], [2, 1], [3, 5], [4, 3]]), ["a", "b"])
    >>> n, ybar.tolist()
    (4, [2.5, 2.75])
    """
    n, p = X.shape
    if n <= p:
        raise AnalysisError(
            f"Only {n} {'usable' if fiml else 'complete'} cases{where} for {p} items; a CFA needs more "
            "people than items (ideally 200 or more).")
    if not fiml:
        sample = complete_moments(X)
    else:
        nobs_item = (~np.isnan(X)).sum(axis=0)
        if np.any(nobs_item < 2):
            bad = [items[int(j)] for j in np.flatnonzero(nobs_item < 2)]
            raise AnalysisError(f"Item(s) {', '.join(bad)} have fewer than two answers{where}.")
        v = np.nanvar(X, axis=0)
        ll_ind = float(sum(-0.5 * c * (LOG2PI + np.log(vj) + 1.0) for c, vj in zip(nobs_item, v, strict=True)))
        try:
            sample, conv = fiml_moments(X, ll_ind)
        except np.linalg.LinAlgError:
            few = sorted((c, it) for c, it in zip(nobs_item.tolist(), items, strict=True) if c < n)[:2]
            raise AnalysisError(
                f"The EM estimate of the item covariance matrix{where} became singular: an item answered by "
                f"few people is predicted exactly by the others ({', '.join(f'{it}: {c} answers' for c, it in few)}"
                f", of {n}). Leave such items out, or use listwise deletion.") from None
        if not conv:
            warnings.warn(f"The EM estimate of the unrestricted model{where} did not converge; "
                          "chi-square and fit indices may be inaccurate.", ConvergenceWarning, stacklevel=4)
    _check_moments(sample[0], items, where)
    return sample
