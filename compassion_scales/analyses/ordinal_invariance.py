"""Measurement invariance of ordinal items (WLSMV), as semTools' ``measEq.syntax(ID.fac = "std.lv",
ID.cat = "Wu.Estabrook.2016", parameterization = "delta")`` fitted by ``lavaan::cfa(...,
ordered = TRUE, estimator = "WLSMV", group = ...)`` and compared with ``lavTestLRT``.

Reached through :func:`compassion_scales.analyses.invariance.invariance` with
``ordered=True`` or ``estimator="WLSMV"``. Steps available: configural, thresholds (equal
thresholds; intercepts and scales of the latent responses free in the other groups) and
metric (thresholds and loadings equal; factor variances free in the other groups). The
kernels are in :mod:`compassion_scales.stats.ordinal_invariance`.
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

__all__ = ["OrdinalInvarianceResult", "ORDINAL_STEPS"]

#: the ordinal steps and the parameters each holds equal (Wu & Estabrook, 2016)
ORDINAL_STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "metric": ("thresholds", "loadings"),
}


@dataclass(frozen=True, repr=False)
class OrdinalInvarianceResult(ResultMixin):
    """Result of :func:`~compassion_scales.analyses.invariance.invariance` with ordered items.

    Attributes
    ----------
    table : DataFrame
        One row per step: ``step``, ``equal``, ``npar``, ``chisq``, ``df``, ``p_val``,
        ``chisq_scaled``, ``p_val_scaled``, ``scaling_factor``, ``shift``, ``cfi``, ``tli``,
        ``rmsea``, ``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled``, then the comparison with the
        previous step: ``chisq_diff``, ``df_diff``, ``p_diff`` (lavTestLRT's scaled-shifted
        difference test, method "satorra.2000"), ``delta_cfi``, ``delta_rmsea`` (changes in the
        scaled CFI and RMSEA) and ``holds``.
    highest_level, failed_step : str, str or None
        The last step that holds (``"none"`` if the configural model does not fit) and the
        first that fails.
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
        lines = [
            f"Model: {'; '.join(self.model.to_syntax().splitlines())} ({self.source}).",
            f"Groups ({self.group}): " + ", ".join(f"{g} (n = {n})" for g, n in
                                                    zip(self.group_labels, self.group_n, strict=True))
            + f"; {self.n_dropped} rows dropped (listwise).",
            "Items treated as ordered categories: thresholds and polychoric correlations per group, "
            "diagonally weighted least squares with the mean-and-variance adjusted (scaled-shifted) "
            "chi-square (lavaan's WLSMV), delta parameterisation.",
            "Identification: Wu & Estabrook (2016) as semTools' measEq.syntax(ID.fac = 'std.lv', "
            "ID.cat = 'Wu.Estabrook.2016'): factor variances 1 and means 0; latent-response intercepts 0 "
            "and scales 1 until thresholds are equal, then free in the other groups; factor variances "
            "free in the other groups once loadings are equal.",
            "Difference tests: lavTestLRT's scaled-shifted test for WLSMV (Satorra, 2000). Decision rule: "
            + rule + (f"; the configural model must reach scaled CFI >= {self.configural_cfi:g} and scaled "
                      f"RMSEA <= {self.configural_rmsea:g}."),
            f"Highest level supported: {self.highest_level}"
            + (f"; first failing step: {self.failed_step}." if self.failed_step else "."),
            "Steps beyond metric (intercepts, residuals) are not available for ordinal items in this version.",
        ]
        return lines + list(self._extra_notes)

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        d = super().to_dict()
        d.update({"highest_level": self.highest_level, "failed_step": self.failed_step,
                  "group": self.group, "group_labels": list(self.group_labels),
                  "group_n": list(self.group_n), "estimator": self.estimator,
                  "table": to_jsonable(self.table)})
        return d


def ordinal_invariance(df: pd.DataFrame, spec: Any, group: str, source: str, *,
                       steps: Sequence[str] | None, delta_cfi: float, delta_rmsea: float, use_chisq: bool,
                       alpha: float, stop_at_failure: bool, configural_cfi: float, configural_rmsea: float,
                       estimator: str = "WLSMV", std_lv: bool = True, missing: str = "listwise",
                       ordered: Any = None) -> OrdinalInvarianceResult:
    """Run the ordinal invariance steps (called by ``invariance``; arguments already checked there)."""
    from scipy import stats as sps

    from compassion_scales.analyses.ordinal_cfa import category_codes
    from compassion_scales.stats.ordinal_invariance import (
        fit_multigroup_dwls,
        satorra2000_scaled_shifted,
        wu_estabrook_model,
    )
    from compassion_scales.stats.ordinal_sem import polychoric_nacov

    if str(estimator).upper() != "WLSMV":
        raise AnalysisError(f"Ordinal measurement invariance is available with estimator='WLSMV' only, "
                            f"not '{estimator}'.")
    if str(missing).lower() != "listwise":
        raise AnalysisError("Ordinal (WLSMV) invariance uses listwise deletion; missing='fiml' is only "
                            "available with estimator='ML' or 'MLR'.")
    steps = list(ORDINAL_STEPS) if steps is None else list(steps)
    bad = [s for s in steps if s not in ORDINAL_STEPS]
    if bad:
        raise AnalysisError(f"Invariance step(s) {', '.join(bad)} are not available for ordinal items in this "
                            f"version; use {', '.join(ORDINAL_STEPS)} (Wu & Estabrook, 2016).")
    order = list(ORDINAL_STEPS)
    if [order.index(s) for s in steps] != list(range(len(steps))):
        raise AnalysisError("Ordinal invariance steps must start with configural and follow the order "
                            "configural, thresholds, metric.")
    if spec.residual_covariances:
        raise AnalysisError("Ordinal invariance with residual covariances in the model is not available in "
                            "this version; remove the '~~' lines or use estimator='ML'/'MLR'.")
    items = list(spec.items)
    if ordered is not True and ordered is not None:
        wanted = [ordered] if isinstance(ordered, str) else list(ordered)
        if sorted(wanted) != sorted(items):
            raise AnalysisError("Ordinal invariance needs every model item ordered; use ordered=True.")
    X = np.empty((len(df), len(items)))
    for j, c in enumerate(items):
        col = pd.to_numeric(df[c], errors="coerce")
        if (col.isna() & df[c].notna()).any():
            raise AnalysisError(f"Column '{c}' has non-numeric values; recode answers to numbers first.")
        X[:, j] = col.to_numpy(dtype=float)
    gcol = df[group]
    keep = ~np.isnan(X).any(axis=1) & gcol.notna().to_numpy()
    n_drop = int((~keep).sum())
    if n_drop:
        warnings.warn(f"{n_drop} of {len(df)} rows were dropped (listwise deletion: a missing answer on a "
                      "model item or a missing group).", MissingDataWarning, stacklevel=3)
    X, gvals = X[keep], gcol[keep].astype(str).to_numpy()
    labels = list(pd.unique(gvals))
    if len(labels) < 2:
        raise AnalysisError(f"The group column '{group}' has fewer than two groups; invariance needs at least two.")
    codes, ncat, _ = category_codes(X, items)
    many = [it for it, k in zip(items, ncat, strict=True) if k > 10]
    if many and ordered is None:
        raise AnalysisError(
            f"estimator='WLSMV' treats the items as ordered categories, but {', '.join(many[:3])}"
            f"{' ...' if len(many) > 3 else ''} have more than 10 distinct values. Pass ordered=True "
            "(--ordered) to treat them as ordinal anyway, or use estimator='ML' or 'MLR' for continuous items.")
    stats = []
    for g in labels:
        cg = codes[gvals == g]
        if len(cg) <= len(items):
            raise AnalysisError(f"Group '{g}' has only {len(cg)} complete cases for {len(items)} items; too few "
                                "for an ordinal multi-group CFA.")
        for j, k in enumerate(ncat):
            if len(np.unique(cg[:, j])) < k:
                raise AnalysisError(
                    f"In group '{g}' nobody chose some answer of item '{items[j]}' that other groups used; "
                    "thresholds cannot be compared across groups. Merge rare answer categories first.")
        stats.append(polychoric_nacov(cg, ncat))
    factors = list(spec.factors)
    idx = {it: k for k, it in enumerate(items)}
    pattern = np.zeros((len(items), len(factors)), dtype=bool)
    for f, its in enumerate(spec.factors.values()):
        for it in its:
            pattern[idx[it], f] = True
    n_thr = [k - 1 for k in ncat]
    rows: list[dict[str, Any]] = []
    estimates: dict[str, pd.DataFrame] = {}
    prev: dict[str, Any] | None = None
    highest, failed = "none", None
    configural_fits = True
    notes: list[str] = []
    for step in steps:
        model, names = wu_estabrook_model(pattern, n_thr, len(labels), ORDINAL_STEPS[step])
        res = fit_multigroup_dwls(stats, model, names)
        if not res["converged"]:
            warnings.warn(f"The {step} model did not converge; its fit is not trustworthy.", ConvergenceWarning,
                          stacklevel=3)
        f = res["fit"]
        estimates[step] = pd.DataFrame({"parameter": names, "est": res["x"]})
        row: dict[str, Any] = {"step": step, "equal": ", ".join(ORDINAL_STEPS[step]) or "none"}
        for key in ("npar", "chisq", "df", "p_val", "chisq_scaled", "p_val_scaled"):
            row[key] = f[key]
        row["scaling_factor"], row["shift"] = f["chisq_scaling_factor"], f["chisq_shift"]
        for key in ("cfi", "tli", "rmsea", "cfi_scaled", "tli_scaled", "rmsea_scaled"):
            row[key] = f[key]
        ok = True
        if prev is None:
            row.update({"chisq_diff": np.nan, "df_diff": np.nan, "p_diff": np.nan,
                        "delta_cfi": np.nan, "delta_rmsea": np.nan})
            configural_fits = bool(f["cfi_scaled"] >= configural_cfi and f["rmsea_scaled"] <= configural_rmsea)
            ok = configural_fits
        else:
            d = satorra2000_scaled_shifted(prev, res)
            row.update({"chisq_diff": d["chisq_diff"], "df_diff": d["df_diff"],
                        "p_diff": float(sps.chi2.sf(d["chisq_diff"], d["df_diff"])),
                        "delta_cfi": f["cfi_scaled"] - prev["fit"]["cfi_scaled"],
                        "delta_rmsea": f["rmsea_scaled"] - prev["fit"]["rmsea_scaled"]})
            ok = bool(row["delta_cfi"] >= -delta_cfi and row["delta_rmsea"] <= delta_rmsea)
            if use_chisq:
                ok = ok and not (row["p_diff"] < alpha)
        row["holds"] = ok
        rows.append(row)
        if ok and failed is None:
            highest = step
        elif not ok and failed is None:
            failed = step
            if stop_at_failure:
                rest = steps[steps.index(step) + 1:]
                if rest:
                    notes.append(f"Not tested because {step} failed: {', '.join(rest)}.")
                break
        prev = res
    return OrdinalInvarianceResult(
        table=pd.DataFrame(rows), highest_level=highest, failed_step=failed, group=group,
        group_labels=tuple(labels), group_n=tuple(int(s.n_obs) for s in stats), n_dropped=n_drop, model=spec,
        source=source, delta_cfi=float(delta_cfi), delta_rmsea=float(delta_rmsea), use_chisq=bool(use_chisq),
        alpha=float(alpha), configural_cfi=float(configural_cfi), configural_rmsea=float(configural_rmsea),
        configural_fits=configural_fits, estimates=estimates, _extra_notes=tuple(notes))
