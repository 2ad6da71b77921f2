"""Confirmatory factor analysis of ordinal items (WLSMV / ULSMV), as ``lavaan::cfa(ordered = ...)``.

Reached through :func:`compassion_scales.analyses.cfa.cfa` with ``ordered=...`` or
``estimator="WLSMV"``/``"ULSMV"``. Items are treated as ordered categories: thresholds and
polychoric correlations are estimated first, then the factor model is fitted to them by
diagonally weighted (WLSMV) or unweighted (ULSMV) least squares, with robust standard errors
and the mean-and-variance adjusted chi-square (the kernels are in
:mod:`compassion_scales.stats.ordinal_sem`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import (
    AnalysisError,
    ConvergenceWarning,
    HeywoodCaseWarning,
    MissingDataWarning,
    PsychometricWarning,
)
from compassion_scales.results import ResultMixin

__all__ = ["OrdinalCFAResult", "fit_ordinal_cfa_model", "categorical_omega", "ordinal_suggestion",
           "refuse_degenerate_statistics"]

_Z975 = 1.959963984540054


@dataclass(frozen=True, repr=False)
class OrdinalCFAResult(ResultMixin):
    """Result of :func:`~compassion_scales.analyses.cfa.cfa` with ordered items (WLSMV / ULSMV).

    Attributes
    ----------
    fit : dict
        lavaan's fit measures for WLSMV: ``chisq``, ``df``, ``p_val`` (DWLS/ULS statistic),
        ``chisq_scaled``, ``p_val_scaled``, ``chisq_scaling_factor``, ``chisq_shift`` (the
        mean-and-variance adjusted statistic), ``cfi``, ``tli``, ``rmsea`` (with ``rmsea_ci_low``,
        ``rmsea_ci_high``, ``rmsea_p_close``), their ``*_scaled`` versions, lavaan's
        ``*_robust`` CFI/TLI/RMSEA for categorical data (NaN when the polychoric matrix is not
        positive definite), ``srmr``,
        ``baseline_chisq``, ``baseline_df``, ``baseline_chisq_scaled``, ``npar``, ``n_obs``.
    estimates : DataFrame
        One row per parameter as lavaan's ``parameterEstimates``: loadings (``=~``), thresholds
        (``|``, ``t1``, ``t2``...), residual variances (``~~``, fixed in the delta
        parameterisation), factor (co)variances and residual covariances; ``free``, ``est``,
        ``se``, ``z``, ``p_val``, ``ci_low``, ``ci_high``, ``std_all``, ``std_se``, ``std_z``.
        Fixed values have no standard error (NaN).
    loadings : DataFrame
        Standardised loadings, items x factors.
    thresholds : DataFrame
        Sample thresholds per item (``item``, ``threshold``, ``est``).
    polychoric : DataFrame
        Polychoric correlation matrix.
    omega : DataFrame
        Categorical omega per factor (Green & Yang, 2009), as semTools' ``compRelSEM``.
    """

    fit: dict[str, float]
    estimates: pd.DataFrame
    loadings: pd.DataFrame
    thresholds: pd.DataFrame
    polychoric: pd.DataFrame
    omega: pd.DataFrame
    model: Any
    n_obs: int
    n_dropped: int
    identification: str
    estimator: str = "WLSMV"
    parameterization: str = "delta"
    missing: str = "listwise"
    converged: bool = True
    iterations: int = 0
    source: str = "user model"
    n_categories: tuple[int, ...] = ()
    _extra_notes: tuple[str, ...] = field(default=())

    @property
    def _title(self) -> str:  # type: ignore[override]
        return f"Confirmatory factor analysis of ordinal items ({self.estimator})"

    @property
    def modification_indices(self) -> pd.DataFrame:
        """Not computed for ordinal models (an empty table with the ML columns)."""
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "p_val", "epc", "sepc_all"])

    @property
    def summary(self) -> pd.DataFrame:
        """Fit measures as a two-column table (``measure``, ``value``)."""
        order = ["n_obs", "npar", "chisq", "df", "p_val", "chisq_scaled", "p_val_scaled",
                 "chisq_scaling_factor", "chisq_shift", "cfi", "tli", "rmsea", "rmsea_ci_low",
                 "rmsea_ci_high", "cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_ci_low_scaled",
                 "rmsea_ci_high_scaled", "cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_low_robust",
                 "rmsea_ci_high_robust", "srmr"]
        return pd.DataFrame({"measure": order, "value": [self.fit[k] for k in order]})

    @property
    def standardized_loadings(self) -> pd.DataFrame:
        """Loading rows of :attr:`estimates` (factor, item, est, std_all, std_se, ...)."""
        from compassion_scales.stats.sem.fit import loading_rows

        return loading_rows(self.estimates)

    def _notes(self) -> list[str]:
        f = self.fit
        weights = ("diagonally weighted least squares (weights 1/diag of the asymptotic covariance of "
                   "thresholds and correlations)" if self.estimator == "WLSMV" else "unweighted least squares")
        lines = [
            f"Model: {'; '.join(self.model.to_syntax().splitlines())} ({self.source}).",
            f"Items treated as ordered categories ({', '.join(map(str, sorted(set(self.n_categories))))} "
            "categories): probit thresholds and polychoric correlations (two-step ML, as lavaan), "
            f"model fitted by {weights}; {self.parameterization} parameterisation "
            + ("(latent-response variances fixed to 1, residual variances = 1 - R2)" if self.parameterization == "delta"
               else "(latent-response residual variances fixed to 1)")
            + f"{'' if self.converged else ' - DID NOT CONVERGE'}.",
            "Standard errors: robust (sandwich); test: mean-and-variance adjusted (scaled-shifted) "
            f"chi-square, as lavaan's {self.estimator}; N - 1 is used for chi-square, SEs and RMSEA "
            "(lavaan's convention).",
            f"Identification: {self.identification}.",
            f"Missing data: listwise deletion; {self.n_obs} complete cases used, {self.n_dropped} dropped.",
            "Fit: *_scaled indices use the scaled-shifted statistics of the model and of the baseline "
            "(thresholds only) model; *_robust indices are lavaan's 'robust' CFI/TLI/RMSEA for categorical "
            "data (Savalei, 2021: ML discrepancy of the polychoric matrix at the estimates, corrected); "
            "SRMR from the residual correlations.",
            f"chi2({f['df']:.0f}) = {f['chisq']:.3f}; scaled chi2({f['df']:.0f}) = {f['chisq_scaled']:.3f}, "
            f"p = {f['p_val_scaled']:.4g}; CFI = {f['cfi_scaled']:.3f}, TLI = {f['tli_scaled']:.3f}, "
            f"RMSEA = {f['rmsea_scaled']:.3f} [{f['rmsea_ci_low_scaled']:.3f}, {f['rmsea_ci_high_scaled']:.3f}] "
            f"(scaled); SRMR = {f['srmr']:.3f}.",
        ]
        if len(self.omega):
            lines.append("Categorical omega (Green & Yang, 2009): " + ", ".join(
                f"{r.factor} = {r.omega:.3f}" for r in self.omega.itertuples()) + ".")
        lines += list(self._extra_notes)
        return lines

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        d = super().to_dict()
        d["fit"] = dict(self.fit)
        d["estimates"] = to_jsonable(self.estimates)
        d["omega"] = to_jsonable(self.omega)
        d["model"] = self.model.to_syntax()
        return d


# --------------------------------------------------------------------------- helpers


def ordinal_suggestion(data: pd.DataFrame, items: Sequence[str], max_categories: int = 5) -> str | None:
    """A note suggesting WLSMV when every model item has at most ``max_categories`` answers.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 2, 3, 4], "b": [1, 2, 3, 4, 5]})
    >>> ordinal_suggestion(df, ["a", "b"]).split(";")[0]
    'The items have at most 5 answer categories'
    """
    present = [c for c in items if c in data.columns]
    if not present:
        return None
    counts = [int(pd.to_numeric(data[c], errors="coerce").nunique()) for c in present]
    if max(counts) > max_categories:
        return None
    return (f"The items have at most {max(counts)} answer categories; ML treats them as continuous. "
            "Consider the ordinal estimator (--ordered --estimator WLSMV; cfa(..., ordered=True) in Python).")


def category_codes(X: np.ndarray, items: Sequence[str]) -> tuple[np.ndarray, list[int], list[list[float]]]:
    """Recode each column to 0..K-1 over its observed values (lavaan's ``ordered()``)."""
    codes = np.empty(X.shape, dtype=int)
    ncat, levels = [], []
    for j in range(X.shape[1]):
        lev, inv = np.unique(X[:, j], return_inverse=True)
        if len(lev) < 2:
            raise AnalysisError(f"Item '{items[j]}' has only one answer category in the data; an ordinal "
                                "factor model needs at least two. Remove the item from the model.")
        codes[:, j] = inv
        ncat.append(len(lev))
        levels.append([float(v) for v in lev])
    return codes, ncat, levels


def refuse_degenerate_statistics(st: Any, codes: np.ndarray, items: Sequence[str], where: str = "") -> None:
    """Raise an :class:`AnalysisError` in words when a threshold or polychoric correlation has no
    usable sampling variance (``NACOV``), which very rare answer categories cause (lavaan fails
    there as well, with an optimiser or ``eigen`` error)."""
    from compassion_scales.stats.ordinal_sem import degenerate_statistics

    bad = degenerate_statistics(st)
    if not bad:
        return
    names = [items[i] if i == j else f"{items[j]}-{items[i]}" for i, j in bad]
    involved = sorted({k for pair in bad for k in pair})
    rare = sorted((int(np.bincount(codes[:, k]).min()), items[k]) for k in involved)[:3]
    rare_txt = ", ".join(f"{it}: {c}" for c, it in rare)
    raise AnalysisError(
        f"The sampling variance of {'the thresholds of ' if bad[0][0] == bad[0][1] else ''}{names[0]}"
        f"{' (and ' + str(len(bad) - 1) + ' more statistics)' if len(bad) > 1 else ''} is zero or undefined"
        f"{where}, so the ordinal estimator's weights and standard errors cannot be formed; the rarest "
        f"answer of each item involved is chosen by too few of the {len(codes)} people ({rare_txt}). "
        "Merge very rare answer categories with their neighbours, or leave the item out.")


def categorical_omega(loadings: np.ndarray, psi: np.ndarray, thresholds: Sequence[np.ndarray],
                      cor: np.ndarray) -> float:
    """Categorical omega of a sum score (Green & Yang, 2009), as semTools' ``omegaCat``.

    Parameters
    ----------
    loadings : ndarray (k, m)
        Loadings of the k items (delta parameterisation) on the m factors.
    psi : ndarray (m, m)
        Factor covariance matrix.
    thresholds : sequence of arrays
        Thresholds of each item.
    cor : ndarray (k, k)
        Polychoric correlations of the items (the denominator: observed variance).

    Examples
    --------
    >>> th = [np.array([-1.0, 0.0, 1.0])] * 3
    >>> lam = np.full((3, 1), 0.7)
    >>> R = np.full((3, 3), 0.49) + np.eye(3) * 0.51
    >>> round(categorical_omega(lam, np.eye(1), th, R), 4)
    0.6981
    """
    from scipy.special import ndtr

    from compassion_scales.stats.ordinal_sem import bivariate_normal_cdf

    common = loadings @ psi @ loadings.T
    num = den = 0.0
    k = len(thresholds)
    for j in range(k):
        for jp in range(k):
            t1, t2 = thresholds[j], thresholds[jp]
            T1, T2 = np.meshgrid(t1, t2, indexing="ij")
            prod = float(ndtr(t1).sum() * ndtr(t2).sum())
            num += float(bivariate_normal_cdf(T1, T2, common[j, jp]).sum()) - prod
            den += float(bivariate_normal_cdf(T1, T2, cor[j, jp]).sum()) - prod
    return num / den


def _std_all(model: Any, xs: np.ndarray, theta_par: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (L, P, Theta (full), sd of latent responses) for structural values xs."""
    L, P, T = model.matrices(xs)
    common = L @ P @ L.T
    if theta_par:
        Th = T.copy()
        np.fill_diagonal(Th, 1.0)
    else:
        Th = T.copy()
        np.fill_diagonal(Th, 1.0 - np.diag(common))
    sd = np.sqrt(np.diag(common + Th))
    return L, P, Th, sd


def _to_theta(model: Any, xd: np.ndarray, tau: np.ndarray, th_item: np.ndarray) -> np.ndarray:
    """Map delta-parameterisation estimates to theta parameterisation (same fit)."""
    L, P, T = model.matrices(xd)
    resid = 1.0 - np.diag(L @ P @ L.T)
    s = 1.0 / np.sqrt(resid)
    Ls = s[:, None] * L
    m = L.shape[1]
    c = np.ones(m)
    if not model.std_lv:
        for f in range(m):
            c[f] = Ls[np.flatnonzero(model.pattern[:, f])[0], f]
    Lt = Ls / c[None, :]
    Pt = P * np.outer(c, c)
    Tt = T * np.outer(s, s)
    out = []
    for kind, i, j in model.parameters():
        out.append(Lt[i, j] if kind == "lambda" else Pt[i, j] if kind == "psi" else Tt[i, j])
    return np.concatenate([np.array(out), tau * s[th_item]])


def fit_ordinal_cfa_model(df: pd.DataFrame, spec: Any, *, estimator: str = "WLSMV", std_lv: bool = False,
                          parameterization: str = "delta", source: str = "user model",
                          ordered: Any = True, missing: str = "listwise") -> OrdinalCFAResult:
    """Fit a CFA with ordered items (the engine behind ``cfa(..., ordered=...)``).

    Parameters
    ----------
    df : DataFrame
        Item columns of the model (numeric answers).
    spec : ModelSpec
        The measurement model (:func:`compassion_scales.analyses.cfa.parse_model`).
    estimator : {"WLSMV", "ULSMV"}
    std_lv : bool
        Factor variances fixed to 1 instead of marker loadings.
    parameterization : {"delta", "theta"}
        lavaan's parameterisations; fit and standardised values are identical.
    ordered : True, sequence of str or None
        Items to treat as ordered: every model item (mixing ordinal and continuous items is
        not supported). None (the estimator alone asked for ordinal treatment): every item,
        provided none has more than 10 distinct values.
    missing : {"listwise"}

    Returns
    -------
    OrdinalCFAResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from compassion_scales.analyses.cfa import cfa
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(400, 1))
    >>> y = np.digitize(0.7 * f + rng.normal(scale=0.7, size=(400, 4)), [-0.8, 0.0, 0.8])
    >>> res = cfa(pd.DataFrame(y, columns=list("abcd")), "F =~ a + b + c + d", ordered=True)
    >>> res.estimator, res.fit["df"]
    ('WLSMV', 2.0)
    """
    import scipy.linalg  # noqa: F401 - loaded before the BLAS limit so that the limit covers scipy's BLAS

    from compassion_scales.stats.ordinal_sem import fit_ordinal_cfa, polychoric_nacov
    from compassion_scales.stats.threads import single_thread_blas

    est_name, param = _check_options(estimator, parameterization, missing)
    items = list(spec.items)
    _check_ordered(ordered, items)
    X, n_drop = _complete_cases(df, items)
    codes, ncat = _categories(X, items, ordered, est_name)
    model = _ordinal_model(spec, items, std_lv)
    with single_thread_blas():  # small least-squares problems: extra BLAS threads only wait
        st = polychoric_nacov(codes, ncat)
        refuse_degenerate_statistics(st, codes, items)
        if len(model.parameters()) + st.n_thresholds > st.n_thresholds + len(items) * (len(items) - 1) // 2:
            raise AnalysisError("The model has more free parameters than the data have polychoric correlations; "
                                "it is not identified. Add items or remove factors.")
        out = fit_ordinal_cfa(st, model, "DWLS" if est_name == "WLSMV" else "ULS")
    notes: list[str] = []
    if not out["converged"]:
        warnings.warn("The ordinal CFA estimation did not converge; the estimates and fit indices may be wrong.",
                      ConvergenceWarning, stacklevel=3)
    if st.zero_cell_pairs:
        notes.append(f"{len(st.zero_cell_pairs)} item pair(s) have empty cells in their contingency table "
                     "(no correction added, as lavaan).")
    sol = _Solution.of(model, out, st, param == "theta")
    est_df = _estimates(sol, items, list(spec.factors))
    notes += _heywood(sol, items)
    loadings, thr, poly, omega = _tables(sol, est_df, items, list(spec.factors))
    ident = ("standardised latent variables (factor variances fixed to 1, all loadings free)" if std_lv
             else "marker variable (first loading of each factor fixed to 1)")
    return OrdinalCFAResult(
        fit=out["fit"], estimates=est_df, loadings=loadings, thresholds=thr, polychoric=poly, omega=omega,
        model=spec, n_obs=X.shape[0], n_dropped=n_drop, identification=ident, estimator=est_name,
        parameterization=param, converged=bool(out["converged"]), iterations=int(out["iterations"]),
        source=source, n_categories=tuple(ncat), _extra_notes=tuple(notes))


def _check_options(estimator: str, parameterization: str, missing: str) -> tuple[str, str]:
    est_name = str(estimator).upper()
    if est_name not in ("WLSMV", "ULSMV"):
        raise AnalysisError(f"estimator='{estimator}' is not available for ordered items; use 'WLSMV' or 'ULSMV'.")
    param = str(parameterization).lower()
    if param not in ("delta", "theta"):
        raise AnalysisError(f"parameterization='{parameterization}' is not available; use 'delta' or 'theta'.")
    if str(missing).lower() != "listwise":
        raise AnalysisError(f"missing='{missing}' is not available for ordered items: ordinal (WLSMV/ULSMV) models "
                            "use listwise deletion (lavaan's default for them); missing='fiml' needs "
                            "estimator='ML' or 'MLR' (continuous items).")
    return est_name, param


def _check_ordered(ordered: Any, items: list[str]) -> None:
    if ordered is True or ordered is None:
        return
    wanted = [ordered] if isinstance(ordered, str) else list(ordered)
    unknown = [i for i in wanted if i not in items]
    if unknown:
        raise AnalysisError(f"ordered names item(s) {', '.join(unknown)} that are not in the model.")
    rest = [i for i in items if i not in wanted]
    if rest:
        raise AnalysisError(
            f"Items {', '.join(rest)} are in the model but not in ordered; models mixing ordinal and "
            "continuous items are not supported. Use ordered=True to treat every item as ordinal.")


def _complete_cases(df: pd.DataFrame, items: list[str]) -> tuple[np.ndarray, int]:
    """The numeric item matrix of the complete cases, and how many rows were dropped."""
    from compassion_scales._inputs import require_numeric

    require_numeric(df, items, what="model item")  # names file, row and column
    X = np.empty((len(df), len(items)))
    for j, c in enumerate(items):
        col = pd.to_numeric(df[c], errors="coerce")
        bad = col.isna() & df[c].notna()
        if bad.any():
            raise AnalysisError(f"Column '{c}' has non-numeric values (e.g. {df[c][bad].iloc[0]!r}); "
                                "recode answers to numbers or score them with an instrument first.")
        X[:, j] = col.to_numpy(dtype=float)
    keep = ~np.isnan(X).any(axis=1)
    n_drop = int((~keep).sum())
    if n_drop:
        warnings.warn(f"{n_drop} of {len(df)} rows were dropped (listwise deletion: a missing answer on a "
                      "model item).", MissingDataWarning, stacklevel=4)
    X = X[keep]
    n, p = X.shape
    if n <= p:
        raise AnalysisError(f"Only {n} complete cases for {p} items; an ordinal CFA needs many more people "
                            "than items (ideally several hundred).")
    return X, n_drop


def _categories(X: np.ndarray, items: list[str], ordered: Any, est_name: str) -> tuple[np.ndarray, list[int]]:
    codes, ncat, _levels = category_codes(X, items)
    many = [it for it, k in zip(items, ncat, strict=True) if k > 10]
    if many and ordered is None:
        raise AnalysisError(
            f"estimator='{est_name}' treats the items as ordered categories, but {', '.join(many[:3])}"
            f"{' ...' if len(many) > 3 else ''} have more than 10 distinct values. Pass ordered=True "
            "(--ordered) to treat them as ordinal anyway, or use estimator='ML' for continuous items.")
    if many:
        warnings.warn(f"Item(s) {', '.join(many[:3])} have more than 10 distinct values; each gets its own "
                      "thresholds. Check that these are Likert-type items.", PsychometricWarning, stacklevel=4)
    return codes, ncat


def _ordinal_model(spec: Any, items: list[str], std_lv: bool) -> Any:
    from compassion_scales.stats.ordinal_sem import OrdinalModel

    idx = {it: k for k, it in enumerate(items)}
    pattern = np.zeros((len(items), len(spec.factors)), dtype=bool)
    for f, its in enumerate(spec.factors.values()):
        for it in its:
            pattern[idx[it], f] = True
    rescov = tuple((idx[a], idx[b]) for a, b in spec.residual_covariances)
    return OrdinalModel(pattern=pattern, std_lv=std_lv, residual_covariances=rescov)


@dataclass(frozen=True)
class _Solution:
    """An ordinal CFA's solution in the reported parameterisation, with standard errors and the
    standardised values (delta-method SEs)."""

    model: Any
    st: Any
    theta_par: bool
    x_delta: np.ndarray  # structural values, delta parameterisation
    tau: np.ndarray  # thresholds, delta parameterisation
    xfull: np.ndarray  # structural values then thresholds, reported parameterisation
    se: np.ndarray
    std: np.ndarray
    std_se: np.ndarray
    th_item: np.ndarray

    @property
    def ns(self) -> int:
        return len(self.model.parameters())

    @classmethod
    def of(cls, model: Any, out: dict[str, Any], st: Any, theta_par: bool) -> _Solution:
        ns = len(model.parameters())
        xs, tau = out["x"], out["thresholds"]
        th_item = np.concatenate([np.full(len(t), j) for j, t in enumerate(st.thresholds)]).astype(int)
        xfull = np.concatenate([xs, tau])
        vcov = out["vcov"]

        def std_vec(v: np.ndarray) -> np.ndarray:
            return _std_vector(model, v, ns, th_item, theta_par)

        # a Heywood case has no theta values (sqrt of a negative residual variance): NaN, told by _heywood
        with np.errstate(invalid="ignore", divide="ignore"):
            if theta_par:
                def tf(v: np.ndarray) -> np.ndarray:
                    return _to_theta(model, v[:ns], v[ns:], th_item)
                xt = tf(xfull)
                J = _num_jac(tf, xfull)
                vcov = J @ vcov @ J.T
                xfull = xt
            std = std_vec(xfull)
            Js = _num_jac(std_vec, xfull)
            std_se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Js, vcov, Js), 0, None))
        return cls(model, st, theta_par, xs, tau, xfull, np.sqrt(np.clip(np.diag(vcov), 0, None)), std, std_se, th_item)


def _std_vector(model: Any, v: np.ndarray, ns: int, th_item: np.ndarray, theta_par: bool) -> np.ndarray:
    """Standardised values: free structural parameters, thresholds, then the fixed rows (marker
    loadings, residual variances)."""
    L, P, Th, sd = _std_all(model, v[:ns], theta_par)
    psd = np.sqrt(np.abs(np.diag(P)))
    vals = []
    for kind, i, j in model.parameters():
        if kind == "lambda":
            vals.append(L[i, j] * psd[j] / sd[i])
        elif kind == "psi":
            vals.append(P[i, j] / (psd[i] * psd[j]))
        else:
            vals.append(Th[i, j] / np.sqrt(Th[i, i] * Th[j, j]))
    vals += list(v[ns:] / sd[th_item])
    # fixed rows: marker loadings, residual variances, factor variances (std_lv)
    extra = []
    for f in range(model.pattern.shape[1]):
        first = int(np.flatnonzero(model.pattern[:, f])[0])
        extra.append(L[first, f] * psd[f] / sd[first])
    extra += list(np.diag(Th) / sd ** 2)
    return np.array(vals + extra)


def _row(lhs: str, op: str, rhs: str, est: float, s: float | None, sv: float, sse: float | None) -> dict[str, Any]:
    z = est / s if s is not None and s > 0 else np.nan
    return {"lhs": lhs, "op": op, "rhs": rhs, "free": s is not None, "est": float(est),
            "se": float(s) if s is not None else np.nan, "z": float(z),
            "ci_low": float(est - _Z975 * s) if s is not None else np.nan,
            "ci_high": float(est + _Z975 * s) if s is not None else np.nan,
            "std_all": float(sv),
            "std_se": float(sse) if sse is not None and sse > 1e-12 else np.nan}


def _estimates(sol: _Solution, items: list[str], factors: list[str]) -> pd.DataFrame:
    """The parameter table in lavaan's order: loadings, thresholds, residual variances, factor
    (co)variances, residual covariances."""
    from compassion_scales.stats.distributions import norm

    model, xfull, se, std, std_se = sol.model, sol.xfull, sol.se, sol.std, sol.std_se
    pattern = model.pattern
    pos = {(kind, i, j): c for c, (kind, i, j) in enumerate(model.parameters())}
    n_std_free = len(xfull)
    _, _, Th, _ = _std_all(model, xfull[:sol.ns], sol.theta_par)

    def free(lhs: str, op: str, rhs: str, c: int) -> dict[str, Any]:
        return _row(lhs, op, rhs, xfull[c], se[c], std[c], std_se[c])

    rows: list[dict[str, Any]] = []
    for f, fname in enumerate(factors):
        for r, ii in enumerate(np.flatnonzero(pattern[:, f]).tolist()):
            if r == 0 and not model.std_lv:
                rows.append(_row(fname, "=~", items[ii], 1.0, None, std[n_std_free + f], std_se[n_std_free + f]))
            else:
                rows.append(free(fname, "=~", items[ii], pos[("lambda", ii, f)]))
    k = sol.ns
    for j, t in enumerate(sol.st.thresholds):
        for h in range(len(t)):
            rows.append(free(items[j], "|", f"t{h + 1}", k))
            k += 1
    off = n_std_free + len(factors)
    rows += [_row(it, "~~", it, Th[i, i], None, std[off + i], std_se[off + i]) for i, it in enumerate(items)]
    for f in range(len(factors)):
        for g in range(f, len(factors)):
            key = ("psi", g, f)
            rows.append(free(factors[f], "~~", factors[g], pos[key]) if key in pos
                        else _row(factors[f], "~~", factors[g], 1.0, None, 1.0, None))
    for a, b in model.residual_covariances:
        rows.append(free(items[a], "~~", items[b], pos[("theta", max(a, b), min(a, b))]))
    est_df = pd.DataFrame(rows)
    est_df["p_val"] = 2.0 * norm.sf(np.abs(est_df["z"].to_numpy()))
    est_df["std_z"] = est_df["std_all"] / est_df["std_se"]
    return est_df[["lhs", "op", "rhs", "free", "est", "se", "z", "p_val", "ci_low", "ci_high",
                   "std_all", "std_se", "std_z"]]


def _heywood(sol: _Solution, items: list[str]) -> list[str]:
    """Heywood check on the delta solution (residual variance 1 - R2 must be positive); the theta
    parameterisation cannot express such a solution (its values are NaN)."""
    L, P, _ = sol.model.matrices(sol.x_delta)
    resid = 1.0 - np.diag(L @ P @ L.T)
    neg = [items[i] for i in range(len(items)) if resid[i] < 0]
    if not neg:
        return []
    theta = (" The theta parameterisation cannot express it (residual variance 1 needs R2 < 1), so those "
             "items' theta estimates are NaN; the delta parameterisation shows the solution.") if sol.theta_par else ""
    warnings.warn(f"Negative residual variance (Heywood case) for item(s) {', '.join(neg)}; the solution "
                  f"is improper. Check the model before using it.{theta}", HeywoodCaseWarning, stacklevel=4)
    return [f"Heywood case: negative residual variance for {', '.join(neg)}.{theta}"]


def _tables(sol: _Solution, est_df: pd.DataFrame, items: list[str], factors: list[str]
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Standardised loadings (items x factors), thresholds, polychoric correlations and the
    categorical omega of each factor (from the delta-parameterisation solution)."""
    st, pattern = sol.st, sol.model.pattern
    lo = est_df[est_df["op"] == "=~"]
    wide = lo.pivot_table(index="rhs", columns="lhs", values="std_all", aggfunc="first")
    loadings = wide.reindex(index=items, columns=factors).fillna(0.0).astype(float)
    loadings.index.name = "item"
    loadings.columns.name = None
    thr = pd.DataFrame({"item": [items[j] for j in sol.th_item],
                        "threshold": [f"t{h + 1}" for t in st.thresholds for h in range(len(t))],
                        "est": sol.tau})
    poly = pd.DataFrame(st.cor, index=pd.Index(items, name="item"), columns=items)
    Ld, Pd, _ = sol.model.matrices(sol.x_delta)
    om_rows = []
    for f, fname in enumerate(factors):
        its = np.flatnonzero(pattern[:, f]).tolist()
        if len(its) < 2:
            continue
        om_rows.append({"factor": fname, "omega": categorical_omega(
            Ld[np.ix_(its, [f])], Pd[np.ix_([f], [f])], [st.thresholds[i] for i in its],
            st.cor[np.ix_(its, its)])})
    return loadings, thr, poly, pd.DataFrame(om_rows, columns=["factor", "omega"])


def _num_jac(fun: Any, x: np.ndarray) -> np.ndarray:
    f0 = fun(x)
    J = np.zeros((len(f0), len(x)))
    for k in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[k]))
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        J[:, k] = (fun(xp) - fun(xm)) / (2 * h)
    return J
