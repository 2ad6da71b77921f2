"""Polychoric correlations against psych::polychoric (tests/reference/reliability.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.correlations import _bvn_cdf, pairwise_cov, polychoric
from compassion_scales.errors import AnalysisError
from compassion_scales.stats.correlation import pairwise_cor

REF = REFERENCE
POLY = json.loads((REF / "reliability_polychoric_psych.json").read_text())


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "bfi.csv")


@pytest.mark.parametrize("case", nonempty([k for k in POLY if k != "versions"], "cases in reliability_polychoric_psych.json"))
def test_polychoric_matches_psych(bfi, case):
    c = POLY[case]
    d = bfi[c["items"]].copy()
    if "keyed" in case:
        d["A1"] = 7 - d["A1"]
    r = polychoric(d)
    assert list(r.columns) == c["items"]
    np.testing.assert_allclose(r.to_numpy(), np.array(c["rho"]), atol=1e-3, rtol=0)
    np.testing.assert_allclose(r.attrs["thresholds"].to_numpy(), np.array(c["tau"]), atol=1e-6)
    assert r.attrs["n_obs"] == c["n_obs"]
    assert "two-step" in r.attrs["method"]


def test_bivariate_normal_cdf_matches_scipy():
    from scipy.stats import multivariate_normal

    pts = [(-1.2, 0.3), (0.5, 0.5), (0.0, -0.7), (2.0, -2.5), (-0.3, 0.0)]
    for rho in (-0.8, -0.2, 0.0, 0.45, 0.9):
        mvn = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
        for h, k in pts:
            assert _bvn_cdf(np.array([h]), np.array([k]), rho)[0] == pytest.approx(
                mvn.cdf([h, k]), abs=1e-6)
    assert _bvn_cdf(np.array([np.inf]), np.array([0.3]), 0.5)[0] == pytest.approx(0.6179114, abs=1e-6)
    assert _bvn_cdf(np.array([-np.inf]), np.array([0.3]), 0.5)[0] == 0.0


def test_pairwise_helpers_match_pandas(bfi):
    d = bfi[["A1", "A2", "A3", "A4"]]
    C, N = pairwise_cov(d.to_numpy(dtype=float))
    np.testing.assert_allclose(C, d.cov().to_numpy(), atol=1e-12)
    np.testing.assert_allclose(pairwise_cor(d.to_numpy(dtype=float)), d.corr().to_numpy(), atol=1e-12)
    assert N[0, 1] == d[["A1", "A2"]].dropna().shape[0]


def test_polychoric_refuses_continuous_or_many_categories():
    with pytest.raises(AnalysisError, match="whole-number answers"):
        polychoric(pd.DataFrame({"a": [1.5, 2, 3], "b": [1, 2, 3]}))
    with pytest.raises(AnalysisError, match="10 answer categories"):
        polychoric(pd.DataFrame({"a": list(range(1, 11)), "b": list(range(10, 0, -1))}))
    with pytest.raises(AnalysisError, match="no variance"):
        polychoric(pd.DataFrame({"a": [1, 1, 1, 1], "b": [1, 2, 3, 2]}))


# ------------------------------------------------ items with different answer categories
UNEQUAL = json.loads((REF / "polychoric_unequal_psych.json").read_text())


@pytest.mark.parametrize("case", [k for k in UNEQUAL if k != "versions"])
def test_polychoric_unequal_categories_match_psych(case):
    """psych sets global = FALSE (per-pair thresholds, 0.5 in empty cells) and warns."""
    from compassion_scales.analyses.correlations import UnequalCategoriesWarning

    c = UNEQUAL[case]
    d = pd.read_csv(REF / "data" / f"{case}.csv")
    with pytest.warns(UnequalCategoriesWarning) as rec:
        r = polychoric(d)
    msgs = [str(w.message) for w in rec if issubclass(w.category, UnequalCategoriesWarning)]
    assert any("do not reach the same highest answer" in m for m in msgs)
    n_cells = int(c["warnings"][1].split()[0])   # psych: "<k> cells were adjusted ..."
    assert any(m.startswith(f"{n_cells} pair(s) of items had empty cells") for m in msgs)
    np.testing.assert_allclose(r.to_numpy(), np.array(c["rho"]), atol=1e-8, rtol=0)
    tau = np.array(c["tau"], dtype=float)   # jsonlite writes R's Inf as null (NaN here)
    got = r.attrs["thresholds"].to_numpy()
    assert np.array_equal(np.isinf(got), np.isnan(tau))
    np.testing.assert_allclose(got[~np.isnan(tau)], tau[~np.isnan(tau)], atol=1e-10)
    assert "thresholds per pair" in r.attrs["method"]
    assert r.attrs["renormalised_pairs"] == []


@pytest.mark.parametrize("case", [k for k in UNEQUAL if k != "versions"])
def test_ordinal_alpha_and_omega_unequal_categories_match_psych(case):
    from compassion_scales.analyses.correlations import UnequalCategoriesWarning
    from compassion_scales.analyses.reliability import omega, reliability

    c = UNEQUAL[case]
    d = pd.read_csv(REF / "data" / f"{case}.csv")
    with pytest.warns(UnequalCategoriesWarning):
        res = reliability(d, n_boot=0, ordinal=True)
    assert res.summary["ordinal_alpha"].iloc[0] == pytest.approx(c["ordinal_alpha"], abs=1e-10)
    with pytest.warns(UnequalCategoriesWarning):
        om = omega(d, n_factors=c["nfactors"], ordinal=True).iloc[0]
    assert om["omega_total"] == pytest.approx(c["omega_tot"], abs=1e-6)
    assert om["alpha"] == pytest.approx(c["alpha"], abs=1e-10)
    assert om["lambda6"] == pytest.approx(c["G6"], abs=1e-6)
    if c["nfactors"] > 1:
        assert om["omega_h"] == pytest.approx(c["omega_h"], abs=1e-5)
    assert "thresholds per pair" in om["correlation"]


def test_polychoric_sparse_categories_renormalise_and_say_so():
    """Where the 0.5 correction makes a threshold infinite psych's value rests on rounding
    error; cscore re-scales that pair's table, warns, and matches psych on every other pair."""
    from compassion_scales.analyses.correlations import UnequalCategoriesWarning

    ref = np.array(json.loads((REF / "polychoric_sparse_psych.json").read_text())["rho"])
    d = pd.read_csv(REF / "data" / "fcs_sim_sparse.csv")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = polychoric(d)
    msgs = [str(w.message) for w in rec if issubclass(w.category, UnequalCategoriesWarning)]
    assert len(msgs) == 3 and msgs[2].startswith("For 3 pair(s) of items (fcs2-fcs3")
    names = list(r.columns)
    keep = np.ones(ref.shape, dtype=bool)
    for a, b in r.attrs["renormalised_pairs"]:
        i, j = names.index(a), names.index(b)
        keep[i, j] = keep[j, i] = False
    assert (~keep).sum() == 6
    np.testing.assert_allclose(r.to_numpy()[keep], ref[keep], atol=1e-8)
    assert np.all(np.abs(r.to_numpy()) <= 1)


def test_r_optimize_follows_r_steps():
    from compassion_scales.analyses.correlations import r_optimize

    # R: print(optimize(function(x) sin(3 * x) + x^2 / 5, c(-2, 2))$minimum, digits = 12)
    #    -0.501290529575 (R stops within its tolerance, not at the true minimum -0.5012...)
    x = r_optimize(lambda v: np.sin(3 * v) + v * v / 5, -2, 2)
    assert x == pytest.approx(-0.501290529575, abs=1e-12)
