"""Tests for compassion_scales.analyses.change (values computed by hand in the comments).

The instrument tests/data/change_test_norms.yaml holds made-up (test-data) norms:
ct_fear  higher is worse,  alpha .84 (preferred over its retest .70), clinical 10 (SD 3),
         non-clinical 4 (SD 2)  ->  SE_diff = 3*sqrt(2)*sqrt(.16) = 1.697056, threshold 3.326231
         a = 10 - 2*3 = 4, b = 4 + 2*2 = 8, c = (3*4 + 2*10)/(3 + 2) = 6.4  (criterion c)
ct_kind  higher is better, retest .75, clinical 6 (SD 2.5) only
         ->  SE_diff = 2.5*sqrt(2)*sqrt(.25) = 1.767767, a = 6 + 2*2.5 = 11  (criterion a)
ct_mood  neutral, alpha .70, no norms: SD from the sample's pre scores [2, 4, 3, 5, 6] = 1.581139
         ->  SE_diff = sqrt(2.5 * 2 * .3) = 1.224745
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from testkit import DATA

from compassion_scales.analyses.change import (
    ChangeResult,
    NormsWarning,
    change,
    clinical_significance,
    jacobson_truax_cutoffs,
    reliable_change,
    se_difference,
)
from compassion_scales.errors import AnalysisError

# ct_mood has no published SD: the sample-SD fallback warning is tested on its own below
pytestmark = pytest.mark.filterwarnings("ignore::compassion_scales.analyses.change.NormsWarning")

INST = str(DATA / "change_test_norms.yaml")


@pytest.fixture(scope="module")
def pre():
    return pd.read_csv(DATA / "change_pre.csv")


@pytest.fixture(scope="module")
def post():
    return pd.read_csv(DATA / "change_post.csv")


@pytest.fixture(scope="module")
def result(pre, post):
    return change(pre, INST, second_data=post, id="client")


# --------------------------------------------------------------------------- RCI


def test_se_diff_and_rci_by_hand():
    # SD 10, r .84: SE_diff = 10 * 1.414214 * 0.4 = 5.656854; RCI of -12 = -2.121320
    rc = reliable_change([30, 30, 30], [18, 20, 42], sd=10, reliability=0.84, higher_is="worse")
    assert rc["se_diff"].iloc[0] == pytest.approx(5.656854249)
    assert rc["rci"].tolist() == pytest.approx([-2.121320344, -1.767766953, 2.121320344])
    assert rc["reliable_change"].tolist() == ["reliable_improvement", "no_reliable_change",
                                              "reliable_deterioration"]


def test_direction_decides_improvement():
    # a fall in fear (worse) is improvement; a fall in compassion (better) is deterioration
    fear = reliable_change([20], [10], sd=5, reliability=0.8, higher_is="worse")
    comp = reliable_change([20], [10], sd=5, reliability=0.8, higher_is="better")
    neut = reliable_change([20], [10], sd=5, reliability=0.8, higher_is="neutral")
    assert fear["reliable_change"].iloc[0] == "reliable_improvement"
    assert comp["reliable_change"].iloc[0] == "reliable_deterioration"
    assert neut["reliable_change"].iloc[0] == "reliable_decrease"


def test_exact_threshold_is_not_reliable():
    se = se_difference(10, 0.875)  # 10*sqrt(2)*sqrt(.125) = 5
    assert se == pytest.approx(5.0)
    rc = reliable_change([0.0, 0.0], [9.8, 9.81], sd=10, reliability=0.875, rci_threshold=1.96,
                         higher_is="better")
    assert rc["reliable_change"].tolist() == ["no_reliable_change", "reliable_improvement"]


def test_missing_scores_stay_missing():
    rc = reliable_change([10, np.nan], [5, 4], sd=5, reliability=0.8, higher_is="worse")
    assert np.isnan(rc["rci"].iloc[1])
    assert pd.isna(rc["reliable_change"].iloc[1])


@pytest.mark.parametrize("sd,rel,msg", [(0, 0.8, "standard deviation"), (-1, 0.8, "standard deviation"),
                                        (5, 1.0, "reliability"), (5, -0.1, "reliability")])
def test_bad_parameters(sd, rel, msg):
    with pytest.raises(AnalysisError, match=msg):
        reliable_change([1], [2], sd=sd, reliability=rel, higher_is="better")


def test_no_default_direction():
    # issue 10: a fall in fears of compassion used to be called deterioration by default
    with pytest.raises(AnalysisError, match="Say which direction is better"):
        reliable_change([20], [10], sd=5, reliability=0.8)
    # the instrument says it: FCS fears, higher is worse -> a fall is an improvement
    rc = reliable_change([20], [10], sd=5, reliability=0.8, instrument="fcs", score="fcs_self")
    assert rc["reliable_change"].iloc[0] == "reliable_improvement"
    # the caller's word wins over the instrument's
    rc = reliable_change([20], [10], sd=5, reliability=0.8, higher_is="better",
                         instrument="fcs", score="fcs_self")
    assert rc["reliable_change"].iloc[0] == "reliable_deterioration"


def test_instrument_without_direction_is_an_error(tmp_path):
    import yaml

    data = yaml.safe_load((DATA / "change_test_norms.yaml").read_text())
    for s in data["scores"]:
        s.pop("higher_is", None)
    path = tmp_path / "nodir.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(AnalysisError, match="does not say whether higher ct_fear"):
        reliable_change([20], [10], sd=5, reliability=0.8, instrument=str(path), score="ct_fear")


# --------------------------------------------------------------------------- cut-offs


def test_cutoffs_by_hand_both_directions():
    worse = jacobson_truax_cutoffs(higher_is="worse", clinical=(10, 3), functional=(4, 2))
    assert worse == pytest.approx({"a": 4.0, "b": 8.0, "c": 6.4})
    better = jacobson_truax_cutoffs(higher_is="better", clinical=(6, 2.5), functional=(14, 2))
    # a = 6 + 5 = 11; b = 14 - 4 = 10; c = (2.5*14 + 2*6)/4.5 = 47/4.5
    assert better == pytest.approx({"a": 11.0, "b": 10.0, "c": 47 / 4.5})
    only = jacobson_truax_cutoffs(higher_is="better", clinical=(6, 2.5))
    assert only["b"] is None and only["c"] is None


def test_clinical_significance_categories():
    # worse, SD 3, r .84 (SE 1.697056), cut-off c = 6.4
    cs = clinical_significance([12, 12, 9, 6, 6], [5, 8, 7, 11, 2], sd=3, reliability=0.84,
                               higher_is="worse", clinical=(10, 3), functional=(4, 2))
    assert cs["criterion"].iloc[0] == "c"
    assert cs["cutoff"].iloc[0] == pytest.approx(6.4)
    assert cs["clinical_change"].tolist() == ["recovered", "improved", "unchanged",
                                              "deteriorated", "improved"]
    assert cs["pre_functional"].tolist() == [False, False, False, True, True]


def test_clinical_significance_criterion_choice():
    kw = dict(sd=3, reliability=0.84, higher_is="worse")
    a = clinical_significance([12], [5], clinical=(10, 3), functional=(4, 2), criterion="a", **kw)
    assert a["cutoff"].iloc[0] == pytest.approx(4.0)
    assert a["clinical_change"].iloc[0] == "improved"  # 5 is not below a = 4
    with pytest.raises(AnalysisError, match="Criterion c needs both"):
        clinical_significance([12], [5], clinical=(10, 3), criterion="c", **kw)
    with pytest.raises(AnalysisError, match="needs published norms"):
        clinical_significance([12], [5], **kw)


def test_a_named_criterion_that_cannot_be_computed_is_an_error_not_a_note(pre, post):
    """criterion="c" for a score with no norms (or no direction) gave no cut-off, said only in
    the notes, exit 0; with some norms but not enough it was already an error."""
    with pytest.raises(AnalysisError, match=r"^Criterion c cannot be computed for ct_mood: score has "
                                            r"no better/worse direction"):
        change(pre, INST, second_data=post, id="client", scores=["ct_mood"], criterion="c")
    res = change(pre, INST, second_data=post, id="client", scores=["ct_fear"], criterion="c")
    assert res.parameters["criterion"].tolist() == ["c"]
    auto = change(pre, INST, second_data=post, id="client", scores=["ct_mood"])  # auto: a note
    assert auto.parameters["criterion"].isna().all()


# --------------------------------------------------------------------------- change()


def test_sample_sd_fallback_warns(pre, post):
    with pytest.warns(NormsWarning, match="ct_mood: no published SD"):
        change(pre, INST, second_data=post, id="client", scores=["ct_mood"])


def test_change_published_parameters(result):
    p = result.parameters.set_index("score")
    assert p.loc["ct_fear", "reliability"] == 0.84  # alpha preferred over the retest .70
    assert p.loc["ct_fear", "reliability_coefficient"] == "alpha"
    assert p.loc["ct_fear", "sd"] == 3
    assert "published clinical norms" in p.loc["ct_fear", "sd_source"]
    assert p.loc["ct_fear", "se_diff"] == pytest.approx(1.697056275)
    assert p.loc["ct_fear", "rc_threshold"] == pytest.approx(3.326230299)
    assert p.loc["ct_fear", ["cutoff_a", "cutoff_b", "cutoff_c"]].tolist() == pytest.approx([4, 8, 6.4])
    assert p.loc["ct_fear", "criterion"] == "c"
    assert p.loc["ct_kind", "criterion"] == "a"
    assert p.loc["ct_kind", "cutoff"] == pytest.approx(11)
    assert p.loc["ct_kind", "se_diff"] == pytest.approx(1.767766953)
    assert p.loc["ct_mood", "sd"] == pytest.approx(1.581138830)
    assert "sample" in p.loc["ct_mood", "sd_source"]
    assert p.loc["ct_mood", "se_diff"] == pytest.approx(math.sqrt(1.5))


def test_change_person_classifications(result):
    per = result.persons.set_index(["score", "client"])
    fear = per.loc["ct_fear"]
    assert fear["rci"].tolist() == pytest.approx([-7, -4, -2, 5, -4] / np.float64(1.697056275))
    assert fear["clinical_change"].tolist() == ["recovered", "improved", "unchanged",
                                                "deteriorated", "improved"]
    kind = per.loc["ct_kind"]
    # 5->12 recovered; 6->6 unchanged; 8->4 deteriorated; 4->9 improved (below a = 11);
    # 11->15 recovered (a pre score exactly at the cut-off is not yet functional)
    assert kind["clinical_change"].tolist() == ["recovered", "unchanged", "deteriorated",
                                                "improved", "recovered"]
    mood = per.loc["ct_mood"]
    assert mood["reliable_change"].tolist() == ["reliable_increase", "no_reliable_change",
                                                "no_reliable_change", "reliable_decrease",
                                                "no_reliable_change"]
    assert mood["clinical_change"].isna().all()


def test_unmatched_ids_listed(result):
    # ids are matched and reported as text keys, the same in the library and the CLI
    assert result.unmatched.to_dict("list") == {"id": ["6", "7"], "found_in": ["pre only", "post only"]}
    notes = "\n".join(result._notes())
    assert "before only" in notes and "after only" in notes


def test_group_summary_counts(result):
    g = result.group.set_index(["score", "classification", "category"])
    row = g.loc[("ct_fear", "clinical_change", "improved")]
    assert row["n"] == 2 and row["percent"] == pytest.approx(40.0)
    assert g.loc[("ct_kind", "clinical_change", "recovered"), "n"] == 2
    assert g.loc[("ct_fear", "reliable_change", "reliable_improvement"), "n"] == 3
    assert ("ct_mood", "clinical_change", "recovered") not in g.index


def test_no_norms_said_not_invented(pre, post):
    res = change(pre, INST, second_data=post, id="client", scores=["ct_mood"], higher_is="worse")
    p = res.parameters.iloc[0]
    assert pd.isna(p["cutoff"]) and pd.isna(p["criterion"])
    assert "no published clinical or non-clinical norms" in p["norms_source"]
    assert res.persons["clinical_change"].isna().all()
    assert any("not computed" in n for n in res._notes())


def test_fcs_has_no_norms():
    pytest.importorskip("compassion_scales.scoring")
    items = [f"fcs_oth_{i}" for i in range(1, 11)]
    pre = pd.DataFrame({"client": ["a", "b", "c"], **{c: [3, 2, 4] for c in items}})
    post = pd.DataFrame({"client": ["a", "b", "c"], **{c: [1, 2, 4] for c in items}})
    res = change(pre, "fcs", second_data=post, id="client", scores=["fcs_others"], sd=6.0)
    p = res.parameters.iloc[0]
    assert p["reliability"] == 0.72 and p["sd_source"] == "given"
    assert "no published clinical or non-clinical norms for fcs_others" in p["norms_source"]
    # 30 -> 10 with SE = 6*sqrt(2)*sqrt(.28): RCI = -20 / 4.489989
    assert res.persons["rci"].iloc[0] == pytest.approx(-20 / (6 * math.sqrt(2) * math.sqrt(0.28)))
    assert res.persons["reliable_change"].iloc[0] == "reliable_improvement"


def test_explicit_values_override(pre, post):
    res = change(pre, INST, second_data=post, id="client", reliability={"ct_fear": 0.9}, sd={"ct_fear": 4.0})
    p = res.parameters.set_index("score")
    assert p.loc["ct_fear", "reliability"] == 0.9 and p.loc["ct_fear", "sd_source"] == "given"
    assert p.loc["ct_fear", "se_diff"] == pytest.approx(4 * math.sqrt(2) * math.sqrt(0.1))
    assert p.loc["ct_kind", "reliability"] == 0.75  # others keep the published values


def test_from_sample_alpha_and_sd(pre, post):
    pytest.importorskip("compassion_scales.scoring")
    res = change(pre, INST, second_data=post, id="client", scores=["ct_fear"], from_sample=True)
    p = res.parameters.iloc[0]
    x = pre.loc[pre["client"] <= 5, [f"ct_fear_{i}" for i in range(1, 5)]].to_numpy(float)
    k = x.shape[1]
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert p["reliability"] == pytest.approx(alpha)
    assert p["sd"] == pytest.approx(np.std([12, 12, 9, 6, 6], ddof=1))
    assert "sample" in p["reliability_source"] and "sample" in p["sd_source"]


def test_long_form_equals_two_files(result):
    long = pd.read_csv(DATA / "change_long.csv")
    res = change(long, INST, id="client", time="session", occasions=("1", "12"))
    pd.testing.assert_frame_equal(res.persons, result.persons)


def test_scores_only_path_and_string_ids():
    pre = pd.DataFrame({"id": ["1", "2"], "y": [10.0, 12.0]})
    post = pd.DataFrame({"id": [1, 2], "y": [4.0, 12.0]})
    res = change(pre, second_data=post, id="id", scores=["y"], sd=3, reliability=0.84, higher_is="worse",
                 norms={"y": [{"population": "clinical", "mean": 10, "sd": 3, "source": "x"}]})
    assert res.persons["reliable_change"].tolist() == ["reliable_improvement", "no_reliable_change"]
    assert res.parameters["criterion"].iloc[0] == "a"
    assert res.persons["clinical_change"].tolist() == ["improved", "unchanged"]  # 4 is not below a = 4
    assert len(res.unmatched) == 0


def test_missing_score_kept_with_note():
    pre = pd.DataFrame({"id": [1, 2], "y": [10.0, np.nan]})
    post = pd.DataFrame({"id": [1, 2], "y": [4.0, 12.0]})
    res = change(pre, second_data=post, id="id", scores=["y"], sd=3, reliability=0.84, higher_is="worse")
    assert res.persons["note"].tolist()[1] == "pre score missing"
    g = res.group.set_index("category")
    assert g.loc["not_assessable", "n"] == 1


def test_norms_direction_warning():
    pre = pd.DataFrame({"id": [1], "y": [10.0]})
    post = pd.DataFrame({"id": [1], "y": [4.0]})
    bad = [{"population": "clinical", "mean": 3, "sd": 1, "source": "x"},
           {"population": "non_clinical", "mean": 10, "sd": 1, "source": "x"}]
    with pytest.warns(NormsWarning, match="check the norms"):
        change(pre, second_data=post, id="id", scores=["y"], sd=3, reliability=0.8, higher_is="worse",
               norms={"y": bad})


def test_errors(pre, post):
    with pytest.raises(AnalysisError, match="id column 'pid'"):
        change(pre, INST, second_data=post, id="pid")
    dup = pd.concat([pre, pre.head(1)])
    with pytest.raises(AnalysisError, match="identifier 1 already used in row 2"):
        change(dup, INST, second_data=post, id="client")
    with pytest.raises(AnalysisError, match="No SD is available"):
        change(pre.head(1), second_data=post.head(1), id="client", scores=["ct_fear_1"], reliability=0.8)
    with pytest.raises(AnalysisError, match="No id in column"):
        change(pre.assign(client=pre["client"] + 100), INST, second_data=post, id="client")
    with pytest.raises(AnalysisError, match="No rows have session = 3"):
        change(pd.read_csv(DATA / "change_long.csv"), INST, id="client", time="session",
               occasions=(3, 12))


def test_result_outputs(result, tmp_path):
    assert isinstance(result, ChangeResult)
    text = result.to_table()
    assert "Parameters" in text and "Group summary" in text
    d = result.to_dict()
    assert set(d) >= {"summary", "parameters", "group", "unmatched", "notes"}
    assert any("a change of more than 3.326 points is reliable" in n for n in d["notes"])


def test_plot_returns_a_figure(result, tmp_path):
    import matplotlib as mpl
    from matplotlib.figure import Figure

    before = mpl.get_backend()
    fig = result.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 3 and mpl.get_backend() == before
    one = result.plot(score="ct_fear")
    assert len(one.axes) == 1
    fig.savefig(tmp_path / "jt.png")
    assert (tmp_path / "jt.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(AnalysisError, match="No score 'nope'"):
        result.plot(score="nope")


def test_plot_path_still_saves_with_a_warning(result, tmp_path):
    from compassion_scales.analyses.change import jacobson_truax_plot

    with pytest.warns(FutureWarning, match="save the returned figure"):
        png = result.plot(tmp_path / "jt.png")
    assert png == tmp_path / "jt.png"  # the 0.1 form returns the path
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.warns(FutureWarning, match="jacobson_truax_plot"):
        svg = jacobson_truax_plot(result, tmp_path / "jt.svg", score="ct_fear")
    assert "<svg" in svg.read_text()[:500]
    with pytest.warns(FutureWarning), pytest.raises(AnalysisError, match=".png or .svg"):
        result.plot(tmp_path / "jt.pdf")


def test_old_call_styles_still_work(tmp_path):
    pre, post = (pd.read_csv(DATA / f"change_{w}.csv") for w in ("pre", "post"))
    new = change(pre, INST, second_data=post, id="client", rci_threshold=1.5)
    with pytest.warns(FutureWarning, match="second_data"):
        old = change(pre, post, INST, id="client", rci_threshold=1.5)
    pd.testing.assert_frame_equal(old.persons, new.persons)
    with pytest.warns(FutureWarning, match="`rci_criterion` is now called `rci_threshold`"):
        old = change(pre_data=pre, post_data=post, instrument=INST, id="client", rci_criterion=1.5)
    pd.testing.assert_frame_equal(old.persons, new.persons)
    assert old.rci_criterion == old.rci_threshold == 1.5
    long = pd.read_csv(DATA / "change_long.csv")
    new = change(long, INST, id="client", time="session", occasions=("1", "12"))
    with pytest.warns(FutureWarning, match="occasions"):
        old = change(long, None, INST, id="client", time="session", pre_time="1", post_time="12")
    pd.testing.assert_frame_equal(old.persons, new.persons)
    pd.testing.assert_frame_equal(old.parameters, new.parameters)
    with pytest.warns(FutureWarning, match="`criterion` is now called `rci_threshold`"):
        rc = reliable_change([0.0], [9.81], sd=10, reliability=0.875, criterion=1.96, higher_is="better")
    assert rc["reliable_change"].iloc[0] == "reliable_improvement"
    with pytest.warns(FutureWarning, match="rci_threshold"):
        cs = clinical_significance([12], [3], sd=3, reliability=0.84, higher_is="worse",
                                   clinical=(10, 3), rci_criterion=1.96)
    assert cs["clinical_change"].iloc[0] == "recovered"


def test_report_names_never_collide(tmp_path):
    # issue 10: ids that clean to the same file name overwrote each other
    ids = ["a/b", "a_b", "a b", "JD", "jd"]
    pre = pd.DataFrame({"client": ids, "s": [10.0, 11, 12, 13, 14]})
    post = pd.DataFrame({"client": ids, "s": [1.0, 2, 3, 4, 5]})
    res = change(pre, second_data=post, id="client", scores=["s"], sd=3, reliability=0.8, higher_is="worse")
    paths = res.report(tmp_path, formats=("md",))
    assert len(paths) == 5
    names = [p.name for p in paths]
    assert len({n.casefold() for n in names}) == 5          # distinct on case-insensitive disks
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # count written = count reported
    for pid, p in zip(ids, paths, strict=True):
        assert f"**Client:** {pid}" in p.read_text()


def test_reports(result, tmp_path):
    paths = result.report(tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted(f"client_{i}.{e}" for i in range(1, 6) for e in ("html", "md"))
    md = (tmp_path / "client_1.md").read_text()
    assert "Client:** 1" in md
    assert "Reliable Change Index" in md          # jargon explained
    assert "recovered" in md                       # category of client 1's fear score
    assert "12 (high)" in md and "5 (low)" in md   # bands from the instrument file
    assert "test data" in md                       # sources of norms
    html = (tmp_path / "client_1.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html


def test_ids_pair_as_text_in_library_and_cli(tmp_path):
    """Integer ids 1..3 never pair with text ids 001, 002 (the CLI reads ids as text); 3 and
    003 unpaired on both sides would be refused (tests/io/test_inputs.py)."""
    from click.testing import CliRunner

    from compassion_scales.cli import main

    pre = pd.DataFrame({"client": [1, 2, 3], "fear": [30.0, 25.0, 28.0]})
    post = pd.DataFrame({"client": ["001", "002", "1", "2"], "fear": [1.0, 2, 15, 24]})
    res = change(pre, second_data=post, id="client", scores=["fear"], sd=8, reliability=0.8, higher_is="worse")
    assert res.persons["client"].tolist() == ["1", "2"]
    assert sorted(res.unmatched["id"]) == ["001", "002", "3"]
    pre.to_csv(tmp_path / "pre.csv", index=False)
    post.to_csv(tmp_path / "post.csv", index=False)
    out = CliRunner().invoke(main, ["change", str(tmp_path / "pre.csv"), str(tmp_path / "post.csv"),
                                    "--id", "client", "--score", "fear", "--sd", "8",
                                    "--reliability", "0.8", "--higher-is", "worse",
                                    "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[1].split(",")[0] == "1"
    assert len([ln for ln in out.stdout.splitlines()[1:] if ln]) == 2


def test_the_same_occasion_twice_is_refused() -> None:
    """--occasions 1 1 (or 1 and 1.0) compared everyone with themselves: exit 0, all RCIs 0."""
    from testkit import EXAMPLES

    import compassion_scales as cs
    from compassion_scales.errors import AnalysisError

    df = pd.read_csv(EXAMPLES / "responses.csv")
    with pytest.raises(AnalysisError, match=r"The two occasions are the same time \(time = 1\)"):
        cs.change(df, "fcs", id="pid", time="time", occasions=(1, "1.0"))
    with pytest.raises(AnalysisError, match="The two occasions are the same time"):
        cs.retest(df, "fcs", id="pid", time="time", occasions=(2, 2))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rci_threshold": -1}, "rci_threshold (--rci-threshold) must be a positive number, not -1."),
    ({"criterion": "z"}, "criterion must be 'auto', 'a', 'b' or 'c', not 'z'."),
    ({"sd": "ten"}, "The standard deviation for fcs_self must be a positive number (got 'ten')."),
])
def test_change_and_track_options_checked_in_python(kwargs, message):
    # before: rci_threshold=-1 made every change reliable and criterion="z" was accepted where a
    # score had no norms, exit 0; sd="ten" ended in a TypeError from numpy
    from compassion_scales.analyses.track import track

    long = pd.DataFrame({"pid": ["a", "b", "c"] * 2, "time": [1] * 3 + [2] * 3,
                         "fcs_self": [30.0, 20, 25, 18, 22, 24]})
    base = {"sd": 10, "reliability": 0.8, "scores": "fcs_self"}  # one score as a string is fine
    for call in (lambda: change(long, "fcs", id="pid", time="time", occasions=(1, 2), **(base | kwargs)),
                 lambda: track(long, "fcs", id="pid", session="time", **(base | kwargs))):
        with pytest.raises(AnalysisError) as err:
            call()
        assert str(err.value).startswith(message)
    assert len(change(long, "fcs", id="pid", time="time", occasions=(1, 2), **base).persons) == 3
