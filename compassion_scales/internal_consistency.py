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

from compassion_scales.correlations import (
    item_matrix,
    pairwise_cov,
    polychoric,
)
from compassion_scales.errors import (
    AnalysisError,
    ConvergenceWarning,
    HeywoodCaseWarning,
    KeyingWarning,
    MissingDataWarning,
)
from compassion_scales.results import ResultMixin
from compassion_scales.stats.correlation import cov2cor, pairwise_cor, smc

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
            f"Only {X.shape[0]} people have usable answers ({missing} deletion); internal "
            "consistency needs at least 3. Check the item columns and missing-value codes.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(X, axis=0) - np.nanmin(X, axis=0)
    flat = [n for n, sp in zip(names, spread, strict=True) if not sp > 0]
    if flat:
        raise AnalysisError(
            f"Item(s) {', '.join(flat)} have the same answer from everyone who answered (no "
            "variance), so their correlations with the other items are undefined. Leave them "
            "out (--items or --score) or check the data.")
    return _Items(X=X, names=names, keys=keys, n_rows_in=n_in, missing=missing,
                  n_incomplete=n_incomplete)


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
def _alpha_stats(C: np.ndarray) -> dict[str, float]:
    """psych's ``alpha.1``: raw and standardised alpha, G6, average/median r, Q."""
    n = C.shape[0]
    R = cov2cor(C)
    sumC = C.sum()
    trC = np.trace(C)
    sumR = R.sum()
    raw = (1 - trC / sumC) * (n / (n - 1))
    std = (1 - n / sumR) * (n / (n - 1))
    g6 = 1 - (n - smc(R).sum()) / sumR
    av_r = (sumR - n) / (n * (n - 1))
    low = R[np.tril_indices(n, -1)]
    CC = C @ C
    Q = (2 * n**2 / ((n - 1) ** 2 * sumC**3)) * (sumC * (np.trace(CC) + trC**2) - 2 * trC * CC.sum())
    return {"alpha": raw, "std_alpha": std, "g6_smc": g6, "average_r": av_r,
            "median_r": float(np.median(low)), "signal_noise": n * av_r / (1 - av_r), "Q": Q}


def _feldt(alpha: float, n_obs: int, n_items: int, ci: float) -> tuple[float, float]:
    """Feldt (1965) interval for alpha (psych::alpha.ci)."""
    from scipy.stats import f

    p = 1 - ci
    df1, df2 = n_obs - 1, (n_obs - 1) * (n_items - 1)
    low = 1 - (1 - alpha) * f.ppf(1 - p / 2, df1, df2)
    high = 1 - (1 - alpha) * f.ppf(p / 2, df1, df2)
    return float(low), float(high)


def _resolve_seed(seed: int | None) -> int:
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        return int(entropy) % (2**32)  # type: ignore[arg-type]
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise AnalysisError(f"seed must be a non-negative whole number, not {seed!r}.")
    return int(seed)


def _boot_counts(rng: np.random.Generator, b: int, n: int) -> np.ndarray:
    """``b`` x ``n`` matrix of how often each row is drawn in each bootstrap resample."""
    dtype = np.int32 if n < 2**31 else np.int64
    idx = rng.integers(0, n, size=(b, n), dtype=dtype)
    W = np.empty((b, n))
    for i in range(b):  # row by row: the count vector stays in cache (5x faster than one bincount)
        W[i] = np.bincount(idx[i], minlength=n)
    return W


def _boot_alpha(X: np.ndarray, n_boot: int, seed: int, chunk_cells: int = 2_000_000) -> np.ndarray:
    """Raw alpha in ``n_boot`` row resamples of ``X`` (vectorised through resample counts).

    Without missing answers each resample needs only weighted sums of the items, their
    squares and the total; with missing answers (pairwise) the weighted pair counts,
    pair sums and cross-products give every pairwise covariance.
    """
    rng = np.random.default_rng(seed)
    n, k = X.shape
    M = ~np.isnan(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        Xc = np.where(M, X - np.nan_to_num(np.nanmean(X, axis=0)), 0.0)
    complete = bool(M.all())
    if complete:
        t = Xc.sum(axis=1)
        F = np.column_stack([Xc, Xc**2, t, t**2])
    else:
        ju, ku = np.triu_indices(k)
        Mf = M.astype(float)
        # pairs in blocks so the per-pair feature matrix stays small (about chunk_cells values)
        blk = max(1, chunk_cells // (4 * n))
        blocks = [(ju[i:i + blk], ku[i:i + blk]) for i in range(0, ju.size, blk)]
    out = np.empty(n_boot)
    chunk = max(1, chunk_cells // n)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        W = _boot_counts(rng, b, n)
        if complete:
            S = W @ F
            var_items = (S[:, k:2 * k] - S[:, :k] ** 2 / n).sum(axis=1)
            var_total = S[:, 2 * k + 1] - S[:, 2 * k] ** 2 / n
            out[start:start + b] = k / (k - 1) * (1 - var_items / var_total)
            continue
        tr = np.zeros(b)
        tot = np.zeros(b)
        for bj, bk in blocks:
            P = bj.size
            Fb = np.column_stack([Mf[:, bj] * Mf[:, bk], Xc[:, bj] * Mf[:, bk],
                                  Xc[:, bk] * Mf[:, bj], Xc[:, bj] * Xc[:, bk]])
            S = W @ Fb
            cnt, sa, sb, sab = S[:, :P], S[:, P:2 * P], S[:, 2 * P:3 * P], S[:, 3 * P:]
            with np.errstate(invalid="ignore", divide="ignore"):
                cov = (sab - sa * sb / cnt) / (cnt - 1)
            cov[cnt < 2] = np.nan
            diag = bj == bk
            tr += cov[:, diag].sum(axis=1)
            tot += cov[:, diag].sum(axis=1) + 2 * cov[:, ~diag].sum(axis=1)
        out[start:start + b] = k / (k - 1) * (1 - tr / tot)
    return out


def _alpha_row(items: _Items, ci: float, n_boot: int, seed: int | None) -> dict[str, Any]:
    C = _cov(items.X)
    st = _alpha_stats(C)
    n_obs, k = items.X.shape
    low, high = _feldt(st["alpha"], n_obs, k, ci)
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
            boots = _boot_alpha(items.X, int(n_boot), used)
        ok = boots[np.isfinite(boots)]
        p = (1 - ci) / 2
        row["boot_ci_low"], row["boot_ci_high"] = (
            (float(np.quantile(ok, p)), float(np.quantile(ok, 1 - p))) if ok.size else (np.nan, np.nan))
        row["n_boot"] = int(n_boot)
        row["seed"] = used
    return row


def _check_ci(ci: float) -> None:
    if not (isinstance(ci, (float, int)) and 0 < ci < 1):
        raise AnalysisError(f"ci must be a level between 0 and 1 (e.g. 0.95), not {ci!r}.")


def _check_boot(boot: int) -> int:
    if isinstance(boot, bool) or not isinstance(boot, (int, np.integer)) or boot < 0:
        raise AnalysisError(f"boot must be a whole number of resamples (0 for none), not {boot!r}.")
    if 0 < boot < 100:
        raise AnalysisError(f"boot={boot} resamples is too few for a percentile interval; use 1000 or more.")
    return int(boot)


def cronbach_alpha(data: pd.DataFrame | np.ndarray, *, reverse: Sequence[str] | None = None,
                   item_range: tuple[float, float] | None = None, missing: Missing = "pairwise",
                   ci: float = 0.95, boot: int = 0, seed: int | None = None) -> pd.DataFrame:
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
    ci : float
        Confidence level of the intervals.
    boot : int
        Number of bootstrap resamples for a percentile interval (0 = none).
    seed : int, optional
        Seed of the bootstrap; drawn at random (and reported) when not given.

    Returns
    -------
    DataFrame
        One row: ``n_obs, n_items, alpha, ci_low, ci_high`` (Feldt), ``std_alpha,
        average_r, median_r, g6_smc, signal_noise, ase`` and, with ``boot``,
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

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> res = cronbach_alpha(d)          # R: psych::alpha(d)$total$raw_alpha
    >>> round(float(res["alpha"].iloc[0]), 4)
    0.9448
    """
    _check_ci(ci)
    n_boot = _check_boot(boot)
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing)
    row = _alpha_row(items, ci, n_boot, seed)
    row["missing"] = missing
    return pd.DataFrame([row])


# ====================================================================== item analysis
def _item_table(items: _Items, C: np.ndarray, loading: np.ndarray | None) -> pd.DataFrame:
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
            st = _alpha_stats(C[np.ix_(keep, keep)])
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
        df["keying_flag"] = (r_drop < 0) | (loading < 0)
    else:
        df["keying_flag"] = r_drop < 0
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
        item-rest correlation is negative or the loading's sign is opposite to the
        scale's, a likely reverse-key or data-coding error. Keys are never flipped.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> d["c"] = 6 - d["c"]                        # as if c's reverse key were forgotten
    >>> item_analysis(d)["keying_flag"].tolist()   # R: psych::alpha(d)$item.stats$r.drop
    [False, False, True, False]
    """
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing)
    C = _cov(items.X)
    loading = _one_factor_loading(_pearson(items.X))
    return _item_table(items, C, loading)


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
                          "lambda6": _alpha_stats(C)["g6_smc"], "missing": missing}])


def _split_r(C: np.ndarray) -> float:
    a = np.arange(C.shape[0]) % 2 == 0
    b = ~a
    return float(C[np.ix_(a, b)].sum() / np.sqrt(C[np.ix_(a, a)].sum() * C[np.ix_(b, b)].sum()))


# ====================================================================== factor machinery
def _minres(R: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-residual (ULS) factor extraction of a correlation matrix (psych ``fa(fm="minres")``).

    Uses the same extraction as :func:`compassion_scales.efa` (``factor._fit_minres``).
    Returns ``(loadings, uniquenesses)``; columns signed so their sums are positive.
    """
    from compassion_scales.factor import _fit_minres

    fit = _fit_minres(R, nf)
    if not fit.converged:
        warnings.warn(f"The minres factor extraction did not converge ({fit.message}); omega "
                      "may be inaccurate.", ConvergenceWarning, stacklevel=3)
    L = fit.loadings
    signs = np.sign(L.sum(axis=0))
    signs[signs == 0] = 1
    L = L * signs
    if np.any(fit.psi <= 0.005 + 1e-8):
        warnings.warn("A communality reached 1 in the factor solution (a Heywood case); "
                      "omega is doubtful. Try fewer factors.", HeywoodCaseWarning, stacklevel=3)
    return L, fit.psi


def _varimax(A: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """R's ``stats::varimax`` (Kaiser normalisation)."""
    nc = A.shape[1]
    if nc < 2:
        return A
    sc = np.sqrt((A**2).sum(axis=1))
    x = A / sc[:, None]
    p = x.shape[0]
    T = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = x @ T
        B = x.T @ (z**3 - z @ np.diag((z**2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(B)
        T = u @ vt
        dpast, d = d, s.sum()
        if d < dpast * (1 + eps):
            break
    return (x @ T) * sc[:, None]


def _oblimin(A: np.ndarray, gam: float = 0.0, eps: float = 1e-5,
             maxit: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Direct oblimin by gradient projection (GPArotation's ``GPFoblq``, normalize = FALSE).

    Returns ``(pattern loadings, factor correlations Phi)``.
    """
    k = A.shape[1]
    off = 1.0 - np.eye(k)
    p = A.shape[0]

    def vgq(L: np.ndarray) -> tuple[np.ndarray, float]:
        X = (L**2) @ off
        if gam != 0:
            X = (np.eye(p) - gam / p) @ X
        return L * X, float(np.sum(L**2 * X) / 4)

    T = np.eye(k)
    al = 1.0
    L = A @ np.linalg.inv(T).T
    Gq, f = vgq(L)
    G = -(L.T @ Gq @ np.linalg.inv(T)).T
    converged = False
    for _ in range(maxit + 1):
        Gp = G - T @ np.diag(np.sum(T * G, axis=0))
        s = np.sqrt(np.sum(Gp**2))
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            X = T - al * Gp
            Tt = X / np.sqrt(np.sum(X**2, axis=0))
            L = A @ np.linalg.inv(Tt).T
            Gqt, ft = vgq(L)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2
        T, f = Tt, ft
        G = -(L.T @ Gqt @ np.linalg.inv(Tt)).T
    if not converged:
        warnings.warn("The oblimin rotation did not converge; omega hierarchical may be "
                      "inaccurate.", ConvergenceWarning, stacklevel=3)
    return A @ np.linalg.inv(T).T, T.T @ T


def _omega_from_R(R: np.ndarray, nf: int, option: str = "equal") -> dict[str, Any]:
    """psych's ``omegah``/``schmid`` on a correlation matrix (minres, oblimin, Schmid-Leiman)."""
    p = R.shape[0]
    L, _ = _minres(R, nf)
    if nf == 1:
        orth = L
        fload = L
        gload = np.array([1.0])
    else:
        orth = _varimax(L)
        s = np.sign(orth.sum(axis=0))
        s[s == 0] = 1
        orth = orth * s
        fload, phi = _oblimin(orth)
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


def omega(data: pd.DataFrame | np.ndarray, nfactors: int = 1, *,
          reverse: Sequence[str] | None = None, item_range: tuple[float, float] | None = None,
          missing: Missing = "pairwise", ordinal: bool = False) -> pd.DataFrame:
    """McDonald's omega as ``psych::omega`` computes it.

    Parameters
    ----------
    data : DataFrame
        One column per item (keyed), NaN = missing.
    nfactors : int
        1: omega total from a one-factor minres model. 2 or more: omega hierarchical
        and total from a Schmid-Leiman bifactor solution (minres extraction, oblimin
        rotation, general factor from a one-factor minres solution of the factor
        correlations; with 2 factors their loadings on g are set equal, psych's
        ``option = "equal"``).
    reverse, item_range, missing
        As in :func:`cronbach_alpha`.
    ordinal : bool
        Use polychoric instead of Pearson correlations (psych ``poly = TRUE``).

    Returns
    -------
    DataFrame
        One row: ``n_obs, n_items, nfactors, omega_total, omega_h, omega_limit``
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
    if isinstance(nfactors, bool) or not isinstance(nfactors, (int, np.integer)) or nfactors < 1:
        raise AnalysisError(f"nfactors must be a whole number of at least 1, not {nfactors!r}.")
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing, min_items=3)
    R, corr = _corr(items, ordinal)
    if nfactors > 1 and items.X.shape[1] < 2 * nfactors + 1:
        raise AnalysisError(
            f"{nfactors} group factors need more items than the {items.X.shape[1]} given "
            "(at least 2 per factor plus one). Use fewer factors.")
    om = _omega_from_R(R, int(nfactors))
    out = pd.DataFrame([{
        "n_obs": items.X.shape[0], "n_items": items.X.shape[1], "nfactors": int(nfactors),
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
        from compassion_scales.correlations import UnequalCategoriesWarning

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
            "Some pairs of items were never answered by the same two or more people, so "
            "their correlation cannot be computed. Use missing='listwise' or check the data.")
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
    missing, n_boot, seed, ci, nfactors, ordinal, group, instrument
        The options used.
    """

    table: pd.DataFrame
    items: pd.DataFrame
    missing: str
    n_boot: int
    seed: int | None
    ci: float
    nfactors: int
    ordinal: bool
    group: str | None = None
    instrument: str | None = None
    messages: tuple[str, ...] = field(default_factory=tuple)

    _title = "Reliability (internal consistency)"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    def _notes(self) -> list[str]:
        pct = f"{self.ci:.0%}"
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
                        f"{self.nfactors} oblimin-rotated group factors." if self.nfactors > 1
                        else ", 1 factor (omega_h needs nfactors >= 2)."))
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
                           "ci": self.ci, "nfactors": self.nfactors, "ordinal": self.ordinal,
                           "group": self.group, "instrument": self.instrument}
        return out


def _one_set(data: pd.DataFrame, *, reverse: Sequence[str] | None,
             item_range: tuple[float, float] | None, missing: str, ci: float, n_boot: int,
             seed: int | None, nfactors: int, ordinal: bool) -> tuple[dict[str, Any], pd.DataFrame]:
    items = _prepare(data, reverse=reverse, item_range=item_range, missing=missing)
    row = _alpha_row(items, ci, n_boot, seed)
    C = _cov(items.X)
    R = _pearson(items.X)
    k = items.X.shape[1]
    row["n_incomplete"] = items.n_incomplete
    if k >= 3:
        nf = nfactors if k >= 2 * nfactors + 1 else 1
        om = _omega_from_R(R, nf)
        row["omega_total"] = om["omega_total"]
        row["omega_h"] = om["omega_h"]
        row["nfactors"] = nf
        row["_flipped"] = [n for n, f in zip(items.names, om["flipped"], strict=True) if f]
        loading = _one_factor_loading(R)
    else:
        row["omega_total"] = row["omega_h"] = np.nan
        row["nfactors"] = 0
        loading = None
    row["split_half_sb"] = (lambda r: 2 * r / (1 + r))(_split_r(C))
    row["lambda6"] = row.pop("g6_smc")
    if ordinal:
        P, _ = _corr(items, True)
        sumP = P.sum()
        row["ordinal_alpha"] = (1 - k / sumP) * (k / (k - 1))
        row["ordinal_omega_total"] = _omega_from_R(P, 1)["omega_total"] if k >= 3 else np.nan
    tab = _item_table(items, C, loading)
    row["n_flagged"] = int(tab["keying_flag"].sum())
    return row, tab


def reliability(data: pd.DataFrame, instrument: str | Instrument | None = None, *,
                items: Sequence[str] | None = None, reverse: Sequence[str] | None = None,
                item_range: tuple[float, float] | None = None, group: str | None = None,
                boot: int = 1000, seed: int | None = None, ordinal: bool = False,
                missing: Missing = "pairwise", ci: float = 0.95, nfactors: int = 1,
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
        Column of ``data``: analyse each group separately (plus everyone).
    boot : int
        Bootstrap resamples for alpha's percentile interval (0 = none).
    seed : int, optional
        Bootstrap seed; drawn at random and reported when not given.
    ordinal : bool
        Also report ordinal alpha and omega from polychoric correlations.
    missing : {"pairwise", "listwise"}
        Missing-answer handling (pairwise is psych's default and ours).
    ci : float
        Confidence level.
    nfactors : int
        Group factors for omega hierarchical (1 = omega total only).
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
        nfactors, split_half_sb, lambda6, [ordinal_alpha, ordinal_omega_total],
        n_flagged``. ``items``: see :func:`item_analysis`.

    Warns
    -----
    KeyingWarning
        When an item's item-rest correlation is negative or its first-factor loading
        has the opposite sign to the scale's (a likely reverse-key or coding error).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
    ...                   "c": [1, 3, 3, 4, 5, 2, 2, 3], "d": [2, 2, 4, 4, 5, 3, 1, 5]})
    >>> res = reliability(d, boot=2000, seed=1)
    >>> res.summary[["alpha", "omega_total"]].round(3).to_numpy().tolist()
    [[0.945, 0.947]]
    """
    _check_ci(ci)
    n_boot = _check_boot(boot)
    _check_missing(missing)
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    if group is not None and group not in data.columns:
        raise AnalysisError(f"The group column {group!r} is not in the data; columns are: "
                            + ", ".join(map(str, data.columns)) + ".")
    used_seed = _resolve_seed(seed) if n_boot else None
    inst_id = None
    input_notes: list[str] = []
    sets: list[tuple[str, pd.DataFrame, Sequence[str] | None]] = []
    if instrument is not None:
        if items is not None or reverse:
            raise AnalysisError("With an instrument, items and their keys come from the "
                                "instrument; do not also give items= or reverse=.")
        from compassion_scales._inputs import InputOptions, item_set

        iset = item_set(data, instrument, scores=scores, min_items=2,
                        options=InputOptions.of(column_map, patterns, on_invalid),
                        reserved={"group": group})
        inst_id = iset.instrument.id
        for sid in iset.scores:
            sets.append((sid, iset.items(sid), None))
        input_notes = iset.notes()
        for note in input_notes:
            from compassion_scales.errors import SkippedScoreWarning

            warnings.warn(note, SkippedScoreWarning, stacklevel=2)
    else:
        cols = list(items) if items is not None else [c for c in data.columns if c != group]
        missing_cols = [c for c in cols if c not in data.columns]
        if missing_cols:
            raise AnalysisError("Item column(s) not in the data: " + ", ".join(map(str, missing_cols))
                                + ". Check the names (they are case-sensitive).")
        if reverse and item_range is None and len(cols):
            # one answer range for everyone, so groups are keyed alike
            vals, _ = item_matrix(data[cols])
            if np.isfinite(vals).any():
                item_range = (float(np.nanmin(vals)), float(np.nanmax(vals)))
        from compassion_scales._inputs import numeric_columns

        sets.append(("items", numeric_columns(data, cols, what="item column")[cols], reverse))
    if group is not None:
        g = data[group]
        levels = [v for v in pd.unique(g) if not pd.isna(v)]
        try:
            levels = sorted(levels)
        except TypeError:
            pass
        n_na = int(g.isna().sum())
    rows, tabs = [], []
    messages: list[str] = list(input_notes)
    flagged: list[str] = []
    for sid, frame, rev in sets:
        subsets = [("all", np.ones(len(frame), dtype=bool))]
        if group is not None:
            subsets += [(str(v), (g == v).to_numpy()) for v in levels]
        for gname, mask in subsets:
            where = f"Score {sid!r}" + (f", group {gname!r}" if group is not None else "")
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    row, tab = _one_set(frame[mask], reverse=rev, item_range=item_range,
                                        missing=missing, ci=ci, n_boot=n_boot, seed=used_seed,
                                        nfactors=nfactors, ordinal=ordinal)
                seen = set()
                for w in caught:  # say which score (and group) each doubt is about, once
                    text = f"{where}: {w.message}"
                    if text not in seen:
                        seen.add(text)
                        warnings.warn(text, w.category, stacklevel=2)
            except AnalysisError as exc:
                if gname == "all":
                    raise AnalysisError(f"Score {sid!r}: {exc}") from None
                messages.append(f"Group {gname!r} of score {sid!r} skipped: {exc}")
                continue
            flipped_omega = row.pop("_flipped", [])
            if flipped_omega:
                messages.append(f"omega for {where[0].lower() + where[1:]}: item(s) "
                                f"{', '.join(flipped_omega)} load negatively on the general factor "
                                "and were flipped inside the omega computation only "
                                "(psych::omega convention); alpha and the item table use the keys "
                                "as given.")
            rows.append({"score": sid, "group": gname, **row})
            tab.insert(0, "group", gname)
            tab.insert(0, "score", sid)
            tabs.append(tab)
            if gname == "all":
                flagged += [f"{sid}:{it}" for it in tab.loc[tab["keying_flag"], "item"]]
    if group is not None and n_na:
        messages.append(f"{n_na} people with a missing {group!r} are only in group 'all'.")
    table = pd.DataFrame(rows)
    if group is None:
        table = table.drop(columns="group")
    item_tab = pd.concat(tabs, ignore_index=True)
    if group is None:
        item_tab = item_tab.drop(columns="group")
    if flagged:
        msg = ("Possible keying or coding error: item(s) " + ", ".join(flagged) + " correlate "
               "negatively with the rest of their scale or load against it on the first factor. "
               "Check the reverse keys and the answer coding; nothing was flipped.")
        warnings.warn(msg, KeyingWarning, stacklevel=2)
        messages.append(msg)
    inc = table.get("n_incomplete")
    if inc is not None and missing == "pairwise" and (inc > 0).any():
        messages.append("Some people skipped items: their answered items count pairwise "
                        "(n_incomplete people with at least one missing item).")
    if missing == "listwise" and inc is not None and (inc > 0).any():
        warnings.warn(f"Listwise deletion dropped up to {int(inc.max())} people with missing answers.",
                      MissingDataWarning, stacklevel=2)
    return ReliabilityResult(table=table, items=item_tab, missing=missing, n_boot=n_boot,
                             seed=used_seed, ci=ci, nfactors=int(nfactors), ordinal=ordinal,
                             group=group, instrument=inst_id, messages=tuple(messages))
