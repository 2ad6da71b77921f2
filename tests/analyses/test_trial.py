"""Tests for compassion_scales.analyses.trial (golden values from tests/reference/trial.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.trial import TrialResult, dz_confidence_interval, trial
from compassion_scales.errors import AnalysisError, MissingDataWarning


@pytest.fixture(scope="module")
def anorexia(reference_dir_module):
    data = pd.read_csv(reference_dir_module / "data" / "anorexia_long.csv")
    return trial(data, arm="arm", time="time", occasions=("pre", "post"), id="id",
                 scores=["weight"], reference="Cont", higher_is="better")


@pytest.fixture(scope="module")
def baumann(reference_dir_module):
    data = pd.read_csv(reference_dir_module / "data" / "baumann_long.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return trial(data, arm="group", time="time", occasions=("T0", "T1"), id="id",
                     scores=["test1", "test2"], reference="Basal")


@pytest.fixture(scope="module")
def reference_dir_module():
    return REFERENCE


def _golden(reference_dir_module, name):
    return pd.read_csv(reference_dir_module / name)


ANCOVA_COLS = ["diff", "se", "ci_low", "ci_high", "t", "df", "p_val", "baseline_coef",
               "adj_mean_arm", "adj_mean_reference", "n_obs", "pooled_baseline_sd", "smd"]


@pytest.mark.parametrize("dataset", ["anorexia", "baumann"])
def test_ancova_matches_r_lm(dataset, request, reference_dir_module):
    res = request.getfixturevalue(dataset)
    gold = _golden(reference_dir_module, f"trial_ancova_{dataset}.csv")
    got = res.ancova.set_index(["score", "arm"])
    for row in nonempty(gold, f"rows in trial_ancova_{dataset}.csv").itertuples(index=False):
        mine = got.loc[(row.score, row.arm)]
        for col in ANCOVA_COLS:
            assert mine[col] == pytest.approx(getattr(row, col), rel=1e-9, abs=1e-12), (row.arm, col)


@pytest.mark.parametrize("dataset", ["anorexia", "baumann"])
def test_welch_matches_r_t_test(dataset, request, reference_dir_module):
    res = request.getfixturevalue(dataset)
    gold = _golden(reference_dir_module, f"trial_welch_{dataset}.csv")
    got = res.unadjusted.set_index(["score", "arm"])
    for row in nonempty(gold, f"rows in trial_welch_{dataset}.csv").itertuples(index=False):
        mine = got.loc[(row.score, row.arm)]
        for col in ["diff", "ci_low", "ci_high", "t", "df", "p_val"]:
            assert mine[col] == pytest.approx(getattr(row, col), rel=1e-9, abs=1e-12), (row.arm, col)


@pytest.mark.parametrize("dataset", ["anorexia", "baumann"])
def test_within_arm_matches_r(dataset, request, reference_dir_module):
    res = request.getfixturevalue(dataset)
    gold = _golden(reference_dir_module, f"trial_within_{dataset}.csv")
    got = res.within.set_index(["score", "arm"])
    for row in nonempty(gold, f"rows in trial_within_{dataset}.csv").itertuples(index=False):
        mine = got.loc[(row.score, row.arm)]
        assert mine["n"] == row.n
        for col in ["mean_change", "sd_change", "ci_low", "ci_high", "t", "p_val", "d_z"]:
            assert mine[col] == pytest.approx(getattr(row, col), rel=1e-9, abs=1e-12), (row.arm, col)
        # noncentral-t inversion: R's pt() warns about precision far in the tails; 1e-6 suffices
        for col in ["d_z_ci_low", "d_z_ci_high"]:
            assert mine[col] == pytest.approx(getattr(row, col), abs=1e-6), (row.arm, col)


def test_missing_follow_up_reported_per_arm(baumann):
    m = baumann.missing.set_index(["score", "arm"])
    # trial.R removed post.test.1 of rows 3, 25 and 50: one child in each arm
    assert m.loc["test1", "n_missing_follow_up"].tolist() == [1, 1, 1]
    assert m.loc["test1", "n_complete"].tolist() == [21, 21, 21]
    assert int(m.loc["test2", "n_missing_follow_up"].sum()) == 0
    assert (m["n_complete"] + m["n_missing_follow_up"] == m["n_baseline"]).all()
    notes = "\n".join(baumann._notes())
    assert "complete-case" in notes
    assert "have no follow-up score" in notes


def test_missing_follow_up_warns(reference_dir_module):
    data = pd.read_csv(reference_dir_module / "data" / "baumann_long.csv")
    with pytest.warns(MissingDataWarning, match="3 participant"):
        trial(data, arm="group", time="time", occasions=("T0", "T1"), id="id",
              scores=["test1"], reference="Basal")


def test_follow_up_row_absent_counts_as_missing():
    d = pd.DataFrame({"pid": [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5],
                      "arm": ["a", "a", "a", "b", "b", "b", "a", "a", "a", "b", "b"],
                      "t": [0] * 6 + [1] * 5,
                      "y": [5, 6, 7, 5, 6, 8, 4, 4, 6, 6, 7.0]})
    with pytest.warns(MissingDataWarning):
        res = trial(d, arm="arm", time="t", occasions=(0, 1), id="pid", scores=["y"])
    m = res.missing.set_index("arm")
    assert m.loc["b", "n_missing_follow_up"] == 1
    assert m.loc["a", "n_missing_follow_up"] == 0
    assert m.loc["b", "percent_missing_follow_up"] == pytest.approx(100 / 3)
    assert res.reference == "a"


def test_summary_side_by_side(anorexia):
    s = anorexia.summary
    assert list(s["arm"]) == ["CBT", "FT"]
    assert {"adj_diff", "adj_ci_low", "unadj_diff", "unadj_ci_low", "smd"} <= set(s.columns)
    assert isinstance(anorexia, TrialResult)
    text = anorexia.to_table()
    assert "Within-arm change" in text and "Follow-up completeness" in text
    d = anorexia.to_dict()
    assert d["reference"] == "Cont" and len(d["ancova"]) == 2
    assert any("positive difference favours" in n for n in d["notes"])


def test_smd_definition(anorexia):
    row = anorexia.ancova.iloc[0]
    assert row["smd"] == pytest.approx(row["diff"] / row["pooled_baseline_sd"])
    assert row["smd_ci_low"] == pytest.approx(row["ci_low"] / row["pooled_baseline_sd"])


def test_dz_ci_brackets_point_estimate():
    lo, hi = dz_confidence_interval(3.0, 20)
    assert lo < 3.0 / np.sqrt(20) < hi
    lo0, hi0 = dz_confidence_interval(0.0, 21)
    assert lo0 == pytest.approx(-hi0)


def test_errors_are_plain():
    d = pd.DataFrame({"pid": [1, 2], "arm": ["a", "a"], "t": [0, 0], "y": [1.0, 2.0]})
    with pytest.raises(AnalysisError, match="Baseline and follow-up are the same time"):
        trial(d, arm="arm", time="t", occasions=(0, 0), id="pid", scores=["y"])
    with pytest.raises(AnalysisError, match="Baseline and follow-up are the same time"):
        trial(d, arm="arm", time="t", occasions=("0", 0.0), id="pid", scores=["y"])
    d1 = pd.DataFrame({"pid": [1, 2, 1, 2], "arm": ["a"] * 4, "t": [0, 0, 1, 1], "y": [1.0, 2, 3, 4]})
    with pytest.raises(AnalysisError, match="fewer than two arms"):
        trial(d1, arm="arm", time="t", occasions=(0, 1), id="pid", scores=["y"])
    with pytest.raises(AnalysisError, match="No rows have t = 5"):
        trial(d, arm="arm", time="t", occasions=(0, 5), id="pid", scores=["y"])
    with pytest.raises(AnalysisError, match="arm column 'group'"):
        trial(d, arm="group", time="t", occasions=(0, 1), id="pid", scores=["y"])
    d2 = pd.DataFrame({"pid": [1, 2, 1, 2], "arm": ["a", "b", "b", "b"], "t": [0, 0, 1, 1],
                       "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(AnalysisError, match="different arm"):
        trial(d2, arm="arm", time="t", occasions=(0, 1), id="pid", scores=["y"])
    with pytest.raises(AnalysisError, match="Reference arm 'c'"):
        trial(d2.assign(arm=["a", "b", "a", "b"]), arm="arm", time="t", occasions=(0, 1),
              id="pid", scores=["y"], reference="c")


def test_old_argument_names_still_work(reference_dir_module):
    data = pd.read_csv(reference_dir_module / "data" / "anorexia_long.csv")
    kw = dict(arm="arm", time="time", id="id", scores=["weight"], reference="Cont")
    new = trial(data, occasions=("pre", "post"), **kw)
    with pytest.warns(FutureWarning, match="occasions"):
        old = trial(data, baseline="pre", follow_up="post", **kw)
    for part in ("ancova", "unadjusted", "within", "missing"):
        pd.testing.assert_frame_equal(getattr(old, part), getattr(new, part))
    with pytest.raises(AnalysisError, match="baseline and follow-up values"):
        trial(data, occasions=("pre", None), **kw)


def test_instrument_path_scores_items():
    pytest.importorskip("compassion_scales.scoring")
    items = [f"fcs_self_{i}" for i in range(1, 16)]
    rng = np.random.default_rng(7)
    n = 12
    base = rng.integers(0, 5, size=(n, 15))
    fu = np.clip(base - rng.integers(0, 3, size=(n, 15)) * (np.arange(n)[:, None] < 6), 0, 4)
    arm = ["cft"] * 6 + ["wait"] * 6
    rows = [dict(pid=i, arm=arm[i], wave=w, **dict(zip(items, vals.tolist(), strict=True)))
            for w, mat in ((0, base), (1, fu)) for i, vals in enumerate(mat)]
    data = pd.DataFrame(rows)
    res = trial(data, "fcs", arm="arm", time="wave", occasions=(0, 1), id="pid",
                scores=["fcs_self"], reference="wait")
    # same answer as the scores path on hand-made sums
    sums = data.assign(fcs_self=data[items].sum(axis=1))[["pid", "arm", "wave", "fcs_self"]]
    ref = trial(sums, arm="arm", time="wave", occasions=(0, 1), id="pid",
                scores=["fcs_self"], reference="wait")
    assert res.ancova["diff"].iloc[0] == pytest.approx(ref.ancova["diff"].iloc[0])
    assert res.instrument == "fcs"
    assert any("negative difference favours" in n for n in res._notes())


def test_ids_differing_between_occasions_only_by_leading_zeros_are_an_error():
    """A long file pasted together from two exports: '001' at baseline, '1' at follow-up.
    Those participants counted as lost to follow-up, exit 0; now the error says why."""
    d = pd.DataFrame({"pid": ["001", "002", "003", "004", "1", "2", "003", "004"],
                      "arm": ["cft", "cft", "wait", "wait"] * 2, "t": [0] * 4 + [1] * 4,
                      "fear": [30, 25, 28, 29, 18, 20, 27, 28.0]})
    with pytest.raises(AnalysisError, match=r"2 pid values differ between the two occasions only by "
                                            r"leading zeros \(e\.g\. '001' before and '1' after\)"):
        trial(d, arm="arm", time="t", occasions=(0, 1), id="pid", scores=["fear"])
