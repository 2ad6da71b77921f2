"""The multi-group confirmatory factor model fitted by maximum likelihood (ML and FIML).

Arrays in, arrays out: the engine takes a :class:`~compassion_scales.stats.sem.spec.ModelSpec`
and per-group sample moments (:mod:`compassion_scales.stats.sem.moments`), builds lavaan's
parameter table (marker or std.lv identification, optional mean structure, equality
constraints across groups by lavaan's ``group.equal`` classes, released constraints),
computes the implied moments, the ML discrepancy (or the casewise FIML likelihood by
missing-data pattern, all patterns at once: :mod:`compassion_scales.stats.sem.patterns`) with
its analytic gradient, expected information and observed information (the Hessian, for FIML
standard errors and the MLR bread), and minimises it by Fisher scoring with step halving,
then Newton steps with the observed information once the gradient is small (scipy's BFGS with
the analytic gradient as a fallback). The model matrices, implied moments and Sigma^-1 of each
group are computed once per parameter vector.

Every derivative of a CFA's implied covariance matrix is ``c (u v' + v u')``, so the
gradient and the information are computed from p x q factors ``U``, ``V`` without a
p^2 x q Jacobian; each group contributes only to the block of its own free parameters.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from compassion_scales.errors import AnalysisError
from compassion_scales.stats.sem.patterns import (
    CHUNK,
    PatternPart,
    PatternStack,
    lowrank_gradient,
    missing_factors,
    padded_inverse,
    pattern_loglik,
    split_patterns,
    stacked_patterns,
)
from compassion_scales.stats.sem.spec import ModelSpec

__all__ = ["KIND_CODE", "LOADING", "LV_COV", "RESIDUAL", "INTERCEPT", "LV_MEAN", "Parameter", "SEMEngine",
           "Pattern", "Sample", "LOG2PI", "Derivatives", "MomentBasis",
           "expected_sums", "lowrank_sums", "observed_sums", "second_order_block"]

LOG2PI = float(np.log(2.0 * np.pi))
#: largest gradient element below which the optimiser takes Newton steps (exact Hessian)
NEWTON_FROM = 1e-3

# parameter kinds (lavaan's operators; rows of the parameter table are (group, kind, i, j))
LOADING, LV_COV, RESIDUAL, INTERCEPT, LV_MEAN = "=~", "~~lv", "~~ov", "~1ov", "~1lv"
KIND_CODE = {LOADING: 0, LV_COV: 1, RESIDUAL: 2, INTERCEPT: 3, LV_MEAN: 4}

#: one missing-data pattern: (observed columns, n, mean, covariance with divisor n)
Pattern = tuple[np.ndarray, int, np.ndarray, np.ndarray]
#: one group's sample statistics: (S, ybar, n), plus (patterns, h1 log-likelihoods) with FIML
Sample = (tuple[np.ndarray, np.ndarray, int]
          | tuple[np.ndarray, np.ndarray, int, list[Pattern], dict[str, float]])
#: derivatives of (Sigma, mu): (U, V, c, DM), dSigma_k = c_k (u_k v_k' + v_k u_k'), dmu_k = DM[:, k]
Derivatives = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Parameter:
    """One row of the parameter table."""

    group: int
    kind: str
    i: int
    j: int
    free: int  # -1 = fixed
    value: float
    key: str  # parameter key, e.g. 'visual=~x2' (the same in every group)
    cls: str | None = None  # lavaan group.equal class ('loadings', 'intercepts', ...)
    shared: bool = False  # held equal across groups


@dataclass(frozen=True)
class _Layout:
    """One group's parameters as arrays (kind code, row, column, free index, fixed value)."""

    kind: np.ndarray
    i: np.ndarray
    j: np.ndarray
    free: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, pars: Sequence[Parameter]) -> _Layout:
        return cls(np.array([KIND_CODE[q.kind] for q in pars], dtype=int), np.array([q.i for q in pars], dtype=int),
                   np.array([q.j for q in pars], dtype=int), np.array([q.free for q in pars], dtype=int),
                   np.array([q.value for q in pars], dtype=float))

    def values(self, x: np.ndarray) -> np.ndarray:
        v = self.value.copy()
        f = self.free >= 0
        v[f] = x[self.free[f]]
        return v


def derivative_factors(kind: np.ndarray, i: np.ndarray, j: np.ndarray, cols: np.ndarray, ncol: int,
                       L: np.ndarray, P: np.ndarray, al: np.ndarray) -> Derivatives:
    """Derivatives of (Sigma, mu) for parameters (kind code, i, j) placed in columns ``cols``.

    Returns (U, V, c, DM) with one column per parameter: dSigma = c (u v' + v u'), dmu = DM.
    """
    p = L.shape[0]
    U, V, DM, c = np.zeros((p, ncol)), np.zeros((p, ncol)), np.zeros((p, ncol)), np.zeros(ncol)
    LP = L @ P
    m = kind == 0
    U[i[m], cols[m]] = 1.0
    V[:, cols[m]] = LP[:, j[m]]
    c[cols[m]] = 1.0
    DM[i[m], cols[m]] = al[j[m]]
    m = kind == 1
    U[:, cols[m]] = L[:, i[m]]
    V[:, cols[m]] = L[:, j[m]]
    c[cols[m]] = np.where(i[m] == j[m], 0.5, 1.0)
    m = kind == 2
    U[i[m], cols[m]] = 1.0
    V[j[m], cols[m]] = 1.0
    c[cols[m]] = np.where(i[m] == j[m], 0.5, 1.0)
    m = kind == 3
    DM[i[m], cols[m]] = 1.0
    m = kind == 4
    DM[:, cols[m]] = L[:, i[m]]
    return U, V, c, DM


def info_block(Si: np.ndarray, a: Derivatives, b: Derivatives, means: bool) -> np.ndarray:
    """0.5 tr(Si dA Si dB) + dmuA' Si dmuB for all pairs of columns of a and b."""
    Ua, Va, ca, Ma = a
    Ub, Vb, cb, Mb = b
    SUb, SVb = Si @ Ub, Si @ Vb
    # 0.5 tr(Si ca(u v'+v u') Si cb(u2 v2'+v2 u2')) = ca cb [(v'Si u2)(u'Si v2) + (v'Si v2)(u'Si u2)]
    out = np.outer(ca, cb) * ((Va.T @ SUb) * (Ua.T @ SVb) + (Va.T @ SVb) * (Ua.T @ SUb))
    if means:
        out += Ma.T @ Si @ Mb
    return out


def info_diagonal(Si: np.ndarray, a: Derivatives, means: bool) -> np.ndarray:
    """The diagonal of ``info_block(Si, a, a, means)`` without the off-diagonal elements."""
    U, V, c, M = a
    SU, SV = Si @ U, Si @ V
    out = c * c * ((V * SU).sum(axis=0) * (U * SV).sum(axis=0) + (V * SV).sum(axis=0) * (U * SU).sum(axis=0))
    if means:
        out += (M * (Si @ M)).sum(axis=0)
    return out


@dataclass(frozen=True)
class MomentBasis:
    """A group's free parameters as single columns of the basis ``E = [I_p, Lambda, Lambda Psi]``.

    Every derivative of a CFA's moments is one basis column (or a multiple of one):
    ``dSigma_q = c_q (e_iu e_iv' + e_iv e_iu')`` in the basis (``E`` applied on both sides)
    and ``dmu_q = sm_q E[:, im_q]``; so ``U' X V`` for any p x p ``X`` is a gather from
    ``E' X E`` ((p + 2m)^2 numbers per pattern) instead of a product with p x q factors.
    """

    E: np.ndarray
    iu: np.ndarray
    iv: np.ndarray
    c: np.ndarray
    im: np.ndarray
    sm: np.ndarray

    @classmethod
    def of(cls, kind: np.ndarray, i: np.ndarray, j: np.ndarray, L: np.ndarray, P: np.ndarray, al: np.ndarray,
           means: bool) -> MomentBasis:
        """The basis of parameters (kind code, i, j) at (Lambda, Psi, alpha); no mean part without ``means``."""
        p, m = L.shape
        q = len(kind)
        iu, iv, im = np.zeros(q, dtype=int), np.zeros(q, dtype=int), np.zeros(q, dtype=int)
        c, sm = np.zeros(q), np.zeros(q)
        s = kind == 0
        iu[s], iv[s], c[s], im[s], sm[s] = i[s], p + m + j[s], 1.0, i[s], al[j[s]]
        for code, off in ((1, p), (2, 0)):
            s = kind == code
            iu[s], iv[s], c[s] = off + i[s], off + j[s], np.where(i[s] == j[s], 0.5, 1.0)
        s = kind == 3
        im[s], sm[s] = i[s], 1.0
        s = kind == 4
        im[s], sm[s] = p + i[s], 1.0
        if not means:
            sm[:] = 0.0
        return cls(np.hstack([np.eye(p), L, L @ P]), iu, iv, c, im, sm)

    def chunk_size(self) -> int:
        """Patterns per chunk so that each (K, q, q) gather holds at most about 10^6 numbers."""
        return int(max(1, min(CHUNK, 1_000_000 // max(1, len(self.c)) ** 2)))

    def sandwich(self, X: np.ndarray) -> np.ndarray:
        """``E' X_k E`` for a stack of p x p matrices, flattened with the patterns last: (nb^2, K)."""
        B = self.E.T @ (X @ self.E)
        return np.ascontiguousarray(B.reshape(B.shape[0], -1).T)

    def gather(self, BT: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
        """``B_k[r_a, s_b]`` for all pairs (a, b) from a ``sandwich``: a (q, q, K) array."""
        nb = self.E.shape[1]
        return BT[(r[:, None] * nb + s[None, :]).ravel()].reshape(len(r), len(s), -1)

    def weighted(self, BT: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``sum_k w_k E' X_k E`` from a ``sandwich``."""
        nb = self.E.shape[1]
        return (BT @ w).reshape(nb, nb)


def expected_sums(basis: MomentBasis, BP: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sum over patterns of ``w_k`` times the expected information block (``info_block`` per pattern),
    from ``BP = E' P_k E`` (a ``sandwich``; P_k the zero-padded inverse of the pattern's Sigma_oo)."""
    b = basis
    PVU = b.gather(BP, b.iv, b.iu)
    Z = PVU * PVU.transpose(1, 0, 2)
    Z += b.gather(BP, b.iv, b.iv) * b.gather(BP, b.iu, b.iu)
    return (Z @ w) * np.outer(b.c, b.c) + np.outer(b.sm, b.sm) * b.weighted(BP, w)[np.ix_(b.im, b.im)]


def lowrank_sums(basis: MomentBasis, B0: np.ndarray, W: float, Hs: Sequence[tuple[np.ndarray, np.ndarray]]
                 ) -> np.ndarray:
    """``expected_sums`` for patterns whose ``E' P_k E = B0 - H_k H_k'`` (H_k nb x r, r small).

    ``W`` is the patterns' total weight and ``Hs`` holds (weights (K,), H (K, nb, r)) per number of
    missing items. Each product of two gathers from ``B0 - H H'`` expands into gathers from
    ``B0`` and ``sum_k w_k H_k H_k'`` plus one quartic term, a matrix product over (pattern, s, t).
    """
    b = basis
    q, nb = len(b.c), B0.shape[0]
    Rbar = np.zeros((nb, nb))
    quartic = np.zeros((q, q))
    for w, H in Hs:
        r = H.shape[2]
        step = max(1, 2_000_000 // (q * r * r))  # at most ~2e6 numbers in X
        for a in range(0, len(w), step):
            wk, Hk = w[a:a + step], H[a:a + step]
            Hm = Hk.transpose(1, 0, 2).reshape(nb, -1)
            Rbar += (Hm * np.repeat(wk, r)) @ Hm.T
            X = (Hk[:, b.iv, :, None] * Hk[:, b.iu, None, :]).transpose(0, 2, 3, 1)  # (K, s, t, q)
            Y = (X + X.transpose(0, 2, 1, 3)).reshape(-1, q)
            quartic += (X * wk[:, None, None, None]).reshape(-1, q).T @ Y

    def pair(A: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return A[np.ix_(x, y)]

    vu, vv, uu = pair(B0, b.iv, b.iu), pair(B0, b.iv, b.iv), pair(B0, b.iu, b.iu)
    Rvu = pair(Rbar, b.iv, b.iu)
    out = W * (vu * vu.T + vv * uu) - vu * Rvu.T - Rvu * vu.T
    out -= vv * pair(Rbar, b.iu, b.iu) + pair(Rbar, b.iv, b.iv) * uu
    out = (out + quartic) * np.outer(b.c, b.c)
    return out + np.outer(b.sm, b.sm) * pair(W * B0 - Rbar, b.im, b.im)


def observed_sums(basis: MomentBasis, BP: np.ndarray, BW: np.ndarray, bd: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sum over patterns of ``w_k`` times the Hessian of f_k in the parameters through the moments
    (``J' H_k J``), from the sandwiches ``BP = E' P E`` and ``BW = E' P (S_k + d d') P E`` and from
    ``bd = E' P d`` (nb x K).

    Per pattern, for covariance directions A, B and mean directions a, b:
    ``d2f = -tr(PAPB) + tr(APBW) + tr(BPAW)`` (covariances), ``2 a'Pb`` (means) and
    ``2 a'PBPd`` (mean x covariance), with ``W = P (S_k + d d') P``.
    """
    b = basis
    PVU, PUU = b.gather(BP, b.iv, b.iu), b.gather(BP, b.iu, b.iu)
    Z = b.gather(BP, b.iv, b.iv) * (b.gather(BW, b.iu, b.iu) - PUU) - PVU * PVU.transpose(1, 0, 2)
    Z += PUU * b.gather(BW, b.iv, b.iv)
    A1 = (PVU * b.gather(BW, b.iu, b.iv)) @ w
    H = 2.0 * np.outer(b.c, b.c) * (Z @ w + A1 + A1.T)
    H += 2.0 * np.outer(b.sm, b.sm) * b.weighted(BP, w)[np.ix_(b.im, b.im)]
    if np.any(b.sm):
        wd = bd * w
        C = (np.einsum("abk,bk->ab", b.gather(BP, b.im, b.iu), wd[b.iv])
             + np.einsum("abk,bk->ab", b.gather(BP, b.im, b.iv), wd[b.iu]))
        C *= 2.0 * np.outer(b.sm, b.c)
        H += C + C.T
    return H


def second_order_block(kind: np.ndarray, i: np.ndarray, j: np.ndarray, L: np.ndarray, P: np.ndarray,
                       G: np.ndarray, gmu: np.ndarray) -> np.ndarray:
    """``sum_ij G_ij d2Sigma_ij / dtheta_a dtheta_b + sum_i gmu_i d2mu_i / dtheta_a dtheta_b``.

    ``G = dF/dSigma`` (symmetric) and ``gmu = dF/dmu``. ``Sigma = Lambda Psi Lambda' + Theta`` and
    ``mu = nu + Lambda alpha`` are bilinear, so only loading x loading (``2 G_il Psi_jr``),
    loading x factor covariance and loading x latent mean (``gmu_i``) pairs are non-zero.
    """
    q = len(kind)
    H = np.zeros((q, q))
    a = np.flatnonzero(kind == 0)
    li, lj = i[a], j[a]
    H[np.ix_(a, a)] = 2.0 * G[np.ix_(li, li)] * P[np.ix_(lj, lj)]
    b = np.flatnonzero(kind == 1)
    ci, cj = i[b], j[b]
    LG = L.T @ G
    X = 2.0 * np.where(ci == cj, 0.5, 1.0) * ((lj[:, None] == ci[None, :]) * LG[cj][:, li].T
                                             + (lj[:, None] == cj[None, :]) * LG[ci][:, li].T)
    H[np.ix_(a, b)] = X
    H[np.ix_(b, a)] = X.T
    e = np.flatnonzero(kind == 4)
    Y = gmu[li][:, None] * (lj[:, None] == i[e][None, :])
    H[np.ix_(a, e)] = Y
    H[np.ix_(e, a)] = Y.T
    return H


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class SEMEngine:
    """Multi-group CFA with optional mean structure and equality constraints (ML and FIML).

    Parameters
    ----------
    spec : ModelSpec
    samples : sequence of Sample
        Per group ``(S, ybar, n)`` (covariance with divisor n, means, size), with FIML also the
        missing-data patterns and the saturated log-likelihoods
        (:func:`~compassion_scales.stats.sem.moments.sample_moments`).
    std_lv : bool
        Factor variances fixed to 1 instead of marker loadings.
    meanstructure : bool
        Model the means (intercepts free, latent means 0 in group 1).
    equal : sequence of str
        lavaan ``group.equal`` classes held equal across groups.
    released : sequence of (str, int)
        (parameter key, group) pairs freed from their equality constraint.
    """

    def __init__(self, spec: ModelSpec, samples: Sequence[Sample],
                 *, std_lv: bool = False, meanstructure: bool = False,
                 equal: Sequence[str] = (), released: Sequence[tuple[str, int]] = ()):
        self.spec = spec
        self.items = spec.items
        self.factors = list(spec.factors)
        self.p, self.m = len(self.items), len(self.factors)
        self.G = len(samples)
        self.S = [s[0] for s in samples]
        self.ybar = [s[1] for s in samples]
        self.Ng = np.array([s[2] for s in samples], dtype=float)
        # FIML: per group, a list of missing-data patterns (observed index, n, mean, cov) and h1
        self.patterns: list[list[Pattern] | None] = [s[3] if len(s) > 3 else None for s in samples]  # type: ignore[misc]
        self.fiml = any(pt is not None for pt in self.patterns)
        self._h1: list[dict[str, float] | None] = [s[4] if len(s) > 4 else None for s in samples]  # type: ignore[misc]
        self.N = float(self.Ng.sum())
        self.w = self.Ng / self.N
        self.std_lv = std_lv
        self.meanstructure = meanstructure
        self.equal = set(equal)
        self.released = set(released)
        self._logdetS = [float(np.linalg.slogdet(S)[1]) for S in self.S]
        self.f_h1 = 0.0
        self.x = np.zeros(0)
        self.fmin = np.nan
        self._stacks: dict[int, list[PatternPart]] = {}
        # per group: the model matrices and moments at the last parameter vector (see _at)
        self._cache: list[dict[str, Any]] = [{} for _ in range(self.G)]
        self._build_table()

    # -- parameter table
    def _group_rows(self, g: int) -> list[tuple[str, int, int, str, float | None, str | None]]:
        """(kind, i, j, key, fixed value or None, equality class) of every element in group g."""
        idx = {it: k for k, it in enumerate(self.items)}
        eq_loadings = "loadings" in self.equal
        rows: list[tuple[str, int, int, str, float | None, str | None]] = []
        for k, f in enumerate(self.factors):
            for r, it in enumerate(self.spec.factors[f]):
                rows.append((LOADING, idx[it], k, f"{f}=~{it}", 1.0 if (r == 0 and not self.std_lv) else None,
                             "loadings"))
        for k, f in enumerate(self.factors):
            # std.lv: variances fixed at 1, freed in groups 2.. when loadings are equal
            rows.append((LV_COV, k, k, f"{f}~~{f}", 1.0 if (self.std_lv and (g == 0 or not eq_loadings)) else None,
                         "lv.variances"))
            rows += [(LV_COV, k, k2, f"{f}~~{self.factors[k2]}", None, "lv.covariances")
                     for k2 in range(k + 1, self.m)]
        rows += [(RESIDUAL, i, i, f"{it}~~{it}", None, "residuals") for i, it in enumerate(self.items)]
        for a, b in self.spec.residual_covariances:
            i, j = sorted((idx[a], idx[b]))
            rows.append((RESIDUAL, i, j, f"{self.items[i]}~~{self.items[j]}", None, "residual.covariances"))
        if self.meanstructure:
            rows += [(INTERCEPT, i, 0, f"{it}~1", None, "intercepts") for i, it in enumerate(self.items)]
            free_means = "intercepts" in self.equal and g > 0
            rows += [(LV_MEAN, k, 0, f"{f}~1", None if free_means else 0.0, "means")
                     for k, f in enumerate(self.factors)]
        return rows

    def _build_table(self) -> None:
        pars: list[Parameter] = []
        keymap: dict[str, int] = {}
        for g in range(self.G):
            for kind, i, j, key, fixed, eq_class in self._group_rows(g):
                if fixed is not None:
                    pars.append(Parameter(g, kind, i, j, -1, fixed, key, eq_class))
                    continue
                shared = eq_class is not None and eq_class in self.equal and (key, g) not in self.released
                gkey = key if shared else f"{key}@{g}"
                free = keymap.setdefault(gkey, len(keymap))
                pars.append(Parameter(g, kind, i, j, free, np.nan, key, eq_class, shared))
        self.pars = pars
        self.nfree = len(keymap)
        self.keymap = keymap
        self.group_pars = [[q for q in pars if q.group == g] for g in range(self.G)]
        self.group_rows = [np.array([r for r, q in enumerate(pars) if q.group == g], dtype=int)
                           for g in range(self.G)]
        self._layout = [_Layout.of(gp) for gp in self.group_pars]
        # per group: the free parameters (their free indices), in table order
        self._free_cols = [lay.free[lay.free >= 0] for lay in self._layout]
        if any(len(np.unique(fc)) != len(fc) for fc in self._free_cols):  # pragma: no cover
            raise AnalysisError("Internal error: a parameter appears twice in one group.")

    def layout(self, g: int) -> _Layout:
        """Group g's parameters as arrays (kind code, i, j, free index, fixed value)."""
        return self._layout[g]

    # -- matrices
    def _at(self, x: np.ndarray, g: int) -> dict[str, Any]:
        """Group g's model matrices and moments at ``x``, kept until another ``x`` is asked for.

        A Fisher step evaluates F at the trial point and then the gradient and information at
        the same point; each is computed once. The arrays are read-only (shared by the callers).
        ``logdet`` (None when Sigma is not positive definite) and ``Si`` are added on demand.
        """
        key = x.tobytes()
        c = self._cache[g]
        if c.get("key") == key:
            return c
        L, P, T, nu, al = self._matrices(x, g)
        c = {"key": key, "mats": (L, P, T, nu, al), "Sig": _readonly(L @ P @ L.T + T), "mu": _readonly(nu + L @ al)}
        self._cache[g] = c
        return c

    def _logdet(self, c: dict[str, Any]) -> float | None:
        """log det Sigma of a cache entry (:meth:`_at`) by Cholesky; None if not positive definite."""
        if "logdet" not in c:
            try:
                c["logdet"] = 2.0 * np.log(np.diag(np.linalg.cholesky(c["Sig"]))).sum()
            except np.linalg.LinAlgError:
                c["logdet"] = None
        return c["logdet"]  # type: ignore[no-any-return]

    def _inv(self, c: dict[str, Any]) -> np.ndarray:
        """Sigma^-1 of a cache entry (:meth:`_at`)."""
        if "Si" not in c:
            c["Si"] = _readonly(np.linalg.inv(c["Sig"]))
        return c["Si"]  # type: ignore[no-any-return]

    def _matrices(self, x: np.ndarray, g: int) -> tuple[np.ndarray, ...]:
        p, m = self.p, self.m
        lay = self._layout[g]
        v = lay.values(x)
        k, i, j = lay.kind, lay.i, lay.j
        L, P, T = np.zeros((p, m)), np.zeros((m, m)), np.zeros((p, p))
        nu, al = np.zeros(p), np.zeros(m)
        s = k == 0
        L[i[s], j[s]] = v[s]
        s = k == 1
        P[i[s], j[s]] = v[s]
        P[j[s], i[s]] = v[s]
        s = k == 2
        T[i[s], j[s]] = v[s]
        T[j[s], i[s]] = v[s]
        s = k == 3
        nu[i[s]] = v[s]
        s = k == 4
        al[i[s]] = v[s]
        return tuple(_readonly(a) for a in (L, P, T, nu, al))

    def matrices(self, x: np.ndarray, g: int) -> tuple[np.ndarray, ...]:
        """(Lambda, Psi, Theta, nu, alpha) of group g at parameter vector x (read-only arrays)."""
        return self._at(x, g)["mats"]  # type: ignore[no-any-return]

    def implied(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied covariance matrix and means of group g (read-only arrays)."""
        c = self._at(x, g)
        return c["Sig"], c["mu"]

    def group_derivatives(self, x: np.ndarray, g: int, full: bool = True) -> Derivatives:
        """Derivatives of group g's (Sigma, mu) for the free parameters: one column per free
        parameter of the model (``full``) or per free parameter of the group (its columns are
        ``free_columns(g)``)."""
        L, P, T, nu, al = self.matrices(x, g)
        lay = self._layout[g]
        f = lay.free >= 0
        cols = lay.free[f] if full else np.arange(int(f.sum()))
        ncol = self.nfree if full else int(f.sum())
        return derivative_factors(lay.kind[f], lay.i[f], lay.j[f], cols, ncol, L, P, al)

    def free_columns(self, g: int) -> np.ndarray:
        """Free indices of group g's free parameters (the columns of ``group_derivatives(full=False)``)."""
        return self._free_cols[g]

    # -- objective
    def objective(self, x: np.ndarray) -> float:
        """The ML discrepancy F (FIML: -2 logL / N)."""
        if self.fiml:
            return self._objective_fiml(x)
        F = 0.0
        for g in range(self.G):
            c = self._at(x, g)
            logdet = self._logdet(c)
            if logdet is None:
                return np.inf
            Si = self._inv(c)
            d = self.ybar[g] - c["mu"]
            Fg = logdet + np.sum(self.S[g] * Si) - self._logdetS[g] - self.p
            if self.meanstructure:
                Fg += d @ Si @ d
            F += self.w[g] * Fg
        return float(F)

    # -- FIML (casewise likelihood, by missing-data pattern); F = -2 logL / N
    def _parts(self, g: int) -> list[PatternPart]:
        """Group g's missing-data patterns as padded stacks split by their number of missing items
        (with complete data: one pattern holding the group's sample moments)."""
        if g not in self._stacks:
            pats = self.patterns[g]
            if pats is None:
                obs = np.ones((1, self.p), dtype=bool)
                stack = PatternStack(obs, self.Ng[g:g + 1], self.ybar[g][None], self.S[g][None])
                self._stacks[g] = split_patterns(stack)
            else:
                self._stacks[g] = stacked_patterns(pats, self.p)
        return self._stacks[g]

    def _h1_sum(self, key: str) -> float:
        """Sum of one saturated-model (h1) statistic over the groups (FIML only)."""
        total = 0.0
        for h in self._h1:
            if h is None:  # pragma: no cover - FIML samples always carry their h1 log-likelihoods
                raise AnalysisError("Internal error: no saturated-model log-likelihood for a FIML group.")
            total += h[key]
        return total

    def _objective_fiml(self, x: np.ndarray) -> float:
        total = 0.0
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            try:
                total += pattern_loglik(self._parts(g), mu, Sig)
            except np.linalg.LinAlgError:
                return np.inf
        return float(-2.0 * total / self.N)

    def _pattern_sums(self, x: np.ndarray, g: int, basis: MomentBasis | None, lowrank: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Over group g's patterns: ``Gfull = dF/dSigma``, ``gmu = dF/dmu`` and, with a basis, the
        Hessian of F through the moments (:func:`observed_sums`). With ``lowrank`` (and Sigma
        positive definite) the parts missing few items are summed by :func:`lowrank_gradient`."""
        c = self._at(x, g)
        Sig, mu = c["Sig"], c["mu"]
        means = self.fiml or self.meanstructure
        parts = self._parts(g)
        Gfull, gmu = np.zeros((self.p, self.p)), np.zeros(self.p)
        if lowrank and means and self._logdet(c) is not None:
            low = [pt for pt in parts if pt.miss is not None]
            if low:
                Gfull, gmu = lowrank_gradient(low, mu, self._inv(c), self.N)
            parts = [pt for pt in parts if pt.miss is None]
        q = 0 if basis is None else len(basis.c)
        block = np.zeros((q, q))
        for pt in parts:
            for st in pt.stack.chunks(CHUNK if basis is None else basis.chunk_size()):
                P, _ = padded_inverse(Sig, st.obs, logdet=False)
                w = st.n / self.N
                d = (st.ybar - mu) * st.obs if means else np.zeros_like(st.ybar)
                Pd = np.matmul(P, d[:, :, None])[:, :, 0]
                PSP = P @ st.S @ P
                Gfull += np.tensordot(w, P - PSP, axes=1) - (w[:, None] * Pd).T @ Pd
                gmu -= 2.0 * (w @ Pd)
                if basis is not None:
                    BW = basis.sandwich(PSP + Pd[:, :, None] * Pd[:, None, :])
                    bd = np.ascontiguousarray((Pd @ basis.E).T)
                    block += observed_sums(basis, basis.sandwich(P), BW, bd, w)
        return Gfull, gmu, block

    def _basis(self, x: np.ndarray, g: int) -> MomentBasis:
        L, P, _, _, al = self.matrices(x, g)
        lay = self._layout[g]
        f = lay.free >= 0
        return MomentBasis.of(lay.kind[f], lay.i[f], lay.j[f], L, P, al, self.fiml or self.meanstructure)

    def _expected_info(self, x: np.ndarray, g: int) -> np.ndarray:
        """Group g's expected information block (sum over patterns of ``info_block``): patterns
        missing few items as low-rank updates of the complete-data inverse (:func:`lowrank_sums`),
        the others from their padded inverses (:func:`expected_sums`)."""
        basis = self._basis(x, g)
        c = self._at(x, g)
        Sig = c["Sig"]
        parts = self._parts(g)
        Omega = self._inv(c)
        low = [pt for pt in parts if pt.miss is not None]
        Hs = [(pt.stack.n / self.N, basis.E.T @ missing_factors(Omega, pt.miss))
              for pt in low if pt.miss is not None and pt.miss.shape[1] > 0]
        W = float(sum(pt.stack.n.sum() for pt in low)) / self.N
        block = lowrank_sums(basis, basis.E.T @ Omega @ basis.E, W, Hs)
        for pt in parts:
            if pt.miss is None:
                for st in pt.stack.chunks(basis.chunk_size()):
                    BP = basis.sandwich(padded_inverse(Sig, st.obs, logdet=False)[0])
                    block += expected_sums(basis, BP, st.n / self.N)
        return block

    def _grad_info_fiml(self, x: np.ndarray, want_info: bool = True) -> tuple[np.ndarray, np.ndarray]:
        q = self.nfree
        grad = np.zeros(q)
        info = np.zeros((q, q))
        for g in range(self.G):
            U, V, c, DM = self.group_derivatives(x, g, full=False)
            fc = self._free_cols[g]
            Gfull, gmu, _ = self._pattern_sums(x, g, None, True)
            grad[fc] += 2.0 * c * np.einsum("iq,iq->q", U, Gfull @ V) + DM.T @ gmu
            if want_info:
                info[np.ix_(fc, fc)] += self._expected_info(x, g)
        return grad, info

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """Gradient of F (no information matrix)."""
        if self.fiml:
            return self._grad_info_fiml(x, False)[0]
        return self._grad_info_ml(x, False)[0]

    def observed_information(self, x: np.ndarray) -> np.ndarray:
        """Hessian of -logL / N, analytic (FIML SEs, and the bread of the MLR sandwich, as
        lavaan's ``information = "observed"``).

        Half the Hessian of F: per group ``J' H_m J`` (each pattern's exact second derivatives
        in its moments, mean x covariance terms included; :func:`observed_sums`) plus
        ``sum (dF/dSigma) d2Sigma`` and ``sum (dF/dmu) d2mu`` (:func:`second_order_block`).
        """
        return self._gradient_hessian(x)[1]

    def _gradient_hessian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The gradient of F (from the same pattern sums) and :meth:`observed_information`."""
        q = self.nfree
        H, grad = np.zeros((q, q)), np.zeros(q)
        for g in range(self.G):
            L, P, _, _, _ = self.matrices(x, g)
            lay = self._layout[g]
            f = lay.free >= 0
            Gfull, gmu, H1 = self._pattern_sums(x, g, self._basis(x, g), False)
            H2 = second_order_block(lay.kind[f], lay.i[f], lay.j[f], L, P, Gfull, gmu)
            fc = self._free_cols[g]
            H[np.ix_(fc, fc)] += 0.5 * (H1 + H2)
            U, V, c, DM = self.group_derivatives(x, g, full=False)
            grad[fc] += 2.0 * c * np.einsum("iq,iq->q", U, Gfull @ V) + DM.T @ gmu
        return grad, 0.5 * (H + H.T)

    def _observed_information_numeric(self, x: np.ndarray) -> np.ndarray:
        """Hessian of -logL / N by central differences of the analytic gradient (the cross-check
        of :meth:`observed_information`)."""
        q = self.nfree
        H = np.zeros((q, q))
        for k in range(q):
            h = 1e-5 * max(1.0, abs(x[k]))
            xp, xm = x.copy(), x.copy()
            xp[k] += h
            xm[k] -= h
            H[:, k] = (self.gradient(xp) - self.gradient(xm)) / (2 * h)
        return 0.25 * (H + H.T)  # dF/dx = -2/N dlogL/dx, symmetrised

    def grad_info(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of F and the expected information per observation (F's Hessian ~ 2 I)."""
        if self.fiml:
            return self._grad_info_fiml(x)
        return self._grad_info_ml(x, True)

    def _grad_info_ml(self, x: np.ndarray, want_info: bool) -> tuple[np.ndarray, np.ndarray]:
        q = self.nfree
        grad = np.zeros(q)
        info = np.zeros((q, q) if want_info else (0, 0))
        for g in range(self.G):
            c = self._at(x, g)
            Si = self._inv(c)
            d = self.ybar[g] - c["mu"]
            der = self.group_derivatives(x, g, full=False)
            fc = self._free_cols[g]
            grad[fc] += self.w[g] * self.group_gradient(Si, d, g, der)
            if want_info:
                info[np.ix_(fc, fc)] += self.w[g] * info_block(Si, der, der, self.meanstructure)
        return grad, info

    def group_gradient(self, Si: np.ndarray, d: np.ndarray, g: int, der: Derivatives) -> np.ndarray:
        """Group g's gradient of its ML discrepancy for the columns of ``der``."""
        U, V, c, DM = der
        M = self.S[g] + (np.outer(d, d) if self.meanstructure else 0.0)
        Gm = Si - Si @ M @ Si
        # sum(G * c (u v' + v u')) = 2 c u' G v
        out = 2.0 * c * np.einsum("iq,iq->q", U, Gm @ V)
        if self.meanstructure:
            out += DM.T @ (-2.0 * Si @ d)
        return out

    # -- start values
    def _group_start(self, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Loadings, factor variances and covariances to start from in group g."""
        S = self.S[g]
        idx = {it: k for k, it in enumerate(self.items)}
        lam = np.zeros((self.p, self.m))
        psi = np.ones(self.m)
        W = np.zeros((self.p, self.m))  # unit-weighted composites, for factor covariances
        for k, f in enumerate(self.factors):
            cols = [idx[i] for i in self.spec.factors[f]]
            Sf = S[np.ix_(cols, cols)]
            if len(cols) >= 2:
                ev, evec = np.linalg.eigh(Sf)
                v = evec[:, -1] * np.sqrt(max(ev[-1], 1e-6))
                if v.sum() < 0:
                    v = -v
            else:
                v = np.sqrt(np.diag(Sf)) * 0.7
            if not self.std_lv:
                marker = v[0] if abs(v[0]) > 1e-3 * np.sqrt(Sf[0, 0]) else np.sqrt(Sf[0, 0])
                psi[k] = marker ** 2
                v = v / marker
            lam[cols, k] = v
            W[cols, k] = np.where(v >= 0, 1.0, -1.0)
        C = W.T @ S @ W
        sdc = np.sqrt(np.maximum(np.diag(C), 1e-12))
        phi = C / np.outer(sdc, sdc) * np.sqrt(np.outer(psi, psi))
        return lam, psi, phi

    def start(self) -> np.ndarray:
        """Start values (lavaan-like: first principal component per factor, half the variances)."""
        x = np.zeros(self.nfree)
        cnt = np.zeros(self.nfree)
        for g in range(self.G):
            lam, psi, phi = self._group_start(g)
            S = self.S[g]
            for par in self.group_pars[g]:
                if par.free < 0:
                    continue
                if par.kind == LOADING:
                    v = lam[par.i, par.j]
                elif par.kind == LV_COV:
                    v = psi[par.i] if par.i == par.j else phi[par.i, par.j]
                elif par.kind == RESIDUAL:
                    v = 0.5 * S[par.i, par.i] if par.i == par.j else 0.0
                elif par.kind == INTERCEPT:
                    v = self.ybar[g][par.i]
                else:
                    v = 0.0
                x[par.free] += v
                cnt[par.free] += 1
        return x / np.maximum(cnt, 1)

    # -- fit
    def _fisher_step(self, x: np.ndarray, f: float, newton: bool = False) -> tuple[np.ndarray, float, str]:
        """One Fisher-scoring step with step halving: (x, f, status in 'converged', 'step', 'stuck').

        With ``newton`` the step uses the exact Hessian (twice :meth:`observed_information`)
        instead of twice the expected information, if it is positive definite: near the minimum
        Fisher scoring converges linearly (55 steps for the Holzinger-Swineford CFA to a gradient
        of 1e-10), Newton's method quadratically. Status 'fisher' asks for Fisher steps again
        (the Hessian is not positive definite or its step does not decrease F).
        """
        from scipy import linalg

        grad, info = self._direction(x, newton)
        self._gmax = float(np.max(np.abs(grad)))
        if self._gmax < self._tol:
            return x, f, "converged"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", linalg.LinAlgWarning)
                step = linalg.solve(2.0 * info, grad, assume_a="pos")
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
            if newton:
                return x, f, "fisher"
            # (nearly) singular information: minimum-norm step
            step = np.linalg.lstsq(2.0 * info, grad, rcond=1e-12)[0]
        t = 1.0
        while t > 1e-10:
            xn = x - t * step
            fn = self.objective(xn)
            if np.isfinite(fn) and fn <= f + 1e-14 * abs(f):
                break
            t /= 2.0
        else:
            return x, f, "fisher" if newton else "stuck"
        if abs(f - fn) < 1e-15 and np.max(np.abs(x - xn)) < 1e-12:
            return xn, fn, "converged"
        return xn, fn, "step"

    def _direction(self, x: np.ndarray, newton: bool) -> tuple[np.ndarray, np.ndarray]:
        """The gradient of F and half the matrix of the step: the expected information, or with
        ``newton`` the observed information (half F's Hessian)."""
        return self._gradient_hessian(x) if newton else self.grad_info(x)

    def _bfgs(self, x: np.ndarray, f: float) -> tuple[np.ndarray, float, bool]:
        from scipy import optimize

        def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
            val = self.objective(z)
            if not np.isfinite(val):
                return 1e10, np.zeros_like(z)
            return val, self.gradient(z)

        res = optimize.minimize(fun, x, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
        if res.fun <= f:
            x, f = res.x, float(res.fun)
        return x, f, bool(np.max(np.abs(self.gradient(x))) < 1e-6)

    def fit(self, x0: np.ndarray | None = None, max_iter: int = 500, tol: float = 1e-10) -> dict[str, Any]:
        """Minimise F by Fisher scoring with step halving, Newton steps once the largest gradient
        element is below ``NEWTON_FROM`` (then scipy's BFGS if needed).

        Returns a dict with ``x``, ``f``, ``converged``, ``iterations`` and ``method``.
        """
        # F at the saturated model (0 for complete data by construction of F)
        self.f_h1 = -2.0 * self.loglik_h1() / self.N if self.fiml else 0.0
        self._tol = tol
        self._gmax = np.inf
        x = self.start() if x0 is None else np.array(x0, dtype=float)
        f = self.objective(x)
        if not np.isfinite(f):
            x = self.start()
            f = self.objective(x)
        status, it, newton, allow_newton = "step", 0, False, True
        for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
            x, f, status = self._fisher_step(x, f, newton)
            if status == "fisher":  # Newton failed: Fisher scoring to the end
                newton, allow_newton, status = False, False, "step"
            # close to the minimum (Fisher scoring has shrunk the gradient): Newton steps
            newton = newton or (allow_newton and self._gmax < NEWTON_FROM)
            if status != "step":
                break
        converged = status == "converged"
        method = "Fisher scoring"
        if not converged:
            x, f, converged = self._bfgs(x, f)
            method = "Fisher scoring, then scipy BFGS"
        self.x = x
        self.fmin = f
        return {"x": x, "f": f, "converged": converged, "iterations": it, "method": method}

    # -- derived quantities
    @property
    def npar(self) -> int:
        """Number of free parameters."""
        return self.nfree

    @property
    def df(self) -> int:
        """Degrees of freedom of the model's chi-square."""
        mom = self.p * (self.p + 1) // 2 + (self.p if self.meanstructure else 0)
        return self.G * mom - self.nfree

    def loglik(self, x: np.ndarray) -> float:
        """The model's normal log-likelihood."""
        if self.fiml:
            return float(-0.5 * self.N * self._objective_fiml(x))
        ll = 0.0
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            Si = np.linalg.inv(Sig)
            d = self.ybar[g] - mu
            val = self.p * LOG2PI + np.linalg.slogdet(Sig)[1] + np.sum(self.S[g] * Si)
            if self.meanstructure:
                val += d @ Si @ d
            ll += -0.5 * self.Ng[g] * val
        return float(ll)

    def loglik_h1(self) -> float:
        """The saturated (unrestricted) model's log-likelihood."""
        if self.fiml:
            return float(self._h1_sum("logl"))
        return float(sum(-0.5 * n * (self.p * LOG2PI + ld + self.p) for n, ld in zip(self.Ng, self._logdetS, strict=True)))

    def baseline_chisq(self) -> float:
        """Chi-square of the independence (baseline) model."""
        if self.fiml:
            return float(2.0 * (self.loglik_h1() - self._h1_sum("logl_independence")))
        return float(sum(n * (np.sum(np.log(np.diag(S))) - ld) for n, S, ld in zip(self.Ng, self.S, self._logdetS, strict=True)))

    def srmr(self, x: np.ndarray) -> float:
        """Bentler's SRMR (means included with a mean structure), weighted over groups."""
        tot = 0.0
        p = self.p
        il = np.tril_indices(p)
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            sd = np.sqrt(np.diag(self.S[g]))
            R = (self.S[g] - Sig) / np.outer(sd, sd)
            ss = np.sum(R[il] ** 2)
            e = p * (p + 1) / 2
            if self.meanstructure:
                ss += np.sum(((self.ybar[g] - mu) / sd) ** 2)
                e += p
            tot += self.w[g] * np.sqrt(ss / e)
        return float(tot)
