"""Robust (sandwich) kernels for normal-theory maximum likelihood with non-normal data.

Arrays in, arrays out: casewise scores of the saturated normal model, its information,
the Huber-White sandwich, the Yuan-Bentler scaling factor in the form lavaan calls
``"yuan.bentler.mplus"``, the Satorra-Bentler (2001) scaled difference test and the
robust CFI/TLI/RMSEA of Brosseau-Liard & Savalei. The saturated parameters are ordered
``(mu_1..mu_p, vech(Sigma))`` with ``vech`` running over the lower triangle row by row
(``np.tril_indices``); the means are left out when there is no mean structure.

References
----------
Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and
covariance structure analysis with nonnormal missing data. Sociological Methodology, 30,
165-200.
Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for
moment structure analysis. Psychometrika, 66, 507-514.
Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit indices for
nonnormality. Multivariate Behavioral Research, 49, 460-470.
Savalei, V. (2018). On the computation of the RMSEA and CFI from the mean-and-variance
corrected test statistic with nonnormal data in SEM. Multivariate Behavioral Research,
53, 419-429.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = [
    "vech_index",
    "saturated_scores",
    "saturated_information",
    "saturated_observed_information",
    "delta_matrix",
    "yuan_bentler_trace",
    "sandwich",
    "scaled_difference_sb2001",
    "fiml_corrected_scaling",
    "robust_cfi",
    "robust_tli",
    "robust_rmsea",
    "rmsea_ci",
]


def vech_index(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each element of ``vech(Sigma)`` (lower triangle, row by row)."""
    return np.tril_indices(p)


def saturated_scores(Y: np.ndarray, mu: np.ndarray, Sigma: np.ndarray, *, meanstructure: bool = True
                     ) -> np.ndarray:
    """Casewise derivatives of the normal log-likelihood with respect to ``(mu, vech Sigma)``.

    Rows of ``Y`` may contain NaN (missing answers): each case then contributes through the
    marginal density of its observed items (the casewise scores of full-information ML).

    Returns an ``n x (p + p(p+1)/2)`` array (``n x p(p+1)/2`` without a mean structure).

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.random.default_rng(1).normal(size=(500, 3))
    >>> S = np.cov(Y, rowvar=False, bias=True)
    >>> bool(np.allclose(saturated_scores(Y, Y.mean(0), S).sum(axis=0), 0, atol=1e-9))
    True
    """
    Y = np.asarray(Y, dtype=float)
    n, p = Y.shape
    r, c = vech_index(p)
    half = np.where(r == c, 0.5, 1.0)
    out = np.zeros((n, (p if meanstructure else 0) + r.size))
    miss = np.isnan(Y)
    if not miss.any():
        Si = np.linalg.inv(Sigma)
        Z = (Y - mu) @ Si
        if meanstructure:
            out[:, :p] = Z
        out[:, p if meanstructure else 0:] = half * (Z[:, r] * Z[:, c] - Si[r, c])
        return out
    keys, inv = np.unique(~miss, axis=0, return_inverse=True)
    inv = inv.ravel()
    off = p if meanstructure else 0
    for k, key in enumerate(keys):
        o = np.flatnonzero(key)
        if o.size == 0:
            continue
        rows = np.flatnonzero(inv == k)
        Si = np.linalg.inv(Sigma[np.ix_(o, o)])
        Zo = (Y[np.ix_(rows, o)] - mu[o]) @ Si
        Z = np.zeros((rows.size, p))
        Z[:, o] = Zo
        Sfull = np.zeros((p, p))
        Sfull[np.ix_(o, o)] = Si
        obs = key[r] & key[c]
        block = half * (Z[:, r] * Z[:, c] - Sfull[r, c])
        block[:, ~obs] = 0.0
        if meanstructure:
            out[rows, :p] = Z
        out[rows, off:] = block
    return out


def saturated_information(Sigma: np.ndarray, *, meanstructure: bool = True) -> np.ndarray:
    """Expected information (per case) of the saturated normal model at ``Sigma``.

    Equal to the observed information at the sample moments of complete data.
    Mean block ``Sigma^-1``; covariance block ``0.5 D'(Sigma^-1 (x) Sigma^-1) D``.
    """
    p = Sigma.shape[0]
    Si = np.linalg.inv(Sigma)
    r, c = vech_index(p)
    f = np.where(r == c, 0.5, 1.0)
    # 0.5 tr(Si E_kl Si E_mn) with E_kl = f_kl (e_k e_l' + e_l e_k')
    A_ss = np.outer(f, f) * (Si[c][:, r] * Si[r][:, c] + Si[c][:, c] * Si[r][:, r])
    if not meanstructure:
        return A_ss
    A = np.zeros((p + r.size, p + r.size))
    A[:p, :p] = Si
    A[p:, p:] = A_ss
    return A


def _pattern_moments(Y: np.ndarray, mu: np.ndarray, size: int) -> Iterator[tuple[np.ndarray, ...]]:
    """The missing-data patterns of ``Y`` in chunks: observed items (K, p), cases (K,) and, with
    ``z`` the case's ``y - mu`` (0 where missing), the sums of ``z`` (K, p) and ``z z'`` (K, p, p).

    A chunk holds at most ``size`` patterns and, unless it is a single pattern, at most about
    2 x 10^6 numbers of casewise outer products.
    """
    n, p = Y.shape
    miss = np.isnan(Y)
    keys, inv, counts = np.unique(~miss, axis=0, return_inverse=True, return_counts=True)
    Z = np.where(miss, 0.0, Y - mu)[np.argsort(inv.ravel(), kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)])
    most = max(1, 2 * 10**6 // (p * p))
    a = 0
    while a < len(keys):
        b = min(a + size, int(np.searchsorted(starts, starts[a] + most, side="right")) - 1)
        b = max(b, a + 1)
        Zc = Z[starts[a]:starts[b]]
        if b == a + 1:
            zz = (Zc.T @ Zc)[None]
        else:
            zz = np.add.reduceat(Zc[:, :, None] * Zc[:, None, :], starts[a:b] - starts[a], axis=0)
        yield keys[a:b], counts[a:b].astype(float), np.add.reduceat(Zc, starts[a:b] - starts[a], axis=0), zz
        a = b


def _pair_gather(G: np.ndarray, v: np.ndarray, r: np.ndarray, c: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``sum_k tr(E_b X_k E_a Y_k)`` for all pairs of vech elements a = (k, l), b = (m, n), from
    ``G[vech(i, j), vech(s, t)] = sum_k X_k[i, j] Y_k[s, t]`` (``v`` maps (i, j) to its vech
    position; ``E_a = f_a (e_k e_l' + e_l e_k')``, X and Y symmetric)."""
    k, q = r[:, None], c[:, None]   # a = (k, q)
    m, n = r[None, :], c[None, :]   # b = (m, n)
    return np.outer(f, f) * (G[v[n, k], v[q, m]] + G[v[n, q], v[k, m]] + G[v[m, k], v[q, n]] + G[v[m, q], v[k, n]])


def saturated_observed_information(Y: np.ndarray, mu: np.ndarray, Sigma: np.ndarray, *,
                                   meanstructure: bool = True) -> np.ndarray:
    """Observed information (per case) of the saturated normal model, for incomplete data.

    The negative Hessian of the mean casewise log-likelihood at ``(mu, Sigma)`` (the EM
    estimates, lavaan's unstructured h1 information), summed over missing-data patterns:
    for a pattern with ``n_k`` cases, observed items ``o``, mean ``ybar_k`` and covariance
    ``S_k``, with ``P = Sigma_oo^-1``, ``d = ybar_k - mu_o``, ``W = P (S_k + d d') P``:
    ``n_k P`` (means), ``n_k P E_b P d`` (means x covariances) and
    ``n_k / 2 [-tr(P E_b P E_a) + tr(E_b P E_a W) + tr(E_a P E_b W)]`` (covariances).
    With P and W zero-padded to p x p these are the full-p formulas for every pattern, so the
    patterns are summed in chunks as matrix products: ``sum_k n_k vech(P_k) vech(P_k)'``,
    ``sum_k vech(P_k) vech(n_k W_k)'`` and ``sum_k vech(P_k) (n_k P_k d_k)'``.

    Examples
    --------
    >>> Y = np.random.default_rng(2).normal(size=(200, 3))
    >>> S = np.cov(Y, rowvar=False, bias=True)
    >>> bool(np.allclose(saturated_observed_information(Y, Y.mean(0), S), saturated_information(S)))
    True
    """
    from compassion_scales.stats.sem.patterns import CHUNK, padded_inverse

    Y = np.asarray(Y, dtype=float)
    n_all, p = Y.shape
    r, c = vech_index(p)
    f = np.where(r == c, 0.5, 1.0)
    v = np.zeros((p, p), dtype=int)
    v[r, c] = v[c, r] = np.arange(r.size)
    Gpp, Gpw = np.zeros((r.size, r.size)), np.zeros((r.size, r.size))
    Psum, H = np.zeros((p, p)), np.zeros((r.size, p))
    for obs, nk, zs, zz in _pattern_moments(Y, np.asarray(mu, dtype=float), CHUNK):
        P = padded_inverse(Sigma, obs, logdet=False)[0]
        Pv = P[:, r, c]
        Gpp += Pv.T @ (nk[:, None] * Pv)
        Gpw += Pv.T @ (P @ zz @ P)[:, r, c]
        if meanstructure:
            Psum += np.tensordot(nk, P, axes=1)
            H += Pv.T @ np.matmul(P, zs[:, :, None])[:, :, 0]
    Tpw = _pair_gather(Gpw, v, r, c, f)
    A_ss = 0.5 * (Tpw + Tpw.T - _pair_gather(Gpp, v, r, c, f))
    if not meanstructure:
        return A_ss / n_all
    # sum_k n_k [P E_b P d]_j = f_b (H[(j, m), n] + H[(j, n), m]), b = (m, n)
    j = np.arange(p)[:, None]
    cross = f[None, :] * (H[v[j, r[None, :]], c[None, :]] + H[v[j, c[None, :]], r[None, :]])
    return np.block([[Psum, cross], [cross.T, A_ss]]) / n_all


def delta_matrix(U: np.ndarray, V: np.ndarray, cvec: np.ndarray, DM: np.ndarray | None) -> np.ndarray:
    """Jacobian of ``(mu, vech Sigma)`` with respect to the free parameters.

    For a CFA each ``dSigma/dtheta_q = c_q (u_q v_q' + v_q u_q')`` and ``dmu/dtheta = DM``.
    """
    p = U.shape[0]
    r, c = vech_index(p)
    D_s = cvec * (U[r] * V[c] + V[r] * U[c])
    if DM is None:
        return D_s
    return np.vstack([DM, D_s])


def yuan_bentler_trace(A1: np.ndarray, B1: np.ndarray, B0: np.ndarray, E_inv: np.ndarray,
                       fg: float) -> tuple[float, float]:
    """One group's contribution to ``tr(U Gamma)`` as lavaan's ``yuan.bentler.mplus`` test.

    ``tr(A1^-1 B1) - fg tr(B0 E^-1)``: A1, B1 the saturated model's information and
    first-order information in the group (per case), B0 the model's first-order
    information in the group (per case), ``E_inv`` the inverse of the model's (total, per
    case) information and ``fg = n_g / N``. Returns ``(trace_h1, trace_h0)``; rows or
    columns of A1 that are zero (never-observed moments) are left out, as lavaan does.
    """
    keep = np.diag(A1) != 0
    A1k = A1[np.ix_(keep, keep)]
    trace_h1 = float(np.sum(B1[np.ix_(keep, keep)] * np.linalg.inv(A1k).T))
    trace_h0 = float(fg * np.sum(B0 * E_inv.T))
    return trace_h1, trace_h0


def sandwich(E_inv: np.ndarray, B: np.ndarray, n: float) -> np.ndarray:
    """Huber-White covariance matrix ``E^-1 B E^-1 / n`` (per-case information ``E``, meat ``B``)."""
    return E_inv @ B @ E_inv / n


def scaled_difference_sb2001(T0: float, df0: float, c0: float, T1: float, df1: float, c1: float
                             ) -> tuple[float, float, float]:
    """Satorra-Bentler (2001) scaled chi-square difference, as ``lavTestLRT`` (default for MLR).

    Model 0 is the more restricted (larger df). Returns ``(T_delta, df_delta, c_delta)``:
    ``c_delta = (df0 c0 - df1 c1) / (df0 - df1)`` and ``T_delta = (T0 - T1) / c_delta``, with
    ``c_delta`` and ``T_delta`` NaN when ``c_delta`` is not positive (lavaan warns and gives NA).

    Examples
    --------
    >>> T, d, c = scaled_difference_sb2001(124.04, 54, 1.02, 115.85, 48, 1.01)
    >>> d, round(c, 4)
    (6.0, 1.1)
    """
    m = df0 - df1
    if df1 == 0:
        c1 = 1.0
    if m == 0:
        return float(T0 - T1), 0.0, float("nan")
    cd = (df0 * c0 - df1 * c1) / m
    if not cd > 0:  # lavaan: NA when negative (and an infinite statistic when exactly 0)
        return float("nan"), float(m), float("nan")
    return float((T0 - T1) / cd), float(m), float(cd)


def fiml_corrected_scaling(Wm: list[np.ndarray], Jm: list[np.ndarray], Wc: list[np.ndarray],
                           Delta: list[np.ndarray], fg: np.ndarray) -> float:
    """``tr(U Wm^-1 Wc Wm^-1 U Gamma)`` of lavaan's ``lav_fit_fiml_corrected`` (version "V3").

    Per group: ``Wm`` the saturated model's observed information with missing data (at the
    EM estimates), ``Jm`` its first-order information, ``Wc`` the complete-data information
    at the EM moments, ``Delta`` the Jacobian of the group's moments with respect to all free
    parameters (columns shared across groups). ``fg = n_g / N``. Dividing the result by the
    df gives the scaling factor ``c.hat3`` of the FIML-corrected robust CFI/TLI/RMSEA
    (Savalei 2018).
    """
    from scipy.linalg import block_diag

    Wmi = [np.linalg.inv(w) for w in Wm]
    Wm_all = block_diag(*[f * w for f, w in zip(fg, Wm, strict=True)])
    Wmi_all = block_diag(*[w / f for f, w in zip(fg, Wmi, strict=True)])
    Wc_all = block_diag(*[f * w for f, w in zip(fg, Wc, strict=True)])
    Gamma_all = block_diag(*[(wi @ j @ wi) / f for f, wi, j in zip(fg, Wmi, Jm, strict=True)])
    D = np.vstack(Delta)
    E_inv = np.linalg.inv(D.T @ Wm_all @ D)
    U = Wm_all - Wm_all @ D @ E_inv @ D.T @ Wm_all
    M = Wmi_all @ Wc_all @ Wmi_all
    return float(np.sum((U @ M @ U) * Gamma_all.T))


def robust_cfi(X2: float, df: float, X2_null: float, df_null: float, c: float, c_null: float) -> float:
    """Robust CFI (Brosseau-Liard & Savalei 2014), lavaan's ``cfi.robust`` from ML statistics."""
    if df > 0 and c != 1 and c_null != 1:
        t1 = max(X2 - c * df, 0.0)
        t2 = max(X2 - c * df, X2_null - c_null * df_null, 0.0)
    else:
        t1 = max(X2 - df, 0.0)
        t2 = max(X2 - df, X2_null - df_null, 0.0)
    if np.isclose(t1, 0.0, rtol=0, atol=1.5e-8) and np.isclose(t2, 0.0, rtol=0, atol=1.5e-8):
        return 1.0
    return float(1.0 - t1 / t2)


def robust_tli(X2: float, df: float, X2_null: float, df_null: float, c: float, c_null: float) -> float:
    """Robust TLI, lavaan's ``tli.robust``."""
    if df > 0 and c != 1 and c_null != 1:
        t1 = (X2 - c * df) * df_null
        t2 = (X2_null - c_null * df_null) * df
    else:
        t1 = (X2 - df) * df_null
        t2 = (X2_null - df_null) * df
    if df > 0 and abs(t2) > 0:
        return float(1.0 - t1 / t2)
    return 1.0


def robust_rmsea(X2: float, df: float, n: float, c: float, groups: int = 1) -> float:
    """Robust RMSEA (Brosseau-Liard, Savalei & Li 2012), lavaan's ``rmsea.robust``:
    ``sqrt(max(X2 / n / df - c / n, 0)) * sqrt(G)`` with the ML chi-square ``X2``."""
    if df <= 0:
        return 0.0
    return float(np.sqrt(max(X2 / n / df - c / n, 0.0)) * np.sqrt(groups))


def rmsea_ci(X2: float, df: float, n: float, *, c: float = 1.0, groups: int = 1, level: float = 0.90
             ) -> tuple[float, float]:
    """RMSEA confidence interval by inverting the noncentral chi-square, as lavaan's
    ``lav_fit_rmsea_ci``; with the scaled statistic and ``c`` it gives the robust interval."""
    from scipy import optimize

    from compassion_scales.stats.distributions import chi2, ncx2

    if not (np.isfinite(X2) and np.isfinite(df)) or df < 1:
        return 0.0, 0.0
    up, lo = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(ncx2.cdf(X2, df, lam)) if lam > 0 else float(chi2.cdf(X2, df))

    if cdf(0.0) - up < 0:
        lower = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - up, 0.0, X2, xtol=1e-12)
        lower = float(np.sqrt(c * lam / (n * df)) * np.sqrt(groups))
    n_r = max(n, 4 * X2)
    if cdf(n_r) - lo > 0 or cdf(0.0) - lo < 0:
        upper = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - lo, 0.0, n_r, xtol=1e-12)
        upper = float(np.sqrt(c * lam / (n * df)) * np.sqrt(groups))
    return lower, upper
