"""ML extraction in Heywood cases and correlation-matrix input, against psych
(tests/reference/efa_heywood.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.efa import (
    CorrelationInputWarning,
    bartlett,
    efa,
    kmo,
    parallel_analysis,
)
from compassion_scales.errors import HeywoodCaseWarning

REF = REFERENCE
HEY = json.loads((REF / "efa_heywood_psych.json").read_text())


def _data(case: str) -> tuple[pd.DataFrame, int | None]:
    if case.startswith("ability"):
        return pd.read_csv(REF / "data" / "ability.csv"), None
    if case.startswith("bfi_E_O"):
        return pd.read_csv(REF / "data" / "bfi.csv").iloc[:, 10:20], None
    if case.startswith("harman8"):
        return pd.read_csv(REF / "data" / "harman8_cor.csv", index_col=0), 305
    return pd.read_csv(REF / "data" / "harman_political_cor.csv", index_col=0), 147


@pytest.mark.parametrize("case", nonempty([k for k in HEY if k != "versions"], "cases in efa_heywood_psych.json"))
def test_ml_heywood_reaches_psych_minimum(case):
    c = HEY[case]
    data, n_obs = _data(case)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = efa(data, n_factors=c["nfactors"], method="ml", rotation="none", n_obs=n_obs)
    heywood = [w for w in rec if issubclass(w.category, HeywoodCaseWarning)]
    assert res.converged
    obj = float(res.fit["objective"].iloc[0])
    assert obj <= c["objective"] + 1e-7
    if case == "bfi_E_O_4":
        # psych's optimiser stops early here (0.0575); cscore finds the lower minimum
        assert obj == pytest.approx(0.0285676, abs=1e-6)
        assert not heywood   # and that minimum is a proper solution
        return
    assert heywood and "lower bound 0.005" in str(heywood[0].message)
    assert obj == pytest.approx(c["objective"], abs=1e-6)
    np.testing.assert_allclose(res.uniquenesses.to_numpy(), c["uniquenesses"], atol=2e-4)
    np.testing.assert_allclose(res.communalities.to_numpy(), c["communalities"], atol=2e-4)
    if n_obs is not None:
        assert float(res.fit["chisq"].iloc[0]) == pytest.approx(c["chi"], rel=1e-5)


def test_correlation_matrix_with_other_row_names_is_a_correlation_matrix():
    """psych's Harman.8 has row names that differ from its column names."""
    h8 = pd.read_csv(REF / "data" / "harman8_cor.csv", index_col=0)
    assert list(h8.index) != list(h8.columns)
    with pytest.warns(CorrelationInputWarning, match="row names differ from its column names"):
        b = bartlett(h8, n_obs=305)
    assert b.n_obs == 305 and b.n_items == 8
    # psych::cortest.bartlett(Harman.8, n = 305)
    p = 8
    expected = -(305 - 1 - (2 * p + 5) / 6) * np.linalg.slogdet(h8.to_numpy())[1]
    assert b.chisq == pytest.approx(expected, rel=1e-12)
    with pytest.warns(CorrelationInputWarning):
        k = kmo(h8)
    assert k.per_item.index.tolist() == list(h8.columns)
    with pytest.warns(CorrelationInputWarning):
        pa = parallel_analysis(h8, n_obs=305, n_iter=5, seed=1)
    assert pa.n_obs == 305
    with pytest.warns(CorrelationInputWarning):
        e = efa(h8, n_factors=2, n_obs=305)
    assert e.n_obs == 305 and e.loadings.index.tolist() == list(h8.columns)


def test_matching_names_and_default_index_do_not_warn():
    h8 = pd.read_csv(REF / "data" / "harman8_cor.csv", index_col=0)
    same = h8.copy()
    same.index = same.columns
    plain = h8.reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorrelationInputWarning)
        assert bartlett(same, n_obs=305).n_items == 8
        assert bartlett(plain, n_obs=305).n_items == 8
