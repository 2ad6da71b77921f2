"""Confirmatory factor analysis by maximum likelihood, with lavaan's conventions.

:func:`cfa` fits a confirmatory factor model (each item loads on the factors the
model names, residuals uncorrelated unless the model says otherwise) to the
covariance matrix of the items, by normal-theory maximum likelihood, and reports
chi-square, CFI, TLI, RMSEA (90% CI, p-close), SRMR, AIC, BIC, unstandardised and
standardised estimates with standard errors, and modification indices.

Everything is written on numpy/scipy and reproduces ``lavaan::cfa`` (0.6-x):

* the ML discrepancy uses the sample covariance matrix with divisor N (not N - 1),
  and chi-square = N x F_ML (summed over groups);
* the first loading of each factor is fixed to 1 (marker variable), or, with
  ``std_lv=True``, the factor variances are fixed to 1 and all loadings are free;
* standard errors come from the expected information matrix;
* CFI/TLI use the independence (baseline) model with free variances (and means);
* RMSEA uses N, is multiplied by sqrt(G) for G groups; its 90% CI and p-close
  (H0: RMSEA <= .05) are computed from the non-central chi-square as lavaan does;
* SRMR is Bentler's (residual covariances divided by the sample standard
  deviations, means included when the model has a mean structure), averaged over
  groups with weights N_g / N;
* AIC and BIC are -2 logL + 2 q and -2 logL + q log N, with the full normal
  log-likelihood;
* missing data: listwise deletion (default) or full-information ML (``missing="fiml"``:
  casewise likelihood by missing-data pattern, unrestricted model by EM, standard errors
  from the observed information, as lavaan's ``missing = "fiml"``).

The engine (parameter table, implied moments, ML/FIML fit, information, score tests) is
the public layer :mod:`compassion_scales.stats.sem`, shared with
:mod:`compassion_scales.analyses.invariance` and :mod:`compassion_scales.analyses.model_omega`.
"""


from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._format import column_hint
from compassion_scales.errors import (
    AnalysisError,
    MissingDataWarning,
    SkippedScoreWarning,
)
from compassion_scales.results import ResultMixin
from compassion_scales.stats.sem import (
    MI_COLUMNS,
    ModelSpec,
    SEMEngine,
    check_estimator,
    check_solution,
    fit_sem,
    modification_indices,
    parse_model,
    sample_moments,
)
from compassion_scales.stats.sem.engine import Sample

__all__ = ["cfa", "CFAResult", "parse_model", "ModelSpec", "resolve_model", "prepare_samples",
           "make_cfa_result", "ESTIMATORS"]

#: estimators cfa() and invariance() accept (ordinal estimators are dispatched in cfa)
ESTIMATORS = ("ML", "MLR")


def _model_from_instrument(instrument: Any, scores: Sequence[str] | None,
                           present: Sequence[str] | None = None) -> ModelSpec:
    item_scores = [s for s in instrument.scores if s.items and not s.components]
    if scores is None and present is not None:
        item_scores = [s for s in item_scores if s.id in set(present)]
    if scores is not None:
        wanted = list(scores)
        known = {s.id for s in item_scores}
        bad = [s for s in wanted if s not in known]
        if bad:
            raise AnalysisError(
                f"Instrument '{instrument.id}' has no item-based score {', '.join(map(repr, bad))}; "
                f"choose from {', '.join(sorted(known))}.")
        item_scores = [s for s in item_scores if s.id in wanted]
    else:
        sets = {s.id: set(s.items) for s in item_scores}
        # drop total scores: a score whose items strictly contain another score's items
        item_scores = [s for s in item_scores
                       if not any(o != s.id and sets[o] < sets[s.id] for o in sets)]
    if not item_scores:
        raise AnalysisError(f"Instrument '{instrument.id}' declares no item-based scores to use as factors.")
    return ModelSpec(factors={s.id: tuple(s.items) for s in item_scores})


def resolve_model(data: pd.DataFrame, model: Any, scores: Sequence[str] | None = None,
             extra_cols: Sequence[str] = (), options: Any = None
             ) -> tuple[ModelSpec, pd.DataFrame, str]:
    """Return (spec, item data (+ extra columns), description of the model source)."""
    from compassion_scales.instrument import Instrument

    if not isinstance(data, pd.DataFrame):
        raise AnalysisError("The data must be a table (pandas DataFrame) with one column per item.")
    instrument = None
    if isinstance(model, Instrument):
        instrument = model
    elif isinstance(model, str) and "=~" not in model and "~~" not in model:
        from compassion_scales.instrument import load_instrument

        instrument = load_instrument(model)
    if instrument is not None:
        from compassion_scales._inputs import item_set

        iset = item_set(data, instrument, scores=scores, options=options,
                        reserved={"group": extra_cols[0] if extra_cols else None})
        for note in iset.notes():
            warnings.warn(note, SkippedScoreWarning, stacklevel=3)
        spec = _model_from_instrument(instrument, scores, present=iset.scores)
        items = iset.items(None, keyed=True)
        missing = [i for i in spec.items if i not in items.columns]
        if missing:
            raise AnalysisError(f"Items {', '.join(missing)} of instrument '{instrument.id}' are not in the data.")
        out = items[spec.items].copy()
        for c in extra_cols:
            out[c] = data[c].to_numpy()
        return spec, out, f"instrument '{instrument.id}' (scores -> factors, reverse-keyed items recoded)"
    spec = parse_model(model)
    missing = [i for i in spec.items if i not in data.columns]
    if missing:
        raise AnalysisError(
            f"The model names item(s) {', '.join(missing)} that are not columns of the data. "
            "Check the spelling in the model against the column headers.")
    from compassion_scales._inputs import numeric_columns

    data = numeric_columns(data, spec.items, what="model item")
    cols = spec.items + [c for c in extra_cols if c not in spec.items]
    return spec, data[cols].copy(), "user model"


def _numeric_items(df: pd.DataFrame, items: list[str]) -> np.ndarray:
    from compassion_scales.analyses.correlations import (
        item_matrix,  # the one responses -> matrix path
    )

    return item_matrix(df, items, what="model item")[0]




def _missing_rule(missing: str) -> str:
    missing = str(missing).lower()
    if missing in ("ml", "fiml", "direct"):
        missing = "fiml"
    if missing not in ("listwise", "fiml"):
        raise AnalysisError(
            f"missing='{missing}' is not available; use 'listwise' (drop every person with a missing "
            "answer on a model item) or 'fiml' (full-information maximum likelihood).")
    return missing


def _split_groups(df: pd.DataFrame, X: np.ndarray, group: str | None, fiml: bool
                  ) -> tuple[list[np.ndarray], list[str] | None, dict[str, Any]]:
    """Drop unusable rows (with a warning) and split the cases by group."""
    n_in = len(df)
    keep = ~np.isnan(X).all(axis=1) if fiml else ~np.isnan(X).any(axis=1)
    n_group_missing = 0
    if group is not None:
        gmiss = df[group].isna().to_numpy()
        n_group_missing = int((gmiss & keep).sum())
        keep &= ~gmiss
    n_drop = int(n_in - keep.sum())
    info: dict[str, Any] = {"n_input": n_in, "n_dropped": n_drop, "n_dropped_group": n_group_missing,
                            "missing": "fiml" if fiml else "listwise"}
    if n_drop:
        why = ("no answer on any model item" if fiml else "a missing answer on a model item")
        msg = (f"{n_drop} of {n_in} rows were dropped ({'FIML' if fiml else 'listwise deletion'}: {why}"
               + (" or a missing group" if group is not None else "") + ").")
        warnings.warn(msg, MissingDataWarning, stacklevel=4)
    X = X[keep]
    if group is None:
        return [X], None, info
    gv = df[group].to_numpy(dtype=object)[keep]
    labels = [str(v) for v in pd.unique(pd.Series(gv, dtype=object))]
    gs = np.array([str(v) for v in gv], dtype=object)
    if len(labels) < 2:
        raise AnalysisError(f"The group column '{group}' has fewer than two groups after removing "
                            "rows with missing data.")
    return [X[gs == lab] for lab in labels], labels, info


def prepare_samples(df: pd.DataFrame, items: list[str], group: str | None, missing: str
                    ) -> tuple[list[Sample], list[str] | None, dict[str, Any]]:
    """Sample moments of the model items per group, for :func:`~compassion_scales.stats.sem.fit_sem`.

    Returns (samples, group labels or None, info) where info holds ``n_input``, ``n_dropped``,
    ``n_dropped_group``, ``missing``, ``n_incomplete``, ``n_obs`` and ``raw`` (the cases of each
    group). Rows that cannot be used are dropped with a
    :class:`~compassion_scales.errors.MissingDataWarning`.
    """
    fiml = _missing_rule(missing) == "fiml"
    parts, labels, info = _split_groups(df, _numeric_items(df, items), group, fiml)
    samples = [sample_moments(Xg, items, fiml=fiml, where=f" in group '{labels[k]}'" if labels else "")
               for k, Xg in enumerate(parts)]
    info["n_incomplete"] = [int(np.isnan(Xg).any(axis=1).sum()) for Xg in parts] if fiml else []
    info["n_obs"] = [s[2] for s in samples]
    info["raw"] = parts  # casewise data per group (robust estimators need the cases)
    return samples, labels, info


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class CFAResult(ResultMixin):
    """Result of :func:`cfa`.

    Attributes
    ----------
    fit : dict
        Fit measures: ``chisq``, ``df``, ``p_val``, ``cfi``, ``tli``, ``rmsea``,
        ``rmsea_ci_low``, ``rmsea_ci_high`` (90%), ``rmsea_p_close``, ``srmr``, ``aic``,
        ``bic``, ``loglik``, ``loglik_unrestricted``, ``npar``, ``baseline_chisq``,
        ``baseline_df``, ``n_obs``.
    estimates : DataFrame
        One row per parameter: ``lhs op rhs`` as lavaan (``=~`` loading, ``~~`` (co)variance,
        ``~1`` intercept/mean), ``free``, (multi-group: ``group``, ``equal_across_groups``), ``est``, ``se``, ``z``, ``p_val``, ``ci_low``,
        ``ci_high``, standardised ``std_all`` with ``std_se`` and ``std_z``.
    loadings : DataFrame
        Standardised loadings, items x factors (0 where an item does not load).
    modification_indices : DataFrame
        Score tests for each fixed-to-zero cross-loading and residual covariance, largest first
        (``mi``, ``p_val``, ``epc``, ``sepc_all``); computed the first time it is read.
    model : ModelSpec
    n_obs, n_dropped : int
    identification, estimator, missing, converged, iterations, optimizer
    """

    fit: dict[str, float]
    estimates: pd.DataFrame
    loadings: pd.DataFrame
    model: ModelSpec
    n_obs: int
    n_dropped: int
    identification: str
    estimator: str = "ML"
    missing: str = "listwise"
    converged: bool = True
    iterations: int = 0
    optimizer: str = ""
    source: str = "user model"
    n_incomplete: int = 0
    group_labels: tuple[str, ...] = ()
    group_n: tuple[int, ...] = ()
    constraints: tuple[str, ...] = ()
    _extra_notes: tuple[str, ...] = field(default=())
    #: modification indices, or the function computing them the first time they are read
    _modification_indices: pd.DataFrame | Callable[[], pd.DataFrame] | None = field(
        default=None, repr=False, compare=False)

    @property
    def modification_indices(self) -> pd.DataFrame:
        """Score tests for each fixed-to-zero cross-loading and residual covariance, largest first."""
        mi = self._modification_indices
        if mi is None:
            mi = pd.DataFrame(columns=MI_COLUMNS)
        elif callable(mi):
            mi = mi()
        object.__setattr__(self, "_modification_indices", mi)
        return mi

    @property
    def _title(self) -> str:  # type: ignore[override]
        return f"Confirmatory factor analysis ({self.estimator})"

    @property
    def summary(self) -> pd.DataFrame:
        """Fit measures as a two-column table (``measure``, ``value``)."""
        order = ["n_obs", "npar", "chisq", "df", "p_val", "cfi", "tli", "rmsea", "rmsea_ci_low",
                 "rmsea_ci_high", "rmsea_p_close", "srmr", "aic", "bic", "loglik"]
        if self.estimator == "MLR":
            order[5:5] = ["chisq_scaled", "p_val_scaled", "scaling_factor", "cfi_robust", "tli_robust",
                          "rmsea_robust", "rmsea_ci_low_robust", "rmsea_ci_high_robust"]
        return pd.DataFrame({"measure": order, "value": [self.fit[k] for k in order]})

    @property
    def standardized_loadings(self) -> pd.DataFrame:
        """Loading rows of :attr:`estimates` (factor, item, est, std_all, std_se, ...)."""
        from compassion_scales.stats.sem.fit import loading_rows

        return loading_rows(self.estimates)

    def _notes(self) -> list[str]:
        f = self.fit
        robust = []
        if self.estimator == "MLR":
            robust.append(
                "Robust ML (MLR, as lavaan's estimator = \"MLR\"): ML estimates; Huber-White (sandwich) standard "
                "errors with the observed information as bread and the casewise first-order information as "
                "meat; Yuan-Bentler scaled chi-square (lavaan's \"yuan.bentler.mplus\" test): chisq_scaled = "
                f"chisq / {f['scaling_factor']:.4f} = {f['chisq_scaled']:.3f}, p = {f['p_val_scaled']:.4g}; "
                "robust CFI/TLI/RMSEA as lavaan's .robust columns (Brosseau-Liard & Savalei"
                + ("; with FIML, Savalei's FIML-corrected versions as lavaan" if self.missing == "fiml" else "")
                + f"): CFI = {f['cfi_robust']:.3f}, TLI = {f['tli_robust']:.3f}, RMSEA = "
                f"{f['rmsea_robust']:.3f} [{f['rmsea_ci_low_robust']:.3f}, {f['rmsea_ci_high_robust']:.3f}].")
        lines = [
            f"Model: {'; '.join(self.model.to_syntax().splitlines())} ({self.source}).",
            ("Estimator: maximum likelihood on the covariance matrix (divisor N, lavaan's convention); "
             "chi-square = N x F_ML; standard errors from the "
             + ("sandwich (see below); " if self.estimator == "MLR" else "expected information; ")
             if self.missing == "listwise"
             else "Estimator: full-information maximum likelihood (chi-square = 2 x (logL_h1 - logL)); ")
            + f"{self.optimizer}"
            f"{'' if self.converged else ' - DID NOT CONVERGE'}.",
            f"Identification: {self.identification}.",
            (f"Missing data: listwise deletion; {self.n_obs} complete cases used, {self.n_dropped} dropped."
             if self.missing == "listwise" else
             f"Missing data: full-information ML (FIML, casewise likelihood; the unrestricted model by EM); "
             f"{self.n_obs} cases used, {self.n_incomplete} of them incomplete; {self.n_dropped} dropped "
             "(no answer on any item). Standard errors from the "
             + ("sandwich (see below)" if self.estimator == "MLR" else "observed information")
             + "; SRMR uses the EM means and covariances; modification indices are not computed with FIML."),
            "Fit: CFI/TLI against the independence model; RMSEA with N (x sqrt(G) for G groups), 90% CI, "
            "p-close tests RMSEA <= .05; SRMR is Bentler's (as lavaan's 'srmr'); AIC/BIC from the full "
            "normal log-likelihood.",
            f"chi2({f['df']:.0f}) = {f['chisq']:.3f}, p = {f['p_val']:.4g}; CFI = {f['cfi']:.3f}, "
            f"TLI = {f['tli']:.3f}, RMSEA = {f['rmsea']:.3f} [{f['rmsea_ci_low']:.3f}, "
            f"{f['rmsea_ci_high']:.3f}], SRMR = {f['srmr']:.3f}.",
            *robust,
        ]
        if self.group_labels:
            lines.append("Groups: " + ", ".join(f"{g} (n = {n})" for g, n in zip(self.group_labels, self.group_n, strict=True))
                         + (f"; equal across groups: {', '.join(self.constraints)}" if self.constraints else
                            "; no equality constraints"))
        lines += list(self._extra_notes)
        return lines

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        d = super().to_dict()
        d["fit"] = dict(self.fit)
        d["estimates"] = to_jsonable(self.estimates)
        d["modification_indices"] = to_jsonable(self.modification_indices.head(20))
        d["model"] = self.model.to_syntax()
        return d



def cfa(data: pd.DataFrame, model: Any, *, estimator: str = "ML", missing: str = "listwise",
        std_lv: bool = False, group: str | None = None, group_equal: Sequence[str] = (),
        scores: Sequence[str] | None = None, ordered: bool | Sequence[str] | None = None,
        parameterization: str = "delta", column_map: Mapping[str, str] | None = None,
        patterns: Mapping[str, str] | Sequence[str] | str | None = None,
        on_invalid: str = "error") -> Any:
    """Confirmatory factor analysis by maximum likelihood (as ``lavaan::cfa``).

    Parameters
    ----------
    data : DataFrame
        One row per person, one column per item (plus the group column, if any).
    model : str, dict, Instrument or ModelSpec
        An instrument id or :class:`~compassion_scales.instrument.Instrument` (each item-based
        score becomes a factor measured by its items, reverse-keyed items recoded; total scores
        that contain other scores are skipped), a dict ``{"factor": ["item", ...]}``, or
        lavaan-style text ``"visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6"``
        (``item1 ~~ item2`` adds a residual covariance).
    estimator : {"ML", "MLR", "WLSMV", "ULSMV"}
        ``"ML"``: normal-theory maximum likelihood. ``"MLR"``: robust ML as lavaan's
        ``estimator = "MLR"``: the same estimates with Huber-White (sandwich) standard errors
        (observed information as bread, casewise first-order information as meat), the
        Yuan-Bentler scaled chi-square (lavaan's ``"yuan.bentler.mplus"`` test: ``chisq_scaled``,
        ``scaling_factor``, ``p_val_scaled``, and ``baseline_chisq_scaled``,
        ``baseline_scaling_factor``) and robust fit indices (``cfi_robust``, ``tli_robust``,
        ``rmsea_robust`` with ``rmsea_ci_low_robust``/``rmsea_ci_high_robust``), as lavaan's
        ``.robust`` columns (with ``missing="fiml"``, lavaan's FIML-corrected versions).
        ``"WLSMV"`` and ``"ULSMV"`` treat the items as ordered categories (see ``ordered``).
    missing : {"listwise", "fiml"}
        ``"listwise"`` (default): rows with a missing answer on any model item are dropped (a
        :class:`~compassion_scales.errors.MissingDataWarning` says how many). ``"fiml"`` (also
        ``"ml"``): full-information maximum likelihood as lavaan's ``missing = "fiml"`` (casewise
        likelihood, a mean structure, the unrestricted model by EM, standard errors from the
        observed information; rows with no answer at all are dropped). Modification indices are
        not computed with FIML.
    std_lv : bool
        Identify each factor by fixing its variance to 1 (all loadings free) instead of fixing
        its first loading to 1 (marker variable, lavaan's default).
    group : str, optional
        Column defining groups for a multi-group model (with a mean structure; intercepts free).
        Use :func:`~compassion_scales.analyses.invariance.invariance` for invariance testing.
    group_equal : sequence of str
        With ``group``: parameters held equal across groups, as lavaan's ``group.equal``
        (``"loadings"``, ``"intercepts"``, ``"residuals"``, ``"lv.variances"``,
        ``"lv.covariances"``, ``"residual.covariances"``).
    scores : sequence of str, optional
        With an instrument: the score ids to use as factors.
    ordered : True or sequence of str, optional
        Treat the items as ordered categories (all model items: ``True`` or their names):
        thresholds and polychoric correlations, fitted by ``estimator="WLSMV"`` (the default
        then) or ``"ULSMV"``, as ``lavaan::cfa(..., ordered = ...)``; returns an
        :class:`~compassion_scales.analyses.ordinal_cfa.OrdinalCFAResult`. ``estimator="WLSMV"`` or
        ``"ULSMV"`` alone also treats every item as ordered.
    parameterization : {"delta", "theta"}
        With ordered items: lavaan's parameterisation of the latent responses.

    Returns
    -------
    CFAResult or OrdinalCFAResult

    Raises
    ------
    AnalysisError
        Items missing from the data, too few complete cases, singular covariance matrix,
        unidentified model, or an unsupported option.

    Warns
    -----
    MissingDataWarning
        When rows were dropped because of missing answers.
    HeywoodCaseWarning
        When a residual variance is negative or the factor covariance matrix is improper.
    ConvergenceWarning
        When the optimiser does not converge.

    Notes
    -----
    The ML discrepancy is
    :math:`F = \\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1}) - \\log|S| - p`
    (plus :math:`(\\bar y - \\mu)'\\Sigma^{-1}(\\bar y - \\mu)` with a mean structure) with
    :math:`S` the covariance matrix with divisor N; :math:`\\chi^2 = N F`. It is minimised by
    Fisher scoring with step halving, finished by Newton steps with the analytic observed
    information (scipy's BFGS with the analytic gradient as a fallback).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1, .4], [0, .9]])
    >>> items = np.tile(f, 3) * .8 + rng.normal(scale=.6, size=(300, 6))
    >>> df = pd.DataFrame(items, columns=["a1", "b1", "a2", "b2", "a3", "b3"])
    >>> res = cfa(df, "A =~ a1 + a2 + a3; B =~ b1 + b2 + b3")
    >>> res.fit["df"]
    8.0
    >>> bool(res.fit["cfi"] > .95)
    True
    """
    from compassion_scales._inputs import InputOptions

    options = InputOptions.of(column_map, patterns, on_invalid)
    if ordered or str(estimator).upper() in ("WLSMV", "ULSMV"):
        return _ordinal_cfa(data, model, estimator=estimator, std_lv=std_lv, group=group, group_equal=group_equal,
                            scores=scores, ordered=ordered, parameterization=parameterization, missing=missing,
                            options=options)
    estimator = check_estimator(estimator)
    if group is not None and group not in data.columns:
        raise AnalysisError(f"The group column '{group}' is not in the data." + column_hint(data.columns, group))
    group_equal = _check_group_equal(group_equal, group)
    spec, df, source = resolve_model(data, model, scores, extra_cols=[group] if group is not None else [],
                                     options=options)
    samples, labels, info = prepare_samples(df, spec.items, group, missing)
    meanstructure = group is not None or info["missing"] == "fiml"
    eng, out = fit_sem(spec, samples, labels, std_lv=std_lv, meanstructure=meanstructure, equal=group_equal,
                       estimator=estimator, raw=info["raw"])
    notes = check_solution(eng, out["x"])
    return make_cfa_result(spec, eng, out, info, labels, std_lv, source, group_equal, notes, estimator=estimator)


def _ordinal_cfa(data: pd.DataFrame, model: Any, *, estimator: str, std_lv: bool, group: str | None,
                 group_equal: Sequence[str], scores: Sequence[str] | None, ordered: bool | Sequence[str] | None,
                 parameterization: str, missing: str, options: Any) -> Any:
    """Ordinal items: thresholds + polychoric correlations, DWLS/ULS (compassion_scales.analyses.ordinal_cfa)."""
    from compassion_scales.analyses.ordinal_cfa import fit_ordinal_cfa_model

    if group is not None or group_equal:
        raise AnalysisError("Multi-group ordinal (WLSMV/ULSMV) CFA is not available; fit each group "
                            "separately or use estimator='ML'.")
    est = str(estimator).upper()
    if est not in ("ML", "WLSMV", "ULSMV"):
        raise AnalysisError(f"estimator='{estimator}' is not available with ordered items; use 'WLSMV' "
                            "(the default for ordered items) or 'ULSMV'.")
    spec, df, source = resolve_model(data, model, scores, options=options)
    return fit_ordinal_cfa_model(df, spec, estimator="WLSMV" if est == "ML" else est,
                                 std_lv=std_lv, parameterization=parameterization, source=source,
                                 ordered=None if ordered is None or ordered is False else ordered,
                                 missing=missing)


_GROUP_EQUAL = ("loadings", "intercepts", "residuals", "lv.variances", "lv.covariances", "residual.covariances")


def _check_group_equal(group_equal: Sequence[str] | str, group: str | None) -> tuple[str, ...]:
    out = (group_equal,) if isinstance(group_equal, str) else tuple(group_equal)
    unknown = set(out) - set(_GROUP_EQUAL)
    if unknown:
        raise AnalysisError(
            f"Unknown group_equal value(s): {', '.join(sorted(unknown))}. Use loadings, intercepts, residuals, "
            "lv.variances, lv.covariances or residual.covariances.")
    if out and group is None:
        raise AnalysisError("group_equal needs a group column (group=...).")
    return out


def make_cfa_result(spec: ModelSpec, eng: SEMEngine, out: dict, info: dict, labels: list[str] | None,
                    std_lv: bool, source: str, group_equal: Sequence[str], notes: list[str],
                    estimator: str = "ML") -> CFAResult:
    """The :class:`CFAResult` of a fitted engine (``out`` from :func:`~compassion_scales.stats.sem.fit_sem`);
    its modification indices are computed the first time they are read."""
    est = out["estimates"]
    lo = est[est["op"] == "=~"]
    if labels:
        lo = lo[lo["group"] == labels[0]]
    wide = lo.pivot_table(index="rhs", columns="lhs", values="std_all", aggfunc="first")
    loadings = wide.reindex(index=list(spec.items), columns=list(spec.factors)).fillna(0.0).astype(float)
    loadings.index.name = "item"
    loadings.columns.name = None
    ident = ("standardised latent variables (factor variances fixed to 1, all loadings free)" if std_lv
             else "marker variable (first loading of each factor fixed to 1)")
    if labels:
        notes = [*notes, f"Loadings table shows group '{labels[0]}'; see estimates for all groups."]
    x = out["x"]
    return CFAResult(
        fit=out["fit"], estimates=est, loadings=loadings, model=spec,
        n_obs=int(sum(info["n_obs"])), n_dropped=int(info["n_dropped"]), identification=ident,
        converged=bool(out["opt"]["converged"]), iterations=int(out["opt"]["iterations"]),
        optimizer=out["opt"]["method"], source=source, missing=info.get("missing", "listwise"),
        n_incomplete=int(sum(info.get("n_incomplete", []) or [0])),
        group_labels=tuple(labels or ()), group_n=tuple(int(n) for n in info["n_obs"]) if labels else (),
        constraints=tuple(group_equal), estimator=estimator, _extra_notes=tuple(notes),
        _modification_indices=lambda: modification_indices(eng, x, labels))
