"""Internal consistency: Cronbach's alpha, McDonald's omega, split-half, item analysis.

Numbers agree with R's ``psych`` package (``psych::alpha``, ``psych::alpha.ci``,
``psych::omega``): see ``tests/reference/reliability.R`` and ``docs/reliability.md``.

Public functions: :func:`reliability` (everything, per score and group, returns a
:class:`ReliabilityResult`), :func:`cronbach_alpha`, :func:`omega`,
:func:`item_analysis` and :func:`split_half`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from compassion_scales._compat import number_second, renamed_arguments
from compassion_scales._format import column_hint, name_columns
from compassion_scales.analyses.correlations import item_matrix, polychoric
from compassion_scales.errors import (
    AnalysisError,
    ConvergenceWarning,
    HeywoodCaseWarning,
    KeyingWarning,
    MissingDataWarning,
    PsychometricWarning,
)
from compassion_scales.results import ResultMixin
from compassion_scales.stats.alpha import alpha_stats, bootstrap_alpha, feldt_interval
from compassion_scales.stats.correlation import cov2cor, pairwise_cor, pairwise_cov, smc
from compassion_scales.stats.extraction import PSI_LOWER, fit_minres
from compassion_scales.stats.groups import group_levels
from compassion_scales.stats.rotation import rotate

if TYPE_CHECKING:  # pragma: no cover
    from compassion_scales.instrument import Instrument

__all__ = [
    "reliability",
    "cronbach_alpha",
    "omega",
    "item_analysis",
    "split_half",
    "ReliabilityResult",
]

Missing = Literal["pairwise", "listwise"]
_MISSING = ("pairwise", "listwise")


# ====================================================================== preparation
@dataclass(frozen=True)
class _Items:
    """Keyed item matrix ready for analysis."""

    X: np.ndarray            # rows = people with at least one answer (listwise: complete rows)
    names: list[str]
    keys: np.ndarray         # +1 / -1 per item
    n_rows_in: int           # rows given
    missing: str
    n_incomplete: int        # rows with at least one missing answer (before deletion)


def _check_missing(missing: str) -> None:
    if missing not in _MISSING:
        raise AnalysisError(f"missing must be 'pairwise' or 'listwise', not {missing!r}.")


def _prepare(data: pd.DataFrame | np.ndarray, *, reverse: Sequence[str] | None,
             item_range: tuple[float, float] | None, missing: str,
             min_items: int = 2) -> _Items:
    _check_missing(missing)
    X, names = item_matrix(data)
    if X.shape[1] < min_items:
        raise AnalysisError(
            f"Internal consistency needs at least {min_items} items, but {X.shape[1]} "
            f"{'was' if X.shape[1] == 1 else 'were'} given ({', '.join(names) or 'none'}).")
    keys = np.ones(X.shape[1])
    if isinstance(reverse, str):
        reverse = [reverse]
    if reverse:
        unknown = [r for r in reverse if r not in names]
        if unknown:
            raise AnalysisError(
                f"Cannot reverse-key {', '.join(unknown)}: no such item among "
                f"{', '.join(names)}. Check the item names.")
        if item_range is None:
            lo, hi = np.nanmin(X), np.nanmax(X)
        else:
            lo, hi = item_range
        idx = [names.index(r) for r in reverse]
        X = X.copy()
        X[:, idx] = (lo + hi) - X[:, idx]
        keys[idx] = -1.0
    n_in = X.shape[0]
    miss = np.isnan(X)
    n_incomplete = int(miss.any(axis=1).sum())
    if missing == "listwise":
        X = X[~miss.any(axis=1)]
    else:
        X = X[~miss.all(axis=1)]
    if X.shape[0] < 3:
        raise AnalysisError(
            f"Only {X.shape[0]} {'person has' if X.shape[0] == 1 else 'people have'} usable "
            f"answers ({missing} deletion); internal "
            "consistency needs at least 3. Check the item columns and missing-value codes.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(X, axis=0) - np.nanmin(X, axis=0)
    flat = [n for n, sp in zip(names, spread, strict=True) if not sp > 0]
    if flat:
        X, names, keys = _drop_flat(X, names, keys, flat, min_items)
    return _Items(X=X, names=names, keys=keys, n_rows_in=n_in, missing=missing,
                  n_incomplete=n_incomplete)


def _drop_flat(X: np.ndarray, names: list[str], keys: np.ndarray, flat: list[str], min_items: int
               ) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Leave out items with one answer from everyone who answered (or none), as
    ``psych::alpha`` does ("had no variance and was deleted"), with a warning; an error when
    too few items remain."""
    keep = np.array([n not in flat for n in names])
    unanswered = [n for n in flat if np.isnan(X[:, names.index(n)]).all()]
    what = "; ".join(part for part in (
        f"{', '.join(n for n in flat if n not in unanswered)}: the same answer from everyone who "
        "answered (no variance)" if len(unanswered) < len(flat) else "",
        f"{', '.join(unanswered)}: no answers" if unanswered else "") if part)
    if keep.sum() < min_items:
        raise AnalysisError(f"Item(s) {what}; their correlations with the other items are undefined "
                            f"and fewer than {min_items} items are left. Check the data.")
    warnings.warn(f"Item(s) {what}; left out of alpha, omega and the item table, as psych::alpha "
                  f"does ({int(keep.sum())} items remain).", PsychometricWarning, stacklevel=4)
    return X[:, keep], [n for n in names if n not in flat], keys[keep]


def _cov(X: np.ndarray) -> np.ndarray:
    """Covariance matrix, pairwise-complete where answers are missing."""
    if not np.isnan(X).any():
        return np.cov(X, rowvar=False)
    C, N = pairwise_cov(X)
    if np.isnan(C).any():
        raise AnalysisError(
            "Some pairs of items were never answered by the same two or more people, so "
            "their correlation cannot be computed. Use missing='listwise' or check the data.")
    return C


# ====================================================================== alpha
def _resolve_seed(seed: int | None) -> int:
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        return int(entropy) % (2**32)  # type: ignore[arg-type]
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise AnalysisError(f"seed must be a non-negative whole number, not {seed!r}.")
    return int(seed)


def _alpha_row(items: _Items, level: float, n_boot: int, seed: int | None) -> dict[str, Any]:
    C = _cov(items.X)
    st = alpha_stats(C)
    n_obs, k = items.X.shape
    low, high = feldt_interval(st["alpha"], n_obs, k, level)
    row: dict[str, Any] = {
        "n_obs": n_obs, "n_items": k,
        "alpha": st["alpha"], "ci_low": low, "ci_high": high,
        "std_alpha": st["std_alpha"], "average_r": st["average_r"], "median_r": st["median_r"],
        "g6_smc": st["g6_smc"], "signal_noise": st["signal_noise"],
        "ase": float(np.sqrt(st["Q"] / n_obs)),
    }
    if n_boot:
        used = _resolve_seed(seed)
        from compassion_scales.stats.threads import single_thread_blas

        with single_thread_blas():  # the resampling products are tall and thin: one thread is fastest
            boots = bootstrap_alpha(items.X, int(n_boot), used)
        ok = boots[np.isfinite(boots)]
        p = (1 - level) / 2
        row["boot_ci_low"], row["boot_ci_high"] = (
            (float(np.quantile(ok, p)), float(np.quantile(ok, 1 - p))) if ok.size else (np.nan, np.nan))
        row["n_boot"] = int(n_boot)
        row["seed"] = used
    return row


def _check_level(level: float) -> None:
    if not (isinstance(level, (float, int)) and 0 < level < 1):
        raise AnalysisError(f"level must be a confidence level between 0 and 1 (e.g. 0.95), "
                            f"not {level!r}.")


def check_n_boot(n_boot: int) -> int:
    """``n_boot`` as an int: 0 (no bootstrap) or 100 resamples or more, else an AnalysisError."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise AnalysisError(f"n_boot must be a whole number of resamples (0 for none), not {n_boot!r}.")
    if 0 < n_boot < 100:
        raise AnalysisError(f"n_boot={n_boot} resamples is too few for a percentile interval; "
                            "use 1000 or more.")
    return int(n_boot)


@renamed_arguments(ci="level", boot="n_boot")
def cronbach_alpha(data: pd.DataFrame | np.ndarray, *, reverse: Sequence[str] | None = None,
                   item_range: tuple[float, float] | None = None, missing: Missing = "pairwise",
                   level: float = 0.95, n_boot: int = 0, seed: int | None = 0) -> pd.DataFrame:
    """Cronbach's alpha with Feldt and (optionally) bootstrap confidence intervals.

    Parameters
    ----------
    data : DataFrame
        One column per item, one row per person; NaN = missing answer.
    reverse : list of str, optional
        Items to reverse-key first, as ``min + max - x``.
    item_range : (min, max), optional
        Answer range used for reverse keying. Default: the smallest and largest
        answer observed over all items (what ``psych::alpha(keys=...)`` does).
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (psych's default): covariances from all people answering each
        pair of items; people with no answer at all are dropped. ``"listwise"``: only
        people who answered every item.
    level : float
        Confidence level of the intervals (0.1: ``ci``).
    n_boot : int
        Number of bootstrap resamples for a percentile interval (0 = none; 0.1: ``boot``).
    seed : int or None
        Seed of the bootstrap (default 0); ``None`` draws one at random (and reports it).

    Returns
    -------
    DataFrame
        One row: ``n_obs, n_items, alpha, ci_low, ci_high`` (Feldt), ``std_alpha,
        average_r, median_r, g6_smc, signal_noise, ase`` and, with ``n_boot``,
        ``boot_ci_low, boot_ci_high, n_boot, seed``; plus ``missing``.

    Notes
    -----
    :math:`\\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_j \\sigma^2_j}{\\sum_{jl}\\sigma_{jl}}\\right)`
    from the (pairwise) covariance matrix; standardised alpha uses the correlation
    matrix, :math:`k\\bar r / (1 + (k-1)\\bar r)`. Feldt's interval is
    :math:`1 - (1-\\alpha) F_{1-p/2}(n-1, (n-1)(k-1))` to
    :math:`1 - (1-\\alpha) F_{p/2}(n-1, (n-1)(k-1))` (``psych::alpha.ci``);
    ``ase`` is psych's asymptotic standard error (Duhachek & Iacobucci, 2004).
    The bootstrap resamples people and reports the percentile interval of raw alpha.
    The kernels are :mod:`compassion_scales.stats.alpha`, shared with ``reliability`` and
    ``change(from_sample=True)``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> res = cronbach_alpha(d)          # R: psych::alpha(d)$total$raw_alpha
    >>> round(float(res["alpha"].iloc[0]), 4)
    0.9448
    """
    _check_level(level)
    n_boot = check_n_boot(n_boot)
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing)
    row = _alpha_row(items, level, n_boot, seed)
    row["missing"] = missing
    return pd.DataFrame([row])


# ====================================================================== item analysis
def _first_component(R: np.ndarray) -> np.ndarray:
    """First principal component loadings of ``R``, signed to a positive sum (``psych::principal``)."""
    w, v = np.linalg.eigh(R)
    pc = v[:, -1] * np.sqrt(max(w[-1], 0.0))
    return pc if pc.sum() >= 0 else -pc


def _keying_flags(R: np.ndarray, r_drop: np.ndarray) -> np.ndarray:
    """psych's reverse-key check: a negative loading on the first principal component.

    ``psych::alpha`` warns about (and ``check.keys = TRUE`` flips) exactly these items. With two
    items the component cannot tell which one is reversed: both are flagged when they correlate
    negatively (item-rest r below 0).
    """
    if R.shape[0] < 3:
        return r_drop < 0
    return _first_component(R) < 0


def _item_table(items: _Items, C: np.ndarray, loading: np.ndarray | None,
                pearson: np.ndarray) -> pd.DataFrame:
    """The item table; ``pearson`` is R's ``cor(x, use = "pairwise")`` (psych::principal's)."""
    X = items.X
    k = C.shape[0]
    R = cov2cor(C)
    Vt = R.sum()
    std_r = R.sum(axis=0) / np.sqrt(Vt)
    r_drop = np.empty(k)
    a_drop = np.full(k, np.nan)
    sa_drop = np.full(k, np.nan)
    for i in range(k):
        keep = np.arange(k) != i
        r_drop[i] = (C[:, i].sum() - C[i, i]) / np.sqrt(C[i, i] * C[np.ix_(keep, keep)].sum())
        if k > 2:
            st = alpha_stats(C[np.ix_(keep, keep)])
            a_drop[i], sa_drop[i] = st["alpha"], st["std_alpha"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        total = np.nanmean(X, axis=1)
        means = np.nanmean(X, axis=0)
        sds = np.nanstd(X, axis=0, ddof=1)
    # item-total (psych raw.r): correlation with the mean of the answered items
    r_total = np.empty(k)
    for i in range(k):
        ok = ~np.isnan(X[:, i]) & ~np.isnan(total)
        r_total[i] = np.corrcoef(X[ok, i], total[ok])[0, 1]
    df = pd.DataFrame({
        "item": items.names,
        "key": np.where(items.keys < 0, "-", "+"),
        "n": (~np.isnan(X)).sum(axis=0),
        "mean": means, "sd": sds,
        "r_total": r_total, "r_total_std": std_r, "r_drop": r_drop,
        "alpha_if_dropped": a_drop, "std_alpha_if_dropped": sa_drop,
    })
    if loading is not None:
        df["loading_1f"] = loading
    df["keying_flag"] = _keying_flags(pearson, r_drop)
    return df


def item_analysis(data: pd.DataFrame | np.ndarray, *, reverse: Sequence[str] | None = None,
                  item_range: tuple[float, float] | None = None,
                  missing: Missing = "pairwise") -> pd.DataFrame:
    """Item statistics and a keying audit, as in ``psych::alpha``'s item tables.

    Returns
    -------
    DataFrame
        One row per item: ``item, key`` (+ or - as keyed), ``n, mean, sd``,
        ``r_total`` (item-total r, psych ``raw.r``), ``r_total_std`` (``std.r``),
        ``r_drop`` (item-rest r, psych ``r.drop``), ``alpha_if_dropped``,
        ``std_alpha_if_dropped``, ``loading_1f`` (loading on one minres factor,
        signed so that most loadings are positive) and ``keying_flag``: True when the
        item loads negatively on the first principal component (signed to a positive
        sum), a likely reverse-key or data-coding error: the items ``psych::alpha`` warns
        about and ``check.keys = TRUE`` would flip (with two items: when they correlate
        negatively). Keys are never flipped.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> d["c"] = 6 - d["c"]                        # as if c's reverse key were forgotten
    >>> item_analysis(d)["keying_flag"].tolist()   # R: psych::alpha(d, check.keys = TRUE)$keys
    [False, False, True, False]
    """
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing)
    C = _cov(items.X)
    R = _pearson(items.X)
    return _item_table(items, C, _one_factor_loading(R), R)


def _one_factor_loading(R: np.ndarray) -> np.ndarray | None:
    if R.shape[0] < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        L, _ = _minres(R, 1)
    return L[:, 0]


# ====================================================================== split-half
def split_half(data: pd.DataFrame | np.ndarray, *, reverse: Sequence[str] | None = None,
               item_range: tuple[float, float] | None = None,
               missing: Missing = "pairwise") -> pd.DataFrame:
    """Odd-even split-half reliability (Spearman-Brown) and Guttman's lambda-6.

    Returns
    -------
    DataFrame
        One row: ``r_halves`` (correlation of the sums of items 1, 3, 5, ... and
        2, 4, 6, ... in column order), ``split_half_sb`` (Spearman-Brown
        :math:`2r/(1+r)`), ``lambda6`` (Guttman's :math:`\\lambda_6` from squared
        multiple correlations, psych's ``G6(smc)``), ``missing``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> round(float(split_half(d)["split_half_sb"].iloc[0]), 4)
    0.9103
    """
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing)
    C = _cov(items.X)
    r = _split_r(C)
    return pd.DataFrame([{"r_halves": r, "split_half_sb": 2 * r / (1 + r),
                          "lambda6": alpha_stats(C)["g6_smc"], "missing": missing}])


def _split_r(C: np.ndarray) -> float:
    a = np.arange(C.shape[0]) % 2 == 0
    b = ~a
    return float(C[np.ix_(a, b)].sum() / np.sqrt(C[np.ix_(a, a)].sum() * C[np.ix_(b, b)].sum()))


# ====================================================================== factor machinery
def _minres(R: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-residual (ULS) factor extraction of a correlation matrix (psych ``fa(fm="minres")``).

    The extraction kernel :func:`compassion_scales.stats.extraction.fit_minres` (as ``efa``).
    Returns ``(loadings, uniquenesses)``; columns signed so their sums are positive.
    """
    fit = fit_minres(R, nf)
    if not fit.converged:
        warnings.warn(f"The minres factor extraction did not converge ({str(fit.message).strip().rstrip(':')}); omega "
                      "may be inaccurate.", ConvergenceWarning, stacklevel=3)
    L = fit.loadings
    signs = np.sign(L.sum(axis=0))
    signs[signs == 0] = 1
    L = L * signs
    if np.any(fit.psi <= PSI_LOWER + 1e-8):
        warnings.warn("A communality reached 1 in the factor solution (a Heywood case); "
                      "omega is doubtful. Try fewer factors.", HeywoodCaseWarning, stacklevel=3)
    return L, fit.psi


def _schmid_oblique(L: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """psych::schmid's rotations: varimax, signed, then oblimin (one :func:`rotate`).

    Returns ``(orthogonal loadings, oblique pattern, factor correlations)``.
    """
    orth = rotate(L, "varimax").loadings
    s = np.sign(orth.sum(axis=0))
    s[s == 0] = 1
    orth = orth * s
    rot = rotate(orth, "oblimin")
    if not rot.converged:
        warnings.warn("The oblimin rotation did not converge; omega hierarchical may be "
                      "inaccurate.", ConvergenceWarning, stacklevel=4)
    assert rot.phi is not None
    return orth, rot.loadings, rot.phi


def _omega_from_R(R: np.ndarray, nf: int, option: str = "equal") -> dict[str, Any]:
    """psych's ``omegah``/``schmid`` on a correlation matrix (minres, oblimin, Schmid-Leiman)."""
    p = R.shape[0]
    L, _ = _minres(R, nf)
    if nf == 1:
        orth = L
        fload = L
        gload = np.array([1.0])
    else:
        orth, fload, phi = _schmid_oblique(L)
        if nf > 2:
            gl, _ = _minres(phi, 1)
            gload = gl[:, 0]
        else:
            if option != "equal":
                raise AnalysisError("Only option='equal' is supported for two group factors.")
            r12 = phi[0, 1]
            gload = np.array([np.sqrt(abs(r12)), np.sign(r12) * np.sqrt(abs(r12))])
    g = fload @ gload
    h2 = np.sum(orth**2, axis=1)
    u2 = 1.0 - h2
    primeload = fload * gload
    uniq2 = np.maximum(fload**2 - primeload**2, 0.0)
    sm = np.sign(fload) * np.sqrt(uniq2)
    key = np.sign(g)
    key[key == 0] = 1
    m = R * np.outer(key, key)
    g = g * key
    sm = sm * key[:, None]
    Vt = m.sum()
    gsq = g.sum() ** 2
    uniq = u2.sum()
    ev = np.concatenate([[np.sum(g**2)], np.sum(sm**2, axis=0)])
    loadings = np.column_stack([g, sm, h2, u2])
    return {
        "omega_h": gsq / Vt if nf > 1 else np.nan,
        "omega_total": (Vt - uniq) / Vt,
        "omega_limit": gsq / (Vt - uniq) if nf > 1 else np.nan,
        "ecv": ev[0] / ev.sum() if nf > 1 else np.nan,
        "alpha_std": (Vt - p) / Vt * p / (p - 1),
        "lambda6": (Vt + smc(m).sum() - p) / Vt,
        "loadings": loadings, "flipped": key < 0, "general_1f": g,
    }


@renamed_arguments(nfactors="n_factors", adapt=number_second("n_factors", "omega"))
def omega(data: pd.DataFrame | np.ndarray, *, n_factors: int = 1,
          reverse: Sequence[str] | None = None, item_range: tuple[float, float] | None = None,
          missing: Missing = "pairwise", ordinal: bool = False) -> pd.DataFrame:
    """McDonald's omega as ``psych::omega`` computes it.

    Parameters
    ----------
    data : DataFrame
        One column per item (keyed), NaN = missing.
    n_factors : int
        1: omega total from a one-factor minres model. 2 or more: omega hierarchical
        and total from a Schmid-Leiman bifactor solution (minres extraction, oblimin
        rotation, general factor from a one-factor minres solution of the factor
        correlations; with 2 factors their loadings on g are set equal, psych's
        ``option = "equal"``). The 0.1 calls ``omega(data, 2)`` and ``nfactors=2`` still
        work until 1.0, with a :class:`FutureWarning`.
    reverse, item_range, missing
        As in :func:`cronbach_alpha`.
    ordinal : bool
        Use polychoric instead of Pearson correlations (psych ``poly = TRUE``).

    Returns
    -------
    DataFrame
        One row: ``n_obs, n_items, n_factors, omega_total, omega_h, omega_limit``
        (:math:`\\omega_h/\\omega_t`), ``ecv`` (explained common variance of g),
        ``alpha`` (standardised, from the same matrix), ``lambda6``, ``estimator``,
        ``correlation``, ``missing``. ``.attrs["loadings"]`` holds the
        Schmid-Leiman loadings (``g``, ``F1*``..., ``h2``, ``u2``).

    Notes
    -----
    With :math:`V_t` the sum of the (sign-corrected) correlation matrix,
    :math:`\\omega_t = (V_t - \\sum u^2_j)/V_t` and
    :math:`\\omega_h = (\\sum g_j)^2 / V_t`. Items with negative general-factor
    loadings are flipped as psych does (reported in the notes of
    :func:`reliability`).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> res = omega(d)                   # R: psych::omega(d, nfactors = 1)$omega.tot
    >>> round(float(res["omega_total"].iloc[0]), 3)
    0.947
    """
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise AnalysisError(f"n_factors must be a whole number of at least 1, not {n_factors!r}.")
    nfactors = int(n_factors)
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing, min_items=3)
    R, corr = _corr(items, ordinal)
    if nfactors > 1 and items.X.shape[1] < 2 * nfactors + 1:
        raise AnalysisError(
            f"{nfactors} group factors need more items than the {items.X.shape[1]} given "
            "(at least 2 per factor plus one). Use fewer factors.")
    om = _omega_from_R(R, int(nfactors))
    out = pd.DataFrame([{
        "n_obs": items.X.shape[0], "n_items": items.X.shape[1], "n_factors": nfactors,
        "omega_total": om["omega_total"], "omega_h": om["omega_h"],
        "omega_limit": om["omega_limit"], "ecv": om["ecv"], "alpha": om["alpha_std"],
        "lambda6": om["lambda6"], "estimator": _estimator(int(nfactors)),
        "correlation": corr, "missing": missing}])
    cols = ["g", *[f"F{i + 1}*" for i in range(int(nfactors))], "h2", "u2"]
    out.attrs["loadings"] = pd.DataFrame(om["loadings"], index=items.names, columns=cols)
    return out


def _estimator(nf: int) -> str:
    if nf == 1:
        return "minres, 1 factor"
    return (f"minres, {nf} factors, oblimin, Schmid-Leiman"
            + (" (2 factors: equal g loadings)" if nf == 2 else ""))


def _corr(items: _Items, ordinal: bool) -> tuple[np.ndarray, str]:
    if ordinal:
        from compassion_scales.analyses.correlations import UnequalCategoriesWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            poly = polychoric(pd.DataFrame(items.X, columns=items.names))
        for w in caught:  # pass on what psych would say about unequal categories
            if issubclass(w.category, UnequalCategoriesWarning):
                warnings.warn(str(w.message), UnequalCategoriesWarning, stacklevel=3)
        per_pair = "thresholds per pair" in poly.attrs["method"]
        return poly.to_numpy(), f"polychoric ({items.missing}{', thresholds per pair' if per_pair else ''})"
    return _pearson(items.X), f"Pearson ({items.missing})"


def _pearson(X: np.ndarray) -> np.ndarray:
    """Pearson correlations, pairwise-complete where answers are missing (R's ``cor``)."""
    if not np.isnan(X).any():
        return np.corrcoef(X, rowvar=False)
    R = pairwise_cor(X)
    if np.isnan(R).any():
        raise AnalysisError(
            "Some pairs of items were never answered by the same two or more people, or one "
            "item of the pair has the same answer from everyone who answered both, so their "
            "correlation cannot be computed. Use missing='listwise' or check the data.")
    return R


# ====================================================================== reliability
@dataclass(frozen=True, repr=False)
class ReliabilityResult(ResultMixin):
    """Result of :func:`reliability`.

    Attributes
    ----------
    table : DataFrame
        One row per score (and group): see :func:`reliability`. Also ``summary``.
    items : DataFrame
        One row per score (and group) and item: item statistics and keying audit.
    missing, n_boot, seed, level, n_factors, ordinal, group, instrument
        The options used.
    """

    table: pd.DataFrame
    items: pd.DataFrame
    missing: str
    n_boot: int
    seed: int | None
    level: float
    n_factors: int
    ordinal: bool
    group: str | None = None
    instrument: str | None = None
    messages: tuple[str, ...] = field(default_factory=tuple)

    _title = "Reliability (internal consistency)"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def ci(self) -> float:
        """Old name of :attr:`level` (until 1.0)."""
        warnings.warn("ReliabilityResult.ci is now called level; ci will stop working in "
                      "version 1.0.", FutureWarning, stacklevel=2)
        return self.level

    @property
    def nfactors(self) -> int:
        """Old name of :attr:`n_factors` (until 1.0)."""
        warnings.warn("ReliabilityResult.nfactors is now called n_factors; nfactors will stop "
                      "working in version 1.0.", FutureWarning, stacklevel=2)
        return self.n_factors

    def _notes(self) -> list[str]:
        pct = f"{self.level:.0%}"
        miss = ("pairwise: covariances from everyone answering each pair of items (psych's "
                "default); people with no answers dropped" if self.missing == "pairwise"
                else "listwise: only people who answered every item")
        lines = [
            f"Missing answers: {miss}.",
            f"alpha: Cronbach's alpha (raw, covariances); ci_low/ci_high: Feldt {pct} interval "
            "(psych::alpha.ci); std_alpha: standardised alpha (correlations).",
        ]
        if self.n_boot:
            lines.append(f"boot_ci_low/boot_ci_high: percentile bootstrap {pct} interval of alpha, "
                         f"{self.n_boot} resamples of people, seed {self.seed}.")
        lines.append("omega_total: McDonald's omega total, minres factor analysis of the "
                     f"Pearson correlation matrix ({self.missing}; psych::omega)"
                     + (f"; omega_h: omega hierarchical from a Schmid-Leiman solution with "
                        f"{self.n_factors} oblimin-rotated group factors." if self.n_factors > 1
                        else ", 1 factor (omega_h needs n_factors >= 2)."))
        lines.append("split_half_sb: odd-even split half, Spearman-Brown corrected; lambda6: "
                     "Guttman's lambda-6 (smc).")
        if self.ordinal:
            lines.append("ordinal_alpha / ordinal_omega_total: from polychoric correlations "
                         "(two-step ML, psych::polychoric).")
        if self.instrument:
            lines.append(f"Items keyed as declared by instrument {self.instrument!r}; keys never "
                         "flipped automatically.")
        lines.extend(self.messages)
        return lines

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        out = super().to_dict()
        out["items"] = to_jsonable(self.items)
        out["settings"] = {"missing": self.missing, "n_boot": self.n_boot, "seed": self.seed,
                           "level": self.level, "n_factors": self.n_factors,
                           "ordinal": self.ordinal, "group": self.group,
                           "instrument": self.instrument}
        return out


@dataclass(frozen=True)
class _Settings:
    """The options of one :func:`reliability` call, passed to each score and group."""

    missing: str
    level: float
    n_boot: int
    seed: int | None
    n_factors: int
    ordinal: bool
    item_range: tuple[float, float] | None


def _omega_columns(row: dict[str, Any], items: _Items, R: np.ndarray,
                   n_factors: int) -> np.ndarray | None:
    """Add omega total/hierarchical to ``row``; return the one-factor loadings (or None)."""
    k = items.X.shape[1]
    if k < 3:
        row["omega_total"] = row["omega_h"] = np.nan
        row["n_factors"] = 0
        return None
    nf = n_factors if k >= 2 * n_factors + 1 else 1
    om = _omega_from_R(R, nf)
    row["omega_total"] = om["omega_total"]
    row["omega_h"] = om["omega_h"]
    row["n_factors"] = nf
    row["_flipped"] = [n for n, f in zip(items.names, om["flipped"], strict=True) if f]
    return _one_factor_loading(R)


def _one_set(data: pd.DataFrame, reverse: Sequence[str] | None,
             opts: _Settings) -> tuple[dict[str, Any], pd.DataFrame]:
    items = _prepare(data, reverse=reverse, item_range=opts.item_range, missing=opts.missing)
    row = _alpha_row(items, opts.level, opts.n_boot, opts.seed)
    C = _cov(items.X)
    k = items.X.shape[1]
    row["n_incomplete"] = items.n_incomplete
    R = _pearson(items.X)
    loading = _omega_columns(row, items, R, opts.n_factors)
    row["split_half_sb"] = (lambda r: 2 * r / (1 + r))(_split_r(C))
    row["lambda6"] = row.pop("g6_smc")
    if opts.ordinal:
        P, _ = _corr(items, True)
        row["ordinal_alpha"] = (1 - k / P.sum()) * (k / (k - 1))
        row["ordinal_omega_total"] = _omega_from_R(P, 1)["omega_total"] if k >= 3 else np.nan
    tab = _item_table(items, C, loading, R)
    declared = data.attrs.get("declared_reverse", [])  # keyed by the instrument, before this call
    tab.loc[tab["item"].isin(declared), "key"] = "-"
    row["n_flagged"] = int(tab["keying_flag"].sum())
    return row, tab


def _item_sets(data: pd.DataFrame, instrument: str | Instrument | None, *,
               items: Sequence[str] | None, reverse: Sequence[str] | None,
               item_range: tuple[float, float] | None, group: str | None,
               scores: Sequence[str] | None, column_map: Mapping[str, str] | None,
               patterns: Mapping[str, str] | Sequence[str] | str | None, on_invalid: str
               ) -> tuple[list[tuple[str, pd.DataFrame, Sequence[str] | None]], str | None,
                          tuple[float, float] | None, list[str]]:
    """The item tables to analyse: ``(sets, instrument id, answer range, input notes)``."""
    if instrument is not None:
        if items is not None or reverse:
            raise AnalysisError("With an instrument, items and their keys come from the "
                                "instrument; do not also give items= or reverse=.")
        from compassion_scales._inputs import InputOptions, item_set
        from compassion_scales.errors import SkippedScoreWarning

        iset = item_set(data, instrument, scores=scores, min_items=2,
                        options=InputOptions.of(column_map, patterns, on_invalid),
                        reserved={"group": group})
        notes = iset.notes()
        for note in notes:
            warnings.warn(note, SkippedScoreWarning, stacklevel=4)
        return ([(sid, _declared_keys(iset.items(sid), iset.instrument, sid), None)
                 for sid in iset.scores], iset.instrument.id, item_range, notes)
    cols = list(items) if items is not None else [c for c in data.columns if c != group]
    missing_cols = [c for c in cols if c not in data.columns]
    if missing_cols:
        raise AnalysisError("Item column(s) not in the data: " + ", ".join(map(str, missing_cols))
                            + ". Check the names (they are case-sensitive).")
    vals, _ = item_matrix(data, cols)
    if reverse and item_range is None and np.isfinite(vals).any():
        # one answer range for everyone, so groups are keyed alike
        item_range = (float(np.nanmin(vals)), float(np.nanmax(vals)))
    return [("items", pd.DataFrame(vals, columns=cols, index=data.index), reverse)], None, \
        item_range, []


def _declared_keys(frame: pd.DataFrame, inst: Any, sid: str) -> pd.DataFrame:
    """Record in ``frame.attrs`` which items the instrument reversed (shown as key ``-``)."""
    score = inst.score(sid)
    frame.attrs["declared_reverse"] = ([i for i in score.items if inst.item(i).reverse]
                                       if score.keying == "keyed" else [])
    return frame


def _subsets(data: pd.DataFrame, group: str | None) -> tuple[list[tuple[str, np.ndarray]], int]:
    """``("all", everyone)`` then each group in report order; and how many lack a group."""
    out = [("all", np.ones(len(data), dtype=bool))]
    if group is None:
        return out, 0
    g = data[group]
    # a nullable column (Int64, string, boolean) compares to <NA> where the group is missing
    out += [(str(v), (g == v).fillna(False).to_numpy(dtype=bool)) for v in group_levels(g)]
    return out, int(g.isna().sum())


def _analyse(sid: str, frame: pd.DataFrame, rev: Sequence[str] | None, gname: str,
             where: str, opts: _Settings,
             messages: list[str]) -> tuple[dict[str, Any], pd.DataFrame] | None:
    """One score in one group; doubts re-issued naming the score (and group), once each."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            row, tab = _one_set(frame, rev, opts)
    except AnalysisError as exc:
        if gname == "all":
            raise AnalysisError(f"Score {sid!r}: {exc}") from None
        messages.append(f"Group {gname!r} of score {sid!r} skipped: {exc}")
        return None
    for text, category in dict.fromkeys((f"{where}: {w.message}", w.category) for w in caught):
        warnings.warn(text, category, stacklevel=4)
    flipped = row.pop("_flipped", [])
    if opts.n_factors > 1 and row["n_factors"] == 1:
        messages.append(f"omega for {where[0].lower() + where[1:]}: its {row['n_items']} items are "
                        f"too few for {opts.n_factors} group factors (omega needs at least 2 items "
                        "per factor plus one), so omega_total is from one factor and omega_h is "
                        "not computed.")
    if flipped:
        messages.append(f"omega for {where[0].lower() + where[1:]}: item(s) "
                        f"{', '.join(flipped)} load negatively on the general factor and were "
                        "flipped inside the omega computation only (psych::omega convention); "
                        "alpha and the item table use the keys as given.")
    return row, tab


def _missing_messages(table: pd.DataFrame, missing: str, messages: list[str]) -> None:
    inc = table.get("n_incomplete")
    if inc is None or not (inc > 0).any():
        return
    if missing == "pairwise":
        messages.append("Some people skipped items: their answered items count pairwise "
                        "(n_incomplete people with at least one missing item).")
    else:
        warnings.warn(f"Listwise deletion dropped up to {int(inc.max())} people with missing "
                      "answers.", MissingDataWarning, stacklevel=4)


@renamed_arguments(boot="n_boot", ci="level", nfactors="n_factors")
def reliability(data: pd.DataFrame, instrument: str | Instrument | None = None, *,
                items: Sequence[str] | None = None, reverse: Sequence[str] | None = None,
                item_range: tuple[float, float] | None = None, group: str | None = None,
                n_boot: int = 1000, seed: int | None = 0, ordinal: bool = False,
                missing: Missing = "pairwise", level: float = 0.95, n_factors: int = 1,
                scores: Sequence[str] | None = None,
                column_map: Mapping[str, str] | None = None,
                patterns: Mapping[str, str] | Sequence[str] | str | None = None,
                on_invalid: str = "error") -> ReliabilityResult:
    """Reliability analysis of each score (and group): alpha, omega, split-half, items.

    Parameters
    ----------
    data : DataFrame
        Responses, one row per person. Without ``instrument`` the item columns
        (``items``, or every column except ``group``) are analysed as one scale.
    instrument : str or Instrument, optional
        An instrument id or file. Each of its scores with two or more items is analysed
        on its items, validated and keyed as the instrument declares
        (``compassion_scales.scoring.item_scores``).
    items : list of str, optional
        Item columns (without an instrument).
    reverse, item_range
        Items to reverse-key and the answer range (without an instrument), see
        :func:`cronbach_alpha`.
    group : str, optional
        Column of ``data``: analyse each group separately (plus everyone). Groups are
        reported in category order for a categorical column, otherwise sorted
        (:func:`compassion_scales.stats.groups.group_levels`, the rule of ``compare``).
    n_boot : int
        Bootstrap resamples for alpha's percentile interval (0 = none; 0.1: ``boot``).
    seed : int or None
        Bootstrap seed (default 0); ``None`` draws one at random and reports it.
    ordinal : bool
        Also report ordinal alpha and omega from polychoric correlations.
    missing : {"pairwise", "listwise"}
        Missing-answer handling (pairwise is psych's default and ours).
    level : float
        Confidence level (0.1: ``ci``).
    n_factors : int
        Group factors for omega hierarchical (1 = omega total only; 0.1: ``nfactors``).
    scores : list of str, optional
        With an instrument, analyse only these scores. Default: every score with two or
        more items whose items are in the data (the others are skipped, and said so).
    column_map, patterns, on_invalid
        How answers are matched to items and validated (see
        :func:`compassion_scales.score`); validation runs once for all scores.

    Returns
    -------
    ReliabilityResult
        ``summary``: one row per score x group with ``score, group, n_obs, n_items,
        alpha, ci_low, ci_high, std_alpha, average_r, median_r, signal_noise, ase,
        [boot_ci_low, boot_ci_high, n_boot, seed], n_incomplete, omega_total, omega_h,
        n_factors, split_half_sb, lambda6, [ordinal_alpha, ordinal_omega_total],
        n_flagged``. ``items``: see :func:`item_analysis`.

    Warns
    -----
    KeyingWarning
        When an item loads negatively on the first principal component, as
        ``psych::alpha`` warns (a likely reverse-key or coding error).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> res = reliability(d, n_boot=2000, seed=1)
    >>> res.summary[["alpha", "omega_total"]].round(3).to_numpy().tolist()
    [[0.945, 0.947]]
    """
    _check_level(level)
    n_boot = check_n_boot(n_boot)
    _check_missing(missing)
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    if group is not None and group not in data.columns:
        raise AnalysisError(f"The group column {group!r} is not in the data; columns are: "
                            + name_columns(data.columns) + "." + column_hint(data.columns, group))
    sets, inst_id, item_range, notes = _item_sets(
        data, instrument, items=items, reverse=reverse, item_range=item_range, group=group,
        scores=scores, column_map=column_map, patterns=patterns, on_invalid=on_invalid)
    opts = _Settings(missing=missing, level=level, n_boot=n_boot,
                     seed=_resolve_seed(seed) if n_boot else None, n_factors=int(n_factors),
                     ordinal=ordinal, item_range=item_range)
    subsets, n_na = _subsets(data, group)
    rows, tabs, messages, flagged = [], [], list(notes), []
    for sid, frame, rev in sets:
        for gname, mask in subsets:
            where = f"Score {sid!r}" + (f", group {gname!r}" if group is not None else "")
            done = _analyse(sid, frame[mask], rev, gname, where, opts, messages)
            if done is None:
                continue
            row, tab = done
            rows.append({"score": sid, "group": gname, **row})
            tabs.append(tab.assign(score=sid, group=gname)[["score", "group", *tab.columns]])
            if gname == "all":
                flagged += [f"{sid}:{it}" for it in tab.loc[tab["keying_flag"], "item"]]
    if n_na:
        messages.append(f"{n_na} people with a missing {group!r} are only in group 'all'.")
    drop = ["group"] if group is None else []
    table = pd.DataFrame(rows).drop(columns=drop)
    if flagged:
        msg = ("Possible keying or coding error: item(s) " + ", ".join(flagged) + " load "
               "against the rest of their scale (negatively on its first principal component; "
               "psych::alpha's check). "
               "Check the reverse keys and the answer coding; nothing was flipped.")
        warnings.warn(msg, KeyingWarning, stacklevel=3)
        messages.append(msg)
    _missing_messages(table, missing, messages)
    return ReliabilityResult(table=table, items=pd.concat(tabs, ignore_index=True).drop(columns=drop),
                             missing=missing, n_boot=n_boot, seed=opts.seed, level=level,
                             n_factors=int(n_factors), ordinal=ordinal, group=group,
                             instrument=inst_id, messages=tuple(messages))
