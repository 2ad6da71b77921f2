"""Model-based reliability: omega of each factor from a CFA, with a bootstrap interval.

:func:`model_omega` computes, for each factor of a confirmatory model, the reliability of
the unit-weighted sum of its items as ``semTools::compRelSEM`` does for continuous items
(``tau.eq = FALSE``), with a percentile bootstrap confidence interval (cases resampled,
the CFA refitted on each resample, seeded).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales.analyses.cfa import prepare_samples, resolve_model
from compassion_scales.errors import AnalysisError
from compassion_scales.stats.sem import SEMEngine, check_estimator, fit_sem
from compassion_scales.stats.sem.moments import complete_moments, fiml_moments

__all__ = ["model_omega"]


def _omegas(eng: SEMEngine, x: np.ndarray, S: np.ndarray, obs_var: bool) -> np.ndarray:
    """compRelSEM's omega per factor: (sum of loadings)^2 psi / variance of the sum score."""
    L, P, T, *_ = eng.matrices(x, 0)
    Sig = L @ P @ L.T + T
    V = S if obs_var else Sig
    out = np.empty(eng.m)
    for k, f in enumerate(eng.factors):
        idx = [eng.items.index(i) for i in eng.spec.factors[f]]
        lam = L[idx, k].sum()
        out[k] = lam * lam * P[k, k] / V[np.ix_(idx, idx)].sum()
    return out


@renamed_arguments(ci="level")
def model_omega(data: pd.DataFrame, model: Any, *, obs_var: bool = True, n_boot: int = 1000,
                level: float = 0.95, seed: int | None = 0, std_lv: bool = False,
                missing: str = "listwise", estimator: str = "ML",
                scores: Sequence[str] | None = None) -> pd.DataFrame:
    """Omega (composite reliability) of each factor of a CFA, as ``semTools::compRelSEM``.

    Parameters
    ----------
    data : DataFrame
        One row per person, one column per item.
    model : str, dict, Instrument or ModelSpec
        As for :func:`~compassion_scales.analyses.cfa.cfa`.
    obs_var : bool
        Denominator: the observed variance of the sum score (``1' S 1`` over the factor's
        items, compRelSEM's default ``obs.var = TRUE``), or the model-implied one (``False``).
    n_boot : int
        Bootstrap resamples for the percentile interval (0 = no interval).
    level : float
        Confidence level (``ci`` before 0.2; the old name works until 1.0 with a FutureWarning).
    seed : int or None
        Seed of numpy's random generator for the resampling (default 0: reproducible).
    std_lv, missing, estimator, scores :
        As for :func:`~compassion_scales.analyses.cfa.cfa` (the point estimates do not depend
        on the estimator: MLR gives the ML estimates).

    Returns
    -------
    DataFrame
        One row per factor: ``factor``, ``n_items``, ``omega``, ``ci_low``, ``ci_high``,
        ``n_boot`` (resamples that converged), ``n_obs``.

    Notes
    -----
    :math:`\\omega_f = (\\sum_{i \\in f} \\lambda_{if})^2 \\psi_{ff} / \\mathbf 1' S_f \\mathbf 1`
    with the ML estimates and ``S_f`` the covariance matrix (divisor N; with FIML the EM
    estimate) of the factor's items (Raykov 1997; Bentler 2009). Each bootstrap resample draws
    N cases with replacement and refits the model from the full-sample estimates; resamples
    whose fit does not converge are dropped (and counted).

    References
    ----------
    Raykov, T. (1997). Estimation of composite reliability for congeneric measures. Applied
    Psychological Measurement, 21, 173-184.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 1))
    >>> df = pd.DataFrame(f * .8 + rng.normal(scale=.6, size=(400, 4)), columns=list("abcd"))
    >>> res = model_omega(df, "F =~ a + b + c + d", n_boot=50, seed=1)   # semTools::compRelSEM
    >>> bool(res["ci_low"].iloc[0] < res["omega"].iloc[0] < res["ci_high"].iloc[0])
    True
    """
    estimator = check_estimator(estimator)
    if not 0 < level < 1:
        raise AnalysisError(f"level must lie between 0 and 1 (got {level}).")
    if n_boot < 0:
        raise AnalysisError(f"n_boot must be 0 or more (got {n_boot}).")
    spec, df, _ = resolve_model(data, model, scores)
    samples, _, info = prepare_samples(df, spec.items, None, missing)
    fiml = info["missing"] == "fiml"
    eng, out = fit_sem(spec, samples, None, std_lv=std_lv, meanstructure=fiml, estimates=False)
    x = out["x"]
    est = _omegas(eng, x, eng.S[0], obs_var)
    X = info["raw"][0]
    boots = _bootstrap(eng, x, X, n_boot, seed, obs_var=obs_var, fiml=fiml)
    ok = ~np.isnan(boots).any(axis=1)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for k, f in enumerate(eng.factors):
        bk = boots[ok, k]
        rows.append({"factor": f, "n_items": len(spec.factors[f]), "omega": float(est[k]),
                     "ci_low": float(np.quantile(bk, lo_q)) if bk.size else np.nan,
                     "ci_high": float(np.quantile(bk, hi_q)) if bk.size else np.nan,
                     "n_boot": int(ok.sum()), "n_obs": int(X.shape[0])})
    res = pd.DataFrame(rows)
    res.attrs["method"] = (f"omega = (sum of loadings)^2 x factor variance / "
                           f"{'observed' if obs_var else 'model-implied'} variance of the sum score "
                           f"(semTools::compRelSEM, tau.eq = FALSE); {estimator} estimates; "
                           f"{level:.0%} percentile bootstrap interval, {int(ok.sum())} of {n_boot} "
                           f"resamples, seed {seed}.")
    return res


def _bootstrap(eng: SEMEngine, x: np.ndarray, X: np.ndarray, n_boot: int, seed: int | None, *,
               obs_var: bool, fiml: bool) -> np.ndarray:
    """Omegas of ``n_boot`` case resamples, each refitted from the full-sample estimates ``x``
    (NaN rows for resamples that fail or do not converge)."""
    from compassion_scales.stats.threads import single_thread_blas

    n = X.shape[0]
    boots = np.full((n_boot, eng.m), np.nan)
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings(), single_thread_blas():
        warnings.simplefilter("ignore")
        for b in range(n_boot):
            Xb = X[rng.integers(0, n, size=n)]
            smp: Any = fiml_moments(Xb, 0.0)[0] if fiml else complete_moments(Xb)
            try:
                e = SEMEngine(eng.spec, [smp], std_lv=eng.std_lv, meanstructure=fiml)
                fit = e.fit(x0=x)
            except (np.linalg.LinAlgError, ValueError, AnalysisError):
                continue
            if fit["converged"]:
                boots[b] = _omegas(e, fit["x"], smp[0], obs_var)
    return boots
