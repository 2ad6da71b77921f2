"""The one-of-each kernels of issue #11: rotation, alpha's missing-item rule, item matrix, group order."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import EXAMPLES, REFERENCE

import compassion_scales as cs
from compassion_scales.analyses.correlations import item_matrix
from compassion_scales.errors import AnalysisError
from compassion_scales.stats.alpha import item_alpha
from compassion_scales.stats.rotation import ROTATIONS, rotate

REF = REFERENCE
ROT = json.loads((REF / "rotation_harman74_psych.json").read_text())
ROTATED = [m for m in ROTATIONS if m != "none"]


@pytest.mark.parametrize("method", ROTATED)
def test_rotate_matches_gparotation(method):
    """tests/reference/rotation.R: GPArotation's oblimin/geominQ/geominT, varimax, psych's promax."""
    expected = ROT[method]
    rot = rotate(np.array(ROT["unrotated"]), method)
    assert rot.converged
    np.testing.assert_allclose(rot.loadings, np.array(expected["loadings"]), atol=1e-6, rtol=0)
    if "phi" in expected:
        assert rot.phi is not None
        np.testing.assert_allclose(rot.phi, np.array(expected["phi"]), atol=1e-6, rtol=0)
    else:
        assert rot.phi is None


def test_rotate_refuses_unknown_and_passes_one_factor_through():
    lam = np.array([[0.7], [0.6], [0.5]])
    assert np.array_equal(rotate(lam, "oblimin").loadings, lam)
    with pytest.raises(AnalysisError, match="Unknown rotation"):
        rotate(np.ones((3, 2)), "quartimoo")


def test_change_from_sample_uses_the_alpha_of_reliability():
    """One alpha rule (psych::alpha: pairwise covariances): change(from_sample=True) and
    reliability() agree when items are missing."""
    ex = cs.read_responses(EXAMPLES / "responses.csv")
    pre = ex[ex["time"].astype(str) == "1"].copy()
    post = ex[ex["time"].astype(str) == "2"]
    items = [it.id for it in cs.load_instrument("fcs").items][:8]
    rng = np.random.default_rng(0)
    for c in items:
        pre.loc[rng.random(len(pre)) < 0.10, c] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ch = cs.change(pre, post, "fcs", id="pid", higher_is="worse", from_sample=True,
                       prorate=0.5, on_invalid="missing")
        p = ch.parameters.set_index("score")
        for score in p.index:
            # the same people: change uses those with both a pre and a post score
            rows = ch.persons[(ch.persons["score"] == score) & ch.persons["rci"].notna()]
            same = pre[pre["pid"].isin(rows["pid"])]
            rel = cs.reliability(same, "fcs", scores=[score], n_boot=0, on_invalid="missing")
            assert p.loc[score, "reliability"] == pytest.approx(rel.summary["alpha"].iloc[0],
                                                                abs=1e-12)
    assert "pairwise" in p["reliability_source"].iloc[0]


def test_item_alpha_is_pairwise_and_drops_empty_rows():
    x = np.array([[1, 2, 1], [2, 2, 3], [3, 3, 3], [4, 5, np.nan], [5, 4, 5], [np.nan] * 3])
    a, n = item_alpha(x)
    assert n == 5
    assert a == pytest.approx(0.9392014519, abs=1e-9)  # R: psych::alpha(x)$total$raw_alpha
    assert np.isnan(item_alpha(x[:, :1])[0])


def test_text_digits_count_as_numbers_in_every_item_analysis():
    """One responses -> matrix path: "0".."4" as text is accepted by alpha, omega and efa alike."""
    rng = np.random.default_rng(3)
    f = rng.normal(size=(200, 1))
    nums = pd.DataFrame(np.clip(np.round(2 + f + rng.normal(size=(200, 6))), 0, 4),
                        columns=[f"q{i}" for i in range(1, 7)])
    text = nums.astype(int).astype(str)
    text.iloc[0, 0] = ""
    nums.iloc[0, 0] = np.nan
    pd.testing.assert_frame_equal(cs.cronbach_alpha(text), cs.cronbach_alpha(nums))
    pd.testing.assert_frame_equal(cs.omega(text), cs.omega(nums))
    np.testing.assert_allclose(cs.efa(text, n_factors=1).loadings, cs.efa(nums, n_factors=1).loadings)
    with pytest.raises(AnalysisError, match="'x' is not a number"):
        item_matrix(text.assign(q1=["x"] * 200))
    assert item_matrix(nums.to_numpy())[1][:2] == ["item_1", "item_2"]
    assert cs.cronbach_alpha(nums.to_numpy()).loc[0, "n_items"] == 6


def test_bootstrap_alpha_with_missing_answers_is_item_alpha_of_each_resample() -> None:
    """Each resample's alpha (complete rows summed apart from the rows with missing answers)
    equals item_alpha on that resample's rows, drawn with the same seed."""
    from compassion_scales.stats.alpha import bootstrap_alpha, item_alpha, resample_counts

    rng = np.random.default_rng(5)
    x = np.round(rng.normal(size=(60, 1)) + rng.normal(size=(60, 5)))
    x[rng.random(x.shape) < 0.08] = np.nan
    assert 0 < int(np.isnan(x).any(axis=1).sum()) < 60  # both kinds of rows
    got = bootstrap_alpha(x, 120, seed=3)
    counts = resample_counts(np.random.default_rng(3), 120, 60)  # one chunk: the same draws
    expected = [item_alpha(np.repeat(x, counts[i].astype(int), axis=0))[0] for i in range(120)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_pairwise_correlation_of_an_item_constant_where_both_are_answered_is_nan_not_inf():
    # items 2 and 3 are both answered in rows 3 and 6 only, where item 2 is 4 both times:
    # R's cor(use = "pairwise") gives NA ("the standard deviation is zero"), never -Inf
    from compassion_scales.stats.correlation import pairwise_cor_n, pairwise_cor_stack

    x = np.array([[np.nan, 0, np.nan], [1, 2, np.nan], [2, 4, 2], [2, 3, np.nan],
                  [np.nan, np.nan, 0], [3, 4, 0]])
    r, n = pairwise_cor_n(x)
    assert int(n[1, 2]) == 2 and np.isnan(r[1, 2]) and np.isnan(r[2, 1])
    assert round(float(r[0, 1]), 4) == 0.8528
    assert np.isnan(pairwise_cor_stack(x[None])[0, 1, 2])
