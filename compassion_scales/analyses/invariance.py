"""Measurement invariance across groups by multi-group confirmatory factor analysis.

:func:`invariance` fits the usual sequence of nested multi-group CFA models
(configural -> metric -> scalar -> strict), compares each with the previous one
(chi-square difference test as ``lavaan::lavTestLRT``, change in CFI and RMSEA),
stops at the first step that fails the stated decision rule, and for that step
lists the equality constraints whose release would improve fit most (partial
invariance candidates: univariate score tests as ``lavaan::lavTestScore``, plus
the fit of the model refitted with each constraint released).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._format import column_hint
from compassion_scales.analyses.cfa import (
    CFAResult,
    make_cfa_result,
    prepare_samples,
    resolve_model,
)
from compassion_scales.errors import AnalysisError
from compassion_scales.results import ResultMixin
from compassion_scales.stats.sem import (
    ModelSpec,
    Parameter,
    SEMEngine,
    check_estimator,
    check_solution,
    fit_sem,
    parameter_labels,
    score_tests,
)

__all__ = ["invariance", "InvarianceResult", "STEPS"]

#: invariance steps and the parameters each holds equal across groups (cumulative)
STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
_NEW = {"metric": "loadings", "scalar": "intercepts", "strict": "residuals"}
#: extra columns of the steps table with estimator="MLR"
_ROBUST_COLS = ("chisq_scaled", "scaling_factor", "p_val_scaled", "cfi_robust", "tli_robust", "rmsea_robust",
                "rmsea_ci_low_robust", "rmsea_ci_high_robust")


@dataclass(frozen=True, repr=False)
class InvarianceResult(ResultMixin):
    """Result of :func:`invariance`.

    Attributes
    ----------
    summary : DataFrame
        One row per fitted step: ``step``, ``equal`` (parameters held equal), ``npar``,
        ``chisq``, ``df``, ``p_val``, ``cfi``, ``tli``, ``rmsea``, ``rmsea_ci_low``,
        ``rmsea_ci_high``, ``srmr``, ``aic``, ``bic``, then the comparison with the previous
        step: ``chisq_diff``, ``df_diff``, ``p_diff`` (as ``lavTestLRT``), ``rmsea_diff``
        (RMSEA of the difference test, as lavTestLRT's ``RMSEA`` column), ``delta_cfi`` (CFI
        minus previous CFI; negative = worse), ``delta_rmsea`` (RMSEA minus previous RMSEA;
        positive = worse) and ``holds`` (for the configural row: whether it meets the
        configural fit rule).
    fits : dict of str -> CFAResult
        The fitted model of each step.
    partial : DataFrame
        For the first failing step: one row per equality constraint that step added
        (``step``, ``group``, ``lhs``, ``op``, ``rhs``, ``parameter``), with the univariate
        score test for releasing it (``score_chisq``, ``score_p_val``, ``epc``) and the fit
        with that one constraint released (``chisq``, ``cfi``, ``rmsea``, ``delta_cfi``,
        ``delta_rmsea`` against the previous step, ``holds``), largest score test first.
        Empty when every step holds.
    highest_level : str
        The last step that holds (``"none"`` when the configural model does not fit or was
        not fitted).
    failed_step : str or None
        The first step that fails (``"configural"`` when the configural model does not fit).
    delta_cfi, delta_rmsea : float
        Decision thresholds.
    configural_cfi, configural_rmsea : float
        Fit the configural model must reach (CFI at least, RMSEA at most) before any
        invariance is judged.
    configural_fits : bool
        Whether it did.
    """

    table: pd.DataFrame
    fits: dict[str, CFAResult]
    partial: pd.DataFrame
    highest_level: str
    failed_step: str | None
    delta_cfi: float
    delta_rmsea: float
    use_chisq: bool
    alpha: float
    group: str
    group_labels: tuple[str, ...]
    group_n: tuple[int, ...]
    n_dropped: int
    model: ModelSpec
    identification: str
    source: str
    stopped_at_failure: bool = True
    missing: str = "listwise"
    configural_cfi: float = 0.90
    configural_rmsea: float = 0.08
    configural_fits: bool = True
    estimator: str = "ML"
    _extra_notes: tuple[str, ...] = field(default=())

    @property
    def _title(self) -> str:  # type: ignore[override]
        return f"Measurement invariance (multi-group CFA, {self.estimator})"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    def _notes(self) -> list[str]:
        rob = "robust " if self.estimator == "MLR" else ""
        rule = (f"a step holds when {rob}CFI drops by no more than {self.delta_cfi:g} (delta_cfi >= "
                f"-{self.delta_cfi:g}) and {rob}RMSEA rises by no more than {self.delta_rmsea:g} "
                f"(delta_rmsea <= {self.delta_rmsea:g})")
        if self.use_chisq:
            rule += f", and the chi-square difference test is not significant (p >= {self.alpha:g})"
        lines = [
            f"Model: {'; '.join(self.model.to_syntax().splitlines())} ({self.source}).",
            f"Groups ('{self.group}'): " + ", ".join(f"{g} (n = {n})" for g, n in
                                                     zip(self.group_labels, self.group_n, strict=True)) + ".",
            f"Decision rule: {rule} (Chen, 2007; Cheung & Rensvold, 2002); each step is compared with the "
            "previous one. " + ("Testing stops at the first step that fails." if self.stopped_at_failure else
                                "Every step was fitted (the highest level is the last step before the first "
                                "failure)."),
            "Steps: configural (same pattern, all free) -> metric (equal loadings) -> scalar (equal "
            "loadings and intercepts; latent means free in groups 2..k) -> strict (also equal residual "
            "variances). " + ("Chi-square difference tests as lavaan::lavTestLRT (ML, standard)."
                              if self.estimator == "ML" else
                              "Chi-square difference tests: Satorra-Bentler (2001) scaled differences of the "
                              "ML chi-squares, as lavaan::lavTestLRT for MLR (chisq_diff is the scaled "
                              "statistic); delta_cfi and delta_rmsea use the robust CFI and RMSEA."),
            f"Identification: {self.identification}; mean structure with intercepts free in the "
            "configural and metric models, latent means fixed to 0 in the first group.",
            ((("Estimator: maximum likelihood (divisor N, as lavaan). " if self.estimator == "ML" else
               "Estimator: robust maximum likelihood (MLR, as lavaan: ML estimates, Huber-White standard "
               "errors, Yuan-Bentler scaled chi-square). ")
              + f"Missing data: listwise deletion; {self.n_dropped} rows dropped.") if self.missing == "listwise" else
             f"Estimator: full-information maximum likelihood (FIML); {self.n_dropped} rows dropped (no "
             "answer on any item, or no group). Partial-invariance candidates are ranked by refitting "
             "(score tests are not computed with FIML)."),
            self._configural_line(),
            f"Conclusion: highest level of invariance supported: {self.highest_level}"
            + (self._failure_text() if self.failed_step else "."),
        ]
        if self.failed_step and len(self.partial):
            top = self.partial.head(3)
            cand = "; ".join(f"{r.parameter} in group {r.group} (score chi2 = {r.score_chisq:.2f})"
                             for r in top.itertuples())
            lines.append(f"Partial invariance candidates (release one at a time, largest first): {cand}. "
                         "See .partial for all of them.")
        lines += list(self._extra_notes)
        return lines

    def _configural_fit(self) -> tuple[float, float]:
        row = self.table[self.table["step"] == "configural"].iloc[0]
        if self.estimator == "MLR":
            return float(row["cfi_robust"]), float(row["rmsea_robust"])
        return float(row["cfi"]), float(row["rmsea"])

    def _configural_line(self) -> str:
        rob = "robust " if self.estimator == "MLR" else ""
        rule = (f"Configural fit rule: the configural model must fit before invariance is judged "
                f"({rob}CFI >= {self.configural_cfi:g} and {rob}RMSEA <= {self.configural_rmsea:g}")
        if "configural" not in set(self.table["step"]):
            return rule + "); not tested (the configural model was not fitted)."
        cfi, rmsea = self._configural_fit()
        verdict = "met" if self.configural_fits else "NOT met"
        return rule + f"): {verdict} (CFI = {cfi:.3f}, RMSEA = {rmsea:.3f})."

    def _failure_text(self) -> str:
        if self.failed_step != "configural":
            return f"; {self.failed_step} invariance fails."
        cfi, rmsea = self._configural_fit()
        why = []
        if not cfi >= self.configural_cfi:
            why.append(f"CFI = {cfi:.3f} < {self.configural_cfi:g}")
        if not rmsea <= self.configural_rmsea:
            why.append(f"RMSEA = {rmsea:.3f} > {self.configural_rmsea:g}")
        return ("; the configural model does not fit the data (" + ", ".join(why) + "), so the factor "
                "model itself does not hold in every group and no level of invariance can be "
                "claimed. Revise the model (see the CFA modification indices in each group) before "
                "testing invariance.")

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        d = super().to_dict()
        d["partial"] = to_jsonable(self.partial)
        d["highest_level"] = self.highest_level
        d["failed_step"] = self.failed_step
        d["thresholds"] = {"delta_cfi": self.delta_cfi, "delta_rmsea": self.delta_rmsea,
                           "use_chisq": self.use_chisq, "alpha": self.alpha,
                           "configural_cfi": self.configural_cfi,
                           "configural_rmsea": self.configural_rmsea}
        d["configural_fits"] = self.configural_fits
        d["estimator"] = self.estimator
        return d


def _compare(prev: dict[str, float], cur: dict[str, float], G: int, estimator: str = "ML") -> dict[str, float]:
    """Difference test and change in fit between two nested steps.

    ML: the likelihood-ratio test (lavTestLRT). MLR: the Satorra-Bentler (2001) scaled
    difference of the two ML chi-squares (lavTestLRT's default for MLR; no RMSEA of the
    difference), and the changes in robust CFI and RMSEA.
    """
    from compassion_scales.stats.distributions import chi2

    ddf = cur["df"] - prev["df"]
    if estimator == "MLR":
        from compassion_scales.stats.robust import scaled_difference_sb2001

        dchi, ddf, _ = scaled_difference_sb2001(cur["chisq"], cur["df"], cur["scaling_factor"],
                                                prev["chisq"], prev["df"], prev["scaling_factor"])
        rd = np.nan
        cfi, rmsea = "cfi_robust", "rmsea_robust"
    else:
        dchi = cur["chisq"] - prev["chisq"]
        rd = float(np.sqrt(max(0.0, (dchi - ddf) / (cur["n_obs"] * ddf))) * np.sqrt(G)) if ddf > 0 else np.nan
        cfi, rmsea = "cfi", "rmsea"
    p = float(chi2.sf(dchi, ddf)) if ddf > 0 and np.isfinite(dchi) else np.nan
    return {"chisq_diff": dchi, "df_diff": ddf, "p_diff": p, "rmsea_diff": rd,
            "delta_cfi": cur[cfi] - prev[cfi], "delta_rmsea": cur[rmsea] - prev[rmsea]}


def _holds(cmp: dict[str, float], delta_cfi: float, delta_rmsea: float, use_chisq: bool, alpha: float) -> bool:
    ok = cmp["delta_cfi"] >= -delta_cfi and cmp["delta_rmsea"] <= delta_rmsea
    if use_chisq:
        ok = ok and not (cmp["p_diff"] < alpha)
    return bool(ok)


@renamed_arguments(positional=("group",))
def invariance(data: pd.DataFrame, model: Any, *, group: str,
               steps: Sequence[str] = ("configural", "metric", "scalar", "strict"),
               delta_cfi: float = 0.010, delta_rmsea: float = 0.015, use_chisq: bool = False,
               alpha: float = 0.05, stop_at_failure: bool = True, std_lv: bool = False,
               missing: str = "listwise", refit_candidates: bool = True,
               scores: Sequence[str] | None = None, configural_cfi: float = 0.90,
               configural_rmsea: float = 0.08, estimator: str = "ML",
               column_map: Mapping[str, str] | None = None,
               patterns: Mapping[str, str] | Sequence[str] | str | None = None,
               on_invalid: str = "error", progress: bool = False,
               ordered: bool | Sequence[str] | None = None,
               parameterization: str = "delta") -> InvarianceResult:
    """Test measurement invariance across groups: configural, metric, scalar, strict.

    Parameters
    ----------
    data : DataFrame
        One row per person: item columns and the ``group`` column.
    model : str, dict, Instrument or ModelSpec
        As for :func:`~compassion_scales.analyses.cfa.cfa` (instrument id, ``{"factor":
        [items]}`` or ``"f =~ a + b + c"`` text).
    group : str
        Column with the group of each person (keyword-only; passing it by position still works
        until 1.0, with a FutureWarning) (groups in order of first appearance; the first
        is the reference group whose latent means are fixed to 0).
    steps : sequence of str
        The steps to test, in order (default all four).
    delta_cfi, delta_rmsea : float
        Decision thresholds: a step holds when CFI drops by at most ``delta_cfi`` and RMSEA
        rises by at most ``delta_rmsea`` relative to the previous step (defaults .010 and .015,
        Chen 2007).
    use_chisq : bool
        Also require a non-significant chi-square difference test (p >= ``alpha``).
    alpha : float
        Significance level for ``use_chisq``.
    stop_at_failure : bool
        Stop at the first step that fails (default). ``False`` fits every step.
    std_lv : bool
        Identify factors by fixing their variances to 1 in the first group (variances are then
        freed in the other groups once loadings are equal), instead of marker variables.
    missing : {"listwise", "fiml"}
        Listwise deletion (rows missing an item or the group are dropped, with a warning), or
        full-information maximum likelihood (as lavaan's ``missing = "fiml"``).
    refit_candidates : bool
        For the failing step, also refit the model with each constraint released in turn
        (gives the actual chi-square, CFI and RMSEA after release).
    scores : sequence of str, optional
        With an instrument: the score ids to use as factors.
    estimator : {"ML", "MLR"}
        ``"MLR"``: robust ML as lavaan's ``estimator = "MLR"`` (sandwich standard errors,
        Yuan-Bentler scaled chi-square). Steps are then compared with the Satorra-Bentler (2001)
        scaled chi-square difference (lavTestLRT's default for MLR), and the configural rule
        and the changes in fit use the robust CFI and RMSEA (``cfi_robust``, ``rmsea_robust``).
    configural_cfi, configural_rmsea : float
        The configural model is judged first: it must reach CFI >= ``configural_cfi``
        (default .90) and RMSEA <= ``configural_rmsea`` (default .08; "acceptable" fit in
        the usual conventions, e.g. Browne & Cudeck 1993, Marsh, Hau & Wen 2004). When it
        does not, the conclusion says so plainly, ``highest_level`` is ``"none"`` and
        ``failed_step`` is ``"configural"``: comparisons between steps are then relative to
        a model that does not fit, and testing stops (unless ``stop_at_failure=False``).
    progress : bool
        Show a progress bar over the steps (only on a terminal).
    ordered : True or sequence of str, optional
        Treat every model item as ordered categories (``estimator="WLSMV"`` does too): the
        ordinal steps of Wu & Estabrook (2016) as semTools' ``measEq.syntax(ID.fac = "std.lv",
        ID.cat = "Wu.Estabrook.2016", parameterization = "delta")`` fitted by lavaan's WLSMV:
        ``steps`` then default to ``("configural", "thresholds", "metric", "scalar", "strict")``
        (strict fitted in the theta parameterisation, as semTools requires), steps are compared
        with lavTestLRT's scaled-shifted difference test and the rule uses the scaled CFI and
        RMSEA. Returns an
        :class:`~compassion_scales.analyses.ordinal_invariance.OrdinalInvarianceResult`
        (no partial-invariance search).
    parameterization : {"delta", "theta"}
        Ordinal items only: the parameterisation of the latent responses (semTools'
        ``measEq.syntax(parameterization = ...)``). With ``"delta"`` (the default) the strict
        step is fitted in theta, as semTools requires; with ``"theta"`` every step is.

    Returns
    -------
    InvarianceResult

    Raises
    ------
    AnalysisError
        Unknown steps, a missing group column, fewer than two groups, or too few cases in a
        group.

    References
    ----------
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement
    invariance. Structural Equation Modeling, 14(3), 464-504.
    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing
    measurement invariance. Structural Equation Modeling, 9(2), 233-255.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(600, 1))
    >>> X = f * np.array([.8, .7, .6, .7, .8, .6]) + rng.normal(scale=.6, size=(600, 6))
    >>> df = pd.DataFrame(X, columns=list("abcdef")).assign(sex=["f", "m"] * 300)
    >>> res = invariance(df, "F =~ a + b + c + d + e + f", group="sex")
    >>> list(res.summary["step"])
    ['configural', 'metric', 'scalar', 'strict']
    >>> res.highest_level
    'strict'
    """
    if ordered or str(estimator).strip().upper() in ("WLSMV", "ULSMV"):
        return _ordinal(data, model, group, steps=steps, delta_cfi=delta_cfi, delta_rmsea=delta_rmsea,
                        use_chisq=use_chisq, alpha=alpha, stop_at_failure=stop_at_failure, std_lv=std_lv,
                        missing=missing, scores=scores, configural_cfi=configural_cfi,
                        configural_rmsea=configural_rmsea, estimator=estimator, column_map=column_map,
                        patterns=patterns, on_invalid=on_invalid, ordered=ordered,
                        parameterization=parameterization)
    if parameterization != "delta":
        raise AnalysisError("parameterization applies to ordered items only (ordered=True or "
                            "estimator='WLSMV'); continuous items have none.")
    steps = _check_steps(steps)
    _check_rule(data, group, delta_cfi, delta_rmsea, configural_cfi, configural_rmsea)
    estimator = check_estimator(estimator)
    from compassion_scales._inputs import InputOptions

    spec, df, source = resolve_model(data, model, scores, extra_cols=[group],
                                     options=InputOptions.of(column_map, patterns, on_invalid))
    samples, labels, info = prepare_samples(df, spec.items, group, missing)
    if labels is None:  # pragma: no cover - prepare_samples always returns the labels when given a group column
        raise AnalysisError(f"No groups were found in the column '{group}'.")
    run = _Run(spec=spec, samples=samples, labels=labels, info=info, source=source, std_lv=std_lv,
               estimator=estimator, rule=_Rule(delta_cfi, delta_rmsea, use_chisq, alpha),
               configural=(configural_cfi, configural_rmsea), refit=refit_candidates)
    from compassion_scales.progress_bars import bar

    for step in bar(steps, desc="invariance steps", progress=progress):
        if not run.step(step) and stop_at_failure:
            break
    notes = _skipped_notes(steps, run.failed, stop_at_failure)
    ident = ("factor variances fixed to 1 in the first group" if std_lv
             else "marker variables (first loading of each factor fixed to 1)")
    return InvarianceResult(
        table=pd.DataFrame(run.rows), fits=run.fits, partial=run.partial, highest_level=run.highest,
        failed_step=run.failed, delta_cfi=float(delta_cfi), delta_rmsea=float(delta_rmsea),
        use_chisq=bool(use_chisq), alpha=float(alpha), group=group, group_labels=tuple(labels),
        group_n=tuple(int(n) for n in info["n_obs"]), n_dropped=int(info["n_dropped"]), model=spec,
        identification=ident, source=source, stopped_at_failure=bool(stop_at_failure), missing=info["missing"],
        configural_cfi=float(configural_cfi), configural_rmsea=float(configural_rmsea),
        configural_fits=run.configural_fits, estimator=estimator, _extra_notes=tuple(notes))


def _check_steps(steps: Sequence[str]) -> list[str]:
    steps = list(steps)
    bad = [s for s in steps if s not in STEPS]
    if bad:
        raise AnalysisError(f"Unknown invariance step(s) {', '.join(bad)}; use {', '.join(STEPS)}.")
    order = list(STEPS)
    if [order.index(s) for s in steps] != sorted(order.index(s) for s in steps) or len(set(steps)) != len(steps):
        raise AnalysisError("Invariance steps must be given in the order configural, metric, scalar, strict.")
    return steps


def _check_rule(data: pd.DataFrame, group: str, delta_cfi: float, delta_rmsea: float, configural_cfi: float,
                configural_rmsea: float) -> None:
    if group not in data.columns:
        raise AnalysisError(f"The group column '{group}' is not in the data; choose one of its columns."
                            + column_hint(data.columns, group))
    if delta_cfi < 0 or delta_rmsea < 0:
        raise AnalysisError("The thresholds delta_cfi and delta_rmsea must be positive numbers (e.g. 0.01, 0.015).")
    if not (0 <= configural_cfi <= 1 and configural_rmsea >= 0):
        raise AnalysisError("configural_cfi must lie between 0 and 1 and configural_rmsea must be positive "
                            "(e.g. 0.90 and 0.08).")


def _skipped_notes(steps: list[str], failed: str | None, stop_at_failure: bool) -> list[str]:
    notes = []
    if failed is not None and stop_at_failure:
        skipped = steps[steps.index(failed) + 1:]
        if skipped:
            why = ("the configural model does not fit" if failed == "configural"
                   else f"{failed} invariance failed")
            notes.append(f"Not tested because {why}: {', '.join(skipped)}.")
    if steps and steps[0] != "configural":
        notes.append(f"The first step tested ({steps[0]}) is taken as the baseline without a decision.")
    return notes


@dataclass(frozen=True)
class _Rule:
    """The decision rule between two nested steps."""

    delta_cfi: float
    delta_rmsea: float
    use_chisq: bool
    alpha: float

    def holds(self, cmp: dict[str, float]) -> bool:
        return _holds(cmp, self.delta_cfi, self.delta_rmsea, self.use_chisq, self.alpha)


_FIT_COLS = ("npar", "chisq", "df", "p_val", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high",
             "srmr", "aic", "bic")
_NO_COMPARISON = {"chisq_diff": np.nan, "df_diff": np.nan, "p_diff": np.nan, "rmsea_diff": np.nan,
                  "delta_cfi": np.nan, "delta_rmsea": np.nan, "holds": None}


@dataclass
class _Run:
    """The steps fitted so far: each step is fitted from the previous step's solution."""

    spec: ModelSpec
    samples: list
    labels: list[str]
    info: dict[str, Any]
    source: str
    std_lv: bool
    estimator: str
    rule: _Rule
    configural: tuple[float, float]
    refit: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    fits: dict[str, CFAResult] = field(default_factory=dict)
    prev: dict[str, float] | None = None
    last: tuple[SEMEngine, np.ndarray] | None = None
    highest: str = "none"
    failed: str | None = None
    partial: pd.DataFrame = field(default_factory=pd.DataFrame)
    configural_fits: bool = True

    def fit(self, equal: Sequence[str], released: Sequence[tuple[str, int]] = (),
            start: tuple[SEMEngine, np.ndarray] | None = None, estimates: bool = True
            ) -> tuple[SEMEngine, dict[str, Any]]:
        eng = SEMEngine(self.spec, self.samples, std_lv=self.std_lv, meanstructure=True, equal=equal,
                        released=released)
        x0 = warm_start(start[0], start[1], eng) if start is not None else None
        return fit_sem(self.spec, self.samples, self.labels, std_lv=self.std_lv, meanstructure=True,
                       equal=equal, released=released, estimator=self.estimator, raw=self.info["raw"],
                       x0=x0, estimates=estimates)

    def step(self, step: str) -> bool:
        """Fit one step, compare it with the previous one; False when it fails."""
        equal = STEPS[step]
        eng, out = self.fit(equal, start=self.last)
        self.last = (eng, out["x"])
        notes = check_solution(eng, out["x"])
        self.fits[step] = make_cfa_result(self.spec, eng, out, self.info, self.labels, self.std_lv, self.source,
                                          equal, notes, estimator=self.estimator)
        f = out["fit"]
        row: dict[str, Any] = {"step": step, "equal": ", ".join(equal) if equal else "none"}
        row.update({k: f[k] for k in _FIT_COLS + (_ROBUST_COLS if self.estimator == "MLR" else ())})
        if self.prev is None:
            row.update(_NO_COMPARISON)
            ok = True
            if step == "configural":
                ok = self.configural_fits = self._configural_ok(f)
                row["holds"] = ok
        else:
            cmp = _compare(self.prev, f, len(self.labels), self.estimator)
            ok = self.rule.holds(cmp)
            row.update(cmp)
            row["holds"] = ok
        self.rows.append(row)
        if ok and self.failed is None:
            self.highest = step
        elif not ok and self.failed is None:
            self.failed = step
            if step != "configural":
                self.partial = _partial_candidates(self, eng, out["x"], step)
        # the next step is compared with this one (with stop_at_failure=False, even if it failed)
        self.prev = f
        return ok

    def _configural_ok(self, f: dict[str, float]) -> bool:
        robust = self.estimator == "MLR"
        cfi, rmsea = (f["cfi_robust"], f["rmsea_robust"]) if robust else (f["cfi"], f["rmsea"])
        return bool(cfi >= self.configural[0] and rmsea <= self.configural[1])


def warm_start(old: SEMEngine, x: np.ndarray, new: SEMEngine) -> np.ndarray:
    """Start values for ``new`` from the solution ``x`` of ``old``, a model with the same parameter
    table and other equality constraints: each free parameter starts at the mean of the values
    its elements had (held-equal elements start at their groups' mean)."""
    total = np.zeros(new.nfree)
    count = np.zeros(new.nfree)
    for qo, qn in zip(old.pars, new.pars, strict=True):
        if qn.free >= 0:
            total[qn.free] += x[qo.free] if qo.free >= 0 else qo.value
            count[qn.free] += 1
    return total / np.maximum(count, 1)


def _ordinal(data: pd.DataFrame, model: Any, group: str, *, steps: Sequence[str], delta_cfi: float,
             delta_rmsea: float, use_chisq: bool, alpha: float, stop_at_failure: bool, std_lv: bool, missing: str,
             scores: Sequence[str] | None, configural_cfi: float, configural_rmsea: float, estimator: str,
             column_map: Mapping[str, str] | None, patterns: Mapping[str, str] | Sequence[str] | str | None,
             on_invalid: str, ordered: bool | Sequence[str] | None, parameterization: str) -> Any:
    """Ordinal (WLSMV) invariance: checks, then :mod:`compassion_scales.analyses.ordinal_invariance`."""
    from compassion_scales._inputs import InputOptions
    from compassion_scales.analyses.ordinal_invariance import ordinal_invariance

    _check_rule(data, group, delta_cfi, delta_rmsea, configural_cfi, configural_rmsea)
    if parameterization not in ("delta", "theta"):
        raise AnalysisError(f"parameterization must be 'delta' or 'theta', not {parameterization!r}.")
    est = str(estimator).strip().upper()
    if est not in ("ML", "WLSMV"):
        raise AnalysisError(f"Ordinal measurement invariance is available with estimator='WLSMV' only, "
                            f"not '{estimator}'.")
    spec, df, source = resolve_model(data, model, scores, extra_cols=[group],
                                     options=InputOptions.of(column_map, patterns, on_invalid))
    wanted = None if tuple(steps) == tuple(STEPS) else list(steps)
    return ordinal_invariance(df, spec, group, source, steps=wanted, delta_cfi=delta_cfi, delta_rmsea=delta_rmsea,
                              use_chisq=use_chisq, alpha=alpha, stop_at_failure=stop_at_failure,
                              configural_cfi=configural_cfi, configural_rmsea=configural_rmsea,
                              estimator="WLSMV", std_lv=std_lv, missing=missing,
                              ordered=ordered, parameterization=parameterization)


def _partial_candidates(run: _Run, eng: SEMEngine, x: np.ndarray, step: str) -> pd.DataFrame:
    """Score tests (and refits) for releasing each constraint the failing step added."""
    from compassion_scales.stats.distributions import chi2

    cls = _NEW.get(step)
    cands: list[tuple[int, Parameter]] = [(q.group, q) for q in eng.pars if q.group >= 1 and q.shared and q.cls == cls]
    if not cands:
        return pd.DataFrame()
    refit = run.refit or eng.fiml
    # score tests use the complete-data information; with FIML rank by refitting instead
    tests = ([{"mi": np.nan, "epc": np.nan} for _ in cands] if eng.fiml else score_tests(eng, x, cands))
    rows = []
    for (g, q), t in zip(cands, tests, strict=True):
        lhs, op, rhs = parameter_labels(eng, q)
        row = {"step": step, "group": run.labels[g], "lhs": lhs, "op": op, "rhs": rhs,
               "parameter": f"{lhs} {op} {rhs}".strip(), "score_chisq": t["mi"],
               "score_p_val": float(chi2.sf(t["mi"], 1)), "epc": t["epc"]}
        if refit:
            row.update(_refit_released(run, eng, x, step, q.key, g))
        rows.append(row)
    key, asc = ("chisq", True) if eng.fiml else ("score_chisq", False)
    return pd.DataFrame(rows).sort_values(key, ascending=asc, kind="stable").reset_index(drop=True)


def _refit_released(run: _Run, eng: SEMEngine, x: np.ndarray, step: str, key: str, g: int) -> dict[str, Any]:
    """Fit of the failing step with one constraint released (from the step's own solution)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, o2 = run.fit(STEPS[step], released=[(key, g)], start=(eng, x), estimates=False)
    f2 = o2["fit"]
    row = {"chisq": f2["chisq"], "df": f2["df"], "cfi": f2["cfi"], "rmsea": f2["rmsea"]}
    if run.estimator == "MLR":
        row.update({"chisq_scaled": f2["chisq_scaled"], "cfi_robust": f2["cfi_robust"],
                    "rmsea_robust": f2["rmsea_robust"]})
    if run.prev is not None:
        cmp = _compare(run.prev, f2, len(run.labels), run.estimator)
        row.update({"delta_cfi": cmp["delta_cfi"], "delta_rmsea": cmp["delta_rmsea"],
                    "holds": run.rule.holds(cmp)})
    return row
