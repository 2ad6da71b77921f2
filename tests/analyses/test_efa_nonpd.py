"""EFA fit statistics on a correlation matrix that is not positive definite, against psych
(tests/reference/efa_nonpd.R): psych::fa.stats smooths it with cor.smooth's eig.tol = 1e-12,
and so does compassion_scales (stats.correlation.cor_smooth). The former EFA copy floored the
eigenvalues at 100 * machine eps instead and gave objective 29.03 here, not psych's 20.63."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.efa import efa

REF = REFERENCE
GOLD = json.loads((REF / "efa_nonpd_psych.json").read_text())
CASES = nonempty([k for k in GOLD if k != "versions"], "cases in efa_nonpd_psych.json")


def test_cases_present():
    assert len(CASES) == 2


@pytest.mark.parametrize("case", CASES)
def test_smoothed_fit_statistics_match_psych(case):
    g = GOLD[case]
    r = pd.read_csv(REF / "data" / "nonpd_cor.csv", index_col=0)
    assert np.linalg.eigvalsh(r.to_numpy()).min() == pytest.approx(g["min_eigenvalue"], abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = efa(r, n_factors=1, method=g["method"], rotation="none", n_obs=200)
    fit = res.fit.iloc[0]
    assert float(fit["df"]) == g["dof"]
    for ours, theirs in (("objective", "objective"), ("chisq", "chi"), ("rmsea", "rmsea"),
                         ("tli", "tli"), ("bic", "bic")):
        assert float(fit[ours]) == pytest.approx(g[theirs], rel=1e-5), ours
    assert float(fit["rms"]) == pytest.approx(g["rms"], abs=1e-5)
    np.testing.assert_allclose(res.uniquenesses.to_numpy(), g["uniquenesses"], atol=1e-4)
