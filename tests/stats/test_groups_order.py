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
