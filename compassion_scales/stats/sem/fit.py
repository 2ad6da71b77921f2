"""Fitting a CFA with the SEM engine and what is computed from the solution.

:func:`fit_sem` builds the engine, fits it and returns the estimates with their standard
errors, the fit measures (chi-square, CFI, TLI, RMSEA with its CI and p-close, SRMR, AIC,
BIC, as lavaan's ``fitMeasures``), and with ``estimator="MLR"`` the robust versions.
:func:`modification_indices` and :func:`score_tests` are computed on request.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError, ConvergenceWarning, HeywoodCaseWarning
from compassion_scales.stats.sem.engine import (
    KIND_CODE,
    LOADING,
    LV_COV,
    RESIDUAL,
    Parameter,
    Sample,
    SEMEngine,
    derivative_factors,
    info_block,
    info_diagonal,
)
from compassion_scales.stats.sem.spec import ModelSpec

__all__ = ["ESTIMATORS", "check_estimator", "loading_rows", "fit_sem", "fit_indices", "std_values", "parameter_labels",
           "estimates_table", "score_tests", "modification_indices", "check_solution", "MI_COLUMNS"]

#: estimators cfa() and invariance() accept; the ordinal estimators are dispatched in check_estimator
ESTIMATORS = ("ML", "MLR")
_PLANNED = ("WLSMV", "ULSMV", "WLS", "DWLS", "ULS")
#: columns of an empty modification-index table
MI_COLUMNS = ["lhs", "op", "rhs", "mi", "p_val", "epc", "sepc_all"]
_Z975 = 1.959963984540054


def check_estimator(estimator: str) -> str:
    """Normalise an estimator name, or say plainly that it is not available.

    Examples
    --------
    >>> check_estimator("mlr")
    'MLR'
    """
    name = str(estimator).strip().upper()
    if name in ESTIMATORS:
        return name
    if name in _PLANNED:
        raise AnalysisError(
            f"estimator='{estimator}' (for ordered items) is not available in this version; use 'ML' or "
            "'MLR' (robust ML: sandwich standard errors and a scaled chi-square, suitable for "
            "non-normal Likert items).")
    raise AnalysisError(f"Unknown estimator '{estimator}'; use one of {', '.join(ESTIMATORS)}.")


def _rmsea_ci(chisq: float, df: float, N: float, G: int) -> tuple[float, float, float]:
    """RMSEA's 90% CI and p-close from the non-central chi-square, as lavaan."""
    from scipy import optimize

    from compassion_scales.stats.distributions import chi2, ncx2

    def cdf(lam: float) -> float:
        return float(ncx2.cdf(chisq, df, lam)) if lam > 0 else float(chi2.cdf(chisq, df))

    if cdf(0.0) < 0.95:
        lo = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - 0.95, 0.0, chisq, xtol=1e-12)
        lo = np.sqrt(lam / (N * df)) * np.sqrt(G)
    n_r = max(N, 4 * chisq)
    if cdf(n_r) - 0.05 > 0 or cdf(0.0) - 0.05 < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - 0.05, 0.0, n_r, xtol=1e-12)
        hi = np.sqrt(lam / (N * df)) * np.sqrt(G)
    ncp = N * df * 0.05 ** 2 / G
    return float(lo), float(hi), float(ncx2.sf(chisq, df, ncp))


def fit_indices(eng: SEMEngine, x: np.ndarray) -> dict[str, float]:
    """lavaan's fit measures of a fitted engine at its solution ``x``."""
    from compassion_scales.stats.distributions import chi2

    N, G, df = eng.N, eng.G, eng.df
    chisq = max(float(N * (eng.fmin - eng.f_h1)), 0.0)
    bchisq = eng.baseline_chisq()
    bdf = G * eng.p * (eng.p - 1) // 2
    pval = float(chi2.sf(chisq, df)) if df > 0 else np.nan
    num = max(chisq - df, 0.0)
    den = max(chisq - df, bchisq - bdf, 0.0)
    cfi = 1.0 - num / den if den > 0 else 1.0
    tli = ((bchisq / bdf - chisq / df) / (bchisq / bdf - 1.0)) if df > 0 else 1.0
    if df > 0:
        rmsea = np.sqrt(max(chisq / N / df - 1.0 / N, 0.0)) * np.sqrt(G)
        lo, hi, pclose = _rmsea_ci(chisq, df, N, G)
    else:
        rmsea, lo, hi, pclose = 0.0, 0.0, 0.0, np.nan
    logl = eng.loglik(x)
    q = eng.npar
    return {
        "chisq": chisq, "df": float(df), "p_val": pval, "cfi": float(cfi), "tli": float(tli),
        "rmsea": float(rmsea), "rmsea_ci_low": float(lo), "rmsea_ci_high": float(hi),
        "rmsea_p_close": pclose, "srmr": eng.srmr(x),
        "aic": -2.0 * logl + 2.0 * q, "bic": -2.0 * logl + q * np.log(N),
        "loglik": logl, "loglik_unrestricted": eng.loglik_h1(), "npar": float(q),
        "baseline_chisq": bchisq, "baseline_df": float(bdf), "n_obs": float(N),
    }


def std_values(eng: SEMEngine, x: np.ndarray) -> np.ndarray:
    """std.all value for every row of the parameter table."""
    out = np.empty(len(eng.pars))
    for g in range(eng.G):
        L, P, T, nu, al = eng.matrices(x, g)
        Sig = L @ P @ L.T + T
        sd, psd = np.sqrt(np.diag(Sig)), np.sqrt(np.abs(np.diag(P)))
        lay = eng.layout(g)
        k, i, j = lay.kind, lay.i, lay.j
        v = np.empty(len(k))
        s = k == 0
        v[s] = L[i[s], j[s]] * psd[j[s]] / sd[i[s]]
        s = k == 1
        v[s] = P[i[s], j[s]] / (psd[i[s]] * psd[j[s]])
        s = (k == 2) & (i == j)
        v[s] = T[i[s], i[s]] / Sig[i[s], i[s]]
        s = (k == 2) & (i != j)
        v[s] = T[i[s], j[s]] / np.sqrt(T[i[s], i[s]] * T[j[s], j[s]])
        s = k == 3
        v[s] = nu[i[s]] / sd[i[s]]
        s = k == 4
        v[s] = al[i[s]] / psd[i[s]]
        out[eng.group_rows[g]] = v
    return out


def parameter_labels(eng: SEMEngine, q: Parameter) -> tuple[str, str, str]:
    """lavaan's (lhs, op, rhs) of a parameter."""
    if q.kind == LOADING:
        return eng.factors[q.j], "=~", eng.items[q.i]
    if q.kind == LV_COV:
        return eng.factors[q.i], "~~", eng.factors[q.j]
    if q.kind == RESIDUAL:
        return eng.items[q.i], "~~", eng.items[q.j]
    if q.kind == "~1ov":
        return eng.items[q.i], "~1", ""
    return eng.factors[q.i], "~1", ""


def _std_batch(eng: SEMEngine, g: int, V: np.ndarray) -> np.ndarray:
    """std.all of group g's rows for a batch of parameter-value vectors ``V`` (batch x rows)."""
    p, m, B = eng.p, eng.m, V.shape[0]
    lay = eng.layout(g)
    k, i, j = lay.kind, lay.i, lay.j
    L, P, T = np.zeros((B, p, m)), np.zeros((B, m, m)), np.zeros((B, p, p))
    nu, al = np.zeros((B, p)), np.zeros((B, m))
    s = k == 0
    L[:, i[s], j[s]] = V[:, s]
    s = k == 1
    P[:, i[s], j[s]] = V[:, s]
    P[:, j[s], i[s]] = V[:, s]
    s = k == 2
    T[:, i[s], j[s]] = V[:, s]
    T[:, j[s], i[s]] = V[:, s]
    s = k == 3
    nu[:, i[s]] = V[:, s]
    s = k == 4
    al[:, i[s]] = V[:, s]
    sig = np.einsum("bim,bmn,bin->bi", L, P, L) + np.diagonal(T, axis1=1, axis2=2)
    sd, psd = np.sqrt(sig), np.sqrt(np.abs(np.diagonal(P, axis1=1, axis2=2)))
    out = np.empty(V.shape)
    s = k == 0
    out[:, s] = L[:, i[s], j[s]] * psd[:, j[s]] / sd[:, i[s]]
    s = k == 1
    out[:, s] = P[:, i[s], j[s]] / (psd[:, i[s]] * psd[:, j[s]])
    s = (k == 2) & (i == j)
    out[:, s] = T[:, i[s], i[s]] / sig[:, i[s]]
    s = (k == 2) & (i != j)
    out[:, s] = T[:, i[s], j[s]] / np.sqrt(T[:, i[s], i[s]] * T[:, j[s], j[s]])
    s = k == 3
    out[:, s] = nu[:, i[s]] / sd[:, i[s]]
    s = k == 4
    out[:, s] = al[:, i[s]] / psd[:, i[s]]
    return out


def _std_jacobian(eng: SEMEngine, x: np.ndarray) -> np.ndarray:
    """d std.all / d free parameters by central differences (delta-method SEs), all the
    perturbations of one group's parameters evaluated at once."""
    J = np.zeros((len(eng.pars), eng.nfree))
    for g in range(eng.G):
        lay = eng.layout(g)
        pos = np.flatnonzero(lay.free >= 0)
        cols = lay.free[pos]
        h = 1e-6 * np.maximum(1.0, np.abs(x[cols]))
        base = lay.values(x)
        V = np.tile(base, (2 * len(pos), 1))
        V[np.arange(len(pos)), pos] += h
        V[len(pos) + np.arange(len(pos)), pos] -= h
        S = _std_batch(eng, g, V)
        J[np.ix_(eng.group_rows[g], cols)] = ((S[:len(pos)] - S[len(pos):]) / (2 * h)[:, None]).T
    return J


def estimates_table(eng: SEMEngine, x: np.ndarray, vcov: np.ndarray, group_labels: list[str] | None
                    ) -> pd.DataFrame:
    """One row per parameter: lhs, op, rhs, free, est, se, z, p_val, ci_low, ci_high, std_all,
    std_se, std_z (multi-group: also group and equal_across_groups)."""
    from compassion_scales.stats.distributions import norm

    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    std = std_values(eng, x)
    J = _std_jacobian(eng, x)
    std_se = np.sqrt(np.clip(np.einsum("ij,ij->i", J @ vcov, J), 0, None))
    # a standardised value that no parameter moves (a factor variance, always 1) is fixed by
    # definition: no standard error and no z (numerically its SE would be round-off, ~1e-11)
    std_se[np.abs(J).max(axis=1, initial=0.0) < 1e-7] = np.nan
    fidx = np.array([q.free for q in eng.pars], dtype=int)
    free = fidx >= 0
    est = np.where(free, x[np.maximum(fidx, 0)], [q.value for q in eng.pars])
    se = np.where(free, se_free[np.maximum(fidx, 0)], np.nan)   # fixed parameters have no SE and no z
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(free & (se > 0), est / se, np.nan)
        std_z = np.where(std_se > 0, std / std_se, np.nan)   # NaN when std_se is NaN
    labels = [parameter_labels(eng, q) for q in eng.pars]
    df = pd.DataFrame({
        "group": [group_labels[q.group] for q in eng.pars] if group_labels else None,
        "lhs": [a for a, _, _ in labels], "op": [b for _, b, _ in labels], "rhs": [c for _, _, c in labels],
        "free": free, "equal_across_groups": [bool(q.shared) for q in eng.pars],
        "est": est, "se": se, "z": z, "p_val": 2.0 * norm.sf(np.abs(z)),
        "ci_low": np.where(free, est - _Z975 * se, est), "ci_high": np.where(free, est + _Z975 * se, est),
        "std_all": std, "std_se": std_se, "std_z": std_z,
    })
    if not group_labels:
        df = df.drop(columns=["group", "equal_across_groups"])
    return df


def _inverse_information(eng: SEMEngine, x: np.ndarray) -> np.ndarray:
    _, info = eng.grad_info(x)
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(info)


def _group_score_tests(eng: SEMEngine, x: np.ndarray, g: int, kind: np.ndarray, i: np.ndarray, j: np.ndarray,
                       Iinv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mi, epc) for freeing each element (kind code, i, j) in group g only."""
    L, P, T, nu, al = eng.matrices(x, g)
    Sig = L @ P @ L.T + T
    Si = np.linalg.inv(Sig)
    d = eng.ybar[g] - (nu + L @ al)
    der_f = eng.group_derivatives(x, g, full=True)
    der_c = derivative_factors(kind, i, j, np.arange(len(kind)), len(kind), L, P, al)
    w = eng.w[g]
    s = -0.5 * w * eng.group_gradient(Si, d, g, der_c)
    Icc = w * info_diagonal(Si, der_c, eng.meanstructure)
    Icf = w * info_block(Si, der_c, der_f, eng.meanstructure)
    V = Icc - np.einsum("ij,ij->i", Icf @ Iinv, Icf)
    ok = V > 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.where(ok, eng.N * s ** 2 / V, np.nan)
        epc = np.where(ok, s / V, np.nan)
    return mi, epc


def score_tests(eng: SEMEngine, x: np.ndarray, candidates: Sequence[tuple[int, Parameter]]
                ) -> list[dict[str, float]]:
    """Score (Lagrange multiplier) tests for freeing each candidate element.

    ``candidates`` are (group, parameter) pairs; each is a new free element in that group
    only (a fixed-to-zero loading or residual covariance, or a group's copy of an
    equality-constrained parameter). Returns ``{"mi", "epc"}`` per candidate, as lavaan's
    ``modindices`` / ``lavTestScore``.
    """
    Iinv = _inverse_information(eng, x)
    mi = np.full(len(candidates), np.nan)
    epc = np.full(len(candidates), np.nan)
    groups = np.array([g for g, _ in candidates], dtype=int)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        qs = [candidates[int(r)][1] for r in rows]
        kind = np.array([KIND_CODE[q.kind] for q in qs], dtype=int)
        mi[rows], epc[rows] = _group_score_tests(eng, x, int(g), kind, np.array([q.i for q in qs], dtype=int),
                                                 np.array([q.j for q in qs], dtype=int), Iinv)
    return [{"mi": float(a), "epc": float(b)} for a, b in zip(mi, epc, strict=True)]


def _mi_candidates(eng: SEMEngine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kind code, i, j) of every fixed-to-zero cross-loading and residual covariance."""
    loaded = np.zeros((eng.p, eng.m), dtype=bool)
    rescov = np.zeros((eng.p, eng.p), dtype=bool)
    for q in eng.pars:
        if q.kind == LOADING:
            loaded[q.i, q.j] = True
        elif q.kind == RESIDUAL:
            rescov[q.i, q.j] = True
    # lavaan's order: loadings factor by factor, then residual covariances row by row
    lk, li = np.nonzero(~loaded.T)
    ri, rj = np.triu_indices(eng.p, 1)
    keep = ~rescov[ri, rj]
    ri, rj = ri[keep], rj[keep]
    kind = np.concatenate([np.zeros(len(li), dtype=int), np.full(len(ri), 2)])
    return kind, np.concatenate([li, ri]), np.concatenate([lk, rj])


def modification_indices(eng: SEMEngine, x: np.ndarray, group_labels: list[str] | None) -> pd.DataFrame:
    """Score tests for each fixed-to-zero cross-loading and residual covariance, largest first
    (``mi``, ``p_val``, ``epc``, ``sepc_all``; as lavaan's ``modindices``). Empty with FIML."""
    from compassion_scales.stats.distributions import chi2

    kind, i, j = _mi_candidates(eng)
    if eng.fiml or not len(kind):
        return pd.DataFrame(columns=MI_COLUMNS)
    Iinv = _inverse_information(eng, x)
    frames = []
    for g in range(eng.G):
        mi, epc = _group_score_tests(eng, x, g, kind, i, j, Iinv)
        L, P, T, *_ = eng.matrices(x, g)
        Sig = L @ P @ L.T + T
        lo = kind == 0
        sepc = np.empty(len(kind))
        sepc[lo] = epc[lo] * np.sqrt(np.abs(P[j[lo], j[lo]])) / np.sqrt(Sig[i[lo], i[lo]])
        sepc[~lo] = epc[~lo] / np.sqrt(np.abs(T[i[~lo], i[~lo]] * T[j[~lo], j[~lo]]))
        names = np.array(eng.items, dtype=object)
        fnames = np.array(eng.factors, dtype=object)
        frames.append(pd.DataFrame({
            "group": group_labels[g] if group_labels else None,
            "lhs": np.where(lo, fnames[np.where(lo, j, 0)], names[i]),
            "op": np.where(lo, "=~", "~~"),
            "rhs": np.where(lo, names[i], names[j]),
            "mi": mi, "p_val": chi2.sf(mi, 1), "epc": epc, "sepc_all": sepc}))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
    if not group_labels:
        df = df.drop(columns="group")
    return df


def check_solution(eng: SEMEngine, x: np.ndarray) -> list[str]:
    """Warn about improper solutions (negative residual variances, a factor covariance matrix
    that is not positive definite); returns the notes."""
    notes = []
    for g in range(eng.G):
        L, P, T, *_ = eng.matrices(x, g)
        neg = [eng.items[i] for i in range(eng.p) if T[i, i] < 0]
        if neg:
            warnings.warn(
                f"Negative residual variance (Heywood case) for item(s) {', '.join(neg)}; the solution is "
                "improper. Check the model (too few items per factor, a misassigned item) before using it.",
                HeywoodCaseWarning, stacklevel=3)
            notes.append(f"Heywood case: negative residual variance for {', '.join(neg)}.")
        if np.linalg.eigvalsh(P)[0] < 0:
            warnings.warn("The factor covariance matrix is not positive definite (a factor correlation "
                          "beyond +-1 or a negative factor variance); the solution is improper.",
                          HeywoodCaseWarning, stacklevel=3)
            notes.append("Improper solution: factor covariance matrix not positive definite.")
    return notes


def _vcov(eng: SEMEngine, info: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(eng.N * info)
    except np.linalg.LinAlgError:
        warnings.warn("The information matrix is singular: the model may not be identified; standard "
                      "errors are not available.", ConvergenceWarning, stacklevel=4)
        return np.full((eng.nfree, eng.nfree), np.nan)


def fit_sem(spec: ModelSpec, samples: Sequence[Sample], labels: list[str] | None = None, *,
            std_lv: bool = False, meanstructure: bool = False, equal: Sequence[str] = (),
            released: Sequence[tuple[str, int]] = (), x0: np.ndarray | None = None,
            estimator: str = "ML", raw: Sequence[np.ndarray] | None = None,
            estimates: bool = True) -> tuple[SEMEngine, dict[str, Any]]:
    """Fit a (multi-group) CFA by ML, FIML or MLR.

    Returns the fitted engine and a dict with ``opt`` (optimiser report), ``x`` (free
    parameters), ``vcov``, ``fit`` (fit measures) and ``estimates`` (the parameter table, unless
    ``estimates=False``). ``raw`` (the cases of each group) is needed for ``estimator="MLR"``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 1)) * [.8, .7, .6] + rng.normal(scale=.6, size=(200, 3))
    >>> from compassion_scales.stats.sem import parse_model, sample_moments
    >>> eng, out = fit_sem(parse_model("F =~ a + b + c"), [sample_moments(X, list("abc"))])
    >>> out["fit"]["df"], bool(out["opt"]["converged"])
    (0.0, True)
    """
    import scipy.linalg  # noqa: F401 - loaded before the BLAS limit so that the limit covers scipy's BLAS

    from compassion_scales.stats.threads import single_thread_blas

    eng = SEMEngine(spec, samples, std_lv=std_lv, meanstructure=meanstructure, equal=equal, released=released)
    if eng.df < 0:
        raise AnalysisError(
            f"The model has more free parameters ({eng.npar}) than the data have variances and covariances; "
            "it is not identified. Add items or remove factors.")
    robust = estimator == "MLR"
    if robust and raw is None:
        raise AnalysisError("Robust ML (MLR) needs the individual answers of each group (raw=...).")
    with single_thread_blas():
        opt = eng.fit(x0)
        x = opt["x"]
        if not opt["converged"]:
            warnings.warn("The CFA estimation did not converge; the estimates and fit indices may be wrong.",
                          ConvergenceWarning, stacklevel=3)
        info = eng.observed_information(x) if (eng.fiml or robust) else eng.grad_info(x)[1]
        vcov = _vcov(eng, info)
        fit = fit_indices(eng, x)
        if robust:
            from compassion_scales.stats.sem.mlr import mlr

            vcov, extra = mlr(eng, x, info, raw or [])
            fit.update(extra)
        out: dict[str, Any] = {"opt": opt, "x": x, "vcov": vcov, "fit": fit}
        if estimates:
            out["estimates"] = estimates_table(eng, x, vcov, labels)
    return eng, out


def loading_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """The loading rows (``op == "=~"``) of a lavaan-style estimates table, with ``lhs``/``rhs``
    named ``factor``/``item``; shared by the ML and the ordinal CFA results."""
    est = estimates[estimates["op"] == "=~"]
    return est.rename(columns={"lhs": "factor", "rhs": "item"}).reset_index(drop=True)
