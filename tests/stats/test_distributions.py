"""stats.distributions gives scipy.stats' numbers bit for bit, without importing scipy.stats."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.stats as st

from compassion_scales.stats import distributions as d

RNG = np.random.default_rng(20261202)
X = np.concatenate([np.abs(RNG.standard_normal(500)) * 20, [-1.0, 0.0, np.inf, np.nan, 1e-300]])
Z = np.concatenate([RNG.standard_normal(500) * 6, [0.0, -np.inf, np.inf, np.nan]])
Q = np.concatenate([RNG.uniform(1e-12, 1 - 1e-12, 500), [0.0, 1.0, 0.5, np.nan]])
DF = np.concatenate([RNG.integers(1, 400, 510).astype(float) + RNG.uniform(0, 1, 510), [0.5, 1.0, 0.0, -2.0]])


def same(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("method", ["sf", "cdf"])
def test_chi2_and_f_probabilities(method: str) -> None:
    x, df = X, DF[-X.size:]
    same(getattr(d.chi2, method)(x, df), getattr(st.chi2, method)(x, df))
    same(getattr(d.f, method)(x / 10, df, df[::-1]), getattr(st.f, method)(x / 10, df, df[::-1]))


def test_quantiles() -> None:
    df = DF[-Q.size:]
    same(d.chi2.ppf(Q, df), st.chi2.ppf(Q, df))
    same(d.chi2.isf(Q, df), st.chi2.isf(Q, df))
    same(d.t.ppf(Q, df), st.t.ppf(Q, df))
    same(d.f.ppf(Q, df, df[::-1]), st.f.ppf(Q, df, df[::-1]))
    same(d.norm.ppf(Q), st.norm.ppf(Q))
    same(d.norm.isf(Q), st.norm.isf(Q))


def test_normal_and_t_probabilities() -> None:
    df = DF[-Z.size:]
    same(d.norm.sf(Z), st.norm.sf(Z))
    same(d.norm.cdf(Z), st.norm.cdf(Z))
    same(d.t.sf(Z, df), st.t.sf(Z, df))
    same(d.t.cdf(Z, df), st.t.cdf(Z, df))


def test_scalars_come_back_as_numpy_floats() -> None:
    for got, ref in [(d.chi2.sf(3.0, 2), st.chi2.sf(3.0, 2)), (d.norm.ppf(0.9), st.norm.ppf(0.9)),
                     (d.t.sf(2.0, df=7), st.t.sf(2.0, df=7)), (d.f.sf(2.0, 3, 9), st.f.sf(2.0, 3, 9))]:
        assert type(got) is type(ref) and got == ref


def test_hmean() -> None:
    a = RNG.uniform(1, 500, 37)
    assert d.hmean(a) == pytest.approx(float(st.hmean(a)), rel=1e-15)


def test_importing_it_does_not_import_scipy_stats() -> None:
    code = "import sys, compassion_scales.stats.distributions; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_noncentral_chi_square() -> None:
    x = np.abs(RNG.standard_normal(400)) * 300
    df = RNG.integers(1, 700, 400).astype(float)
    nc = RNG.uniform(1e-9, 500, 400)
    same(d.ncx2.cdf(x, df, nc), st.ncx2.cdf(x, df, nc))
    np.testing.assert_allclose(d.ncx2.sf(x, df, nc), st.ncx2.sf(x, df, nc), rtol=0, atol=5e-15)


def test_noncentral_t_and_f_cdfs_are_scipy_stats_bit_for_bit() -> None:
    x = RNG.normal(0, 6, 500)
    df = RNG.integers(1, 600, 500).astype(float)
    nc = x + RNG.uniform(-8, 8, 500)
    same(d.nct.cdf(x, df, nc), st.nct.cdf(x, df, nc))
    f = RNG.exponential(3, 500)
    dfn = RNG.integers(1, 12, 500).astype(float)
    lam = RNG.exponential(20, 500)
    same(d.ncf.cdf(f, dfn, df, lam), st.ncf.cdf(f, dfn, df, lam))
    assert np.isnan(d.nct.cdf(1.0, 0.0, 0.5)) and d.ncf.cdf(-1.0, 2.0, 10.0, 3.0) == 0.0
