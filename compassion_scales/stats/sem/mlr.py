"""Robust ML (lavaan's ``estimator = "MLR"``) for the SEM engine: Huber-White standard errors
and the Yuan-Bentler scaled chi-square with the robust CFI/TLI/RMSEA (with FIML, lavaan's
FIML-corrected versions). The kernels are in :mod:`compassion_scales.stats.robust`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compassion_scales.stats import robust as rb
from compassion_scales.stats.sem.engine import SEMEngine

__all__ = ["mlr", "fiml_corrected", "ml_discrepancy"]


def _null_delta(p: int, ms: bool) -> np.ndarray:
    """Jacobian of the saturated moments for the independence model (each item's mean, variance)."""
    r, cc = rb.vech_index(p)
    Dn_s = np.zeros((r.size, p))
    Dn_s[np.flatnonzero(r == cc), np.arange(p)] = 1.0
    if not ms:
        return Dn_s
    return np.vstack([np.hstack([np.eye(p), np.zeros((p, p))]), np.hstack([np.zeros((r.size, p)), Dn_s])])


def _null_trace(Y: np.ndarray, h1: float, ms: bool) -> float:
    """The independence model's share of the Yuan-Bentler trace in one group."""
    n_g = float(Y.shape[0])
    m0, v0 = np.nanmean(Y, axis=0), np.nanvar(Y, axis=0)
    s0 = rb.saturated_scores(Y, m0, np.diag(v0), meanstructure=ms) @ _null_delta(Y.shape[1], ms)
    B0n = s0.T @ s0 / n_g
    share = (~np.isnan(Y)).sum(axis=0) / n_g  # observed information of each item's mean and variance
    A0n = np.diag(np.concatenate([share / v0, 0.5 * share / v0**2]) if ms else 0.5 * share / v0**2)
    return h1 - float(np.sum(B0n * np.linalg.inv(A0n).T))


def _group_terms(eng: SEMEngine, x: np.ndarray, g: int, Y: np.ndarray, E_inv: np.ndarray
                 ) -> tuple[np.ndarray, float, float]:
    """Group g's meat (first-order information at the model), and its traces for the model and
    the independence model."""
    ms = eng.meanstructure
    n_g = float(Y.shape[0])
    fg = n_g / eng.N
    Sig, mu = eng.implied(x, g)
    U, V, c, DM = eng.group_derivatives(x, g, full=True)
    Delta = rb.delta_matrix(U, V, c, DM if ms else None)
    sc = rb.saturated_scores(Y, mu if ms else eng.ybar[g], Sig, meanstructure=ms) @ Delta
    B0 = sc.T @ sc / n_g
    # unrestricted (h1) model: sample moments, or the EM estimates with missing data
    mu1, S1 = eng.ybar[g], eng.S[g]
    s1 = rb.saturated_scores(Y, mu1, S1, meanstructure=ms)
    B1 = s1.T @ s1 / n_g
    A1 = (rb.saturated_observed_information(Y, mu1, S1, meanstructure=ms) if eng.fiml
          else rb.saturated_information(S1, meanstructure=ms))
    h1, h0 = rb.yuan_bentler_trace(A1, B1, B0, E_inv, fg)
    return fg * B0, h1 - h0, _null_trace(Y, h1, ms)


def mlr(eng: SEMEngine, x: np.ndarray, A0: np.ndarray, raw: Sequence[np.ndarray]
        ) -> tuple[np.ndarray, dict[str, float]]:
    """Robust ML as lavaan's ``estimator = "MLR"``.

    Huber-White standard errors (``A0``, the observed information, as bread; the first-order
    information from the casewise scores at the model as meat) and the Yuan-Bentler scaled
    chi-square (lavaan's ``yuan.bentler.mplus`` test), with the baseline model's scaling factor
    for the robust CFI/TLI. Returns (vcov, robust fit measures).
    """
    from compassion_scales.stats.distributions import chi2

    N, G = eng.N, eng.G
    E_inv = np.linalg.inv(A0)
    B = np.zeros((eng.nfree, eng.nfree))
    tr_model = tr_null = 0.0
    for g in range(G):
        Bg, tm, tn = _group_terms(eng, x, g, raw[g], E_inv)
        B += Bg
        tr_model += tm
        tr_null += tn
    vcov = rb.sandwich(E_inv, B, N)
    df = float(eng.df)
    chisq = max(float(N * (eng.fmin - eng.f_h1)), 0.0)
    bchisq = eng.baseline_chisq()
    bdf = float(G * eng.p * (eng.p - 1) // 2)
    cs = tr_model / df if df > 0 else np.nan
    if not cs > 0:
        cs = np.nan
    c0 = tr_null / bdf
    out: dict[str, float] = {
        "chisq_scaled": chisq / cs if df > 0 else chisq,
        "p_val_scaled": float(chi2.sf(chisq / cs, df)) if df > 0 else np.nan,
        "scaling_factor": float(cs),
        "baseline_chisq_scaled": bchisq / c0,
        "baseline_scaling_factor": float(c0),
    }
    X3, X3_null, c3, c3_null = chisq, bchisq, cs, c0
    if eng.fiml:
        X3, X3_null, c3, c3_null = fiml_corrected(eng, x, raw)
    lo, hi = rb.rmsea_ci(X3 / c3, df, N, c=c3, groups=G)
    out.update({
        "cfi_robust": rb.robust_cfi(X3, df, X3_null, bdf, c3, c3_null),
        "tli_robust": rb.robust_tli(X3, df, X3_null, bdf, c3, c3_null),
        "rmsea_robust": rb.robust_rmsea(X3, df, N, c3, G),
        "rmsea_ci_low_robust": lo, "rmsea_ci_high_robust": hi,
    })
    return vcov, out


def fiml_corrected(eng: SEMEngine, x: np.ndarray, raw: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """lavaan's ``lav_fit_fiml_corrected`` (V3): the complete-data ML statistic of the model
    and of the independence model at their FIML estimates, evaluated on the EM moments, and
    their FIML-corrected scaling factors (robust CFI/TLI/RMSEA with missing data)."""
    G, p = eng.G, eng.p
    fg = eng.Ng / eng.N
    r, cc = rb.vech_index(p)
    Wm, Jm, Wc, Dm, Dn = [], [], [], [], []
    X3 = X3n = 0.0
    nnull = 2 * p
    for g in range(G):
        Y, mu1, S1 = raw[g], eng.ybar[g], eng.S[g]
        n_g = float(Y.shape[0])
        Wm.append(rb.saturated_observed_information(Y, mu1, S1))
        s1 = rb.saturated_scores(Y, mu1, S1)
        Jm.append(s1.T @ s1 / n_g)
        Wc.append(rb.saturated_information(S1))
        U, V, c, DM = eng.group_derivatives(x, g, full=True)
        Dm.append(rb.delta_matrix(U, V, c, DM))
        Dg = np.zeros((p + r.size, G * nnull))
        Dg[np.arange(p), g * nnull + np.arange(p)] = 1.0
        Dg[p + np.flatnonzero(r == cc), g * nnull + p + np.arange(p)] = 1.0
        Dn.append(Dg)
        Sig, mu = eng.implied(x, g)
        X3 += n_g * ml_discrepancy(S1, mu1, Sig, mu)
        m0, v0 = np.nanmean(Y, axis=0), np.nanvar(Y, axis=0)
        X3n += n_g * ml_discrepancy(S1, mu1, np.diag(v0), m0)
    k = rb.fiml_corrected_scaling(Wm, Jm, Wc, Dm, fg)
    kn = rb.fiml_corrected_scaling(Wm, Jm, Wc, Dn, fg)
    return X3, X3n, k / eng.df, kn / (G * p * (p - 1) / 2)


def ml_discrepancy(S: np.ndarray, ybar: np.ndarray, Sig: np.ndarray, mu: np.ndarray) -> float:
    """Complete-data ML discrepancy with a mean structure (lavaan's F_ML x 2).

    Examples
    --------
    >>> S = np.eye(2)
    >>> ml_discrepancy(S, np.zeros(2), S, np.zeros(2))
    0.0
    """
    Si = np.linalg.inv(Sig)
    d = ybar - mu
    return float(np.linalg.slogdet(Sig)[1] + np.sum(S * Si) - np.linalg.slogdet(S)[1] - len(S) + d @ Si @ d)
