"""The JZS Bayes factor of compare() against R BayesFactor (tests/reference/bayes_factor.R)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pandas as pd
import pytest

from compassion_scales.analyses.compare import compare
from compassion_scales.errors import MissingDataWarning
from compassion_scales.stats.group_tests import JZS_PRIOR_SCALE, jzs_bf10

REF = Path(__file__).resolve().parents[1] / "reference"
GOLDEN = json.loads((REF / "bayes_factor_ttest.json").read_text())
RTOL = 1e-6


def _tstat_cases() -> list[dict[str, float]]:
    cases = GOLDEN["tstat"]
    assert len(cases) == 54, "the R grid of t statistics is missing"
    return cases


def test_prior_scale_is_r_medium() -> None:
    assert JZS_PRIOR_SCALE == pytest.approx(GOLDEN["rscale"], abs=1e-15)


@pytest.mark.parametrize("case", _tstat_cases(), ids=lambda c: f"t{c['t']}-{c['n1']}-{c['n2']}")
def test_bf10_from_t_matches_bayesfactor(case: dict[str, float]) -> None:
    ours = jzs_bf10(case["t"], int(case["n1"]), int(case["n2"]))
    assert ours == pytest.approx(case["bf10"], rel=RTOL)


def test_bf10_is_symmetric_in_the_sign_of_t() -> None:
    assert jzs_bf10(-2.1, 12, 15) == pytest.approx(jzs_bf10(2.1, 12, 15), rel=1e-12)


def test_bf10_matches_numeric_integration_of_the_jzs_formula() -> None:
    """Rouder et al. (2009), eq. 1 with the effective n = n1 n2 / (n1 + n2): an independent check."""
    from scipy.integrate import quad

    t, n1, n2, r = 1.7, 9, 14, JZS_PRIOR_SCALE
    nu, n_eff = n1 + n2 - 2, n1 * n2 / (n1 + n2)

    def integrand(g: float) -> float:
        a = 1 + n_eff * g * r ** 2
        return (a ** -0.5 * (1 + t ** 2 / (a * nu)) ** (-(nu + 1) / 2)
                * (2 * math.pi) ** -0.5 * g ** -1.5 * math.exp(-1 / (2 * g)))

    numerator = quad(integrand, 0, math.inf, limit=200)[0]
    bf = numerator / (1 + t ** 2 / nu) ** (-(nu + 1) / 2)
    assert jzs_bf10(t, n1, n2) == pytest.approx(bf, rel=1e-6)


@pytest.mark.parametrize("score", ["ACT", "SATV", "SATQ"])
def test_compare_bf10_matches_ttestbf_on_sat_act(score: str) -> None:
    sat = pd.read_csv(REF / "data" / "sat_act.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        row = compare(sat, group="gender", scores=[score]).tests.iloc[0]
    ref = GOLDEN["data"][score]
    assert row["n"] == ref["n1"] + ref["n2"]
    assert row["bf10"] == pytest.approx(ref["bf10"], rel=RTOL)


def test_doctest_data_matches_ttestbf() -> None:
    df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "x": [1.0, 2, 3, 4, 3, 4, 5, 6]})
    row = compare(df, group="arm", scores=["x"]).tests.iloc[0]
    assert row["bf10"] == pytest.approx(GOLDEN["data"]["doctest"]["bf10"], rel=RTOL)


def test_more_than_two_groups_have_no_bayes_factor() -> None:
    df = pd.DataFrame({"arm": list("aaabbbccc"), "x": [1.0, 2, 3, 2, 3, 4, 5, 6, 7]})
    assert "bf10" not in compare(df, group="arm", scores=["x"]).tests.columns


@pytest.mark.parametrize(("t", "n1", "n2", "exact"), [
    # 30-digit mpmath integrals of Rouder et al.'s eq. 1 (mp.quad split at g = t^2/n)
    (30.0, 500, 500, 2.422583391e137),
    (-5.0, 10, 1000, 15011.07904),
    (15.0, 10, 10, 325702053.5),
    (0.1, 3, 3, 0.5640026519),
])
def test_large_and_small_t_match_a_high_precision_integral(t: float, n1: int, n2: int, exact: float) -> None:
    assert jzs_bf10(t, n1, n2) == pytest.approx(exact, rel=1e-8)


def test_bayes_factor_beyond_float_range_is_inf() -> None:
    assert jzs_bf10(60.0, 500, 500) == math.inf  # 5.85e328 by mpmath
    assert math.isnan(jzs_bf10(math.nan, 10, 10))
