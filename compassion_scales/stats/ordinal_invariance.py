"""Multi-group ordinal factor models by DWLS (lavaan's WLSMV with ``group =``) for measurement
invariance with the Wu & Estabrook (2016) identification in the delta parameterisation.

Arrays in, arrays and dicts out. Follows lavaan 0.6:

* each group has its own thresholds, polychoric correlations and ``NACOV``
  (:func:`~compassion_scales.stats.ordinal_sem.polychoric_nacov`); the fit function is
  ``F = sum_g (N_g / N) F_g`` with ``F_g`` the DWLS discrepancy of group ``g`` and the
  chi-square ``T = (N - G) F`` (lavaan's convention for least-squares estimators);
* model-implied statistics of group ``g`` (delta parameterisation): thresholds
  ``Delta (tau - nu - Lambda alpha)`` and correlations ``Delta Lambda Psi Lambda' Delta``
  (off-diagonal), ``Delta`` the diagonal scaling factors (lavaan's ``~*~``);
* the scaled-shifted statistic uses ``U = W - W D E^-1 D' W`` over the stacked groups
  (``W`` block-diagonal with blocks ``(N_g/N) W_g``, ``Gamma`` with blocks ``NACOV_g N/N_g``);
* nested models are compared as ``lavTestLRT`` does for WLSMV (``method = "satorra.2000"``,
  scaled and shifted): the constraint matrix ``A`` is the orthogonal complement of
  ``H = (D1'D1)^-1 D1' D0`` (lavaan's ``A.method = "delta"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from compassion_scales.stats.ordinal_sem import (
    PolychoricStats,
    incremental_fit,
    lower_pairs,
    scaled_shifted,
)

__all__ = ["GroupSpec", "MultiGroupOrdinalModel", "wu_estabrook_model", "fit_multigroup_dwls",
           "satorra2000_scaled_shifted"]


@dataclass(frozen=True)
class GroupSpec:
    """Parameter indices of one group: an index into the free vector, or -1 for fixed.

    Fixed values: loadings 0 (where the pattern is 0), factor variances 1, covariances 0, means 0,
    intercepts 0, scaling factors 1. Thresholds are always free (shared indices = equal).
    """

    lam: np.ndarray      # (p, m) int, -1 = fixed 0
    psi: np.ndarray      # (m, m) int symmetric, -1 = fixed (1 on diagonal, 0 off)
    alpha: np.ndarray    # (m,) int, -1 = fixed 0
    nu: np.ndarray       # (p,) int, -1 = fixed 0
    delta: np.ndarray    # (p,) int, -1 = fixed 1
    tau: np.ndarray      # (n_thresholds,) int


@dataclass(frozen=True)
class MultiGroupOrdinalModel:
    """A multi-group ordinal factor model (delta parameterisation)."""

    groups: tuple[GroupSpec, ...]
    n_free: int
    th_item: np.ndarray  # item of each threshold

    def implied(self, x: np.ndarray, g: int) -> np.ndarray:
        """Implied (thresholds, correlations) of group ``g`` in lavaan's order."""
        s = self.groups[g]

        def take(idx: np.ndarray, fixed: np.ndarray) -> np.ndarray:
            return np.where(idx >= 0, x[np.maximum(idx, 0)], fixed)

        p, m = s.lam.shape
        L = take(s.lam, np.zeros(s.lam.shape))
        P = take(s.psi, np.eye(m))
        a = take(s.alpha, np.zeros(m))
        nu = take(s.nu, np.zeros(p))
        d = take(s.delta, np.ones(p))
        tau = x[s.tau]
        mu = nu + L @ a
        th = d[self.th_item] * (tau - mu[self.th_item])
        S = (d[:, None] * d[None, :]) * (L @ P @ L.T)
        i, j = lower_pairs(p)
        return np.concatenate([th, S[i, j]])

    def jacobian(self, x: np.ndarray, g: int, h: float = 1e-6) -> np.ndarray:
        """Central-difference Jacobian of :meth:`implied` (exact to about 1e-10 for these polynomials)."""
        cols = []
        for k in range(self.n_free):
            e = np.zeros(self.n_free)
            e[k] = h
            cols.append((self.implied(x + e, g) - self.implied(x - e, g)) / (2 * h))
        return np.column_stack(cols)


def wu_estabrook_model(pattern: np.ndarray, n_thr: Sequence[int], n_groups: int,
                       equal: Sequence[str] = ()) -> tuple[MultiGroupOrdinalModel, list[str]]:
    """The model of semTools' ``measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
    parameterization = "delta", group.equal = equal)`` for a simple-structure ``pattern``.

    ``equal`` may hold "thresholds" and "loadings" (loadings only together with thresholds).
    Configural: everything free per group, intercepts 0, scales 1, factor means 0 and variances 1.
    Thresholds equal: intercepts and scales free in groups 2..G. Loadings equal as well: factor
    variances free in groups 2..G. Returns the model and the name of each free parameter.

    Examples
    --------
    >>> pattern = np.array([[1], [1], [1]], dtype=bool)
    >>> model, names = wu_estabrook_model(pattern, [2, 2, 2], 2, ["thresholds"])
    >>> model.n_free, names[:4]
    (18, ['lambda.1_1.g1', 'lambda.2_1.g1', 'lambda.3_1.g1', 'tau.1.1'])
    """
    pattern = np.asarray(pattern, dtype=bool)
    p, m = pattern.shape
    eq = set(equal)
    if "loadings" in eq and "thresholds" not in eq:
        raise ValueError("loadings equality needs thresholds equality in this sequence")
    names: list[str] = []

    def new(name: str) -> int:
        names.append(name)
        return len(names) - 1

    th_item = np.repeat(np.arange(p), n_thr)
    shared_lam = shared_tau = None
    groups = []
    for g in range(n_groups):
        tag = f".g{g + 1}"
        if "loadings" in eq and shared_lam is not None:
            lam = shared_lam
        else:
            lam = np.full((p, m), -1)
            for f in range(m):
                for i in np.flatnonzero(pattern[:, f]):
                    lam[i, f] = new(f"lambda.{i + 1}_{f + 1}" + ("" if "loadings" in eq else tag))
            shared_lam = lam
        psi = np.full((m, m), -1)
        for f in range(m):
            for h in range(f):
                psi[f, h] = psi[h, f] = new(f"psi.{f + 1}_{h + 1}{tag}")
        if g > 0 and "loadings" in eq:
            for f in range(m):
                psi[f, f] = new(f"psi.{f + 1}_{f + 1}{tag}")
        if "thresholds" in eq and shared_tau is not None:
            tau = shared_tau
        else:
            tau = np.array([new(f"tau.{i + 1}.{k + 1}" + ("" if "thresholds" in eq else tag))
                            for i in range(p) for k in range(n_thr[i])], dtype=int)
            shared_tau = tau
        nu = np.full(p, -1)
        delta = np.full(p, -1)
        if g > 0 and "thresholds" in eq:
            nu = np.array([new(f"nu.{i + 1}{tag}") for i in range(p)], dtype=int)
            delta = np.array([new(f"delta.{i + 1}{tag}") for i in range(p)], dtype=int)
        groups.append(GroupSpec(lam=lam, psi=psi, alpha=np.full(m, -1), nu=nu, delta=delta, tau=tau))
    return MultiGroupOrdinalModel(groups=tuple(groups), n_free=len(names), th_item=th_item), names


def _start(model: MultiGroupOrdinalModel, stats: Sequence[PolychoricStats], names: list[str]) -> np.ndarray:
    x = np.zeros(model.n_free)
    for k, nm in enumerate(names):
        if nm.startswith("lambda"):
            x[k] = 0.7
        elif nm.startswith("psi"):
            a, b = nm.split(".")[1].split("_")
            x[k] = 1.0 if a == b else 0.3
        elif nm.startswith("delta"):
            x[k] = 1.0
    for g, s in enumerate(stats):  # thresholds: the sample thresholds (of the first group that has them)
        vals = np.concatenate(s.thresholds)
        for t, idx in enumerate(model.groups[g].tau):
            if x[idx] == 0.0:
                x[idx] = vals[t]
    return x


def fit_multigroup_dwls(stats: Sequence[PolychoricStats], model: MultiGroupOrdinalModel, names: list[str],
                        x0: np.ndarray | None = None) -> dict[str, Any]:
    """Fit a multi-group ordinal model by DWLS with lavaan's WLSMV test statistics.

    Returns ``x``, ``fit`` (chisq, df, chisq_scaled, chisq_scaling_factor, chisq_shift, baseline
    statistics, cfi/tli/rmsea and their scaled versions), ``D`` (stacked Jacobian), ``w``
    (stacked weights with the group factors), ``gamma`` (stacked NACOV over the group factors),
    ``e_inv`` and ``converged``.
    """
    from scipy import optimize
    from scipy import stats as sps

    n_g = np.array([s.n_obs for s in stats], dtype=float)
    N, G = float(n_g.sum()), len(stats)
    fg = n_g / N
    svec = [s.vector for s in stats]
    ws = [fg[g] / np.diag(s.nacov) for g, s in enumerate(stats)]
    sw = [np.sqrt(w) for w in ws]

    def resid(x: np.ndarray) -> np.ndarray:
        return np.concatenate([sw[g] * (svec[g] - model.implied(x, g)) for g in range(G)])

    def jac(x: np.ndarray) -> np.ndarray:
        return np.vstack([-sw[g][:, None] * model.jacobian(x, g) for g in range(G)])

    x = _start(model, stats, names) if x0 is None else np.asarray(x0, float)
    sol = optimize.least_squares(resid, x, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                 max_nfev=2000)
    x = sol.x
    for _ in range(20):
        J = jac(x)
        step = np.linalg.lstsq(J, -resid(x), rcond=None)[0]
        x = x + step
        if np.max(np.abs(step)) < 1e-12:
            break
    r = resid(x)
    converged = bool(np.max(np.abs(jac(x).T @ r)) < 1e-8)
    fmin = float(r @ r)
    n_ls = N - G
    # lavaan: the statistic of group g is (N_g - 1) F_g
    rg = np.split(r, np.cumsum([len(v) for v in svec])[:-1])
    chisq = float(sum((n_g[g] - 1) / fg[g] * float(rg[g] @ rg[g]) for g in range(G)))
    D = np.vstack([model.jacobian(x, g) for g in range(G)])
    w = np.concatenate(ws)
    from scipy.linalg import block_diag

    gamma = block_diag(*[s.nacov / fg[g] for g, s in enumerate(stats)])
    WD = w[:, None] * D
    E_inv = np.linalg.inv(D.T @ WD)
    U = np.diag(w) - WD @ E_inv @ WD.T
    UG = U @ gamma
    tr_ug, tr_ug2 = float(np.trace(UG)), float((UG * UG.T).sum())
    nstat = len(w)
    df = float(nstat - model.n_free)
    ss = scaled_shifted(chisq, df, tr_ug, tr_ug2)
    # baseline: thresholds free, correlations zero in every group
    nth = [s.n_thresholds for s in stats]
    cor_sel = np.concatenate([np.r_[np.zeros(nth[g], bool), np.ones(len(svec[g]) - nth[g], bool)] for g in range(G)])
    sv = np.concatenate(svec)
    gw = np.concatenate([np.full(len(svec[g]), (n_g[g] - 1) / fg[g]) for g in range(G)])
    chisq_b = float((gw * w)[cor_sel] @ sv[cor_sel] ** 2)
    df_b = float(cor_sel.sum())
    UGb = w[cor_sel][:, None] * gamma[np.ix_(cor_sel, cor_sel)]
    ssb = scaled_shifted(chisq_b, df_b, float(np.trace(UGb)), float((UGb * UGb.T).sum()))
    cfi, tli = incremental_fit(chisq, df, chisq_b, df_b)
    cfi_s, tli_s = incremental_fit(ss["chisq_scaled"], df, ssb["chisq_scaled"], df_b)

    def rmsea(t: float) -> float:
        return float(np.sqrt(G) * np.sqrt(max(t / n_ls / df - 1.0 / n_ls, 0.0))) if df > 0 else 0.0

    fit = {"npar": float(model.n_free), "chisq": chisq, "df": df,
           "p_val": float(sps.chi2.sf(chisq, df)) if df > 0 else np.nan,
           "chisq_scaled": ss["chisq_scaled"],
           "p_val_scaled": float(sps.chi2.sf(ss["chisq_scaled"], df)) if df > 0 else np.nan,
           "chisq_scaling_factor": ss["scaling_factor"], "chisq_shift": ss["shift"],
           "trace_ugamma": tr_ug, "trace_ugamma2": tr_ug2,
           "baseline_chisq": chisq_b, "baseline_df": df_b, "baseline_chisq_scaled": ssb["chisq_scaled"],
           "cfi": cfi, "tli": tli, "cfi_scaled": cfi_s, "tli_scaled": tli_s,
           "rmsea": rmsea(chisq), "rmsea_scaled": rmsea(ss["chisq_scaled"]), "n_obs": N}
    return {"x": x, "fit": fit, "fmin": fmin, "D": D, "w": w, "gamma": gamma, "e_inv": E_inv, "converged": converged,
            "names": names}


def satorra2000_scaled_shifted(m1: dict[str, Any], m0: dict[str, Any]) -> dict[str, float]:
    """Scaled-shifted chi-square difference of nested DWLS fits (``lavTestLRT``'s default for WLSMV).

    ``m1``: the less restricted fit, ``m0``: the more restricted one (both from
    :func:`fit_multigroup_dwls`). Returns ``chisq_diff``, ``df_diff``, ``p_val``.
    """
    from scipy import stats as sps
    from scipy.linalg import null_space

    D1, D0 = m1["D"], m0["D"]
    H = np.linalg.solve(D1.T @ D1, D1.T @ D0)
    A = null_space(H.T).T
    P_inv = m1["e_inv"]
    PA = P_inv @ A.T
    Umid = PA @ np.linalg.inv(A @ PA) @ PA.T
    WD = m1["w"][:, None] * D1
    UG = WD @ Umid @ WD.T @ m1["gamma"]
    r = float(m0["fit"]["df"] - m1["fit"]["df"])
    tr1, tr2 = float(np.trace(UG)), float((UG * UG.T).sum())
    a = np.sqrt(r / tr2)
    b = r - a * tr1
    t = float(a * (m0["fit"]["chisq"] - m1["fit"]["chisq"]) + b)
    return {"chisq_diff": t, "df_diff": r, "p_val": float(sps.chi2.sf(t, r))}
