"""Central chi-square, normal, t and F distribution functions, without scipy.stats.

``import scipy.stats`` costs about a second of CPU (it builds every distribution object),
more than most analyses of a 300-row file take. The p values and quantiles the package
needs come from the same special functions scipy.stats calls for these distributions
(``chdtrc``, ``ndtr``, ``stdtr``, ``fdtrc``, ``gammaincinv``, ...), so the numbers are
identical to ``scipy.stats.chi2.sf`` and friends; ``tests/stats/test_distributions.py``
checks that bit for bit. Noncentral distributions and rank tests still use scipy.stats,
imported only by the functions that need them.

Each name has the interface of its scipy.stats counterpart for the methods used here::

    chi2.sf(x, df)  chi2.cdf(x, df)  chi2.ppf(q, df)  chi2.isf(q, df)
    norm.sf(x)      norm.cdf(x)      norm.ppf(q)      norm.isf(q)
    t.sf(x, df)     t.cdf(x, df)     t.ppf(q, df)
    f.sf(x, dfn, dfd)  f.cdf(x, dfn, dfd)  f.ppf(q, dfn, dfd)
    ncx2.cdf(x, df, nc)  ncx2.sf(x, df, nc)  (sf as 1 - cdf: within 5e-15 absolute)
    nct.cdf(x, df, nc)   ncf.cdf(x, dfn, dfd, nc)

The noncentral t and F CDFs are Boost's, as scipy.stats' (``nctdtr``, ``ncfdtr``): the same
numbers at about 4 microseconds a call instead of 90 (the confidence intervals of effect
sizes invert them with hundreds of calls).

Examples
--------
>>> from compassion_scales.stats.distributions import chi2, norm
>>> round(float(chi2.sf(3.84, 1)), 4)
0.05
>>> round(float(norm.ppf(0.975)), 4)
1.96
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special as sc

Array = Any  # float or ndarray, as scipy.stats takes and returns


def _nonneg(x: Array) -> Array:
    """Support starts at 0: below it, sf = 1 and cdf = 0 (as scipy.stats)."""
    return np.maximum(x, 0.0)


def _pos(df: Array) -> Array:
    """Degrees of freedom must be positive: otherwise nan (as scipy.stats)."""
    return np.where(np.asarray(df) > 0, df, np.nan)


def _out(v: Any) -> Any:
    """A 0-d result as a numpy float, like scipy.stats."""
    return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v


class _Chi2:
    """The central chi-square distribution."""

    @staticmethod
    def sf(x: Array, df: Array) -> Array:
        return _out(sc.chdtrc(_pos(df), _nonneg(x)))

    @staticmethod
    def cdf(x: Array, df: Array) -> Array:
        return _out(sc.chdtr(_pos(df), _nonneg(x)))

    @staticmethod
    def ppf(q: Array, df: Array) -> Array:
        return _out(2.0 * sc.gammaincinv(_pos(df) / 2.0, q))

    @staticmethod
    def isf(q: Array, df: Array) -> Array:
        return _out(sc.chdtri(_pos(df), q))


class _Norm:
    """The standard normal distribution."""

    @staticmethod
    def sf(x: Array) -> Array:
        return _out(sc.ndtr(np.negative(x)))

    @staticmethod
    def cdf(x: Array) -> Array:
        return _out(sc.ndtr(x))

    @staticmethod
    def ppf(q: Array) -> Array:
        return _out(sc.ndtri(q))

    @staticmethod
    def isf(q: Array) -> Array:
        return _out(-sc.ndtri(q))


class _T:
    """Student's t distribution."""

    @staticmethod
    def sf(x: Array, df: Array) -> Array:
        return _out(sc.stdtr(_pos(df), np.negative(x)))

    @staticmethod
    def cdf(x: Array, df: Array) -> Array:
        return _out(sc.stdtr(_pos(df), x))

    @staticmethod
    def ppf(q: Array, df: Array) -> Array:
        # stdtrit(df, 0) is +inf where the quantile is -inf
        return _out(np.where(np.asarray(q) == 0.0, -np.inf, sc.stdtrit(_pos(df), q)))


class _F:
    """The central F distribution."""

    @staticmethod
    def sf(x: Array, dfn: Array, dfd: Array) -> Array:
        return _out(sc.fdtrc(_pos(dfn), _pos(dfd), _nonneg(x)))

    @staticmethod
    def cdf(x: Array, dfn: Array, dfd: Array) -> Array:
        return _out(sc.fdtr(_pos(dfn), _pos(dfd), _nonneg(x)))

    @staticmethod
    def ppf(q: Array, dfn: Array, dfd: Array) -> Array:
        return _out(sc.fdtri(_pos(dfn), _pos(dfd), q))


class _Ncx2:
    """The noncentral chi-square distribution."""

    @staticmethod
    def cdf(x: Array, df: Array, nc: Array) -> Array:
        return _out(sc.chndtr(_nonneg(x), _pos(df), nc))

    @staticmethod
    def sf(x: Array, df: Array, nc: Array) -> Array:
        # 1 - cdf: within 5e-15 (absolute) of scipy.stats.ncx2.sf, which has no public
        # special-function counterpart; used only for the RMSEA close-fit p value
        return _out(1.0 - sc.chndtr(_nonneg(x), _pos(df), nc))


class _Nct:
    """The noncentral t distribution (CDF only)."""

    @staticmethod
    def cdf(x: Array, df: Array, nc: Array) -> Array:
        return _out(sc.nctdtr(_pos(df), nc, x))


class _Ncf:
    """The noncentral F distribution (CDF only)."""

    @staticmethod
    def cdf(x: Array, dfn: Array, dfd: Array, nc: Array) -> Array:
        return _out(sc.ncfdtr(_pos(dfn), _pos(dfd), nc, _nonneg(x)))


chi2 = _Chi2()
ncx2 = _Ncx2()
nct = _Nct()
ncf = _Ncf()
norm = _Norm()
t = _T()
f = _F()


def hmean(a: Array) -> float:
    """Harmonic mean of positive numbers (``scipy.stats.hmean``).

    >>> hmean([1.0, 2.0, 4.0])
    1.7142857142857142
    """
    return float(1.0 / np.mean(1.0 / np.asarray(a, dtype=float)))
