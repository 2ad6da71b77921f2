"""Edge cases an independent checker tries, against psych / base R (tests/reference/fresh_edges.R).

Two-item scales, a negative average inter-item covariance, a group whose answers are all the
same, reverse-worded items left unreversed (psych's ``check.keys`` would flip them; cscore never
flips and says so), and a scale with too few items for the requested omega group factors.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.analyses.compare import compare
from compassion_scales.analyses.reliability import item_analysis, reliability
from compassion_scales.errors import KeyingWarning

GOLD = json.loads((REFERENCE / "fresh_edges_psych.json").read_text())


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / f"fresh_{name}.csv")


def _as_list(x):
    return x if isinstance(x, list) else [x]


def _check_alpha(row: pd.Series, items: pd.DataFrame, g: dict) -> None:
    for ours, theirs in (("alpha", "raw_alpha"), ("std_alpha", "std_alpha"), ("lambda6", "g6"),
                         ("average_r", "average_r"), ("ase", "ase"), ("ci_low", "feldt_low"),
                         ("ci_high", "feldt_high")):
        assert row[ours] == pytest.approx(g[theirs], abs=1e-10), ours
    np.testing.assert_allclose(items["r_drop"], g["r_drop"], atol=1e-10)
    np.testing.assert_allclose(items["r_total"], g["raw_r"], atol=1e-10)


def test_two_item_scale_matches_psych():
    g = GOLD["two_items"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = reliability(_data("two_items"), n_boot=0)
    row = res.summary.iloc[0]
    _check_alpha(row, res.items, g)
    # the split half of two items is their correlation, stepped up: psych's std.alpha
    assert row["split_half_sb"] == pytest.approx(g["split_half_sb"], abs=1e-12)
    assert row["split_half_sb"] == pytest.approx(g["std_alpha"], abs=1e-12)
    # alpha of one remaining item is undefined: left empty (psych prints a number)
    assert res.items["alpha_if_dropped"].isna().all()
    assert np.isnan(row["omega_total"])


def test_negative_average_covariance_matches_psych_and_is_flagged():
    g = GOLD["negative_covariance"]
    with pytest.warns(KeyingWarning, match="nothing was flipped"):
        res = reliability(_data("negative_covariance"), n_boot=0)
    row = res.summary.iloc[0]
    assert row["alpha"] < 0
    _check_alpha(row, res.items, g)
    flagged = sorted(res.items.loc[res.items["keying_flag"], "item"])
    assert flagged == sorted(_as_list(g["pc_negative"])) == sorted(_as_list(g["check_keys"]))


def test_constant_group_matches_r():
    g = GOLD["constant_group"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = compare(_data("constant_group"), group="g", scores=["y"])
    t = res.tests.iloc[0]
    assert g["welch_f"] is None and np.isnan(t["statistic"])   # oneway.test: NaN too
    assert t["np_statistic"] == pytest.approx(g["kruskal_h"], rel=1e-12)
    assert t["np_p_val"] == pytest.approx(g["kruskal_p"], rel=1e-12)
    assert t["f_classic"] == pytest.approx(g["aov_f"], rel=1e-12)
    assert t["f_p_val"] == pytest.approx(g["aov_p"], rel=1e-12)
    ph = res.posthoc
    np.testing.assert_allclose(ph["p_adj"], g["pairwise_holm"], rtol=1e-12)
    ab = ph.iloc[0]
    assert (ab["t"], ab["df"], ab["p_val"]) == pytest.approx((g["t_ab"], g["df_ab"], g["p_ab"]), rel=1e-12)
    assert any("no variation within group a" in n for n in res.notes())


def test_reverse_items_are_keyed_by_the_instrument_never_flipped():
    g = GOLD["scs_sf_raw"]
    raw = _data("scs_sf_raw")
    # without the instrument, the unreversed items are flagged (psych's check.keys would flip
    # exactly these), and nothing is flipped
    tab = item_analysis(raw.drop(columns="pid"))
    assert sorted(tab.loc[tab["keying_flag"], "item"]) == sorted(g["check_keys"])
    assert (tab["key"] == "+").all()
    with pytest.warns(KeyingWarning, match="nothing was flipped"):
        unkeyed = reliability(raw.drop(columns="pid"), n_boot=0)
    assert unkeyed.summary.iloc[0]["n_flagged"] == len(g["check_keys"])
    # with the instrument, its keys are used: alpha equals psych::alpha(x, keys = reverse items)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = reliability(raw, "scs_sf", n_boot=0)
    row = res.summary.iloc[0]
    assert row["alpha"] == pytest.approx(g["raw_alpha"], abs=1e-10)
    assert row["std_alpha"] == pytest.approx(g["std_alpha"], abs=1e-10)
    assert row["n_flagged"] == 0
    assert sorted(res.items.loc[res.items["key"] == "-", "item"]) == sorted(g["reverse"])
    assert any("keys never flipped automatically" in n for n in res.notes())


def test_too_few_items_for_the_omega_factors_is_said():
    d = pd.DataFrame(np.random.default_rng(3).normal(size=(60, 5)), columns=list("abcde")) \
        + np.random.default_rng(4).normal(size=(60, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = reliability(d, n_boot=0, n_factors=3)
    row = res.summary.iloc[0]
    assert row["n_factors"] == 1 and np.isnan(row["omega_h"])
    assert any("too few for 3 group factors" in m for m in res.messages)
