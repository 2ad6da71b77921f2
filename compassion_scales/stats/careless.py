"""Careless-responding indices: arrays in, arrays out.

Every function takes a 2-D float array ``X`` (respondents x items, ``NaN`` = missing)
and returns one value per respondent (or a small tuple of such arrays). Nothing here
knows about instruments, files or the command line; :mod:`compassion_scales.analyses.screen`
chooses the items, their order and the thresholds.

The formulas follow R's ``careless`` package (Yentes & Wilhelm, version 1.2; source
read from github.com/ryentes/careless, files ``R/longstring.R``, ``R/irv.R``,
``R/evenodd.R``, ``R/psychsyn.R``, ``R/mahad.R``) and ``psych::outlier`` (Revelle),
which ``careless::mahad`` calls. Differences are stated in each docstring.

References
----------
Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
*Psychological Methods, 17*(3), 437-455. https://doi.org/10.1037/a0028085

Johnson, J. A. (2005). Ascertaining the validity of individual protocols from
web-based personality inventories. *Journal of Research in Personality, 39*, 103-129.

Dunn, A. M., Heggestad, E. D., Shanock, L. R., & Theilgard, N. (2018). Intra-individual
response variability as an indicator of insufficient effort responding. *Journal of
Business and Psychology, 33*(1), 105-121.

Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in
survey data. *Journal of Experimental Social Psychology, 66*, 4-19.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "longstring",
    "irv",
    "evenodd",
    "psychsyn",
    "mahalanobis",
    "robust_mahalanobis",
    "person_total",
    "alternation",
    "row_correlation",
]


def _as_matrix(X: np.ndarray) -> np.ndarray:
    A = np.asarray(X, dtype=float)
    if A.ndim != 2:
        raise ValueError("X must be a 2-D array (respondents x items).")
    return A


def row_correlation(A: np.ndarray, B: np.ndarray, min_pairs: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of ``A[i]`` with ``B[i]`` for every row, over pairs present in both.

    Returns ``(r, n_pairs)``; ``r`` is NaN where fewer than ``min_pairs`` pairs are
    present or either row has no variance (as ``stats::cor`` with
    ``use = "pairwise.complete.obs"``).

    Examples
    --------
    >>> r, n = row_correlation(np.array([[1., 2, 3], [1, 2, 3]]), np.array([[2., 4, 7], [3, 2, 1]]))
    >>> np.round(r, 4).tolist(), n.tolist()
    ([0.9934, -1.0], [3, 3])
    """
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    ok = ~(np.isnan(A) | np.isnan(B))
    n = ok.sum(axis=1)
    a = np.where(ok, A, 0.0)
    b = np.where(ok, B, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = a.sum(axis=1) / n
        mb = b.sum(axis=1) / n
        da = np.where(ok, A - ma[:, None], 0.0)
        db = np.where(ok, B - mb[:, None], 0.0)
        num = (da * db).sum(axis=1)
        den = np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
        r = num / den
    r[(n < min_pairs) | ~np.isfinite(r)] = np.nan
    return np.clip(r, -1.0, 1.0), n


def longstring(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longest and average run of identical consecutive answers (``careless::longstring``).

    Columns must be in the order the items were printed.

    Returns
    -------
    (longest, average) : tuple of ndarray
        ``longest`` = length of the longest run of identical answers in a row
        (``longstr``); ``average`` = mean run length (``avgstr``). careless computes
        both from ``rle(x)``: ``max(rle(x)$lengths)`` and ``mean(rle(x)$lengths)``.

    Notes
    -----
    A missing answer ends a run and is not itself a run (careless's ``rle`` counts each
    ``NA`` as a run of length 1 in ``avgstr``). Without missing answers the results are
    identical. A row with no answers gives NaN.

    Examples
    --------
    >>> ls, avg = longstring(np.array([[1., 1, 1, 2, 2, 3], [4, 4, 4, 4, 4, 4]]))
    >>> ls.tolist(), avg.tolist()   # rle lengths 3,2,1 and 6
    ([3.0, 6.0], [2.0, 6.0])
    """
    A = _as_matrix(X)
    n, k = A.shape
    valid = ~np.isnan(A)
    longest = np.where(valid[:, 0], 1.0, 0.0) if k else np.zeros(n)
    current = longest.copy()
    n_same = np.zeros(n)
    for j in range(1, k):  # loop over items, vectorised over respondents
        same = A[:, j] == A[:, j - 1]  # False when either is NaN
        n_same += same
        current = np.where(same, current + 1, np.where(valid[:, j], 1.0, 0.0))
        np.maximum(longest, current, out=longest)
    n_valid = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        average = n_valid / (n_valid - n_same)
    longest = longest.astype(float)
    longest[n_valid == 0] = np.nan
    average[n_valid == 0] = np.nan
    return longest, average


def irv(X: np.ndarray) -> np.ndarray:
    """Intra-individual response variability: the SD of a row's answers (``careless::irv``).

    ``irv = sd(x)`` with denominator ``k - 1`` over the answered items (careless 1.2
    uses ``stats::sd`` on the row). NaN with fewer than two answers.

    Examples
    --------
    >>> np.round(irv(np.array([[1., 2, 3, 4], [3, 3, 3, 3]])), 6).tolist()
    [1.290994, 0.0]
    """
    A = _as_matrix(X)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = ~np.isnan(A)
        n = ok.sum(axis=1)
        m = np.where(ok, A, 0.0).sum(axis=1) / n
        ss = (np.where(ok, A - m[:, None], 0.0) ** 2).sum(axis=1)
        out = np.sqrt(ss / (n - 1))
    out[n < 2] = np.nan
    return out


def evenodd(X: np.ndarray, groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Even-odd consistency (``careless::evenodd``), higher = less consistent.

    Parameters
    ----------
    X : ndarray
        Keyed answers (reverse-keyed items already reversed).
    groups : sequence of sequences of int
        Column indices of each subscale, in printed order. careless takes subscale
        *lengths* of consecutive columns; here the columns are given explicitly.

    Returns
    -------
    (evenodd, n_pairs) : tuple of ndarray
        For each subscale, the mean of its even-numbered items (2nd, 4th, ...) and of
        its odd-numbered items (1st, 3rd, ...) are taken (answered items only). ``r``
        is the correlation, across subscales, of the even and odd means; the
        Spearman-Brown step-up ``r_sb = 2r / (1 + r)`` is bounded below at -1, and
        the index is ``-r_sb`` (careless >= 1.2.0 sign: higher = more careless).
        ``n_pairs`` = subscales with both halves answered. NaN when the halves have no
        variance across subscales or fewer than two pairs exist.

    Examples
    --------
    Two respondents, three 4-item subscales (columns 0-3, 4-7, 8-11):

    >>> X = np.array([[1., 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5],
    ...               [1., 5, 1, 5, 5, 1, 5, 1, 3, 3, 2, 2]])
    >>> eo, n = evenodd(X, [range(0, 4), range(4, 8), range(8, 12)])
    >>> np.round(eo, 4).tolist(), n.tolist()   # consistent -> -1; inconsistent -> positive
    ([-1.0, 1.0], [3, 3])
    """
    A = _as_matrix(X)
    n = A.shape[0]
    g = len(groups)
    even = np.full((n, g), np.nan)
    odd = np.full((n, g), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, cols in enumerate(groups):  # loop over subscales
            idx = np.asarray(list(cols), dtype=int)
            for out, sel in ((odd, idx[0::2]), (even, idx[1::2])):
                if len(sel) == 0:
                    continue
                sub = A[:, sel]
                cnt = (~np.isnan(sub)).sum(axis=1)
                out[:, j] = np.where(cnt > 0, np.nansum(sub, axis=1) / cnt, np.nan)
    r, n_pairs = row_correlation(even, odd)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_sb = 2 * r / (1 + r)
    r_sb = np.where(r_sb < -1, -1.0, r_sb)
    return -r_sb, n_pairs


def psychsyn(X: np.ndarray, critval: float = 0.60, anto: bool = False,
             R: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Psychometric synonyms (or antonyms) score (``careless::psychsyn``).

    Item pairs whose sample correlation (pairwise complete) exceeds ``critval``
    (synonyms) or lies below ``-critval`` (antonyms, ``anto=True``) are found; each
    respondent's score is the within-person correlation between the first and second
    items of those pairs, over the pairs both answered, when more than two such pairs
    exist (careless: ``sum_item_pairs > 2``).

    Parameters
    ----------
    R : ndarray, optional
        A correlation matrix to use instead of the sample's (for screening against a
        reference sample).

    Returns
    -------
    (score, n_pairs, pairs) : tuple
        ``score`` per respondent (NaN when too few pairs or no variance), ``n_pairs``
        answered per respondent, and ``pairs`` (m x 2 column indices, later item first
        as careless's ``as.table`` ordering).

    Notes
    -----
    careless resamples (randomly swaps) the pair members up to 10 times when a
    respondent's correlation is undefined (``resample_na = TRUE``). That step is random
    and not done here: such respondents get NaN.

    Examples
    --------
    Items 0 and 1 correlate highly, as do 2 and 3:

    >>> X = np.array([[1., 1, 5, 5], [2, 2, 4, 4], [4, 5, 2, 1], [5, 4, 1, 2], [3, 3, 3, 3]])
    >>> s, n, pairs = psychsyn(X, .6)
    >>> pairs.tolist()
    [[1, 0], [3, 2]]
    >>> s.tolist()   # only two pairs: careless needs more than two
    [nan, nan, nan, nan, nan]
    """
    A = _as_matrix(X)
    if R is None:
        import pandas as pd

        R = pd.DataFrame(A).corr().to_numpy()
    crit = abs(float(critval))
    low = np.tril(np.ones_like(R, dtype=bool), k=-1)
    hit = low & ((R < -crit) if anto else (R > crit))
    # careless lists the lower triangle column by column (as.table order): row = later item
    cols, rows = np.nonzero(hit.T)
    pairs = np.column_stack([rows, cols]).astype(int) if len(rows) else np.empty((0, 2), dtype=int)
    if len(pairs) == 0:
        return np.full(A.shape[0], np.nan), np.zeros(A.shape[0], dtype=int), pairs
    r, n_pairs = row_correlation(A[:, pairs[:, 0]], A[:, pairs[:, 1]], min_pairs=3)
    return r, n_pairs, pairs


def mahalanobis(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mahalanobis D² and its chi-square p-value (``careless::mahad`` = ``psych::outlier``).

    ``D2_i = (x_i - m)' S^-1 (x_i - m)`` with ``m`` the item means and ``S`` the
    pairwise-complete covariance matrix (``cov(x, use = "pairwise")``). As in
    ``psych::outlier``, a missing answer contributes a zero deviation (the terms
    involving it are dropped). ``p = P(chi2_k > D2)``, ``k`` = number of items.

    Notes
    -----
    careless's ``mahad(flag = TRUE)`` takes its cut-off from ``qchisq(confidence, n)``
    with ``n`` the number of *respondents*; the chi-square reference distribution of D²
    has ``k`` = number of *items* degrees of freedom, which is used here.

    Examples
    --------
    >>> X = np.array([[1., 2], [2, 3], [3, 3], [4, 5], [2, 2]])
    >>> d2, p = mahalanobis(X)   # R: psych::outlier(X, plot = FALSE)
    >>> np.round(d2, 4).tolist()
    [1.9097, 0.6194, 1.3935, 2.6839, 1.3935]
    """
    A = _as_matrix(X)
    import pandas as pd

    from compassion_scales.stats.distributions import chi2

    S = pd.DataFrame(A).cov().to_numpy()
    S_inv = np.linalg.pinv(S) if not np.all(np.isfinite(S)) else np.linalg.inv(S)
    D = A - np.nanmean(A, axis=0)
    D = np.where(np.isnan(D), 0.0, D)
    d2 = ((D @ S_inv) * D).sum(axis=1)
    p = chi2.sf(d2, df=A.shape[1])
    return d2, p


def robust_mahalanobis(X: np.ndarray, support: float = 0.75, max_iter: int = 50
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Mahalanobis D² from a robust (MCD-type, reweighted) centre and covariance.

    Classical D² is *masked* when several careless respondents share a pattern (e.g.
    alternating answers): they inflate the covariance in their own direction and look
    ordinary. Here the centre and covariance come from the ``h = support * n`` rows
    that fit best (Rousseeuw & Van Driessen's concentration steps, started
    deterministically from the ``h`` rows closest to the coordinate-wise median in
    robust-standardised distance), followed by one reweighting step (rows with
    ``D2 <= chi2_k(.975)``) and the usual consistency factor
    ``median(D2) / chi2_k(.5)``. Missing answers are replaced by the item median first.

    Returns ``(d2, p)`` with ``p = P(chi2_k > d2)``.

    References
    ----------
    Rousseeuw, P. J., & Van Driessen, K. (1999). A fast algorithm for the minimum
    covariance determinant estimator. *Technometrics, 41*(3), 212-223.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> X = np.round(2 + f + rng.normal(scale=.6, size=(200, 8)))
    >>> X[:12] = [0, 4] * 4                      # 6% share one alternating pattern
    >>> d2, p = mahalanobis(X)
    >>> bool(p[:12].max() < .001)                # classical D2 is masked
    False
    >>> d2r, pr = robust_mahalanobis(X)
    >>> bool(pr[:12].max() < .001)
    True
    """
    from compassion_scales.stats.distributions import chi2

    A = _as_matrix(X).copy()
    n, k = A.shape
    med = np.nanmedian(A, axis=0)
    A = np.where(np.isnan(A), med, A)
    h = max(k + 1, int(np.floor(support * n)))
    if h >= n:
        return mahalanobis(A)
    mad = 1.4826 * np.median(np.abs(A - med), axis=0)
    sd = np.where(mad > 0, mad, A.std(axis=0, ddof=1))
    sd = np.where(sd > 0, sd, 1.0)
    dist = (((A - med) / sd) ** 2).sum(axis=1)
    subset = np.argsort(dist, kind="stable")[:h]

    def fit(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = A[rows].mean(axis=0)
        S = np.cov(A[rows], rowvar=False)
        D = A - m
        d2 = ((D @ np.linalg.pinv(S)) * D).sum(axis=1)
        return m, d2

    for _ in range(max_iter):
        _, d2 = fit(subset)
        new = np.sort(np.argsort(d2, kind="stable")[:h])
        if np.array_equal(new, np.sort(subset)):
            break
        subset = new
    d2 = d2 * (chi2.ppf(0.5, k) / np.median(d2))
    keep = np.flatnonzero(d2 <= chi2.ppf(0.975, k))
    _, d2 = fit(keep)
    d2 = d2 * (chi2.ppf(0.5, k) / np.median(d2))
    return d2, chi2.sf(d2, df=k)


def person_total(X: np.ndarray) -> np.ndarray:
    """Person-total correlation (Curran, 2016): a row's answers vs the other rows' item means.

    ``r_i = cor(x_i, m_(-i))`` where ``m_(-i)`` are the item means of everyone else
    (leave-one-out), over the items respondent ``i`` answered. Low or negative values
    mean the person's profile runs against the sample's.

    Examples
    --------
    >>> X = np.array([[1., 2, 5], [1, 3, 4], [2, 2, 5], [5, 4, 1]])
    >>> np.round(person_total(X), 4).tolist()   # R: cor(X[i, ], colMeans(X[-i, ]))
    [0.9608, 0.7559, 0.7559, -0.9985]
    """
    A = _as_matrix(X)
    ok = ~np.isnan(A)
    tot = np.where(ok, A, 0.0).sum(axis=0)
    cnt = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = (tot[None, :] - np.where(ok, A, 0.0)) / (cnt[None, :] - ok)
    r, _ = row_correlation(A, loo, min_pairs=3)
    return r


def alternation(X: np.ndarray) -> np.ndarray:
    """Successive-difference (von Neumann) ratio of a row in printed order: seesaw answers.

    ``eta = sum_j (x_(j+1) - x_j)^2 / sum_j (x_j - mean(x))^2`` over consecutive answered
    items (pairs with a missing answer are skipped; the denominator uses the answered
    items). About 2 for answers in random order, below 2 when neighbouring items agree
    (as items of one scale do), near 4 for answers that swing back and forth
    (``1, 5, 1, 5, ...``). NaN with no variance. Not part of ``careless``; cscore adds it
    because alternating patterns escape long-string, and even-odd is undefined for them.

    References
    ----------
    von Neumann, J., Kent, R. H., Bellinson, H. R., & Hart, B. I. (1941). The mean square
    successive difference. *Annals of Mathematical Statistics, 12*(2), 153-162.

    Examples
    --------
    >>> np.round(alternation(np.array([[1., 5, 1, 5, 1, 5], [1, 2, 3, 4, 5, 5]])), 4).tolist()
    [3.3333, 0.3]
    """
    A = _as_matrix(X)
    d = np.diff(A, axis=1)
    ok = ~np.isnan(d)
    num = np.where(ok, d * d, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        valid = ~np.isnan(A)
        m = np.where(valid, A, 0.0).sum(axis=1) / valid.sum(axis=1)
        den = np.where(valid, (A - m[:, None]) ** 2, 0.0).sum(axis=1)
        out = num / den
    out[~np.isfinite(out)] = np.nan
    return out
