"""Group order follows R's factor() levels, so "first minus second" matches R's t.test(y ~ g)."""
from __future__ import annotations

import pandas as pd

from compassion_scales.stats.groups import group_levels


def test_text_levels_sort_as_r_factor_does() -> None:
    # R 4 (C.UTF-8, ICU collation):
    # levels(factor(c("wait_list","waitlist","wait list","Wait-list","waitList","café","cafe",
    #                  "Cafe","group 10","group 2","x1","X1","_a","a_")))
    labels = ["wait_list", "waitlist", "wait list", "Wait-list", "waitList", "café", "cafe", "Cafe",
              "group 10", "group 2", "x1", "X1", "_a", "a_"]
    assert group_levels(pd.Series(labels)) == [
        "_a", "a_", "cafe", "Cafe", "café", "group 10", "group 2", "wait list", "wait_list",
        "Wait-list", "waitlist", "waitList", "x1", "X1"]
    # levels(factor(c("a.b","a,b","a b","a1","a10","a2","Ab","aB","ab","é","e","E","f")))
    labels = ["a.b", "a,b", "a b", "a1", "a10", "a2", "Ab", "aB", "ab", "é", "e", "E", "f"]
    assert group_levels(pd.Series(labels)) == [
        "a b", "a,b", "a.b", "a1", "a10", "a2", "ab", "aB", "Ab", "e", "E", "é", "f"]


def test_numbers_read_as_text_sort_by_value() -> None:
    """read.csv makes a column of 2, 10 numeric, so R's first group is 2."""
    assert group_levels(pd.Series(["10", "2", "2", None])) == ["2", "10"]
    assert group_levels(pd.Series(["Treatment", "control"])) == ["control", "Treatment"]


def test_trial_default_reference_is_rs_first_level() -> None:
    """lm(post ~ pre + arm) takes R's first factor level as the reference: 'control', not 'Treatment'."""
    import numpy as np

    import compassion_scales as cs

    rng = np.random.default_rng(3)
    n = 40
    arm = np.where(np.arange(n) < 20, "control", "Treatment")
    pre = rng.normal(30, 5, n)
    long = pd.DataFrame({"id": np.tile(np.arange(n), 2), "arm": np.tile(arm, 2),
                         "time": np.repeat([1, 2], n),
                         "x": np.concatenate([pre, pre + rng.normal(0, 3, n)])})
    res = cs.trial(long, scores=["x"], arm="arm", time="time", occasions=(1, 2), id="id")
    assert res.reference == "control"
