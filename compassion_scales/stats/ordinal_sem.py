"""Ordinal structural equation kernels: thresholds, polychoric correlations with their
asymptotic covariance, and DWLS/ULS factor models with robust corrections (lavaan's WLSMV).

Arrays in, arrays and dicts out; no data frames of respondents, instruments or CLI wording.
Everything follows ``lavaan`` 0.6 (Rosseel, 2012) step by step:

* :func:`bivariate_normal_cdf` is Genz's (2004) BVND algorithm, the one in the Fortran code of
  R's ``pbivnorm`` that lavaan calls;
* :func:`polychoric_nacov` is lavaan's ``muthen1984``: univariate probit thresholds, each
  polychoric correlation by two-step pairwise maximum likelihood (thresholds fixed; no
  correction for empty cells except 0.5 in 2 x 2 tables, keeping the margins; cell
  probabilities floored at sqrt(machine eps)), and the asymptotic covariance matrix of
  (thresholds, correlations) from the estimating equations (Muthen, 1984; Muthen, du Toit
  & Spisic, 1997): ``NACOV = N * B^-1 (S'S) B^-T`` with B built from the casewise scores;
* :func:`fit_ordinal_cfa` fits a confirmatory factor model to them by diagonally weighted
  (``W = diag(NACOV)^-1``, DWLS) or unweighted (ULS) least squares, with the robust
  ("sandwich") covariance matrix of the estimates and the mean-and-variance adjusted
  ("scaled-shifted") chi-square of Asparouhov & Muthen (2010) as lavaan reports for
  ``estimator = "WLSMV"`` / ``"ULSMV"``, and the fit indices of ``fitMeasures``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "bivariate_normal_cdf",
    "ordinal_thresholds",
    "polychoric_nacov",
    "degenerate_statistics",
    "OrdinalModel",
    "fit_ordinal_cfa",
    "scaled_shifted",
]

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))

# Gauss-Legendre abscissae (positive half, on [-1, 1]) and weights with 6, 12 and 20 points
_GL_X = (
    np.array([0.9324695142031522, 0.6612093864662647, 0.2386191860831970]),
    np.array([0.9815606342467191, 0.9041172563704750, 0.7699026741943050,
              0.5873179542866171, 0.3678314989981802, 0.1252334085114692]),
    np.array([0.9931285991850949, 0.9639719272779138, 0.9122344282513259,
              0.8391169718222188, 0.7463319064601508, 0.6360536807265150,
              0.5108670019508271, 0.3737060887154196, 0.2277858511416451,
              0.07652652113349733]),
)
_GL_W = (
    np.array([0.1713244923791705, 0.3607615730481384, 0.4679139345726904]),
    np.array([0.04717533638651177, 0.1069393259953183, 0.1600783285433464,
              0.2031674267230659, 0.2334925365383547, 0.2491470458134029]),
    np.array([0.01761400713915212, 0.04060142980038694, 0.06267204833410906,
              0.08327674157670475, 0.1019301198172404, 0.1181945319615184,
              0.1316886384491766, 0.1420961093183821, 0.1491729864726037,
              0.1527533871307259]),
)


def _phi(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(ndtr(x), dtype=float)


def _dnorm(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.asarray(x, dtype=float) ** 2) / np.sqrt(2.0 * np.pi)


def _bvnu(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for a standard bivariate normal with correlation r (Genz's BVND)."""
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    h, k, r = h.ravel().copy(), k.ravel().copy(), r.ravel().copy()
    out = np.empty(h.shape)
    ar = np.abs(r)
    twopi = 2.0 * np.pi
    low = ar < 0.925
    for ng, sel in enumerate((ar < 0.3, (ar >= 0.3) & (ar < 0.75), (ar >= 0.75) & low)):
        if not sel.any():
            continue
        x, w = _GL_X[ng], _GL_W[ng]
        hh, kk, rr = h[sel, None], k[sel, None], r[sel, None]
        hk = hh * kk
        hs = (hh * hh + kk * kk) / 2
        asr = np.arcsin(rr)
        sn1 = np.sin(asr * (x + 1) / 2)
        sn2 = np.sin(asr * (-x + 1) / 2)
        bvn = (w * (np.exp((sn1 * hk - hs) / (1 - sn1 * sn1)) + np.exp((sn2 * hk - hs) / (1 - sn2 * sn2)))).sum(1)
        out[sel] = bvn * asr[:, 0] / (2 * twopi) + _phi(-h[sel]) * _phi(-k[sel])
    hi = ~low
    if hi.any():
        x, w = _GL_X[2], _GL_W[2]
        hh, kk, rr = h[hi], k[hi].copy(), r[hi]
        kk = np.where(rr < 0, -kk, kk)
        hk = hh * kk
        bvn = np.zeros(hh.shape)
        lt1 = np.abs(rr) < 1
        if lt1.any():
            H, K, HK, R = hh[lt1, None], kk[lt1, None], hk[lt1, None], rr[lt1, None]
            As = (1 - R) * (1 + R)
            a = np.sqrt(As)
            bs = (H - K) ** 2
            c = (4 - HK) / 8
            d = (12 - HK) / 16
            b0 = a * np.exp(-(bs / As + HK) / 2) * (1 - c * (bs - As) * (1 - d * bs / 5) / 3 + c * d * As * As / 5)
            b = np.sqrt(bs)
            corr = np.where(HK > -160, np.exp(-HK / 2) * np.sqrt(twopi) * _phi(-b / a) * b
                            * (1 - c * bs * (1 - d * bs / 5) / 3), 0.0)
            b0 = b0 - corr
            a2 = a / 2
            xs = (a2 * (x + 1)) ** 2
            rs = np.sqrt(1 - xs)
            t1 = a2 * w * (np.exp(-bs / (2 * xs) - HK / (1 + rs)) / rs - np.exp(-(bs / xs + HK) / 2) * (1 + c * xs * (1 + d * xs)))
            xs2 = As * (-x + 1) ** 2 / 4
            rs2 = np.sqrt(1 - xs2)
            t2 = a2 * w * np.exp(-(bs / xs2 + HK) / 2) * (np.exp(-HK * (1 - rs2) / (2 * (1 + rs2))) / rs2
                                                        - (1 + c * xs2 * (1 + d * xs2)))
            bvn[lt1] = -(b0[:, 0] + t1.sum(1) + t2.sum(1)) / twopi
        pos = rr > 0
        bvn = np.where(pos, bvn + _phi(-np.maximum(hh, kk)), -bvn + np.maximum(0.0, _phi(-hh) - _phi(-kk)))
        out[hi] = bvn
    return out


def bivariate_normal_cdf(x: Any, y: Any, rho: Any) -> np.ndarray:
    """P(X <= x, Y <= y) for a standard bivariate normal with correlation ``rho``.

    Genz's (2004) BVND algorithm (Gauss-Legendre quadrature of Drezner & Wesolowsky's
    formula), accurate to about 1e-15; the algorithm of R's ``pbivnorm::pbivnorm``.

    Examples
    --------
    >>> float(bivariate_normal_cdf(0.0, 0.0, 0.5))  # 1/4 + asin(.5)/(2 pi) = 1/3
    0.3333333333333333
    """
    x, y, rho = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float), np.asarray(rho, float))
    shape = x.shape
    xs = np.clip(x.ravel(), -1e10, 1e10)
    ys = np.clip(y.ravel(), -1e10, 1e10)
    out = _bvnu(-xs, -ys, rho.ravel())
    return np.clip(out, 0.0, 1.0).reshape(shape)


def _bvn_density(x: np.ndarray, y: np.ndarray, rho: float | np.ndarray) -> np.ndarray:
    r2 = 1.0 - np.asarray(rho) ** 2
    return np.exp(-(x * x - 2 * rho * x * y + y * y) / (2 * r2)) / (2 * np.pi * np.sqrt(r2))


# --------------------------------------------------------------------------- step 1 + 2


def ordinal_thresholds(codes: np.ndarray, n_cat: Sequence[int]) -> list[np.ndarray]:
    """Probit thresholds of each column: ``qnorm`` of the cumulative proportions.

    ``codes`` holds categories 0..K-1 per column (no missing values).

    Examples
    --------
    >>> ordinal_thresholds(np.array([[0], [1], [1], [2]]), [3])[0].round(4).tolist()
    [-0.6745, 0.6745]
    """
    from scipy.special import ndtri

    out = []
    for j, k in enumerate(n_cat):
        freq = np.bincount(codes[:, j], minlength=k)[:k]
        out.append(np.asarray(ndtri(np.cumsum(freq)[:-1] / freq.sum()), dtype=float))
    return out


def _pair_table(c1: np.ndarray, c2: np.ndarray, k1: int, k2: int) -> np.ndarray:
    return np.bincount(c1 * k2 + c2, minlength=k1 * k2).reshape(k1, k2).astype(float)


def _cell_probs(rho: float, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Cell probabilities of a k1 x k2 table (lavaan's ``lav_bvord_noexo_pi``, with its floor)."""
    p1, p2 = _phi(t1), _phi(t2)
    if rho == 0.0:
        return np.outer(np.diff(np.r_[0.0, p1, 1.0]), np.diff(np.r_[0.0, p2, 1.0]))
    bi = bivariate_normal_cdf(t1[:, None], t2[None, :], rho)
    bi = np.vstack([np.zeros(len(t2)), bi, p2[None, :]])
    bi = np.hstack([np.zeros((bi.shape[0], 1)), bi, np.r_[0.0, p1, 1.0][:, None]])
    pi = bi[1:, 1:] - bi[1:, :-1] - bi[:-1, 1:] + bi[:-1, :-1]
    return np.maximum(pi, _SQRT_EPS)


def _cell_phi(rho: float, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """d pi_ab / d rho for every cell (lavaan's ``lav_bvord_noexo_phi``)."""
    dens = _bvn_density(t1[:, None], t2[None, :], rho)
    k1, k2 = len(t1) + 1, len(t2) + 1
    p = np.zeros((k1 + 1, k2 + 1))
    p[1:k1, 1:k2] = dens
    return p[1:, 1:] - p[:-1, 1:] - p[1:, :-1] + p[:-1, :-1]


def _phi2_ext(x: np.ndarray, y: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate normal cdf allowing +-inf arguments (broadcast arrays)."""
    x, y, rho = np.broadcast_arrays(x, y, rho)
    out = np.zeros(x.shape)
    fin = np.isfinite(x) & np.isfinite(y)
    out[fin] = _bvnu(-x[fin], -y[fin], rho[fin])
    xinf, yinf = np.isposinf(x), np.isposinf(y)
    sel = xinf & np.isfinite(y)
    out[sel] = _phi(y[sel])
    sel = yinf & np.isfinite(x)
    out[sel] = _phi(x[sel])
    out[xinf & yinf] = 1.0
    return np.clip(out, 0.0, 1.0)


def _dens_ext(x: np.ndarray, y: np.ndarray, rho: np.ndarray, second: bool = False) -> np.ndarray:
    """Bivariate normal density (or its derivative in rho), 0 at infinite arguments."""
    x, y, rho = np.broadcast_arrays(x, y, rho)
    out = np.zeros(x.shape)
    fin = np.isfinite(x) & np.isfinite(y)
    a, b, r = x[fin], y[fin], rho[fin]
    r2 = 1.0 - r * r
    q = a * a - 2 * r * a * b + b * b
    d = np.exp(-q / (2 * r2)) / (2 * np.pi * np.sqrt(r2))
    if second:
        d = d * (r * r2 + a * b * r2 - r * q) / (r2 * r2)
    out[fin] = d
    return out


def _grid_cells(rho: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell probabilities (floored as lavaan), d/drho and d2/drho2 for many tables at once.

    ``e1``, ``e2``: (npair, K+1) extended thresholds (-inf, t..., +inf, padded with +inf).
    """
    r = rho[:, None, None]
    X, Y = e1[:, :, None], e2[:, None, :]
    bi = _phi2_ext(X, Y, r)
    pi = bi[:, 1:, 1:] - bi[:, 1:, :-1] - bi[:, :-1, 1:] + bi[:, :-1, :-1]
    pi = np.maximum(pi, _SQRT_EPS)
    de = _dens_ext(X, Y, r)
    d1 = de[:, 1:, 1:] - de[:, 1:, :-1] - de[:, :-1, 1:] + de[:, :-1, :-1]
    dd = _dens_ext(X, Y, r, second=True)
    d2 = dd[:, 1:, 1:] - dd[:, 1:, :-1] - dd[:, :-1, 1:] + dd[:, :-1, :-1]
    return pi, d1, d2


def _polychoric_many(freq: np.ndarray, e1: np.ndarray, e2: np.ndarray, start: np.ndarray,
                     tol: float = 1e-13, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Two-step ML polychoric correlations of many tables by safeguarded Newton steps."""
    rho = np.clip(start, -0.99, 0.99)
    done = np.zeros(len(rho), dtype=bool)
    n = freq.sum((1, 2))
    for _ in range(max_iter):
        act = ~done
        if not act.any():
            break
        pi, d1, d2 = _grid_cells(rho[act], e1[act], e2[act])
        f = freq[act]
        g = (f * d1 / pi).sum((1, 2))
        h = (f * (d2 / pi - (d1 / pi) ** 2)).sum((1, 2))
        fisher = n[act] * (d1 * d1 / pi).sum((1, 2))
        step = np.where(h < 0, -g / np.where(h < 0, h, -1.0), g / np.maximum(fisher, 1e-300))
        step = np.clip(step, -0.2, 0.2)
        new = np.clip(rho[act] + step, -0.999, 0.999)
        moved = np.abs(new - rho[act])
        idx = np.flatnonzero(act)
        rho[idx] = new
        done[idx[moved < tol]] = True
        # at a bound with the gradient pointing outwards: stop there
        done[idx[(np.abs(new) >= 0.999) & (np.sign(g) == np.sign(new))]] = True
    return rho, done


def _polychoric_pair(freq: np.ndarray, t1: np.ndarray, t2: np.ndarray) -> float:
    """Two-step ML polychoric correlation with fixed thresholds (lavaan's defaults)."""
    from scipy.optimize import brentq, minimize_scalar

    freq = freq.copy()
    k1, k2 = freq.shape
    if k1 == 2 and k2 == 2:
        zero = np.flatnonzero(freq.ravel() == 0)
        if len(zero) == 2:
            return 1.0 if freq[0, 0] > 0 else -1.0
        if len(zero) == 1:  # lavaan: add 0.5 keeping the margins
            sgn = 1.0 if zero[0] in (0, 3) else -1.0
            freq += sgn * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
        if freq[0, 0] * freq[1, 1] == freq[0, 1] * freq[1, 0]:
            return 0.0
        if t1[0] == 0 and t2[0] == 0:
            return float(-np.cos(2 * np.pi * freq[0, 0] / freq.sum()))

    def grad(r: float) -> float:
        return float((freq * _cell_phi(r, t1, t2) / _cell_probs(r, t1, t2)).sum())

    lo, hi = -0.999, 0.999
    glo, ghi = grad(lo), grad(hi)
    if glo > 0 and ghi < 0:
        return float(brentq(grad, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200))

    def negll(r: float) -> float:
        return float(-(freq * np.log(_cell_probs(r, t1, t2))).sum())

    res = minimize_scalar(negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    return float(res.x)


@dataclass(frozen=True)
class PolychoricStats:
    """Sample statistics of ordinal data for WLS estimation (one group).

    Attributes
    ----------
    thresholds : list of arrays
        Thresholds per variable.
    cor : ndarray
        Polychoric correlation matrix.
    nacov : ndarray
        ``N`` times the asymptotic covariance matrix of ``(thresholds, vech(cor) without the
        diagonal)`` (lavaan's ``NACOV``, ``lavInspect(fit, "gamma")``); correlations in
        lavaan's order (column by column below the diagonal).
    n_obs : int
    zero_cell_pairs : list of (int, int)
        Pairs of variables whose contingency table has empty cells.
    """

    thresholds: list[np.ndarray]
    cor: np.ndarray
    nacov: np.ndarray
    n_obs: int
    zero_cell_pairs: list[tuple[int, int]]

    @property
    def n_thresholds(self) -> int:
        return int(sum(len(t) for t in self.thresholds))

    @property
    def cor_vector(self) -> np.ndarray:
        i, j = lower_pairs(self.cor.shape[0])
        return self.cor[i, j]

    @property
    def vector(self) -> np.ndarray:
        return np.concatenate([*self.thresholds, self.cor_vector])


def degenerate_statistics(st: PolychoricStats) -> list[tuple[int, int]]:
    """Statistics whose sampling variance (diagonal of ``NACOV``) is not finite or not positive.

    Returns ``(j, j)`` for a threshold of variable ``j`` and ``(i, j)`` for the correlation of
    variables ``i`` and ``j`` (``i > j``): weights ``1 / variance`` cannot be formed for them.
    Very rare answer categories (one person) cause this; lavaan then fails as well.

    Examples
    --------
    >>> st = PolychoricStats([np.zeros(1), np.zeros(1)], np.eye(2), np.eye(3), 10, [])
    >>> degenerate_statistics(st)
    []
    """
    d = np.diag(st.nacov)
    scale = float(np.median(np.abs(d[np.isfinite(d)]))) if np.isfinite(d).any() else 1.0
    bad = ~np.isfinite(d) | (d <= 1e-10 * max(scale, 1e-300))
    owner = [(j, j) for j, t in enumerate(st.thresholds) for _ in t]
    rr, cc = lower_pairs(st.cor.shape[0])
    owner += [(int(i), int(j)) for i, j in zip(rr, cc, strict=True)]
    bad |= ~np.isfinite(st.vector)
    return sorted({owner[k] for k in np.flatnonzero(bad)})


def lower_pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the strict lower triangle, column by column (lavaan's vech)."""
    rows, cols = [], []
    for j in range(p - 1):
        for i in range(j + 1, p):
            rows.append(i)
            cols.append(j)
    return np.array(rows, dtype=int), np.array(cols, dtype=int)


def polychoric_nacov(codes: np.ndarray, n_cat: Sequence[int]) -> PolychoricStats:
    """Thresholds, polychoric correlations and their asymptotic covariance (lavaan's ``muthen1984``).

    Parameters
    ----------
    codes : ndarray of int, shape (n, p)
        Categories coded 0..K_j-1 (every category used), complete cases.
    n_cat : sequence of int
        Number of categories K_j of each column.

    Returns
    -------
    PolychoricStats

    Notes
    -----
    With casewise scores ``s_i`` of the univariate probit log-likelihoods (thresholds) and of
    the bivariate log-likelihoods (correlations, thresholds fixed), ``A11`` the block-diagonal
    outer-product matrix of the threshold scores, ``A22`` the diagonal of the outer products
    of the correlation scores and ``A21`` the cross-products of the correlation scores with the
    derivatives of the bivariate log-likelihood with respect to the thresholds,
    ``B^-1 = [[A11^-1, 0], [-A22^-1 A21 A11^-1, A22^-1]]`` and
    ``NACOV = N B^-1 (sum_i s_i s_i') B^-T``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, .5], [.5, 1]], size=500)
    >>> codes = np.digitize(z, [-0.5, 0.5])
    >>> st = polychoric_nacov(codes, [3, 3])
    >>> round(float(st.cor[1, 0]), 2), st.nacov.shape
    (0.48, (5, 5))
    """
    codes = np.asarray(codes, dtype=int)
    n, p = codes.shape
    th = ordinal_thresholds(codes, n_cat)
    nth = [len(t) for t in th]
    start = np.r_[0, np.cumsum(nth)[:-1]].astype(int)
    sc_th = _threshold_scores(codes, th, start)
    rr, cc = lower_pairs(p)
    kmax = int(max(n_cat))
    # extended thresholds per variable: (-inf, t_1..t_{K-1}, +inf, padded with +inf)
    ext = np.full((p, kmax + 1), np.inf)
    for j in range(p):
        ext[j, 0] = -np.inf
        ext[j, 1:nth[j] + 1] = th[j]
    freq, zero_pairs = _pair_tables(codes, n_cat, rr, cc, kmax)
    rho = _pair_correlations(codes, n_cat, th, freq, ext, rr, cc)
    cor = np.eye(p)
    cor[rr, cc] = rho
    cor[cc, rr] = rho
    # casewise scores, computed per cell of each table
    pi, d1, _ = _grid_cells(rho, ext[rr], ext[cc])
    sc_cor = (d1 / pi)[np.arange(len(rr))[None, :], codes[:, rr], codes[:, cc]]
    a21 = _score_cross_products(freq, pi, d1, rho, ext, rr, cc, nth, start)
    nacov = _muthen_nacov(sc_th, sc_cor, a21, nth, start, n)
    return PolychoricStats(thresholds=th, cor=cor, nacov=nacov, n_obs=n, zero_cell_pairs=zero_pairs)


def _threshold_scores(codes: np.ndarray, th: list[np.ndarray], start: np.ndarray) -> np.ndarray:
    """Casewise scores of the univariate probit log-likelihoods: for a case in category c,
    d/d tau_c = phi(tau_c)/p_c, d/d tau_{c-1} = -phi(tau_{c-1})/p_c (+-inf as +-100, as lavaan)."""
    n, p = codes.shape
    nth = [len(t) for t in th]
    sc_th = np.zeros((n, int(sum(nth))))
    rows = np.arange(n)
    for j in range(p):
        up = np.r_[th[j], 100.0]
        lo = np.r_[-100.0, th[j]]
        pc = _phi(up) - _phi(lo)
        c = codes[:, j]
        has_up = c < nth[j]
        has_lo = c > 0
        sc_th[rows[has_up], start[j] + c[has_up]] = _dnorm(up[c[has_up]]) / pc[c[has_up]]
        sc_th[rows[has_lo], start[j] + c[has_lo] - 1] = -_dnorm(lo[c[has_lo]]) / pc[c[has_lo]]
    return sc_th


def _pair_tables(codes: np.ndarray, n_cat: Sequence[int], rr: np.ndarray, cc: np.ndarray, kmax: int
                 ) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Contingency table of every item pair (padded to kmax x kmax), and the pairs with an empty cell."""
    n = codes.shape[0]
    npair = len(rr)
    freq = np.zeros((npair, kmax, kmax))
    np.add.at(freq, (np.repeat(np.arange(npair), n), codes[:, rr].T.ravel(), codes[:, cc].T.ravel()), 1.0)
    zero_pairs = [(int(cc[k]), int(rr[k])) for k in range(npair)
                  if (freq[k, :n_cat[rr[k]], :n_cat[cc[k]]] == 0).any()]
    return freq, zero_pairs


def _pair_correlations(codes: np.ndarray, n_cat: Sequence[int], th: list[np.ndarray], freq: np.ndarray,
                       ext: np.ndarray, rr: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """Polychoric correlation of every pair: all at once by Newton, from the Pearson correlations
    of the codes; 2 x 2 tables and pairs that did not converge one by one."""
    zc = codes - codes.mean(0)
    sd = np.sqrt((zc * zc).mean(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        start_rho = np.nan_to_num((zc[:, rr] * zc[:, cc]).mean(0) / (sd[rr] * sd[cc]))
    rho, ok = _polychoric_many(freq, ext[rr], ext[cc], start_rho)
    for k in range(len(rr)):
        i, j = int(rr[k]), int(cc[k])
        if (n_cat[i] == 2 and n_cat[j] == 2) or not ok[k]:
            rho[k] = _polychoric_pair(freq[k, :n_cat[i], :n_cat[j]], th[i], th[j])
    return rho


def _score_cross_products(freq: np.ndarray, pi: np.ndarray, d1: np.ndarray, rho: np.ndarray, ext: np.ndarray,
                          rr: np.ndarray, cc: np.ndarray, nth: list[int], start: np.ndarray) -> np.ndarray:
    """A21: the correlation scores times the derivatives of the bivariate log-likelihoods with
    respect to the thresholds, summed over the cases (cell by cell)."""
    # the extended thresholds with +-100 for infinite ones (lavaan's casewise score formulas)
    ext100 = np.clip(ext, -100.0, 100.0)
    R = np.sqrt(1.0 - rho * rho)[:, None, None]
    r3 = rho[:, None, None]
    u1, l1 = ext100[rr, 1:, None], ext100[rr, :-1, None]  # (npair, K, 1)
    u2, l2 = ext100[cc, None, 1:], ext100[cc, None, :-1]  # (npair, 1, K)
    z1 = _dnorm(u1) * (_phi((u2 - r3 * u1) / R) - _phi((l2 - r3 * u1) / R))
    z2 = _dnorm(l1) * (_phi((u2 - r3 * l1) / R) - _phi((l2 - r3 * l1) / R))
    w1 = _dnorm(u2) * (_phi((u1 - r3 * u2) / R) - _phi((l1 - r3 * u2) / R))
    w2 = _dnorm(l2) * (_phi((u1 - r3 * l2) / R) - _phi((l1 - r3 * l2) / R))
    wcell = freq * (d1 / pi) / pi  # sum over the cases of a cell of (correlation score / likelihood)
    g_up, g_lo = (wcell * z1).sum(2), (wcell * z2).sum(2)
    h_up, h_lo = (wcell * w1).sum(1), (wcell * w2).sum(1)
    a21 = np.zeros((len(rr), int(sum(nth))))
    for k in range(len(rr)):
        i, j = int(rr[k]), int(cc[k])
        a21[k, start[i]:start[i] + nth[i]] = g_up[k, :nth[i]] - g_lo[k, 1:nth[i] + 1]
        a21[k, start[j]:start[j] + nth[j]] = h_up[k, :nth[j]] - h_lo[k, 1:nth[j] + 1]
    return a21


def _muthen_nacov(sc_th: np.ndarray, sc_cor: np.ndarray, a21: np.ndarray, nth: list[int], start: np.ndarray,
                  n: int) -> np.ndarray:
    """NACOV = N B^-1 (sum_i s_i s_i') B^-T with B^-1 = [[A11^-1, 0], [-A22^-1 A21 A11^-1, A22^-1]]."""
    ntht, npair = sc_th.shape[1], sc_cor.shape[1]
    sc = np.hstack([sc_th, sc_cor])
    inner = sc.T @ sc
    a11_inv = np.zeros((ntht, ntht))
    for j in range(len(nth)):
        s = slice(start[j], start[j] + nth[j])
        a11_inv[s, s] = np.linalg.inv(inner[s, s])
    a22_inv = 1.0 / np.einsum("ij,ij->j", sc_cor, sc_cor)
    b_inv = np.zeros((ntht + npair, ntht + npair))
    b_inv[:ntht, :ntht] = a11_inv
    b_inv[ntht:, :ntht] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[ntht:, ntht:] = np.diag(a22_inv)
    return n * (b_inv @ inner @ b_inv.T)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class OrdinalModel:
    """A confirmatory factor model for ordinal items (delta parameterisation).

    Attributes
    ----------
    pattern : ndarray of bool, shape (p, m)
        Which item loads on which factor.
    std_lv : bool
        Factor variances fixed to 1 (all loadings free); otherwise the first loading of each
        factor is fixed to 1 (marker).
    residual_covariances : tuple of (int, int)
        Item pairs whose residuals (of the latent responses) covary.
    """

    pattern: np.ndarray
    std_lv: bool = False
    residual_covariances: tuple[tuple[int, int], ...] = ()

    def parameters(self) -> list[tuple[str, int, int]]:
        """Free structural parameters as (kind, i, j): 'lambda' (item, factor), 'psi' (f, g), 'theta' (i, j)."""
        p, m = self.pattern.shape
        out: list[tuple[str, int, int]] = []
        for f in range(m):
            items = np.flatnonzero(self.pattern[:, f])
            for r, i in enumerate(items):
                if r == 0 and not self.std_lv:
                    continue
                out.append(("lambda", int(i), f))
        for f in range(m):
            for g in range(f, m):
                if f == g and self.std_lv:
                    continue
                out.append(("psi", g, f))
        for a, b in self.residual_covariances:
            out.append(("theta", int(max(a, b)), int(min(a, b))))
        return out

    def matrices(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lambda, Psi and the off-diagonal residual covariance matrix at structural values ``x``."""
        p, m = self.pattern.shape
        L = np.zeros((p, m))
        if not self.std_lv:
            for f in range(m):
                L[np.flatnonzero(self.pattern[:, f])[0], f] = 1.0
        P = np.eye(m) if self.std_lv else np.zeros((m, m))
        T = np.zeros((p, p))
        for v, (kind, i, j) in zip(x, self.parameters(), strict=True):
            if kind == "lambda":
                L[i, j] = v
            elif kind == "psi":
                P[i, j] = P[j, i] = v
            else:
                T[i, j] = T[j, i] = v
        return L, P, T

    def implied(self, x: np.ndarray) -> np.ndarray:
        """Implied correlations of the latent responses (vector in lavaan's order)."""
        L, P, T = self.matrices(x)
        S = L @ P @ L.T + T
        i, j = lower_pairs(S.shape[0])
        return S[i, j]

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """d implied correlations / d structural parameters."""
        L, P, _ = self.matrices(x)
        p = L.shape[0]
        ri, rj = lower_pairs(p)
        M = L @ P
        pars = self.parameters()
        J = np.zeros((len(ri), len(pars)))
        for c, (kind, a, b) in enumerate(pars):
            if kind == "lambda":
                J[:, c] = (ri == a) * M[rj, b] + (rj == a) * M[ri, b]
            elif kind == "psi":
                if a == b:
                    J[:, c] = L[ri, a] * L[rj, a]
                else:
                    J[:, c] = L[ri, a] * L[rj, b] + L[ri, b] * L[rj, a]
            else:
                J[:, c] = (ri == a) & (rj == b)
        return J

    def start(self, cor: np.ndarray) -> np.ndarray:
        """Starting values: one-factor principal-axis loadings of each factor's items."""
        p, m = self.pattern.shape
        lam = np.zeros((p, m))
        for f in range(m):
            items = np.flatnonzero(self.pattern[:, f])
            if len(items) > 2:
                sub = cor[np.ix_(items, items)].copy()
                h2 = np.full(len(items), 0.5)
                for _ in range(20):
                    np.fill_diagonal(sub, h2)
                    val, vec = np.linalg.eigh(sub)
                    load = vec[:, -1] * np.sqrt(max(val[-1], 1e-3))
                    h2 = np.clip(load ** 2, 0.05, 0.95)
                load = load * (1.0 if load[0] >= 0 else -1.0)
                lam[items, f] = np.where(np.abs(load) < 0.1, np.sign(load + 1e-12) * 0.1, load)
            else:
                lam[items, f] = 0.7
        x = []
        for kind, i, j in self.parameters():
            if kind == "lambda":
                first = np.flatnonzero(self.pattern[:, j])[0]
                x.append(lam[i, j] if self.std_lv else lam[i, j] / lam[first, j])
            elif kind == "psi":
                if i == j:
                    first = np.flatnonzero(self.pattern[:, j])[0]
                    x.append(lam[first, j] ** 2)
                else:
                    x.append(0.0)
            else:
                x.append(0.0)
        return np.array(x, dtype=float)


def scaled_shifted(chisq: float, df: float, trace_ug: float, trace_ug2: float) -> dict[str, float]:
    """lavaan's mean-and-variance adjusted ("scaled.shifted") statistic.

    ``a = sqrt(df / tr((U Gamma)^2))``, shift ``b = df - a tr(U Gamma)``, statistic
    ``a T + b`` on the same df; lavaan reports ``1/a`` as the scaling factor.

    Examples
    --------
    >>> out = scaled_shifted(50.0, 20.0, 30.0, 60.0)
    >>> round(out["chisq_scaled"], 4), round(out["scaling_factor"], 4)
    (31.547, 1.7321)
    """
    if df <= 0 or not np.isfinite(trace_ug2) or trace_ug2 <= 0:
        return {"chisq_scaled": float(chisq), "scaling_factor": np.nan, "shift": np.nan}
    a = float(np.sqrt(df / trace_ug2))
    shift = float(df - a * trace_ug)
    return {"chisq_scaled": float(chisq * a + shift), "scaling_factor": 1.0 / a, "shift": shift}


def _rmsea_ci(chisq: float, df: float, n: float, level: float = 0.90) -> tuple[float, float, float]:
    """RMSEA 90% CI and p(RMSEA <= .05) from the non-central chi-square (lavaan's ``lav_fit_rmsea_ci``)."""
    from scipy import optimize

    from compassion_scales.stats.distributions import chi2, ncx2

    if df < 1 or not np.isfinite(chisq):
        return 0.0, 0.0, np.nan
    up_p, lo_p = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(ncx2.cdf(chisq, df, lam)) if lam > 0 else float(chi2.cdf(chisq, df))

    if cdf(0.0) - up_p < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - up_p, 0.0, chisq, xtol=1e-12)
        lo = float(np.sqrt(lam / (n * df)))
    n_r = max(n, 4 * chisq)
    if cdf(n_r) - lo_p > 0 or cdf(0.0) - lo_p < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - lo_p, 0.0, n_r, xtol=1e-12)
        hi = float(np.sqrt(lam / (n * df)))
    pclose = float(ncx2.sf(chisq, df, n * df * 0.05 ** 2))
    return lo, hi, pclose


def incremental_fit(x2: float, df: float, x2b: float, dfb: float) -> tuple[float, float]:
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2b - dfb, 0.0)
    cfi = 1.0 if (abs(t1) < 1.5e-8 and abs(t2) < 1.5e-8) else 1.0 - t1 / t2
    u1 = (x2 - df) * dfb
    u2 = (x2b - dfb) * df
    tli = 1.0 - u1 / u2 if (df > 0 and abs(u2) > 0) else 1.0
    return float(cfi), float(tli)


def _robust_catml(stats: PolychoricStats, implied: np.ndarray, d_cor: np.ndarray, e_inv: np.ndarray | None,
                  w: np.ndarray, n_ls: float, df: float) -> dict[str, float]:
    """lavaan's "robust" CFI/TLI/RMSEA for categorical data (``lav_fit_catml_dwls``, Savalei 2021).

    The normal-theory ML discrepancy of the polychoric matrix at the DWLS/ULS estimates
    (``XX3 = N F_ML``), corrected by ``c = tr(U' V U Gamma) / df`` with ``V`` the normal-theory
    weight matrix of the correlations at the implied matrix and
    ``U = I - Delta E^-1 Delta' W``; the baseline uses ``c0 = tr(Gamma) / df0``. NaN when the
    polychoric matrix is not positive definite (as lavaan).
    """
    from scipy import optimize

    from compassion_scales.stats.distributions import chi2, ncx2

    keys = ["cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_low_robust", "rmsea_ci_high_robust",
            "rmsea_p_close_robust"]
    R = stats.cor
    p = R.shape[0]
    n = float(stats.n_obs)
    if e_inv is None or df <= 0 or np.linalg.eigvalsh(R)[0] < _SQRT_EPS:
        return dict.fromkeys(keys, np.nan)
    nth = stats.n_thresholds
    Si = np.linalg.inv(implied)
    sign_s, logdet_s = np.linalg.slogdet(implied)
    _, logdet_r = np.linalg.slogdet(R)
    if sign_s <= 0:
        return dict.fromkeys(keys, np.nan)
    xx3 = n * (logdet_s + np.trace(R @ Si) - logdet_r - p)
    xx3_null = -n * logdet_r
    ri, rj = lower_pairs(p)
    V = Si[np.ix_(ri, ri)] * Si[np.ix_(rj, rj)] + Si[np.ix_(ri, rj)] * Si[np.ix_(rj, ri)]
    gamma = stats.nacov[nth:, nth:]
    WiU = np.eye(len(ri)) - d_cor @ e_inv @ d_cor.T * w[None, :]
    ks = float(np.trace(WiU.T @ V @ WiU @ gamma))
    c_hat = ks / df
    df0 = float(len(ri))
    c_hat0 = float(np.trace(gamma)) / df0
    t1 = max(xx3 - c_hat * df, 0.0)
    t2 = max(xx3 - c_hat * df, xx3_null - c_hat0 * df0, 0.0)
    cfi = 1.0 if (abs(t1) < 1.5e-8 and abs(t2) < 1.5e-8) else 1.0 - t1 / t2
    u1, u2 = (xx3 - c_hat * df) * df0, (xx3_null - c_hat0 * df0) * df
    tli = 1.0 - u1 / u2 if abs(u2) > 0 else 1.0
    rmsea = float(np.sqrt(max(xx3 / n_ls / df - c_hat / n_ls, 0.0)))
    x2s = xx3 / c_hat

    def cdf(lam: float) -> float:
        return float(ncx2.cdf(x2s, df, lam)) if lam > 0 else float(chi2.cdf(x2s, df))

    if df < 1 or cdf(0.0) - 0.95 < 0:
        lo = 0.0
    else:
        lo = float(np.sqrt(c_hat * optimize.brentq(lambda v: cdf(v) - 0.95, 0.0, x2s, xtol=1e-12) / (n_ls * df)))
    n_r = max(n_ls, 4 * x2s)
    if df < 1 or cdf(n_r) - 0.05 > 0 or cdf(0.0) - 0.05 < 0:
        hi = 0.0
    else:
        hi = float(np.sqrt(c_hat * optimize.brentq(lambda v: cdf(v) - 0.05, 0.0, n_r, xtol=1e-12) / (n_ls * df)))
    pclose = float(ncx2.sf(x2s, df, n_ls * df / c_hat * 0.05 ** 2))
    return dict(zip(keys, [float(cfi), float(tli), rmsea, lo, hi, pclose], strict=True))


def fit_ordinal_cfa(stats: PolychoricStats, model: OrdinalModel, estimator: str = "DWLS",
                    max_iter: int = 2000) -> dict[str, Any]:
    """Fit an ordinal CFA by DWLS or ULS with lavaan's robust corrections (WLSMV / ULSMV).

    Parameters
    ----------
    stats : PolychoricStats
        From :func:`polychoric_nacov`.
    model : OrdinalModel
    estimator : {"DWLS", "ULS"}
        Weights ``1 / diag(NACOV)`` (DWLS, lavaan's WLSMV) or 1 (ULS, ULSMV).

    Returns
    -------
    dict
        ``x`` (structural parameters, in ``model.parameters()`` order), ``thresholds``,
        ``vcov`` (robust covariance of (structural, thresholds)), ``fit`` (lavaan's fit
        measures), ``converged``, ``iterations``, ``implied`` (correlation matrix).

    Notes
    -----
    ``F = (s - sigma)' W (s - sigma)`` over thresholds and polychoric correlations, chi-square
    ``T = (N - 1) F``; robust covariance ``E^-1 Delta' W Gamma W Delta E^-1 / (N - 1)`` with
    ``E = Delta' W Delta``; ``U = W - W Delta E^-1 Delta' W`` gives ``tr(U Gamma)`` and
    ``tr((U Gamma)^2)`` for :func:`scaled_shifted`. The baseline model has free thresholds and
    zero correlations.
    """
    from compassion_scales.stats.distributions import chi2

    est = estimator.upper()
    gamma = stats.nacov
    # lavaan uses N - 1 (N - G with G groups) for the chi-square, the standard errors and RMSEA
    # with the least-squares estimators
    n = float(stats.n_obs - 1)
    nth = stats.n_thresholds
    r = stats.cor_vector
    npair = len(r)
    w_all = 1.0 / np.diag(gamma) if est == "DWLS" else np.ones(nth + npair)
    w = w_all[nth:]
    x, converged, iterations = _least_squares(model, r, np.sqrt(w), model.start(stats.cor), max_iter)
    npar_s = len(x)
    diff = r - model.implied(x)
    fmin = float((w * diff * diff).sum())
    chisq = n * fmin
    # Delta over (structural, thresholds) parameters; statistics (thresholds, correlations)
    npar = npar_s + nth
    D = np.zeros((nth + npair, npar))
    D[nth:, :npar_s] = model.jacobian(x)
    D[:nth, npar_s:] = np.eye(nth)
    E_inv, vcov, tr_ug, tr_ug2 = _robust_vcov(D, w_all, gamma, n)
    df = float(nth + npair - npar)
    ss = scaled_shifted(chisq, df, tr_ug, tr_ug2)
    # baseline: thresholds free, correlations zero
    chisq_b = n * float((w * r * r).sum())
    df_b = float(npair)
    Gc = gamma[nth:, nth:]
    UGb = w[:, None] * Gc
    ssb = scaled_shifted(chisq_b, df_b, float(np.trace(UGb)), float((UGb * UGb.T).sum()))
    cfi, tli = incremental_fit(chisq, df, chisq_b, df_b)
    cfi_s, tli_s = incremental_fit(ss["chisq_scaled"], df, ssb["chisq_scaled"], df_b)
    rmsea = float(np.sqrt(max(chisq / n / df - 1.0 / n, 0.0))) if df > 0 else 0.0
    rmsea_s = float(np.sqrt(max(ss["chisq_scaled"] / n / df - 1.0 / n, 0.0))) if df > 0 else 0.0
    lo, hi, pclose = _rmsea_ci(chisq, df, n)
    lo_s, hi_s, pclose_s = _rmsea_ci(ss["chisq_scaled"], df, n)
    implied, srmr = _implied_srmr(model, x, stats.cor)
    rob = _robust_catml(stats, implied, D[nth:, :], E_inv, w, n, df)
    fit = {
        "npar": float(npar), "chisq": chisq, "df": df,
        "p_val": float(chi2.sf(chisq, df)) if df > 0 else np.nan,
        "chisq_scaled": ss["chisq_scaled"],
        "p_val_scaled": float(chi2.sf(ss["chisq_scaled"], df)) if df > 0 else np.nan,
        "chisq_scaling_factor": ss["scaling_factor"], "chisq_shift": ss["shift"],
        "trace_ugamma": tr_ug, "trace_ugamma2": tr_ug2,
        "baseline_chisq": chisq_b, "baseline_df": df_b, "baseline_chisq_scaled": ssb["chisq_scaled"],
        "baseline_chisq_scaling_factor": ssb["scaling_factor"], "baseline_chisq_shift": ssb["shift"],
        "cfi": cfi, "tli": tli, "cfi_scaled": cfi_s, "tli_scaled": tli_s,
        "rmsea": rmsea, "rmsea_ci_low": lo, "rmsea_ci_high": hi, "rmsea_p_close": pclose,
        "rmsea_scaled": rmsea_s, "rmsea_ci_low_scaled": lo_s, "rmsea_ci_high_scaled": hi_s,
        "rmsea_p_close_scaled": pclose_s, **rob, "srmr": srmr, "n_obs": float(stats.n_obs),
    }
    return {"x": x, "thresholds": np.concatenate(stats.thresholds), "vcov": vcov, "fit": fit,
            "converged": converged, "iterations": iterations, "implied": implied, "fmin": fmin}


def _least_squares(model: OrdinalModel, r: np.ndarray, sw: np.ndarray, x0: np.ndarray, max_iter: int
                   ) -> tuple[np.ndarray, bool, int]:
    """Minimise sum(w (r - sigma(x))^2) by Levenberg-Marquardt polished with Gauss-Newton steps:
    (x, converged, function evaluations)."""
    from scipy import optimize

    def resid(x: np.ndarray) -> np.ndarray:
        return sw * (r - model.implied(x))

    def jac(x: np.ndarray) -> np.ndarray:
        return -sw[:, None] * model.jacobian(x)

    if not len(x0):
        return x0, True, 0
    sol = optimize.least_squares(resid, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                 max_nfev=max_iter)
    x = sol.x
    # polish with Gauss-Newton steps
    for _ in range(20):
        J = jac(x)
        g = J.T @ resid(x)
        step = np.linalg.lstsq(J, -resid(x), rcond=None)[0]
        x = x + step
        if np.max(np.abs(step)) < 1e-13 and np.max(np.abs(g)) < 1e-12:
            break
    converged = bool(sol.status > 0) and bool(np.max(np.abs(jac(x).T @ resid(x))) < 1e-8)
    return x, converged, int(sol.nfev)


def _robust_vcov(D: np.ndarray, w_all: np.ndarray, gamma: np.ndarray, n: float
                 ) -> tuple[np.ndarray | None, np.ndarray, float, float]:
    """(E^-1, robust vcov, tr(U Gamma), tr((U Gamma)^2)); NaN when E is singular."""
    WD = w_all[:, None] * D
    E = D.T @ WD
    try:
        E_inv = np.linalg.inv(E)
    except np.linalg.LinAlgError:
        return None, np.full((D.shape[1], D.shape[1]), np.nan), np.nan, np.nan
    vcov = E_inv @ (WD.T @ gamma @ WD) @ E_inv / n
    U = np.diag(w_all) - WD @ E_inv @ WD.T
    UG = U @ gamma
    return E_inv, vcov, float(np.trace(UG)), float((UG * UG.T).sum())


def _implied_srmr(model: OrdinalModel, x: np.ndarray, cor: np.ndarray) -> tuple[np.ndarray, float]:
    """Implied correlation matrix (unit diagonal) and the SRMR of the polychoric correlations."""
    L, P, T = model.matrices(x)
    implied = L @ P @ L.T + T
    np.fill_diagonal(implied, 1.0)
    res = cor - implied
    il = np.tril_indices(cor.shape[0])
    return implied, float(np.sqrt(np.mean(res[il] ** 2)))
