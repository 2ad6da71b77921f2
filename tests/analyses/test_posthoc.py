"""Post hoc pairwise comparisons of compare() against R (tests/reference/posthoc.R, sat.act)."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.analyses.compare import compare

REF = REFERENCE
METHODS = {"holm": "holm", "bonferroni": "bonferroni", "fdr_bh": "BH"}


@pytest.fixture(scope="module")
def sat():
    return pd.read_csv(REF / "data" / "sat_act.csv")


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "compare_posthoc_sat_act.json").read_text())["results"]


@pytest.mark.parametrize("correction", list(METHODS))
def test_pairwise_p_adj_matches_pairwise_t_test(sat, ref, correction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = compare(sat, group="education", scores=["ACT", "SATV", "SATQ"], correction=correction)
    ph = res.posthoc
    assert len(ph) == 3 * 15
    rows = [r for r in ref if r["method"] == METHODS[correction]]
    assert len(rows) == 45
    for r in rows:
        got = ph[(ph.score == r["score"]) & (ph.group_1.astype(str) == r["group_1"])
                 & (ph.group_2.astype(str) == r["group_2"])]
        assert len(got) == 1
        assert got["p_adj"].iloc[0] == pytest.approx(r["p_adj"], abs=1e-10)


def test_pairwise_t_df_p_match_t_test(sat, ref):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ph = compare(sat, group="education", scores=["ACT", "SATV", "SATQ"]).posthoc
    rows = [r for r in ref if r["method"] == "t.test"]
    assert len(rows) == 45
    for r in rows:
        got = ph[(ph.score == r["score"]) & (ph.group_1.astype(str) == r["group_1"])
                 & (ph.group_2.astype(str) == r["group_2"])].iloc[0]
        assert got["t"] == pytest.approx(r["t"], rel=1e-9)
        assert got["df"] == pytest.approx(r["df"], rel=1e-9)
        assert got["p_val"] == pytest.approx(r["p_val"], abs=1e-12)
        assert got["mean_diff"] == pytest.approx(r["mean_diff"], rel=1e-9)


def test_two_groups_have_no_posthoc(sat):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = compare(sat, group="gender", scores=["ACT"])
    assert res.posthoc.empty
    assert "posthoc" in res.to_dict()


def test_cli_prints_pairwise_table(tmp_path, sat):
    from click.testing import CliRunner

    from compassion_scales.cli import main

    path = tmp_path / "sat.csv"
    sat.to_csv(path, index=False)
    out = CliRunner().invoke(main, ["compare", str(path), "--group", "education", "--score", "ACT"])
    assert out.exit_code == 0, out.output
    assert "Pairwise comparisons" in out.output
    assert "p (adj.)" in out.output
