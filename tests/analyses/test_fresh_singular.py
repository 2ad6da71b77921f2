"""Singular correlation matrices against psych (tests/reference/fresh_singular.R).

Found by the fresh-data sweep (benchmarks/fidelity_fresh.py): with a total-score column left
among the items, or fewer people than items, the correlation matrix is singular. psych's
``smc`` inverts it with ``Pinv`` (singular values below sqrt(eps) x the largest dropped);
cscore inverted it with numpy, which returns huge meaningless values instead of failing, so
Guttman's lambda-6 came out as 1.0 (psych: 0.7695) and principal-axis factoring started from
communalities of 1. KMO must refuse such a matrix (its documented error), as R's ``solve`` does.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.efa import bartlett, efa, kmo
from compassion_scales.analyses.reliability import cronbach_alpha, omega, reliability
from compassion_scales.errors import AnalysisError
from compassion_scales.stats.correlation import smc

GOLD = json.loads((REFERENCE / "fresh_singular_psych.json").read_text())
CASES = nonempty([k for k in GOLD if k != "versions"], "cases in fresh_singular_psych.json")


def _data(case: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / GOLD[case]["file"])


def test_cases_present():
    assert CASES == ["total_column", "fewer_people"]


@pytest.mark.parametrize("case", CASES)
def test_smc_of_singular_matrix_matches_psych(case):
    x = _data(case).to_numpy(dtype=float)
    r = np.corrcoef(x, rowvar=False)
    np.testing.assert_allclose(smc(r), GOLD[case]["smc"], atol=1e-8)


@pytest.mark.parametrize("case", CASES)
def test_lambda6_matches_psych_g6(case):
    g = GOLD[case]
    d = _data(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = reliability(d, n_boot=0).summary.iloc[0]
        one = cronbach_alpha(d).iloc[0]
        om = omega(d).iloc[0]
    assert row["alpha"] == pytest.approx(g["raw_alpha"], abs=1e-10)
    assert row["std_alpha"] == pytest.approx(g["std_alpha"], abs=1e-10)
    assert row["lambda6"] == pytest.approx(g["g6"], abs=1e-8)
    assert one["g6_smc"] == pytest.approx(g["g6"], abs=1e-8)
    assert om["lambda6"] == pytest.approx(g["omega_g6"], abs=1e-8)


@pytest.mark.parametrize("case", CASES)
def test_principal_axis_start_matches_psych(case):
    g = GOLD[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = efa(_data(case), n_factors=1, method="pa", rotation="none")
    np.testing.assert_allclose(res.loadings["factor_1"], g["pa_loadings"], atol=1e-6)
    np.testing.assert_allclose(res.communalities, g["pa_communality"], atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_kmo_and_bartlett_refuse_a_singular_matrix(case):
    assert "singular" in GOLD[case]["kmo_error"]          # R's solve() refuses it too
    with pytest.raises(AnalysisError, match="singular"):
        kmo(_data(case))
    with pytest.raises(AnalysisError, match="singular"):
        bartlett(_data(case))


@pytest.mark.parametrize("case", CASES)
def test_fit_statistics_smooth_a_singular_matrix_as_psych(case):
    g = GOLD[case]["pa_fit"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = efa(_data(case), n_factors=1, method="pa", rotation="none").fit.iloc[0]
    assert float(fit["df"]) == g["dof"]
    for ours, theirs in (("objective", "objective"), ("chisq", "chisq"), ("null_chisq", "null_chisq"),
                         ("tli", "tli"), ("rmsea", "rmsea"), ("bic", "bic")):
        assert float(fit[ours]) == pytest.approx(g[theirs], rel=1e-5), ours
