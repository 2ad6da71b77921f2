"""Measurement invariance of ordinal items (WLSMV), as semTools' ``measEq.syntax(ID.fac = "std.lv",
ID.cat = "Wu.Estabrook.2016")`` fitted by ``lavaan::cfa(..., ordered = TRUE, estimator = "WLSMV",
group = ...)`` and compared with ``lavTestLRT``.

Reached through :func:`compassion_scales.analyses.invariance.invariance` with
``ordered=True`` or ``estimator="WLSMV"``. The steps of Wu & Estabrook (2016), each adding one
set of equality constraints (``group.equal`` of measEq.syntax):

* ``configural`` -- nothing equal;
* ``thresholds`` -- equal thresholds; latent-response intercepts and scales (delta) or residual
  variances (theta) free in the other groups;
* ``metric`` -- thresholds and loadings equal; factor variances free in the other groups;
* ``scalar`` -- thresholds, loadings and intercepts equal (intercepts 0 in every group); factor
  means free in the other groups;
* ``strict`` -- residual variances equal as well (1 in every group). measEq.syntax allows this
  only in the theta parameterisation, so with ``parameterization="delta"`` the strict model is
  fitted in the theta parameterisation (its fit does not depend on it; the scaled-shifted
  difference test is the same for either parameterisation of the scalar model).

The kernels are in :mod:`compassion_scales.stats.ordinal_invariance`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError, ConvergenceWarning, MissingDataWarning
from compassion_scales.results import ResultMixin

__all__ = ["OrdinalInvarianceResult", "ORDINAL_STEPS", "ordinal_invariance", "ordinal_parameter_table"]

#: the ordinal steps and the parameters each holds equal (Wu & Estabrook, 2016)
ORDINAL_STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "metric": ("thresholds", "loadings"),
    "scalar": ("thresholds", "loadings", "intercepts"),
    "strict": ("thresholds", "loadings", "intercepts", "residuals"),
}

_TABLE_COLUMNS = ["step", "equal", "parameterization", "npar", "chisq", "df", "p_val", "chisq_scaled",
                  "p_val_scaled", "scaling_factor", "shift", "cfi", "tli", "rmsea", "cfi_scaled", "tli_scaled",
                  "rmsea_scaled", "srmr", "chisq_diff", "df_diff", "p_diff", "delta_cfi", "delta_rmsea", "holds"]


@dataclass(frozen=True, repr=False)
class OrdinalInvarianceResult(ResultMixin):
    """Result of :func:`~compassion_scales.analyses.invariance.invariance` with ordered items.

    Attributes
    ----------
    table : DataFrame
        One row per step: ``step``, ``equal``, ``parameterization``, ``npar``, ``chisq``, ``df``,
        ``p_val``, ``chisq_scaled``, ``p_val_scaled``, ``scaling_factor``, ``shift``, ``cfi``,
        ``tli``, ``rmsea``, ``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled``, ``srmr``, then the
        comparison with the previous step: ``chisq_diff``, ``df_diff``, ``p_diff`` (lavTestLRT's
        scaled-shifted difference test, method "satorra.2000"), ``delta_cfi``, ``delta_rmsea``
        (changes in the scaled CFI and RMSEA) and ``holds``.
    highest_level, failed_step : str, str or None
        The last step that holds (``"none"`` if the configural model does not fit) and the
        first that fails.
    estimates : dict of DataFrame
        Per fitted step, every parameter as lavaan's ``parameterEstimates()``: ``group``,
        ``lhs``, ``op``, ``rhs``, ``free``, ``est``, ``se`` (robust), ``z``, ``p_val``; fixed
        and derived values (scales in the theta parameterisation, residual variances in the
        delta parameterisation) have no standard error.
    """

    table: pd.DataFrame
    highest_level: str
    failed_step: str | None
    group: str
    group_labels: tuple[str, ...]
    group_n: tuple[int, ...]
    n_dropped: int
    model: Any
    source: str
    delta_cfi: float
    delta_rmsea: float
    use_chisq: bool
    alpha: float
    configural_cfi: float
    configural_rmsea: float
    configural_fits: bool
    estimates: dict[str, pd.DataFrame] = field(default_factory=dict)
    estimator: str = "WLSMV"
    parameterization: str = "delta"
    _extra_notes: tuple[str, ...] = field(default=())

    @property
    def _title(self) -> str:  # type: ignore[override]
        return "Measurement invariance of ordinal items (multi-group CFA, WLSMV)"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def partial(self) -> pd.DataFrame:
        """No partial-invariance search for ordinal items in this version (an empty table)."""
        return pd.DataFrame(columns=["step", "group", "parameter"])

    def _notes(self) -> list[str]:
        rule = (f"a step holds when scaled CFI drops by no more than {self.delta_cfi:g} and scaled RMSEA "
                f"rises by no more than {self.delta_rmsea:g}")
        if self.use_chisq:
            rule += f", and the scaled chi-square difference test is not significant (p >= {self.alpha:g})"
        par = ("delta parameterisation (the strict step in the theta parameterisation, as semTools requires)"
               if self.parameterization == "delta" else "theta parameterisation")
        lines = [
            f"Model: {'; '.join(self.model.to_syntax().splitlines())} ({self.source}).",
            f"Groups ({self.group}): " + ", ".join(f"{g} (n = {n})" for g, n in
                                                    zip(self.group_labels, self.group_n, strict=True))
            + f"; {self.n_dropped} rows dropped (listwise).",
            "Items treated as ordered categories: thresholds and polychoric correlations per group, "
            "diagonally weighted least squares with the mean-and-variance adjusted (scaled-shifted) "
            f"chi-square (lavaan's WLSMV), {par}.",
            "Identification: Wu & Estabrook (2016) as semTools' measEq.syntax(ID.fac = 'std.lv', "
            "ID.cat = 'Wu.Estabrook.2016'): factor variances 1 and means 0; latent-response intercepts 0 "
            "and scales (residual variances) 1 until thresholds are equal, then free in the other groups; "
            "factor variances free in the other groups once loadings are equal; factor means free in the "
            "other groups once intercepts are equal (intercepts 0); residual variances 1 in every group "
            "in the strict step.",
            "Difference tests: lavTestLRT's scaled-shifted test for WLSMV (Satorra, 2000). Decision rule: "
            + rule + (f"; the configural model must reach scaled CFI >= {self.configural_cfi:g} and scaled "
                      f"RMSEA <= {self.configural_rmsea:g}."),
            f"Highest level supported: {self.highest_level}"
            + (f"; first failing step: {self.failed_step}." if self.failed_step else "."),
        ]
        return lines + list(self._extra_notes)

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        d = super().to_dict()
        d.update({"highest_level": self.highest_level, "failed_step": self.failed_step,
                  "group": self.group, "group_labels": list(self.group_labels),
                  "group_n": list(self.group_n), "estimator": self.estimator,
                  "parameterization": self.parameterization, "table": to_jsonable(self.table)})
        return d


def ordinal_parameter_table(model: Any, x: np.ndarray, vcov: np.ndarray, items: Sequence[str],
                            factors: Sequence[str], group_labels: Sequence[str]) -> pd.DataFrame:
    """Every parameter of a multi-group ordinal model in lavaan's ``parameterEstimates()`` layout.

    ``model`` is a :class:`~compassion_scales.stats.ordinal_invariance.MultiGroupOrdinalModel`,
    ``x`` and ``vcov`` its estimates and their robust covariance. Columns ``group``, ``lhs``,
    ``op``, ``rhs``, ``free``, ``est``, ``se``, ``z``, ``p_val`` (fixed and derived values: no
    standard error).

    Examples
    --------
    >>> from compassion_scales.stats.ordinal_invariance import wu_estabrook_model
    >>> model, names = wu_estabrook_model(np.ones((3, 1), dtype=bool), [1, 1, 1], 2, ["thresholds"])
    >>> x = np.r_[0.7, 0.6, 0.5, 0.0, 0.1, 0.2, 0.7, 0.6, 0.5, np.zeros(3), np.ones(3)]
    >>> t = ordinal_parameter_table(model, x, np.eye(model.n_free) * 0.01, ["a", "b", "c"], ["f"], ["g1", "g2"])
    >>> t[(t.group == "g2") & (t.rhs == "a")][["lhs", "op", "free", "est", "se"]].to_string(index=False)
    'lhs  op  free  est  se\\n  f  =~  True 0.70 0.1\\n  a ~*~  True 1.00 0.1\\n  a  ~~ False 0.51 NaN'
    """
    from compassion_scales.stats.distributions import norm

    se_all = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    derived = -2
    frames = []
    for g, label in enumerate(group_labels):
        s, M = model.groups[g], model.matrices(x, g)
        rows: list[tuple[str, str, str, float, int]] = []
        li, lf = np.nonzero(s.lam >= 0)
        rows += [(factors[int(f)], "=~", items[int(i)], M["lam"][i, f], s.lam[i, f]) for i, f in zip(li, lf, strict=True)]
        k_item = np.r_[0, np.cumsum(np.bincount(model.th_item))]
        rows += [(items[i], "|", f"t{t - k_item[i] + 1}", M["tau"][t], s.tau[t])
                 for t, i in enumerate(model.th_item)]
        theta = model.parameterization == "theta"
        for i, it in enumerate(items):
            rows.append((it, "~1", "", M["nu"][i], s.nu[i]))
            rows.append((it, "~*~", it, M["scale"][i], derived if theta else s.delta[i]))
            rows.append((it, "~~", it, M["resid"][i], s.theta[i] if theta else derived))
        m = len(factors)
        rows += [(factors[f], "~1", "", M["alpha"][f], s.alpha[f]) for f in range(m)]
        rows += [(factors[h], "~~", factors[f], M["psi"][h, f], s.psi[h, f]) for f in range(m) for h in range(f + 1)]
        t = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "idx"])
        t.insert(0, "group", label)
        frames.append(t)
    out = pd.concat(frames, ignore_index=True)
    idx = out.pop("idx").to_numpy(dtype=int)
    out.insert(4, "free", idx >= 0)
    out["est"] = out["est"].astype(float)
    out["se"] = np.where(idx >= 0, se_all[np.maximum(idx, 0)], np.nan)
    out["z"] = out["est"] / out["se"]
    out["p_val"] = 2 * norm.sf(np.abs(out["z"]))
    return out


def _check_options(steps: Sequence[str] | None, estimator: str, missing: str, parameterization: str,
                   spec: Any) -> list[str]:
    if str(estimator).upper() != "WLSMV":
        raise AnalysisError(f"Ordinal measurement invariance is available with estimator='WLSMV' only, "
                            f"not '{estimator}'.")
    if str(missing).lower() != "listwise":
        raise AnalysisError("Ordinal (WLSMV) invariance uses listwise deletion; missing='fiml' is only "
                            "available with estimator='ML' or 'MLR'.")
    if parameterization not in ("delta", "theta"):
        raise AnalysisError(f"parameterization must be 'delta' or 'theta', not '{parameterization}'.")
    steps = list(ORDINAL_STEPS) if steps is None else list(steps)
    order = list(ORDINAL_STEPS)
    bad = [s for s in steps if s not in ORDINAL_STEPS]
    if bad:
        raise AnalysisError(f"Invariance step(s) {', '.join(bad)} are not available for ordinal items; use "
                            f"{', '.join(order)} (Wu & Estabrook, 2016).")
    if [order.index(s) for s in steps] != list(range(len(steps))):
        raise AnalysisError("Ordinal invariance steps must start with configural and follow the order "
                            + ", ".join(order) + ".")
    if spec.residual_covariances:
        raise AnalysisError("Ordinal invariance with residual covariances in the model is not available in "
                            "this version; remove the '~~' lines or use estimator='ML'/'MLR'.")
    return steps


def _complete_codes(df: pd.DataFrame, items: list[str], group: str, ordered: Any) -> tuple[Any, ...]:
    """Numeric answers of complete cases recoded 0..K-1, the group of each row and the rows dropped."""
    from compassion_scales.analyses.ordinal_cfa import category_codes

    if ordered is not True and ordered is not None:
        wanted = [ordered] if isinstance(ordered, str) else list(ordered)
        if sorted(wanted) != sorted(items):
            raise AnalysisError("Ordinal invariance needs every model item ordered; use ordered=True.")
    from compassion_scales._inputs import require_numeric

    require_numeric(df, items, what="model item")  # names file, row and column
    num = df[items].apply(pd.to_numeric, errors="coerce")
    bad = [c for c in items if (num[c].isna() & df[c].notna()).any()]
    if bad:
        raise AnalysisError(f"Column '{bad[0]}' has non-numeric values; recode answers to numbers first.")
    keep = num.notna().all(axis=1).to_numpy() & df[group].notna().to_numpy()
    n_drop = int((~keep).sum())
    if n_drop:
        warnings.warn(f"{n_drop} of {len(df)} rows were dropped (listwise deletion: a missing answer on a "
                      "model item or a missing group).", MissingDataWarning, stacklevel=4)
    codes, ncat, _ = category_codes(num.to_numpy(dtype=float)[keep], items)
    many = [it for it, k in zip(items, ncat, strict=True) if k > 10]
    if many and ordered is None:
        raise AnalysisError(
            f"estimator='WLSMV' treats the items as ordered categories, but {', '.join(many[:3])}"
            f"{' ...' if len(many) > 3 else ''} have more than 10 distinct values. Pass ordered=True "
            "(--ordered) to treat them as ordinal anyway, or use estimator='ML' or 'MLR' for continuous items.")
    binary = [it for it, k in zip(items, ncat, strict=True) if k == 2]
    if binary:  # one threshold cannot identify both an intercept and a scale (Wu & Estabrook, 2016)
        raise AnalysisError(
            f"Ordinal invariance needs at least three answer categories per item, but {', '.join(binary[:3])}"
            f"{' ...' if len(binary) > 3 else ''} {'has' if len(binary) == 1 else 'have'} two. Binary items need "
            "other identification rules (semTools' measEq.syntax fixes their intercepts and scales), which "
            "this version does not have: test them in R, or leave them out.")
    return codes, ncat, df[group][keep].astype(str).to_numpy(), n_drop


def _group_statistics(codes: np.ndarray, ncat: list[int], gvals: np.ndarray, items: list[str],
                      group: str) -> tuple[list[str], list[Any]]:
    from compassion_scales.analyses.ordinal_cfa import refuse_degenerate_statistics
    from compassion_scales.stats.ordinal_sem import polychoric_nacov

    labels = [str(v) for v in pd.unique(gvals)]
    if len(labels) < 2:
        raise AnalysisError(f"The group column '{group}' has fewer than two groups; invariance needs at least two.")
    stats = []
    for g in labels:
        cg = codes[gvals == g]
        if len(cg) <= len(items):
            raise AnalysisError(f"Group '{g}' has only {len(cg)} complete cases for {len(items)} items; too few "
                                "for an ordinal multi-group CFA.")
        used = [len(np.unique(cg[:, j])) for j in range(len(items))]
        short = [items[j] for j, k in enumerate(ncat) if used[j] < k]
        if short:
            raise AnalysisError(
                f"In group '{g}' nobody chose some answer of item '{short[0]}' that other groups used"
                f"{' (also ' + ', '.join(short[1:4]) + ')' if short[1:] else ''}, counting its {len(cg)} "
                "complete cases (listwise deletion); "
                "thresholds cannot be compared across groups. Merge rare answer categories first.")
        stats.append(polychoric_nacov(cg, ncat))
        refuse_degenerate_statistics(stats[-1], cg, items, f" in group '{g}'")
    return labels, stats


def _warn_unconverged(step: str, converged: bool, est: pd.DataFrame) -> None:
    """ConvergenceWarning when the fit did not converge or its estimates ran off to infinity (a latent
    response explained entirely by its factor: the minimum lies at infinity, where lavaan stops early)."""
    if not converged:
        warnings.warn(f"The {step} model did not converge; its fit is not trustworthy.", ConvergenceWarning,
                      stacklevel=4)
        return
    big = est[est["free"] & (est["est"].abs() > 1e4)]
    if len(big):
        r = big.loc[big["est"].abs().idxmax()]
        warnings.warn(f"In the {step} model the estimates diverged ({r['lhs']} {r['op']} {r['rhs']} = {r['est']:.3g}): "
                      "an item's latent response is explained entirely by its factor (items answered almost "
                      "identically?). Its fit and estimates are not trustworthy.", ConvergenceWarning, stacklevel=4)


def _pattern(spec: Any, items: list[str]) -> np.ndarray:
    idx = {it: k for k, it in enumerate(items)}
    pattern = np.zeros((len(items), len(spec.factors)), dtype=bool)
    for f, its in enumerate(spec.factors.values()):
        pattern[[idx[it] for it in its], f] = True
    return pattern


def _step_row(step: str, pz: str, res: dict[str, Any], prev: dict[str, Any] | None) -> dict[str, Any]:
    """The fit of one step and, after the first, its comparison with the previous step."""
    from compassion_scales.stats.ordinal_invariance import satorra2000_scaled_shifted

    f = res["fit"]
    row: dict[str, Any] = {"step": step, "equal": ", ".join(ORDINAL_STEPS[step]) or "none", "parameterization": pz,
                           "scaling_factor": f["chisq_scaling_factor"], "shift": f["chisq_shift"]}
    for key in ("npar", "chisq", "df", "p_val", "chisq_scaled", "p_val_scaled", "cfi", "tli", "rmsea",
                "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        row[key] = f[key]
    if prev is None:
        row.update(dict.fromkeys(["chisq_diff", "df_diff", "p_diff", "delta_cfi", "delta_rmsea"], np.nan))
    else:
        d = satorra2000_scaled_shifted(prev, res)
        row.update({"chisq_diff": d["chisq_diff"], "df_diff": d["df_diff"], "p_diff": d["p_val"],
                    "delta_cfi": f["cfi_scaled"] - prev["fit"]["cfi_scaled"],
                    "delta_rmsea": f["rmsea_scaled"] - prev["fit"]["rmsea_scaled"]})
    return row


def _holds(row: dict[str, Any], first: bool, rule: dict[str, Any]) -> bool:
    if first:
        return bool(row["cfi_scaled"] >= rule["configural_cfi"] and row["rmsea_scaled"] <= rule["configural_rmsea"])
    ok = bool(row["delta_cfi"] >= -rule["delta_cfi"] and row["delta_rmsea"] <= rule["delta_rmsea"])
    if rule["use_chisq"]:
        ok = ok and not (row["p_diff"] < rule["alpha"])
    return ok


def ordinal_invariance(df: pd.DataFrame, spec: Any, group: str, source: str, *,
                       steps: Sequence[str] | None, delta_cfi: float, delta_rmsea: float, use_chisq: bool,
                       alpha: float, stop_at_failure: bool, configural_cfi: float, configural_rmsea: float,
                       estimator: str = "WLSMV", std_lv: bool = True, missing: str = "listwise",
                       ordered: Any = None, parameterization: str = "delta") -> OrdinalInvarianceResult:
    """Run the ordinal invariance steps (called by ``invariance``; arguments already checked there).

    ``parameterization="delta"`` fits every step but strict in the delta parameterisation and
    strict in the theta one (semTools allows equal residual variances only there);
    ``"theta"`` fits every step in the theta parameterisation.
    """
    import scipy.linalg  # noqa: F401 - loaded before the BLAS limit so that the limit covers scipy's BLAS

    from compassion_scales.stats.ordinal_invariance import fit_multigroup_dwls, wu_estabrook_model
    from compassion_scales.stats.threads import single_thread_blas

    steps = _check_options(steps, estimator, missing, parameterization, spec)
    with single_thread_blas():  # small least-squares problems: extra BLAS threads only wait
        items, factors = list(spec.items), list(spec.factors)
        codes, ncat, gvals, n_drop = _complete_codes(df, items, group, ordered)
        labels, stats = _group_statistics(codes, ncat, gvals, items, group)
        pattern = _pattern(spec, items)
        rule = {"delta_cfi": delta_cfi, "delta_rmsea": delta_rmsea, "use_chisq": use_chisq, "alpha": alpha,
                "configural_cfi": configural_cfi, "configural_rmsea": configural_rmsea}
        rows: list[dict[str, Any]] = []
        estimates: dict[str, pd.DataFrame] = {}
        prev: dict[str, Any] | None = None
        highest, failed, notes = "none", None, []
        for step in steps:
            pz = "theta" if step == "strict" else parameterization
            model, names = wu_estabrook_model(pattern, [k - 1 for k in ncat], len(labels), ORDINAL_STEPS[step], pz)
            res = fit_multigroup_dwls(stats, model, names)
            estimates[step] = ordinal_parameter_table(model, res["x"], res["vcov"], items, factors, labels)
            _warn_unconverged(step, res["converged"], estimates[step])
            row = _step_row(step, pz, res, prev)
            row["holds"] = _holds(row, prev is None, rule)
            rows.append(row)
            if failed is None and row["holds"]:
                highest = step
            elif failed is None:
                failed = step
                rest = steps[steps.index(step) + 1:]
                if stop_at_failure and rest:
                    notes.append(f"Not tested because {step} failed: {', '.join(rest)}.")
                if stop_at_failure:
                    break
            prev = res
    return OrdinalInvarianceResult(
        table=pd.DataFrame(rows, columns=_TABLE_COLUMNS), highest_level=highest, failed_step=failed, group=group,
        group_labels=tuple(labels), group_n=tuple(int(s.n_obs) for s in stats), n_dropped=n_drop, model=spec,
        source=source, delta_cfi=float(delta_cfi), delta_rmsea=float(delta_rmsea), use_chisq=bool(use_chisq),
        alpha=float(alpha), configural_cfi=float(configural_cfi), configural_rmsea=float(configural_rmsea),
        configural_fits=bool(rows[0]["holds"]), estimates=estimates, parameterization=parameterization,
        _extra_notes=tuple(notes))
