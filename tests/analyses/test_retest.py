"""Test-retest ICCs against psych::ICC (tests/reference/reliability.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from testkit import EXAMPLES, REFERENCE

from compassion_scales.analyses.retest import RetestResult, icc, retest
from compassion_scales.errors import AnalysisError

REF = REFERENCE
DATA = REF / "data"
ICC = json.loads((REF / "reliability_icc_psych.json").read_text())
ANX = ["tense", "regretful", "upset", "worrying", "anxious", "nervous", "jittery",
       "high.strung", "worried", "rattled"]
COLS = ["icc", "f", "df1", "df2", "p_val", "ci_low", "ci_high"]


@pytest.fixture(scope="module")
def sai() -> tuple[pd.DataFrame, pd.DataFrame]:
    t1 = pd.read_csv(DATA / "sai_xray_time1.csv")
    t2 = pd.read_csv(DATA / "sai_xray_time2.csv")
    for t in (t1, t2):
        t["anxiety"] = t[ANX].mean(axis=1, skipna=False)
    return t1, t2


def test_icc_matches_psych_shrout_fleiss():
    ref = pd.DataFrame(ICC["shrout_fleiss"]["results"])
    res = icc(pd.read_csv(DATA / "shrout_fleiss.csv"))
    assert res["type"].tolist() == ref["type"].tolist()
    for c in COLS:
        np.testing.assert_allclose(res[c], ref[c], atol=1e-6, rtol=0, err_msg=c)
    assert res["n_obs"].iloc[0] == 6 and res["n_raters"].iloc[0] == 4


def test_retest_two_files_matches_psych(sai):
    t1, t2 = sai
    res = retest(t1, second_data=t2, id="id", scores=["anxiety"])
    assert isinstance(res, RetestResult)
    ref = ICC["sai_xray_anxiety"]
    for c in COLS:
        np.testing.assert_allclose(res.icc[c], pd.DataFrame(ref["results"])[c], atol=1e-6, rtol=0)
    row = res.summary.iloc[0]
    assert row["n_pairs"] == ref["n_pairs"]
    assert row["pearson_r"] == pytest.approx(ref["pearson_r"], abs=1e-6)
    assert row["icc2"] == pytest.approx(res.icc.set_index("type").loc["ICC2", "icc"])
    assert row["r_ci_low"] < row["pearson_r"] < row["r_ci_high"]
    assert "200 matched" in "\n".join(res._notes())


def test_retest_long_format_equals_two_files(sai):
    t1, t2 = sai
    wide = retest(t1, second_data=t2, id="id", scores=["anxiety"])
    long = retest(pd.concat([t2, t1]), id="id", time="time", scores=["anxiety"])
    pd.testing.assert_frame_equal(wide.summary, long.summary)
    assert any("time 1 = rows with time = 1" in m for m in long.messages)


def test_retest_reports_unmatched_and_refuses_duplicates(sai):
    t1, t2 = sai
    res = retest(t1.iloc[:150], second_data=t2, id="id", scores=["anxiety"])
    assert res.n_matched == 150 and res.n_time2 == 200
    assert any("50 at time 2 have no match" in m for m in res.messages)
    with pytest.raises(AnalysisError, match=r"row 202, column id: identifier 1 already used in row 2(.|\n)*time 1 data"):
        retest(pd.concat([t1, t1.iloc[:2]]), second_data=t2, id="id", scores=["anxiety"])
    with pytest.raises(AnalysisError, match="id column"):
        retest(t1, second_data=t2, id="pid", scores=["anxiety"])
    with pytest.raises(AnalysisError, match="say which two"):
        retest(pd.concat([t1, t2, t2.assign(time=3)]), id="id", time="time")


def test_retest_with_instrument_scores_each_time():
    from compassion_scales.io import read_responses
    from compassion_scales.scoring import score

    data = read_responses(EXAMPLES / "responses.csv")
    res = retest(data, instrument="fcs", id="pid", time="time", occasions=(1, 2))
    assert res.instrument == "fcs"
    assert "fcs_self" in set(res.summary["score"])
    s1 = score(data[data["time"].astype(int) == 1].drop(columns="time"), "fcs", id_cols=["pid"]).scores
    s2 = score(data[data["time"].astype(int) == 2].drop(columns="time"), "fcs", id_cols=["pid"]).scores
    m = s1.merge(s2, on="pid").dropna(subset=["fcs_self_x", "fcs_self_y"])
    r = np.corrcoef(m["fcs_self_x"], m["fcs_self_y"])[0, 1]
    assert res.summary.set_index("score").loc["fcs_self", "pearson_r"] == pytest.approx(r, abs=1e-12)


def test_times_given_as_text_match_numeric_time_column(sai):
    t1, t2 = sai
    long = pd.concat([t1, t2]).astype({"time": float})
    res = retest(long, id="id", time="time", occasions=("1", "2"), scores=["anxiety"])
    assert res.summary["n_pairs"].iloc[0] == ICC["sai_xray_anxiety"]["n_pairs"]


def test_old_argument_names_still_work(sai):
    t1, t2 = sai
    new = retest(t1, second_data=t2, id="id", scores=["anxiety"], level=0.9)
    with pytest.warns(FutureWarning):
        old = retest(t1, t2, id="id", columns=["anxiety"], ci=0.9)
    pd.testing.assert_frame_equal(old.table, new.table)
    pd.testing.assert_frame_equal(old.icc, new.icc)
    with pytest.warns(FutureWarning, match="`time1` is now called `data`"):
        old = retest(time1=t1, time2=t2, id="id", columns=["anxiety"], ci=0.9)
    pd.testing.assert_frame_equal(old.table, new.table)
    assert old.ci == old.level == 0.9
    long = pd.concat([t1, t2])
    with pytest.warns(FutureWarning, match="`times` is now called `occasions`"):
        old = retest(long, id="id", time="time", times=(1, 2), columns=["anxiety"], ci=0.9)
    pd.testing.assert_frame_equal(old.table, new.table)
    sf = pd.read_csv(DATA / "shrout_fleiss.csv")
    with pytest.warns(FutureWarning, match="`ci` is now called `level`"):
        pd.testing.assert_frame_equal(icc(sf, ci=0.9), icc(sf, level=0.9))


@pytest.mark.parametrize("labels", [("Pre", "Post"), ("before", "after"), ("baseline", "week 8")])
def test_two_text_time_labels_without_occasions_are_not_ordered_alphabetically(labels):
    """'Post' sorts before 'Pre' and 'after' before 'before': time 1 was the second occasion,
    so mean_t1 and mean_diff were the other way round (exit 0). Text labels need occasions."""
    from testkit import EXAMPLES

    data = pd.read_csv(EXAMPLES / "responses.csv")
    data["time"] = data["time"].map({1: labels[0], 2: labels[1]})
    with pytest.raises(AnalysisError, match=r"say which comes first.*--occasions"):
        retest(data, "fcs", id="pid", time="time")
    res = retest(data, "fcs", id="pid", time="time", occasions=labels)
    clean = retest(pd.read_csv(EXAMPLES / "responses.csv"), "fcs", id="pid", time="time")
    assert res.summary["mean_t1"].tolist() == clean.summary["mean_t1"].tolist()


def test_scores_choose_among_the_instruments_scores() -> None:
    # before: with an instrument, scores=["fcs_self"] (--score fcs_self) was ignored and every
    # score analysed, exit 0
    import warnings

    import compassion_scales as cs

    long = pd.read_csv(EXAMPLES / "responses.csv", dtype={"pid": str})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.retest(long, "fcs", id="pid", time="time", occasions=(1, 2), scores=["fcs_self"])
        one = cs.retest(long, "fcs", id="pid", time="time", occasions=(1, 2), scores="fcs_self")
        every = cs.retest(long, "fcs", id="pid", time="time", occasions=(1, 2))
    assert res.summary["score"].tolist() == one.summary["score"].tolist() == ["fcs_self"]
    pd.testing.assert_frame_equal(res.summary.reset_index(drop=True),
                                  every.summary[every.summary["score"] == "fcs_self"].reset_index(drop=True))
    with pytest.raises(cs.errors.AnalysisError, match="Instrument 'fcs' has no score"):
        cs.retest(long, "fcs", id="pid", time="time", occasions=(1, 2), scores=["fcs_slef"])
