"""The study report's occasions: in time order, never alphabetical (`report(time=, occasions=)`)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from testkit import EXAMPLES

import compassion_scales as cs
from compassion_scales.errors import AnalysisError


@pytest.fixture(scope="module")
def numbered() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / "responses.csv")


def test_text_occasions_need_their_order(numbered: pd.DataFrame) -> None:
    """`post` sorted before `pre`: the cross-sectional sections read the follow-up and the
    change section ran from post to pre (every improvement a deterioration), exit 0."""
    text = numbered.assign(time=numbered["time"].map({1: "pre", 2: "post"}))
    with pytest.raises(AnalysisError, match=r"holds the text labels 'pre', 'post'.*--occasions pre post"):
        cs.report(text, "fcs", group="group", time="time", id="pid", n_boot=0)
    got = cs.report(text, "fcs", group="group", time="time", id="pid", n_boot=0,
                    occasions=["pre", "post"])
    want = cs.report(numbered, "fcs", group="group", time="time", id="pid", n_boot=0)
    assert "Reliable change from time = pre to post (Jacobson-Truax)" in got.html
    assert "Cross-sectional analyses use the first occasion (time = pre)." in got.html
    assert "occasions (time): pre: n = 150, post: n = 150;" in got.html
    assert got.key_numbers == want.key_numbers and got.skipped == want.skipped == {}


def test_occasions_left_out_of_the_report_and_errors(numbered: pd.DataFrame) -> None:
    text = numbered.assign(time=numbered["time"].map({1: "pre", 2: "post"}))
    with pytest.raises(AnalysisError, match=r"No rows have time = 'mid' \(occasions\)"):
        cs.report(text, "fcs", time="time", id="pid", n_boot=0, occasions=["pre", "mid", "post"])
    with pytest.raises(AnalysisError, match="name it too"):
        cs.report(text, "fcs", n_boot=0, occasions=["pre", "post"])
    one = cs.report(text, "fcs", time="time", id="pid", n_boot=0, occasions=["post"])
    assert re.search(r"150 rows from 150 people; occasions \(time\): post: n = 150\.", one.html)
    assert "Change over time" not in one.sections and "Flows not computed" not in one.html


def test_numbers_read_as_text_are_in_numeric_order(numbered: pd.DataFrame) -> None:
    """Week "2" then week "10": Python's sorted() put "10" first (text order)."""
    text = numbered.assign(time=numbered["time"].map({1: "2", 2: "10"}))
    got = cs.report(text, "fcs", time="time", id="pid", n_boot=0)
    assert "Reliable change from time = 2 to 10 (Jacobson-Truax)" in got.html
    want = cs.report(numbered, "fcs", time="time", id="pid", n_boot=0)
    assert got.key_numbers == want.key_numbers


@pytest.mark.parametrize(("kw", "model"), [
    ({"group": "group", "time": "time", "id": "pid"}, "a linear mixed model with a random intercept per person"),
    ({"group": "group"}, "mixed ANOVA"),
    ({}, "repeated-measures ANOVA"),
])
def test_methods_name_the_flows_model_that_ran(numbered: pd.DataFrame, kw: dict, model: str) -> None:
    """With a time factor flows fits a mixed model, not the mixed ANOVA the methods named."""
    data = numbered if "time" in kw else numbered[numbered["time"] == 1]
    page = cs.report(data, "ceas", n_boot=0, **kw).html
    assert f"The flows of compassion were compared within person ({model} on mean item scores)." in page
