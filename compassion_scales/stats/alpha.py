"""Cronbach's alpha: one kernel for ``reliability``, ``cronbach_alpha``, the bootstrap and
``change(from_sample=True)``. Arrays in, numbers out.

Missing answers follow ``psych::alpha``: covariances are pairwise complete (R's
``cov(x, use = "pairwise")``); people with no answer at all are not counted.
"""

from __future__ import annotations

import warnings

import numpy as np

from compassion_scales.stats.correlation import cov2cor, pairwise_cov, smc

__all__ = ["alpha_stats", "item_alpha", "feldt_interval", "bootstrap_alpha", "resample_counts"]


def alpha_stats(cov: np.ndarray) -> dict[str, float]:
    """psych's ``alpha.1`` on a covariance matrix: raw and standardised alpha, G6, r, Q.

    Returns ``alpha`` (raw), ``std_alpha``, ``g6_smc`` (Guttman's lambda-6), ``average_r``,
    ``median_r``, ``signal_noise`` and ``Q`` (for psych's asymptotic standard error
    ``sqrt(Q / n)``, Duhachek & Iacobucci 2004).

    Examples
    --------
    >>> c = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]])
    >>> round(float(alpha_stats(c)["alpha"]), 4)   # 3 * .5 / (1 + 2 * .5)
    0.75
    """
    n = cov.shape[0]
    r = cov2cor(cov)
    sum_c = cov.sum()
    tr_c = np.trace(cov)
    sum_r = r.sum()
    av_r = (sum_r - n) / (n * (n - 1))
    cc = cov @ cov
    q = (2 * n**2 / ((n - 1) ** 2 * sum_c**3)) * (sum_c * (np.trace(cc) + tr_c**2)
                                                  - 2 * tr_c * cc.sum())
    return {"alpha": (1 - tr_c / sum_c) * (n / (n - 1)), "std_alpha": (1 - n / sum_r) * (n / (n - 1)),
            "g6_smc": 1 - (n - smc(r).sum()) / sum_r, "average_r": av_r,
            "median_r": float(np.median(r[np.tril_indices(n, -1)])),
            "signal_noise": n * av_r / (1 - av_r), "Q": q}


def item_alpha(x: np.ndarray) -> tuple[float, int]:
    """Raw Cronbach's alpha of an item matrix and the number of people it counts.

    The rule of ``psych::alpha``: pairwise-complete covariances; rows with no answer are
    dropped. NaN when fewer than two items or three people, when a pair of items was never
    answered together, or when the total variance is not positive.

    Examples
    --------
    >>> x = np.array([[1, 2, 1], [2, 2, 3], [3, 3, 3], [4, 5, np.nan], [5, 4, 5]])
    >>> a, n = item_alpha(x)       # R: psych::alpha(x)$total$raw_alpha
    >>> round(a, 4), n
    (0.9392, 5)
    """
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x).all(axis=1)]
    n, k = x.shape
    if k < 2 or n < 3:
        return float("nan"), n
    cov = np.cov(x, rowvar=False) if not np.isnan(x).any() else pairwise_cov(x)[0]
    total = float(cov.sum())
    if not np.isfinite(cov).all() or not total > 0:
        return float("nan"), n
    return float((1 - np.trace(cov) / total) * k / (k - 1)), n


def feldt_interval(alpha: float, n_obs: int, n_items: int, level: float) -> tuple[float, float]:
    """Feldt's (1965) confidence interval for alpha, as ``psych::alpha.ci``.

    Examples
    --------
    >>> [round(v, 2) for v in feldt_interval(0.8, 100, 10, 0.95)]  # R: psych::alpha.ci(.8, 100, p.val = .05, 10)
    [0.74, 0.85]
    """
    from compassion_scales.stats.distributions import f

    p = 1 - level
    df1, df2 = n_obs - 1, (n_obs - 1) * (n_items - 1)
    low = 1 - (1 - alpha) * f.ppf(1 - p / 2, df1, df2)
    high = 1 - (1 - alpha) * f.ppf(p / 2, df1, df2)
    return float(low), float(high)


def resample_counts(rng: np.random.Generator, b: int, n: int) -> np.ndarray:
    """``b`` x ``n`` matrix of how often each row is drawn in each bootstrap resample.

    Examples
    --------
    >>> resample_counts(np.random.default_rng(0), 2, 5).sum(axis=1).tolist()
    [5.0, 5.0]
    """
    dtype = np.int32 if n < 2**31 else np.int64
    idx = rng.integers(0, n, size=(b, n), dtype=dtype)
    w = np.empty((b, n))
    for i in range(b):  # row by row: the count vector stays in cache (5x faster than one bincount)
        w[i] = np.bincount(idx[i], minlength=n)
    return w


def _pair_blocks(k: int, n: int, chunk_cells: int) -> list[tuple[np.ndarray, np.ndarray]]:
    ju, ku = np.triu_indices(k)
    blk = max(1, chunk_cells // (4 * n))  # keeps the per-pair feature matrix small
    return [(ju[i:i + blk], ku[i:i + blk]) for i in range(0, ju.size, blk)]


def _alpha_pairwise(w: np.ndarray, xc: np.ndarray, mf: np.ndarray,
                    blocks: list[tuple[np.ndarray, np.ndarray]],
                    full: np.ndarray | None = None) -> np.ndarray:
    """Alpha in each weighted resample (rows of ``w``) from pairwise covariances.

    ``full`` marks the rows with every item answered: their pair counts and sums need no
    per-pair missingness masks (one weighted sum of the items and of each pair's product),
    so only the other rows go through the four masked sums per pair.
    """
    b, k = w.shape[0], xc.shape[1]
    if full is None or not full.any():
        w_part, x_part, m_part = w, xc, mf
        w_full = None
    else:
        w_full, x_full = w[:, full], xc[full]
        w_part, x_part, m_part = w[:, ~full], xc[~full], mf[~full]
        n_full = w_full.sum(axis=1)
        s_full = w_full @ x_full
    tr = np.zeros(b)
    tot = np.zeros(b)
    for bj, bk in blocks:
        p = bj.size
        fb = np.column_stack([m_part[:, bj] * m_part[:, bk], x_part[:, bj] * m_part[:, bk],
                              x_part[:, bk] * m_part[:, bj], x_part[:, bj] * x_part[:, bk]])
        s = w_part @ fb
        cnt, sa, sb, sab = s[:, :p], s[:, p:2 * p], s[:, 2 * p:3 * p], s[:, 3 * p:]
        if w_full is not None:
            cnt = cnt + n_full[:, None]
            sa = sa + s_full[:, bj]
            sb = sb + s_full[:, bk]
            sab = sab + w_full @ (x_full[:, bj] * x_full[:, bk])
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = (sab - sa * sb / cnt) / (cnt - 1)
        cov[cnt < 2] = np.nan
        diag = bj == bk
        tr += cov[:, diag].sum(axis=1)
        tot += cov[:, diag].sum(axis=1) + 2 * cov[:, ~diag].sum(axis=1)
    return k / (k - 1) * (1 - tr / tot)


def bootstrap_alpha(x: np.ndarray, n_boot: int, seed: int,
                    chunk_cells: int = 2_000_000) -> np.ndarray:
    """Raw alpha in ``n_boot`` row resamples of ``x`` (vectorised through resample counts).

    Each resample applies :func:`item_alpha`'s rule. Without missing answers each resample
    needs only weighted sums of the items, their squares and the total; with missing answers
    the weighted pair counts, pair sums and cross-products give every pairwise covariance.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 1)) + rng.normal(size=(200, 4))
    >>> bool(np.all((bootstrap_alpha(x, 50, seed=1) > 0.6)))
    True
    """
    rng = np.random.default_rng(seed)
    n, k = x.shape
    m = ~np.isnan(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xc = np.where(m, x - np.nan_to_num(np.nanmean(x, axis=0)), 0.0)
    complete = bool(m.all())
    if complete:
        t = xc.sum(axis=1)
        feats = np.column_stack([xc, xc**2, t, t**2])
    else:
        mf = m.astype(float)
        full = m.all(axis=1)
        blocks = _pair_blocks(k, n, chunk_cells)
    out = np.empty(n_boot)
    chunk = max(1, chunk_cells // n)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        w = resample_counts(rng, b, n)
        if complete:
            s = w @ feats
            var_items = (s[:, k:2 * k] - s[:, :k] ** 2 / n).sum(axis=1)
            var_total = s[:, 2 * k + 1] - s[:, 2 * k] ** 2 / n
            out[start:start + b] = k / (k - 1) * (1 - var_items / var_total)
        else:
            out[start:start + b] = _alpha_pairwise(w, xc, mf, blocks, full)
    return out
