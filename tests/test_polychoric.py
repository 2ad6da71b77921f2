"""Polychoric correlations against psych::polychoric (tests/reference/reliability.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compassion_scales.correlations import _bvn_cdf, pairwise_cor, pairwise_cov, polychoric
from compassion_scales.errors import AnalysisError

REF = Path(__file__).resolve().parent / "reference"
POLY = json.loads((REF / "reliability_polychoric_psych.json").read_text())


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "bfi.csv")


@pytest.mark.parametrize("case", [k for k in POLY if k != "versions"])
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
