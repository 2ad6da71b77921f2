"""compassion_scales.analyses.compare against R golden values (tests/reference/flows.R, sat.act)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.analyses.compare import compare
from compassion_scales.errors import AnalysisError, MissingDataWarning
from compassion_scales.stats.group_tests import adjust_p, eta_sq_ci, hedges_j

TOL = 1e-6
SCORES = ["ACT", "SATV", "SATQ"]
DATA = REFERENCE / "data"


@pytest.fixture(scope="module")
def sat():
    return pd.read_csv(DATA / "sat_act.csv")


@pytest.fixture(scope="module")
def ref(reference_dir=REFERENCE):
    return json.loads((reference_dir / "compare_sat_act.json").read_text())["results"]


@pytest.fixture(scope="module")
def two(sat):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return compare(sat, group="gender", scores=SCORES)


@pytest.fixture(scope="module")
def six(sat):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return compare(sat, group="education", scores=SCORES)


@pytest.mark.parametrize("score", SCORES)
def test_two_groups_match_r(two, ref, score):
    r = ref[score]["two"]
    row = two.tests.set_index("score").loc[score]
    assert row["test"] == "welch_t" and row["np_test"] == "mann_whitney_u"
    assert row["statistic"] == pytest.approx(r["t"], abs=TOL)
    assert row["df1"] == pytest.approx(r["df"], abs=TOL)
    assert row["p_val"] == pytest.approx(r["p_val"], abs=TOL)
    assert row["np_statistic"] == pytest.approx(r["u"], abs=TOL)
    assert row["np_p_val"] == pytest.approx(r["p_u"], abs=TOL)
    # psych::cohen.d reports group 2 minus group 1; cscore reports first level minus second
    assert row["d"] == pytest.approx(-r["d_21"], abs=TOL)
    j = hedges_j(r["n1"] + r["n2"] - 2)
    assert row["g"] == pytest.approx(-j * r["d_21"], abs=TOL)
    assert row["g_ci_low"] / j == pytest.approx(-r["d_21_ci_high"], abs=TOL)
    assert row["g_ci_high"] / j == pytest.approx(-r["d_21_ci_low"], abs=TOL)
    assert row["g_ci_low"] / j == pytest.approx(-r["d_21_ci_high_psych"], abs=1e-4)


@pytest.mark.parametrize("score", SCORES)
def test_six_groups_match_r(six, ref, score):
    r = ref[score]["many"]
    row = six.tests.set_index("score").loc[score]
    pairs = {"statistic": "welch_f", "df1": "welch_df1", "df2": "welch_df2", "p_val": "welch_p",
             "np_statistic": "kw_h", "np_p_val": "kw_p", "f_classic": "f", "f_df1": "df1", "f_df2": "df2",
             "f_p_val": "p_f", "eta_sq": "eta_sq", "omega_sq": "omega_sq",
             "eta_sq_ci_low": "eta_sq_ci_low", "eta_sq_ci_high": "eta_sq_ci_high"}
    for ours, theirs in pairs.items():
        assert row[ours] == pytest.approx(r[theirs], abs=TOL), ours


def test_descriptives_and_missing(six, two, sat):
    d = two.descriptives
    satq = d[d.score == "SATQ"]
    assert satq["n"].sum() == sat["SATQ"].notna().sum()
    m = sat.loc[sat.gender == 1, "SATQ"].mean()
    assert satq.set_index("group").loc[1, "mean"] == pytest.approx(m)
    assert two.n_missing["SATQ"] == 13
    assert any("left out: SATQ 13" in n for n in two._notes())


def test_missing_warns(sat):
    with pytest.warns(MissingDataWarning, match="SATQ: 13"):
        compare(sat, group="gender", scores=["SATQ"])


def test_correction_across_scores(two):
    assert np.allclose(two.tests["p_adj"], adjust_p(two.tests["p_val"], "holm"))
    assert any("holm-adjusted across the 3 score(s)" in n for n in two._notes())


def test_adjust_p_matches_p_adjust():
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") / "BH"
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    np.testing.assert_allclose(adjust_p(p, "holm"), [0.05, 0.08, 0.09, 0.09, 0.09])
    np.testing.assert_allclose(adjust_p(p, "fdr_bh"), [0.05] * 5)
    np.testing.assert_allclose(adjust_p(p, "bonferroni"), [0.05, 0.1, 0.15, 0.2, 0.25])
    assert np.isnan(adjust_p([0.1, np.nan], "holm")[1])


def test_eta_sq_ci_zero_lower_bound():
    lo, hi = eta_sq_ci(0.5, 2, 30)
    assert lo == 0 and 0 < hi < 1


def test_instrument_path_scores_raw_items():
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("fcs")
    rng = np.random.default_rng(7)
    n = 40
    df = pd.DataFrame({"pid": [f"p{i}" for i in range(n)], "arm": ["a", "b"] * (n // 2)})
    for it in inst.item_ids:
        df[it] = rng.integers(0, 5, n)
    res = compare(df, "fcs", group="arm", id="pid")
    assert set(res.tests["score"]) == {"fcs_others", "fcs_from_others", "fcs_self"}
    total = df[[f"fcs_self_{i}" for i in range(1, 16)]].sum(axis=1)
    desc = res.descriptives.set_index(["score", "group"])
    assert desc.loc[("fcs_self", "a"), "mean"] == pytest.approx(total[df.arm == "a"].mean())
    # already-scored data give the same answer
    scored = df[["arm"]].assign(fcs_self=total)
    res2 = compare(scored, "fcs", group="arm", scores=["fcs_self"])
    assert res2.tests.loc[0, "statistic"] == pytest.approx(
        res.tests.set_index("score").loc["fcs_self", "statistic"])


def test_errors(sat):
    with pytest.raises(AnalysisError, match="Grouping column 'arm' is not in the data"):
        compare(sat, group="arm", scores=["ACT"])
    with pytest.raises(AnalysisError, match="at least two are needed"):
        compare(sat.assign(one=1), group="one", scores=["ACT"])
    with pytest.raises(AnalysisError, match="fewer than two values"):
        compare(sat.assign(g=["x"] * 699 + ["y"]), group="g", scores=["ACT"])
    with pytest.raises(AnalysisError, match="Unknown correction"):
        compare(sat, group="gender", scores=["ACT"], correction="sidak")
    with pytest.raises(AnalysisError, match="not in the data"):
        compare(sat, group="gender", scores=["GPA"])


def test_partial_score_columns_without_items_is_an_error():
    df = pd.DataFrame({"arm": ["a", "b"] * 5, "fcs_self": np.arange(10.0)})
    with pytest.raises(AnalysisError, match="fcs_others are not in the data"):
        compare(df, "fcs", group="arm", scores=["fcs_self", "fcs_others"])
    # without a score list, the score columns present are compared
    res = compare(df, "fcs", group="arm")
    assert res.tests["score"].tolist() == ["fcs_self"]


@pytest.mark.parametrize("n_groups", [2, 3])
def test_a_score_without_variation_gives_empty_tests_and_says_why(n_groups: int) -> None:
    """Constant scores: no ZeroDivisionError, empty statistics, a warning and a note."""
    from compassion_scales.errors import PsychometricWarning

    groups = ["a"] * 5 + ["b"] * 4 + (["c"] * 3 if n_groups == 3 else [])
    df = pd.DataFrame({"g": groups, "x": 3.0})
    with pytest.warns(PsychometricWarning, match="no variation within every group"):
        res = compare(df, group="g", scores=["x"])
    assert np.isnan(res.tests.loc[0, "statistic"]) and np.isnan(res.tests.loc[0, "p_val"])
    assert any(n.startswith("No test for x (no variation within every group)") for n in res._notes())
    df.loc[df["g"] == "b", "x"] = [1.0, 2, 3, 4]
    if n_groups == 2:  # Welch's t needs variation in one group only
        res = compare(df, group="g", scores=["x"])
        assert res.tests.loc[0, "statistic"] == pytest.approx(0.7745966692)
        return
    with pytest.warns(PsychometricWarning, match="no variation within group a"):  # weights 1/variance
        res = compare(df, group="g", scores=["x"])
    assert np.isnan(res.tests.loc[0, "statistic"])


def test_a_score_missing_in_every_row_is_named() -> None:
    df = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 3, "x": np.nan, "y": [1.0, 2, 3, 2, 3, 4]})
    with pytest.raises(AnalysisError, match="Score 'x' has no values in any group of 'g'"):
        compare(df, group="g", scores=["x", "y"])
