"""Multi-group ordinal factor models by DWLS (lavaan's WLSMV with ``group =``) for measurement
invariance with the Wu & Estabrook (2016) identification, delta or theta parameterisation.

Arrays in, arrays and dicts out. Follows lavaan 0.6:

* each group has its own thresholds, polychoric correlations and ``NACOV``
  (:func:`~compassion_scales.stats.ordinal_sem.polychoric_nacov`); the fit function is
  ``F = sum_g ((N_g - 1) / N) F_g`` with ``F_g`` the DWLS discrepancy of group ``g`` (the group
  weights of lavaan's gradient for least-squares estimators) and the chi-square
  ``T = sum_g (N_g - 1) F_g``;
* model-implied statistics of group ``g``: thresholds ``Delta (tau - nu - Lambda alpha)`` and
  correlations ``Delta Lambda Psi Lambda' Delta`` (off-diagonal), ``Delta`` the diagonal scaling
  factors (lavaan's ``~*~``). In the delta parameterisation ``Delta`` holds parameters (1 in the
  first group); in the theta parameterisation it is ``diag(Lambda Psi Lambda' + Theta)^-1/2`` with
  ``Theta`` the residual variances of the latent responses (1 in the first group);
* the scaled-shifted statistic uses ``U = W - W D E^-1 D' W`` over the stacked groups
  (``W`` block-diagonal with blocks ``(N_g/N) W_g``, ``Gamma`` with blocks ``NACOV_g N/N_g``);
  the robust covariance of the estimates is ``E^-1 D'W Gamma W D E^-1 / (N - G)`` (lavaan's
  ``se = "robust.sem"``);
* nested models are compared as ``lavTestLRT`` does for WLSMV (``method = "satorra.2000"``,
  scaled and shifted): the constraint matrix ``A`` is the orthogonal complement of
  ``H = (D1'D1)^-1 D1' D0`` (lavaan's ``A.method = "delta"``), which makes the test
  independent of the parameterisation of either model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from compassion_scales.stats.ordinal_sem import (
    PolychoricStats,
    incremental_fit,
    lower_pairs,
    scaled_shifted,
)

__all__ = ["GroupSpec", "MultiGroupOrdinalModel", "WU_ESTABROOK_ORDER", "wu_estabrook_model",
           "fit_multigroup_dwls", "satorra2000_scaled_shifted"]

#: the parameters Wu & Estabrook (2016) hold equal, in the order they are added
WU_ESTABROOK_ORDER = ("thresholds", "loadings", "intercepts", "residuals")


@dataclass(frozen=True)
class GroupSpec:
    """Parameter indices of one group: an index into the free vector, or -1 for fixed.

    Fixed values: loadings 0 (where the pattern is 0), factor variances 1, covariances 0, means 0,
    intercepts 0, scaling factors 1 (delta) or residual variances 1 (theta). Thresholds are
    always free (shared indices = equal across groups).
    """

    lam: np.ndarray      # (p, m) int, -1 = fixed 0
    psi: np.ndarray      # (m, m) int symmetric, -1 = fixed (1 on diagonal, 0 off)
    alpha: np.ndarray    # (m,) int, -1 = fixed 0
    nu: np.ndarray       # (p,) int, -1 = fixed 0
    delta: np.ndarray    # (p,) int, -1 = fixed 1 (delta parameterisation)
    tau: np.ndarray      # (n_thresholds,) int
    theta: np.ndarray    # (p,) int, -1 = fixed 1 (theta parameterisation)


@lru_cache(maxsize=64)
def _pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    return lower_pairs(p)


@dataclass(frozen=True)
class MultiGroupOrdinalModel:
    """A multi-group ordinal factor model (delta or theta parameterisation)."""

    groups: tuple[GroupSpec, ...]
    n_free: int
    th_item: np.ndarray  # item of each threshold
    parameterization: str = "delta"

    @cached_property
    def _gather(self) -> list[dict[str, np.ndarray]]:
        """Per group: the positions of the model matrices' elements in ``[x, 0, 1]`` (fixed
        elements point at their constant: loadings, covariances, means and intercepts 0, factor
        variances, scales and residual variances 1)."""
        zero, one = self.n_free, self.n_free + 1
        out = []
        for s in self.groups:
            unit = np.where(np.eye(s.psi.shape[0], dtype=bool), one, zero)
            out.append({"lam": np.where(s.lam >= 0, s.lam, zero), "psi": np.where(s.psi >= 0, s.psi, unit),
                        "alpha": np.where(s.alpha >= 0, s.alpha, zero), "nu": np.where(s.nu >= 0, s.nu, zero),
                        "delta": np.where(s.delta >= 0, s.delta, one), "theta": np.where(s.theta >= 0, s.theta, one),
                        "tau": s.tau})
        return out

    @cached_property
    def _last(self) -> dict[int, tuple[bytes, dict[str, np.ndarray]]]:
        """Per group: the matrices at the last ``x`` (the optimiser asks for the residuals and the
        Jacobian at the same point)."""
        return {}

    def matrices(self, x: np.ndarray, g: int) -> dict[str, np.ndarray]:
        """Model matrices of group ``g`` at ``x``: ``lam``, ``psi``, ``alpha``, ``nu``, ``tau``,
        ``scale`` (Delta), ``resid`` (residual variances of the latent responses) and ``cov``
        (``Lambda Psi Lambda'``); read-only arrays."""
        key = x.tobytes()
        last = self._last.get(g)
        if last is not None and last[0] == key:
            return dict(last[1])
        ix = self._gather[g]
        xe = np.concatenate([x, (0.0, 1.0)])
        L, P = xe[ix["lam"]], xe[ix["psi"]]
        C = L @ P @ L.T
        if self.parameterization == "theta":
            resid = xe[ix["theta"]]
            with np.errstate(invalid="ignore", divide="ignore"):  # trial points of the optimiser
                scale = 1.0 / np.sqrt(np.diag(C) + resid)
        else:
            scale = xe[ix["delta"]]
            resid = 1.0 / scale ** 2 - np.diag(C)
        out = {"lam": L, "psi": P, "alpha": xe[ix["alpha"]], "nu": xe[ix["nu"]], "tau": xe[ix["tau"]],
               "scale": scale, "resid": resid, "cov": C}
        for v in out.values():
            v.setflags(write=False)
        self._last[g] = (key, out)
        return dict(out)

    def implied(self, x: np.ndarray, g: int) -> np.ndarray:
        """Implied (thresholds, correlations) of group ``g`` in lavaan's order."""
        M = self.matrices(x, g)
        d = M["scale"]
        mu = M["nu"] + M["lam"] @ M["alpha"]
        th = d[self.th_item] * (M["tau"] - mu[self.th_item])
        S = (d[:, None] * d[None, :]) * M["cov"]
        i, j = _pairs(len(d))
        return np.concatenate([th, S[i, j]])

    def implied_cor(self, x: np.ndarray, g: int) -> np.ndarray:
        """Implied correlation matrix of the latent responses of group ``g``."""
        M = self.matrices(x, g)
        d = M["scale"]
        S = (d[:, None] * d[None, :]) * M["cov"]
        np.fill_diagonal(S, 1.0)
        return S

    @cached_property
    def _jacobian_index(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per group: the rows and the positions in the row-major Jacobian of the triplets of
        :func:`_entry_index` with a free index, and which triplets those are."""
        out = []
        for s in self.groups:
            r, c = _entry_index(s, self.th_item, self.parameterization == "theta")
            ok = c >= 0
            out.append((r[ok], r[ok] * self.n_free + c[ok], ok))
        return out

    def jacobian(self, x: np.ndarray, g: int) -> np.ndarray:
        """Analytic Jacobian of :meth:`implied` with respect to the free parameters.

        All parameters at once, scattered into ``J`` from (row, free index, value) triplets
        (:func:`_entry_index`, :func:`_entry_values`; the positions are computed once per model).
        """
        return self.stacked_jacobian(x, [g])

    def stacked_jacobian(self, x: np.ndarray, groups: Sequence[int], row_scale: Sequence[np.ndarray] | None = None
                         ) -> np.ndarray:
        """The Jacobians of ``groups`` stacked (rows of the first group first), each row of group
        ``groups[k]`` multiplied by ``row_scale[k]`` if given."""
        flat, vals = [], []
        offset = 0
        for k, g in enumerate(groups):
            rows, pos, ok = self._jacobian_index[g]
            v = _entry_values(self.matrices(x, g), self.th_item, self.parameterization == "theta")[ok]
            if row_scale is not None:
                v = v * row_scale[k][rows]
            flat.append(pos + offset * self.n_free)
            vals.append(v)
            offset += self._n_rows
        return np.bincount(np.concatenate(flat), weights=np.concatenate(vals),
                           minlength=offset * self.n_free).reshape(offset, self.n_free)

    @property
    def _n_rows(self) -> int:
        """Implied statistics per group (thresholds and correlations)."""
        return len(self.th_item) + len(_pairs(self.groups[0].lam.shape[0])[0])

    def orient(self, x: np.ndarray) -> np.ndarray:
        """Reflect factors so that the loading of each factor's first item is positive in every
        group (lavaan's solution: its starting values give the first indicator a positive sign)."""
        new = x.copy()
        for s in self.groups:
            m = s.lam.shape[1]
            first = [s.lam[np.flatnonzero(s.lam[:, f] >= 0)[0], f] for f in range(m)]
            sign = np.where(x[first] < 0, -1.0, 1.0)  # from the original x: shared loadings agree
            for f in range(m):
                lam = s.lam[:, f][s.lam[:, f] >= 0]
                new[lam] = sign[f] * x[lam]
                if s.alpha[f] >= 0:
                    new[s.alpha[f]] = sign[f] * x[s.alpha[f]]
                for h in range(f):
                    if s.psi[f, h] >= 0:
                        new[s.psi[f, h]] = sign[f] * sign[h] * x[s.psi[f, h]]
        return new

    def jacobian_numeric(self, x: np.ndarray, g: int, h: float = 1e-6) -> np.ndarray:
        """Central-difference Jacobian of :meth:`implied` (a check of :meth:`jacobian`)."""
        E = np.eye(self.n_free) * h
        cols = [(self.implied(x + E[k], g) - self.implied(x - E[k], g)) / (2 * h) for k in range(self.n_free)]
        return np.column_stack(cols)


def _entry_index(s: GroupSpec, ti: np.ndarray, theta: bool) -> tuple[np.ndarray, np.ndarray]:
    """Rows and free indices (-1 = fixed) of the triplets whose values :func:`_entry_values`
    gives, in the same order; repeated positions add up.

    Blocks: thresholds, intercepts, scales (one per threshold, two per correlation: the
    derivatives with respect to the scales ``Delta``), factor means, loadings on the threshold
    rows, loadings on the correlation rows (twice), factor (co)variances; in the theta
    parameterisation then the chain rule through the scales for residual variances, loadings and
    factor (co)variances.
    """
    p, m = s.lam.shape
    pi, pj = _pairs(p)
    nt, npair = len(ti), len(pi)
    t, k = np.arange(nt), nt + np.arange(npair)
    gr, gi = np.concatenate([t, k, k]), np.concatenate([ti, pi, pj])
    fi, hi = np.tril_indices(m)
    tm, km = np.repeat(t, m), np.repeat(k, m)
    blocks = [(t, s.tau), (t, s.nu[ti]), (gr, s.delta[gi]), (tm, np.tile(s.alpha, nt)), (tm, s.lam[ti].ravel()),
              (km, s.lam[pi].ravel()), (km, s.lam[pj].ravel()),
              (np.repeat(k, len(fi)), np.tile(s.psi[fi, hi], npair))]
    if theta:
        nrow = nt + npair
        blocks += [(gr, s.theta[gi]), (np.repeat(gr, m), s.lam[gi].ravel()),
                   (np.repeat(np.arange(nrow), len(fi)), np.tile(s.psi[fi, hi], nrow))]
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]).astype(int)


def _entry_values(M: dict[str, np.ndarray], ti: np.ndarray, theta: bool) -> np.ndarray:
    """Values of the Jacobian triplets of :func:`_entry_index` at the model matrices ``M``.

    Loading (i, f): ``dC = e_i (L Psi)_f' + (L Psi)_f e_i'`` and ``-d_i alpha_f`` on item i's
    threshold rows; factor (co)variance (f, h): ``dC = L_f L_h'`` (plus its transpose off the
    diagonal). Theta parameterisation: ``Delta = diag^-1/2`` with ``diag`` the diagonal of
    ``Lambda Psi Lambda' + Theta``, chain ``(dstat/dDelta) (dDelta/ddiag) (ddiag/dparameter)``
    with ``ddiag/dparameter`` ``e_i`` for the residual variance of item i, ``2 (L Psi)_if e_i``
    for loading (i, f) and ``L_f * L_h`` (twice off the diagonal) for factor (co)variance (f, h).
    """
    L, d, a, C = M["lam"], M["scale"], M["alpha"], M["cov"]
    p, m = L.shape
    pi, pj = _pairs(p)
    nt = len(ti)
    dti = d[ti]
    dd = (d[pi] * d[pj])[:, None]
    LP = L @ M["psi"]
    fi, hi = np.tril_indices(m)
    c = C[pi, pj]
    gv = np.concatenate([M["tau"] - (M["nu"] + L @ a)[ti], d[pj] * c, d[pi] * c])  # d stat / d Delta
    psi_cor = L[pi][:, fi] * L[pj][:, hi] + (fi != hi) * L[pi][:, hi] * L[pj][:, fi]
    vals = [dti, -dti, gv, (-dti[:, None] * L[ti]).ravel(), np.tile(-a, nt) * np.repeat(dti, m),
            (dd * LP[pj]).ravel(), (dd * LP[pi]).ravel(), (dd * psi_cor).ravel()]
    if theta:
        gi = np.concatenate([ti, pi, pj])
        gc = gv * (-0.5 * d[gi] ** 3)
        dense = np.zeros((nt + len(pi), p))
        dense[np.concatenate([np.arange(nt), nt + np.arange(len(pi)), nt + np.arange(len(pi))]), gi] = gc
        vals += [gc, (gc[:, None] * 2.0 * LP[gi]).ravel(),
                 (dense @ (L[:, fi] * L[:, hi] * (1.0 + (fi != hi)))).ravel()]
    return np.concatenate(vals)


def _check_equal(equal: Sequence[str], parameterization: str) -> set[str]:
    eq = set(equal)
    k = len(eq)
    if eq != set(WU_ESTABROOK_ORDER[:k]):
        raise ValueError("equality constraints must follow the order " + ", ".join(WU_ESTABROOK_ORDER))
    if parameterization not in ("delta", "theta"):
        raise ValueError("parameterization must be 'delta' or 'theta'")
    if "residuals" in eq and parameterization == "delta":
        raise ValueError("equal residual variances need the theta parameterisation")
    return eq


def _group_spec(g: int, pattern: np.ndarray, n_thr: Sequence[int], eq: set[str], theta_par: bool,
                shared: dict[str, np.ndarray], new: Callable[[str], int]) -> GroupSpec:
    p, m = pattern.shape
    tag = f".g{g + 1}"
    later = g > 0
    if "loadings" in eq and later:
        lam = shared["lam"]
    else:
        lam = np.full((p, m), -1)
        for i, f in zip(*np.nonzero(pattern), strict=True):
            lam[i, f] = new(f"lambda.{i + 1}_{f + 1}" + ("" if "loadings" in eq else tag))
    psi = np.full((m, m), -1)
    for f in range(m):
        for h in range(f):
            psi[f, h] = psi[h, f] = new(f"psi.{f + 1}_{h + 1}{tag}")
        if later and "loadings" in eq:
            psi[f, f] = new(f"psi.{f + 1}_{f + 1}{tag}")
    if "thresholds" in eq and later:
        tau = shared["tau"]
    else:
        tau = np.array([new(f"tau.{i + 1}.{k + 1}" + ("" if "thresholds" in eq else tag))
                        for i in range(p) for k in range(n_thr[i])], dtype=int)
    shared.setdefault("lam", lam)
    shared.setdefault("tau", tau)
    free_g = later and "thresholds" in eq

    def vec(name: str, n: int, free: bool) -> np.ndarray:
        return np.array([new(f"{name}.{i + 1}{tag}") for i in range(n)], dtype=int) if free else np.full(n, -1)

    return GroupSpec(lam=lam, psi=psi, tau=tau,
                     nu=vec("nu", p, free_g and "intercepts" not in eq),
                     delta=vec("delta", p, free_g and not theta_par),
                     theta=vec("theta", p, free_g and theta_par and "residuals" not in eq),
                     alpha=vec("alpha", m, later and "intercepts" in eq))


def wu_estabrook_model(pattern: np.ndarray, n_thr: Sequence[int], n_groups: int, equal: Sequence[str] = (),
                       parameterization: str = "delta") -> tuple[MultiGroupOrdinalModel, list[str]]:
    """The model of semTools' ``measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
    parameterization = parameterization, group.equal = equal)`` for a simple-structure ``pattern``.

    ``equal`` is a leading part of ("thresholds", "loadings", "intercepts", "residuals").
    Configural: everything free per group; intercepts 0, scales (delta) or residual variances
    (theta) 1, factor means 0 and variances 1. Thresholds equal: intercepts and scales (residual
    variances) free in groups 2..G. Loadings equal as well: factor variances free in groups
    2..G. Intercepts equal: intercepts 0 in every group, factor means free in groups 2..G.
    Residuals equal (theta only): residual variances 1 in every group. Returns the model and
    the name of each free parameter.

    Examples
    --------
    >>> pattern = np.array([[1], [1], [1]], dtype=bool)
    >>> model, names = wu_estabrook_model(pattern, [2, 2, 2], 2, ["thresholds"])
    >>> model.n_free, names[:4]
    (18, ['lambda.1_1.g1', 'lambda.2_1.g1', 'lambda.3_1.g1', 'tau.1.1'])
    >>> model, names = wu_estabrook_model(pattern, [2, 2, 2], 2, WU_ESTABROOK_ORDER, "theta")
    >>> model.n_free, names[-2:]
    (11, ['psi.1_1.g2', 'alpha.1.g2'])
    """
    pattern = np.asarray(pattern, dtype=bool)
    eq = _check_equal(equal, parameterization)
    names: list[str] = []

    def new(name: str) -> int:
        names.append(name)
        return len(names) - 1

    shared: dict[str, np.ndarray] = {}
    groups = tuple(_group_spec(g, pattern, n_thr, eq, parameterization == "theta", shared, new)
                   for g in range(n_groups))
    th_item = np.repeat(np.arange(pattern.shape[0]), n_thr)
    return MultiGroupOrdinalModel(groups=groups, n_free=len(names), th_item=th_item,
                                  parameterization=parameterization), names


def _start(model: MultiGroupOrdinalModel, stats: Sequence[PolychoricStats], names: list[str]) -> np.ndarray:
    x = np.zeros(model.n_free)
    for k, nm in enumerate(names):
        kind = nm.split(".")[0]
        if kind == "lambda":
            x[k] = 0.7
        elif kind == "psi":
            a, b = nm.split(".")[1].split("_")
            x[k] = 1.0 if a == b else 0.3
        elif kind in ("delta", "theta"):
            x[k] = 1.0
    for g, s in enumerate(stats):  # thresholds: the sample thresholds (of the first group that has them)
        vals = np.concatenate(s.thresholds)
        for t, idx in enumerate(model.groups[g].tau):
            if x[idx] == 0.0:
                x[idx] = vals[t]
    return x


def _levenberg_marquardt(resid: Callable[[np.ndarray], np.ndarray], jac: Callable[[np.ndarray], np.ndarray],
                         x: np.ndarray, max_iter: int = 2000) -> np.ndarray:
    """Levenberg-Marquardt with Marquardt's scaling by the normal equations (``J'J`` is small:
    parameters x parameters; MINPACK's QR of the tall ``J`` cost 10-30 ms a step for 38 items).

    Stops when a step changes F by less than 1e-15 relative or no longer decreases it.
    """
    r = resid(x)
    f = float(r @ r)
    lam = 1e-3
    J = jac(x)
    for _ in range(max_iter):
        A, g = J.T @ J, J.T @ r
        dA = np.maximum(np.diag(A), 1e-12 * max(float(np.max(np.diag(A))), 1e-300))
        try:
            step = -np.linalg.solve(A + lam * np.diag(dA), g)
        except np.linalg.LinAlgError:
            step = np.full_like(x, np.nan)
        xn = x + step
        rn = resid(xn)
        fn = float(rn @ rn)
        if np.isfinite(fn) and fn <= f:
            done = f - fn <= 1e-15 * f or np.max(np.abs(step)) < 1e-15
            x, r, f, lam = xn, rn, fn, max(lam / 3.0, 1e-12)
            if done:
                break
            J = jac(x)
        else:
            lam *= 4.0
            if lam > 1e16:
                break
    return x


def _minimise(resid: Callable[[np.ndarray], np.ndarray], jac: Callable[[np.ndarray], np.ndarray],
              x0: np.ndarray) -> tuple[np.ndarray, bool]:
    """Levenberg-Marquardt, then Gauss-Newton polishing; returns the solution and convergence."""
    x = _levenberg_marquardt(resid, jac, x0)
    for _ in range(20):
        J, r = jac(x), resid(x)
        try:  # the normal equations (parameters x parameters); a least-squares solve if singular
            step = -np.linalg.solve(J.T @ J, J.T @ r)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(J, -r, rcond=None)[0]
        f, rn = float(r @ r), resid(x + step)
        if not float(rn @ rn) <= f * (1 + 1e-8) + 1e-14:  # diverging (a flat direction): keep x
            break
        x = x + step
        if np.max(np.abs(step)) < 1e-12:
            break
    return x, bool(np.max(np.abs(jac(x).T @ resid(x))) < 1e-8)


def _srmr(stats: Sequence[PolychoricStats], model: MultiGroupOrdinalModel, x: np.ndarray, fg: np.ndarray) -> float:
    """lavaan's SRMR for categorical data: per group over the lower triangle of the correlation
    residuals (diagonal included), then weighted by ``N_g / N``."""
    out = 0.0
    for g, s in enumerate(stats):
        res = s.cor - model.implied_cor(x, g)
        out += fg[g] * float(np.sqrt(np.mean(res[np.tril_indices(res.shape[0])] ** 2)))
    return out


def _baseline(stats: Sequence[PolychoricStats], w: np.ndarray, gamma: np.ndarray, n_g: np.ndarray,
              fg: np.ndarray) -> dict[str, float]:
    """Multi-group baseline: thresholds free, correlations zero in every group."""
    svec = [s.vector for s in stats]
    cor_sel = np.concatenate([np.r_[np.zeros(s.n_thresholds, bool), np.ones(len(v) - s.n_thresholds, bool)]
                              for s, v in zip(stats, svec, strict=True)])
    sv = np.concatenate(svec)
    gw = np.concatenate([np.full(len(v), (n_g[g] - 1) / fg[g]) for g, v in enumerate(svec)])
    chisq_b = float((gw * w)[cor_sel] @ sv[cor_sel] ** 2)
    df_b = float(cor_sel.sum())
    UGb = w[cor_sel][:, None] * gamma[np.ix_(cor_sel, cor_sel)]
    ssb = scaled_shifted(chisq_b, df_b, float(np.trace(UGb)), float((UGb * UGb.T).sum()))
    return {"baseline_chisq": chisq_b, "baseline_df": df_b, "baseline_chisq_scaled": ssb["chisq_scaled"],
            "baseline_chisq_scaling_factor": ssb["scaling_factor"], "baseline_chisq_shift": ssb["shift"]}


def _test_statistics(chisq: float, df: float, base: dict[str, float], tr_ug: float, tr_ug2: float,
                     n_ls: float, n_groups: int) -> dict[str, float]:
    """Scaled-shifted statistic, CFI/TLI and RMSEA (lavaan multiplies the RMSEA by sqrt(G))."""
    from compassion_scales.stats.distributions import chi2

    ss = scaled_shifted(chisq, df, tr_ug, tr_ug2)
    cfi, tli = incremental_fit(chisq, df, base["baseline_chisq"], base["baseline_df"])
    cfi_s, tli_s = incremental_fit(ss["chisq_scaled"], df, base["baseline_chisq_scaled"], base["baseline_df"])

    def rmsea(t: float) -> float:
        return float(np.sqrt(n_groups) * np.sqrt(max(t / n_ls / df - 1.0 / n_ls, 0.0))) if df > 0 else 0.0

    return {"chisq": chisq, "df": df, "p_val": float(chi2.sf(chisq, df)) if df > 0 else np.nan,
            "chisq_scaled": ss["chisq_scaled"],
            "p_val_scaled": float(chi2.sf(ss["chisq_scaled"], df)) if df > 0 else np.nan,
            "chisq_scaling_factor": ss["scaling_factor"], "chisq_shift": ss["shift"],
            "trace_ugamma": tr_ug, "trace_ugamma2": tr_ug2, **base,
            "cfi": cfi, "tli": tli, "cfi_scaled": cfi_s, "tli_scaled": tli_s,
            "rmsea": rmsea(chisq), "rmsea_scaled": rmsea(ss["chisq_scaled"])}


def fit_multigroup_dwls(stats: Sequence[PolychoricStats], model: MultiGroupOrdinalModel, names: list[str],
                        x0: np.ndarray | None = None) -> dict[str, Any]:
    """Fit a multi-group ordinal model by DWLS with lavaan's WLSMV test statistics.

    Returns ``x``, ``vcov`` (robust covariance of ``x``), ``fit`` (npar, chisq, df, p_val,
    chisq_scaled, p_val_scaled, chisq_scaling_factor, chisq_shift, baseline statistics,
    cfi/tli/rmsea and their scaled versions, srmr, n_obs), ``D`` (stacked Jacobian), ``w``
    (stacked weights with the group factors), ``gamma`` (stacked NACOV over the group factors),
    ``e_inv``, ``converged`` and ``names``.
    """
    from scipy.linalg import block_diag

    n_g = np.array([s.n_obs for s in stats], dtype=float)
    N, G = float(n_g.sum()), len(stats)
    fg = n_g / N
    svec = [s.vector for s in stats]
    ws = [fg[g] / np.diag(s.nacov) for g, s in enumerate(stats)]
    # lavaan's gradient for least-squares estimators weights group g by (N_g - 1) / N
    sw = [np.sqrt((n_g[g] - 1) / N / np.diag(s.nacov)) for g, s in enumerate(stats)]

    def resid(x: np.ndarray) -> np.ndarray:
        return np.concatenate([sw[g] * (svec[g] - model.implied(x, g)) for g in range(G)])

    neg_sw = [-v for v in sw]

    def jac(x: np.ndarray) -> np.ndarray:
        return model.stacked_jacobian(x, range(G), neg_sw)

    x, converged = _minimise(resid, jac, _start(model, stats, names) if x0 is None else np.asarray(x0, float))
    x = model.orient(x)
    r = resid(x)
    chisq = N * float(r @ r)  # sum_g (N_g - 1) F_g
    D = model.stacked_jacobian(x, range(G))
    w = np.concatenate(ws)
    gamma = block_diag(*[s.nacov / fg[g] for g, s in enumerate(stats)])
    WD = w[:, None] * D
    E_inv = np.linalg.inv(D.T @ WD)
    UG = (np.diag(w) - WD @ E_inv @ WD.T) @ gamma
    vcov = E_inv @ (WD.T @ gamma @ WD) @ E_inv / (N - G)
    df = float(len(w) - model.n_free)
    fit = {"npar": float(model.n_free),
           **_test_statistics(chisq, df, _baseline(stats, w, gamma, n_g, fg), float(np.trace(UG)),
                              float((UG * UG.T).sum()), N - G, G),
           "srmr": _srmr(stats, model, x, fg), "n_obs": N}
    return {"x": x, "vcov": vcov, "fit": fit, "fmin": float(r @ r), "D": D, "w": w, "gamma": gamma,
            "e_inv": E_inv, "converged": converged, "names": names}


def satorra2000_scaled_shifted(m1: dict[str, Any], m0: dict[str, Any]) -> dict[str, float]:
    """Scaled-shifted chi-square difference of nested DWLS fits (``lavTestLRT``'s default for WLSMV).

    ``m1``: the less restricted fit, ``m0``: the more restricted one (both from
    :func:`fit_multigroup_dwls`). Returns ``chisq_diff``, ``df_diff``, ``p_val``.
    """
    from scipy.linalg import null_space

    from compassion_scales.stats.distributions import chi2

    r = float(m0["fit"]["df"] - m1["fit"]["df"])
    if r == 0:  # equivalent models (e.g. the thresholds step with 3 categories): as lavaan, no test
        return {"chisq_diff": float(m0["fit"]["chisq"] - m1["fit"]["chisq"]), "df_diff": 0.0, "p_val": np.nan}
    D1, D0 = m1["D"], m0["D"]
    H = np.linalg.solve(D1.T @ D1, D1.T @ D0)
    A = null_space(H.T).T
    P_inv = m1["e_inv"]
    PA = P_inv @ A.T
    Umid = PA @ np.linalg.inv(A @ PA) @ PA.T
    WD = m1["w"][:, None] * D1
    UG = WD @ Umid @ WD.T @ m1["gamma"]
    tr1, tr2 = float(np.trace(UG)), float((UG * UG.T).sum())
    a = np.sqrt(r / tr2)
    b = r - a * tr1
    t = float(a * (m0["fit"]["chisq"] - m1["fit"]["chisq"]) + b)
    return {"chisq_diff": t, "df_diff": r, "p_val": float(chi2.sf(t, r))}
