"""Missing-data patterns as padded stacks, so that FIML works on all patterns at once.

Each pattern's observed covariance block ``Sigma_oo`` is padded to p x p with the identity in
the rows and columns of its missing items. The padded matrix is block diagonal (after a
permutation), so its inverse is ``Sigma_oo^-1`` in the observed block and the identity
elsewhere, and its log-determinant is ``log|Sigma_oo|``. One batched ``cholesky``/``inv``
over a (K, p, p) stack then replaces a Python loop over the K patterns; the stacks are
processed in chunks of at most :data:`CHUNK` patterns so that memory stays bounded.
The inverses returned here are zero outside the observed block ("zero-padded"), which makes
every sum over a pattern's observed items a sum over all p items.

Patterns missing few items (at most :data:`LOW_RANK`) are cheaper as low-rank updates of the
full inverse ``Omega = Sigma^-1``: ``Sigma_oo^-1`` (zero-padded) ``= Omega - F F'`` with F
p x r (r missing items) and ``log|Sigma_oo| = log|Sigma| + log|Omega_mm|``
(:func:`missing_factors`), so sums over those patterns are matrix products over the stacked
factors, O(p^2 r) per pattern instead of O(p^3) (:class:`LowRankSums`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CHUNK", "LOW_RANK", "PatternStack", "PatternPart", "split_patterns", "padded_inverse", "pattern_loglik",
           "missing_factors", "LowRankSums", "lowrank_gradient", "PatternList", "stacked_patterns"]

#: the most patterns held in one (K, p, p) stack
CHUNK = 2000
#: patterns missing at most this many items are handled as low-rank updates (:func:`missing_factors`)
LOW_RANK = 6


@dataclass(frozen=True)
class PatternStack:
    """K missing-data patterns of p items as arrays.

    Attributes
    ----------
    obs : ndarray of bool, (K, p)
        Observed items of each pattern.
    n : ndarray, (K,)
        Cases per pattern.
    ybar : ndarray, (K, p)
        Pattern means (0 for missing items).
    S : ndarray, (K, p, p)
        Pattern covariances with divisor n (0 outside the observed block).

    Examples
    --------
    >>> o = np.array([0, 2])
    >>> st = PatternStack.of([(o, 2, np.array([1.0, 3.0]), np.eye(2))], 3)
    >>> st.obs.tolist(), st.ybar.tolist()
    ([[True, False, True]], [[1.0, 0.0, 3.0]])
    """

    obs: np.ndarray
    n: np.ndarray
    ybar: np.ndarray
    S: np.ndarray

    @classmethod
    def of(cls, pats: Sequence[tuple[np.ndarray, int, np.ndarray, np.ndarray]], p: int) -> PatternStack:
        """Stack patterns given as (observed columns, n, mean, covariance)."""
        K = len(pats)
        sizes = np.array([len(pt[0]) for pt in pats], dtype=int)
        rows = np.repeat(np.arange(K), sizes)
        cols = np.concatenate([pt[0] for pt in pats]).astype(int)
        obs = np.zeros((K, p), dtype=bool)
        obs[rows, cols] = True
        ybar = np.zeros((K, p))
        ybar[rows, cols] = np.concatenate([pt[2] for pt in pats])
        flat = np.concatenate([((k * p + o[:, None]) * p + o[None, :]).ravel() for k, (o, *_) in enumerate(pats)])
        S = np.zeros(K * p * p)
        S[flat] = np.concatenate([np.asarray(pt[3]).ravel() for pt in pats])
        return cls(obs, np.array([pt[1] for pt in pats], dtype=float), ybar, S.reshape(K, p, p))

    def take(self, index: np.ndarray) -> PatternStack:
        """The patterns at ``index``."""
        return PatternStack(self.obs[index], self.n[index], self.ybar[index], self.S[index])

    def chunks(self, size: int = CHUNK) -> Iterator[PatternStack]:
        """The stack in consecutive pieces of at most ``size`` patterns (views, no copies)."""
        for a in range(0, len(self.n), max(1, size)):
            yield PatternStack(self.obs[a:a + size], self.n[a:a + size], self.ybar[a:a + size],
                               self.S[a:a + size])


@dataclass(frozen=True)
class PatternPart:
    """Patterns handled one way: as low-rank updates of ``Sigma^-1`` (``miss``: the (K, r) missing
    items of each) or, with ``miss`` None, by their padded inverses."""

    stack: PatternStack
    miss: np.ndarray | None

    def chunks(self, size: int = CHUNK) -> Iterator[PatternPart]:
        """The part in pieces of at most ``size`` patterns."""
        for a, st in zip(range(0, len(self.stack.n), max(1, size)), self.stack.chunks(size), strict=True):
            yield PatternPart(st, None if self.miss is None else self.miss[a:a + size])


def split_patterns(stack: PatternStack, rmax: int = LOW_RANK) -> list[PatternPart]:
    """The stack split by the number r of missing items: one low-rank part per r <= ``rmax``, then
    one padded part for the rest.

    Examples
    --------
    >>> obs = np.array([[True, True, True], [True, False, True], [False, False, True]])
    >>> st = PatternStack(obs, np.ones(3), np.zeros((3, 3)), np.zeros((3, 3, 3)))
    >>> [(len(pt.stack.n), None if pt.miss is None else pt.miss.tolist()) for pt in split_patterns(st, 1)]
    [(1, [[]]), (1, [[1]]), (1, None)]
    """
    r = (~stack.obs).sum(axis=1)
    parts = []
    for k in np.unique(r[r <= rmax]):
        idx = np.flatnonzero(r == k)
        parts.append(PatternPart(stack.take(idx), np.nonzero(~stack.obs[idx])[1].reshape(len(idx), int(k))))
    if np.any(r > rmax):
        parts.append(PatternPart(stack.take(np.flatnonzero(r > rmax)), None))
    return parts


class PatternList(list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]):
    """The missing-data patterns of one sample (``moments.missing_patterns``), read-only once made;
    they keep their stacked, split form (:func:`stacked_patterns`) for every engine fitted to them."""

    split: list[PatternPart] | None = None


def stacked_patterns(pats: Sequence[tuple[np.ndarray, int, np.ndarray, np.ndarray]], p: int) -> list[PatternPart]:
    """``split_patterns(PatternStack.of(pats, p))``, computed once per :class:`PatternList`
    (an invariance run fits many engines to the same samples).

    Examples
    --------
    >>> pats = PatternList([(np.array([0]), 1, np.array([0.0]), np.zeros((1, 1)))])
    >>> stacked_patterns(pats, 2) is stacked_patterns(pats, 2)
    True
    """
    cached = getattr(pats, "split", None)
    if cached is not None and cached[0].stack.obs.shape[1] == p:
        return cached
    parts = split_patterns(PatternStack.of(pats, p))
    if isinstance(pats, PatternList):
        pats.split = parts
    return parts


def padded_inverse(Sigma: np.ndarray, obs: np.ndarray, logdet: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Inverses of every pattern's ``Sigma_oo``, zero-padded to p x p, and their log-determinants.

    With ``logdet`` (by a Cholesky factor) raises ``numpy.linalg.LinAlgError`` when a
    ``Sigma_oo`` is not positive definite; without it the log-determinants are not computed
    (an empty array) and only a singular ``Sigma_oo`` raises.

    Examples
    --------
    >>> Sig = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> P, logdet = padded_inverse(Sig, np.array([[True, False], [True, True]]))
    >>> P[0].tolist(), bool(np.allclose(P[1], np.linalg.inv(Sig))), round(float(logdet[0]), 6)
    ([[0.5, 0.0], [0.0, 0.0]], True, 0.693147)
    """
    p = Sigma.shape[0]
    mask = obs[:, :, None] & obs[:, None, :]
    A = np.where(mask, Sigma[None], np.eye(p)[None])
    ld = np.zeros(0)
    if logdet:
        chol = np.linalg.cholesky(A)
        ld = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    return np.linalg.inv(A) * mask, ld


def pattern_loglik(parts: Sequence[PatternPart], mu: np.ndarray, Sigma: np.ndarray) -> float:
    """The normal log-likelihood of all cases of the patterns at (mu, Sigma).

    ``-1/2 sum_k n_k (p_k log 2 pi + log|Sigma_oo| + tr(Sigma_oo^-1 S_k) + d_k' Sigma_oo^-1 d_k)``
    with ``d_k = ybar_k - mu_o``; low-rank parts use ``log|Sigma_oo| = log|Sigma| + log|Omega_mm|``.
    Raises ``numpy.linalg.LinAlgError`` when a ``Sigma_oo`` is not positive definite.

    Examples
    --------
    >>> st = PatternStack.of([(np.array([0]), 1, np.array([0.0]), np.zeros((1, 1)))], 2)
    >>> ll = pattern_loglik(split_patterns(st), np.zeros(2), np.eye(2))
    >>> bool(np.isclose(ll, -0.5 * np.log(2 * np.pi)))
    True
    """
    log2pi = float(np.log(2.0 * np.pi))
    try:
        Omega, logdet = np.linalg.inv(Sigma), 2.0 * np.log(np.diag(np.linalg.cholesky(Sigma))).sum()
    except np.linalg.LinAlgError:  # Sigma not positive definite: every pattern by its own block
        parts = [PatternPart(pt.stack, None) for pt in parts]
    total = 0.0
    for part in (c for pt in parts for c in pt.chunks()):
        st = part.stack
        d = (st.ybar - mu) * st.obs
        if part.miss is None:
            P, ld = padded_inverse(Sigma, st.obs)
            quad = np.einsum("kij,kij->k", P, st.S) + np.einsum("ki,ki->k", d, np.matmul(P, d[:, :, None])[:, :, 0])
        else:
            F, ldmm = missing_factors(Omega, part.miss, logdet=True)
            Fd = np.matmul(d[:, None, :], F)[:, 0, :]
            quad = (st.S.reshape(len(st.n), -1) @ Omega.ravel() - (np.matmul(st.S, F) * F).sum(axis=(1, 2))
                    + ((d @ Omega) * d).sum(axis=1) - (Fd ** 2).sum(axis=1))
            ld = logdet + ldmm
        total += float(st.n @ (st.obs.sum(axis=1) * log2pi + ld + quad))
    return -0.5 * total


def missing_factors(Omega: np.ndarray, miss: np.ndarray, logdet: bool = False) -> Any:
    """Low-rank factors of the patterns missing the items ``miss`` (K, r), at ``Omega = Sigma^-1``.

    Returns F (K, p, r) with ``Sigma_oo^-1`` (zero-padded) ``= Omega - F F'``: the inverse of a
    block is the Schur complement ``Omega - Omega_.m Omega_mm^-1 Omega_m.`` of the full
    inverse, and ``F = Omega_.m C^-T`` with ``C C' = Omega_mm``. With ``logdet`` also
    ``log|Omega_mm|`` (K,), which is ``log|Sigma_oo| - log|Sigma|``.

    Examples
    --------
    >>> Sig = np.array([[2.0, 0.5, 0.2], [0.5, 1.0, 0.1], [0.2, 0.1, 1.5]])
    >>> F = missing_factors(np.linalg.inv(Sig), np.array([[1]]))
    >>> P = np.linalg.inv(Sig) - F[0] @ F[0].T
    >>> bool(np.allclose(P[np.ix_([0, 2], [0, 2])], np.linalg.inv(Sig[np.ix_([0, 2], [0, 2])])))
    True
    """
    K, r = miss.shape
    if r == 0:
        F = np.zeros((K, Omega.shape[0], 0))
        return (F, np.zeros(K)) if logdet else F
    G = np.moveaxis(Omega[:, miss], 0, 1)
    C = np.linalg.cholesky(Omega[miss[:, :, None], miss[:, None, :]])
    F = np.linalg.solve(C, G.transpose(0, 2, 1)).transpose(0, 2, 1)
    if not logdet:
        return F
    return F, 2.0 * np.log(np.diagonal(C, axis1=1, axis2=2)).sum(axis=1)


@dataclass(frozen=True)
class LowRankSums:
    """Weighted sums over patterns with ``P_k = Omega - F_k F_k'`` (weights ``w_k = n_k / N``,
    ``d_k`` the zero-padded ``ybar_k - mu_o``, ``M_k = S_k + d_k d_k'``)."""

    W: float            #: sum w_k
    M: np.ndarray       #: sum w_k M_k
    A: np.ndarray       #: sum w_k M_k F_k F_k'
    B: np.ndarray       #: sum w_k F_k F_k'
    C: np.ndarray       #: sum w_k F_k F_k' M_k F_k F_k'
    d: np.ndarray       #: sum w_k d_k
    Fd: np.ndarray      #: sum w_k F_k F_k' d_k

    @classmethod
    def of(cls, parts: Sequence[PatternPart], mu: np.ndarray, Omega: np.ndarray, N: float) -> LowRankSums:
        """The sums over the low-rank ``parts`` (each r-group's products are matrix products over
        the concatenated factors: O(p^2 r) per pattern instead of O(p^3))."""
        p = len(mu)
        W, SwM, A, B, C = 0.0, np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p))
        gd, Ed = np.zeros(p), np.zeros(p)
        for part in (c for pt in parts for c in pt.chunks()):
            st, w = part.stack, part.stack.n / N
            d = (st.ybar - mu) * st.obs
            wd = w[:, None] * d
            W += float(w.sum())
            SwM += np.tensordot(w, st.S, axes=1) + wd.T @ d
            gd += wd.sum(axis=0)
            if part.miss is None or part.miss.shape[1] == 0:
                continue
            F = missing_factors(Omega, part.miss)
            Fd = np.matmul(d[:, None, :], F)[:, 0, :]
            MF = np.matmul(st.S, F) + d[:, :, None] * Fd[:, None, :]
            FMF = np.matmul(F, np.matmul(F.transpose(0, 2, 1), MF))
            Fc = F.transpose(1, 0, 2).reshape(p, -1)
            Fw = Fc * np.repeat(w, F.shape[2])
            A += MF.transpose(1, 0, 2).reshape(p, -1) @ Fw.T
            B += Fw @ Fc.T
            C += FMF.transpose(1, 0, 2).reshape(p, -1) @ Fw.T
            Ed += Fw @ Fd.ravel()
        return cls(W, SwM, A, B, C, gd, Ed)


def lowrank_gradient(parts: Sequence[PatternPart], mu: np.ndarray, Omega: np.ndarray, N: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``dF/dSigma`` and ``dF/dmu`` summed over low-rank parts (F = -2 logL / N), at ``Omega = Sigma^-1``.

    With ``P_k = Omega - F_k F_k'``: ``sum_k w_k (P_k - P_k M_k P_k)`` and ``-2 sum_k w_k P_k d_k``
    (:class:`LowRankSums`).
    """
    t = LowRankSums.of(parts, mu, Omega, N)
    G = t.W * Omega - t.B - Omega @ t.M @ Omega + Omega @ t.A + t.A.T @ Omega - t.C
    return G, -2.0 * (Omega @ t.d - t.Fd)
