"""compassion_scales.analyses.flows against R golden values (tests/reference/flows.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.flows import (
    fisher_z_test,
    flows,
    mixed_anova,
    paired_g,
    steiger_test,
)
from compassion_scales.errors import AnalysisError, MissingDataWarning
from compassion_scales.stats.group_tests import hedges_j

TOL = 1e-6
PHASES = {"pre": "pre", "post": "post", "fup": "fup"}
TERM = {"treatment": "group", "phase": "flow", "treatment:phase": "group:flow"}


def _load(reference_dir, name):
    return json.loads((reference_dir / name).read_text())


@pytest.fixture(scope="module")
def obk():
    return pd.read_csv(REFERENCE / "data" / "obk_phase_wide.csv")


@pytest.fixture(scope="module")
def obk_flows(obk):
    """The default analysis of the OBK data (type III), computed once: several tests read it."""
    return flows(obk, group="treatment", id="id", scores=PHASES)


@pytest.fixture(scope="module")
def obk_flows_type1(obk):
    """The type I analysis of the OBK data, computed once."""
    return flows(obk, group="treatment", id="id", scores=PHASES, anova_type=1)


@pytest.fixture(scope="module")
def sai():
    """psychTools::sai XRAY, with the three test 'flow' sums (NA when an item is missing)."""
    d = pd.read_csv(REFERENCE / "data" / "sai_xray.csv")
    scales = {"calm_sum": ["calm", "secure", "at.ease", "relaxed", "rested", "comfortable"],
              "tension_sum": ["tense", "nervous", "jittery", "high.strung"],
              "worry_sum": ["worrying", "worried", "upset", "regretful", "rattled"]}
    for sid, items in scales.items():
        d[sid] = d[items].sum(axis=1, min_count=len(items))
    return d


@pytest.fixture(scope="module")
def sai_instrument():
    from compassion_scales.instrument import load_instrument

    return load_instrument(REFERENCE / "data" / "sai_three_flows.yaml")


def _check_anova(res_anova, ref_rows):
    tab = res_anova.set_index("term")
    assert len(tab) == len(ref_rows)
    for r in ref_rows:
        row = tab.loc[TERM[r["term"]]]
        for key in ("df1", "df2", "ss", "ss_error", "f", "p_val", "pes", "ges", "gg_eps", "p_gg",
                    "hf_eps", "p_hf"):
            if key in r:
                assert row[key] == pytest.approx(r[key], abs=TOL, rel=TOL), (r["term"], key)


# --------------------------------------------------------------------------- ANOVA


def test_type3_matches_afex(obk_flows, reference_dir):
    ref = _load(reference_dir, "flows_anova_type3_obk.json")
    res = obk_flows
    assert res.anova_type == 3
    _check_anova(res.anova, ref["rows"])
    sph = res.sphericity.iloc[0]
    assert sph["mauchly_w"] == pytest.approx(ref["mauchly_w"], abs=TOL)
    assert sph["p_val"] == pytest.approx(ref["mauchly_p"], abs=TOL)
    assert any("Type III" in n for n in res._notes())


def test_type1_matches_aov_and_differs_from_type3(obk, obk_flows_type1, reference_dir):
    ref = _load(reference_dir, "flows_anova_type1_obk.json")
    res1 = obk_flows_type1
    _check_anova(res1.anova, ref["rows"])
    res3 = flows(obk, group="treatment", id="id", scores=PHASES, anova_type=3)
    ss1 = res1.anova.set_index("term").loc["flow", "ss"]
    ss3 = res3.anova.set_index("term").loc["flow", "ss"]
    assert abs(ss1 - ss3) > 1  # unequal groups (5/4/7): the within main effect changes
    assert any("Type I (sequential)" in n for n in res1._notes())


def test_type1_matches_pingouin(obk, obk_flows_type1):
    import pingouin as pg

    long = obk.melt(id_vars=["id", "treatment"], value_vars=list(PHASES), var_name="phase")
    pgt = pg.mixed_anova(data=long, dv="value", within="phase", between="treatment", subject="id")
    res = obk_flows_type1
    tab = res.anova.set_index("term")
    assert tab.loc["flow", "f"] == pytest.approx(pgt.loc[pgt.Source == "phase", "F"].iloc[0], rel=1e-9)
    assert tab.loc["group:flow", "f"] == pytest.approx(pgt.loc[pgt.Source == "Interaction", "F"].iloc[0],
                                                      rel=1e-9)


def test_observed_group_ges_matches_afex(obk, reference_dir):
    ref = _load(reference_dir, "flows_anova_type3_observed_obk.json")
    res = flows(obk, group="treatment", id="id", scores=PHASES, group_observed=True)
    _check_anova(res.anova, ref["rows"])


def test_oneway_repeated_measures_matches_afex(obk, reference_dir):
    ref = _load(reference_dir, "flows_anova_oneway_obk.json")
    res = flows(obk, id="id", scores=PHASES)
    _check_anova(res.anova, ref["rows"])
    assert res.sphericity.iloc[0]["mauchly_w"] == pytest.approx(ref["mauchly_w"], abs=TOL)


def test_complete_cases_dropped_and_stated(obk):
    d = obk.copy()
    d.loc[[0, 5], "post"] = np.nan
    with pytest.warns(MissingDataWarning, match="2 of 16 people"):
        res = flows(d, group="treatment", id="id", scores=PHASES)
    assert (res.n_complete, res.n_dropped) == (14, 2)
    assert res.anova.set_index("term").loc["flow", "df2"] == 2 * (14 - 3)
    assert any("14 people, 2 dropped" in n for n in res._notes())
    # descriptives use every available value
    post = res.descriptives[(res.descriptives.flow == "post")]
    assert post["n"].sum() == 14 and res.descriptives[res.descriptives.flow == "pre"]["n"].sum() == 16


def test_mixed_anova_two_levels_has_no_sphericity():
    y = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 3.5], [2.0, 5.0], [1.0, 1.5]])
    tab, sph = mixed_anova(y)
    assert np.isnan(sph.iloc[0]["mauchly_w"])
    from scipy.stats import ttest_rel

    t = ttest_rel(y[:, 0], y[:, 1]).statistic
    assert tab.loc[0, "f"] == pytest.approx(t ** 2)


def test_mixed_anova_rejects_bad_type():
    with pytest.raises(AnalysisError, match="3 or 1"):
        mixed_anova(np.ones((4, 3)) + np.arange(12).reshape(4, 3), ss_type=2)


# --------------------------------------------------------------------------- post hoc


def test_posthoc_matches_r(obk_flows, reference_dir):
    ref = _load(reference_dir, "flows_posthoc_obk.json")
    res = obk_flows
    ph = res.posthoc
    within = ph[ph.comparison == "flows within group"]
    assert len(within) == 9
    for r in nonempty(ref["paired"], "paired t tests in flows_posthoc_obk.json"):
        row = within[(within.group == r["group"]) & (within.a == r["a"]) & (within.b == r["b"])].iloc[0]
        assert row["t"] == pytest.approx(r["t"], abs=TOL)
        assert row["df"] == r["df"]
        assert row["p_val"] == pytest.approx(r["p_val"], abs=TOL)
    between = ph[ph.comparison == "groups within flow"]
    assert len(between) == 9
    for r in nonempty(ref["welch"], "Welch tests in flows_posthoc_obk.json"):
        sel = between[between.flow == r["flow"]]
        row = sel[(sel.a == r["a"]) & (sel.b == r["b"])]
        sign = 1
        if row.empty:
            row, sign = sel[(sel.a == r["b"]) & (sel.b == r["a"])], -1
        row = row.iloc[0]
        j = hedges_j(row["n_a"] + row["n_b"] - 2)
        assert sign * row["t"] == pytest.approx(r["t"], abs=TOL)
        assert row["df"] == pytest.approx(r["df"], abs=TOL)
        assert row["p_val"] == pytest.approx(r["p_val"], abs=TOL)
        assert sign * row["g"] / j == pytest.approx(r["d"], abs=TOL)
        lo, hi = sorted([sign * row["g_ci_low"] / j, sign * row["g_ci_high"] / j])
        assert lo == pytest.approx(r["d_ci_low"], abs=TOL)
        assert hi == pytest.approx(r["d_ci_high"], abs=TOL)
        # psych's own interval (uniroot default tolerance) agrees to its precision
        assert lo == pytest.approx(r["d_ci_low_psych"], abs=1e-4)
    # Holm within each family
    from compassion_scales.stats.group_tests import adjust_p

    assert np.allclose(within["p_adj"], adjust_p(within["p_val"], "holm"))


def test_paired_g_borenstein_by_hand():
    x = np.array([3.0, 4, 5, 6, 8, 7])
    y = np.array([2.0, 4, 4, 5, 6, 5])
    out = paired_g(x, y)
    n, r = 6, np.corrcoef(x, y)[0, 1]
    s_within = (x - y).std(ddof=1) / np.sqrt(2 * (1 - r))
    d = (x - y).mean() / s_within
    j = hedges_j(n - 1)
    se = j * np.sqrt((1 / n + d ** 2 / (2 * n)) * 2 * (1 - r))
    assert out["g"] == pytest.approx(j * d)
    assert out["g_ci_high"] - out["g"] == pytest.approx(1.959963984540054 * se)


# --------------------------------------------------------------------------- correlations


def test_correlations_match_cor_test(obk_flows, reference_dir):
    ref = _load(reference_dir, "flows_correlations.json")
    res = obk_flows
    c = res.correlations
    for r in nonempty(ref["cors"], "correlations in flows_correlations.json"):
        row = c[(c.group == r["group"]) & (c.flow_a == r["a"]) & (c.flow_b == r["b"])].iloc[0]
        for key in ("r", "p_val", "ci_low", "ci_high"):
            assert row[key] == pytest.approx(r[key], abs=TOL)
        assert row["n"] == r["n"]
    # Fisher z tests between each pair of groups for each flow pair
    assert len(res.group_tests) == 3 * 3


def test_fisher_z_matches_psych(reference_dir):
    f = _load(reference_dir, "flows_correlations.json")["fisher"]
    z, p = fisher_z_test(f["r1"], f["n1"], f["r2"], f["n2"])
    assert abs(z) == pytest.approx(f["z_abs"], abs=TOL)
    assert p == pytest.approx(f["p_val"], abs=TOL)


def test_steiger_matches_psych_through_flows(sai, sai_instrument, reference_dir):
    ref = _load(reference_dir, "flows_correlations.json")["steiger"]
    # R used people complete on all three scales at both times
    wide = sai.pivot(index="id", columns="time", values=["calm_sum", "tension_sum", "worry_sum"])
    keep = wide.dropna().index
    d = sai[sai["id"].isin(keep)]
    res = flows(d, sai_instrument, time="time", id="id")
    tt = res.time_tests
    name = {"calm": "self", "tension": "to_others", "worry": "from_others"}
    assert len(tt) == 3
    for r in nonempty(ref, "Steiger tests in flows_correlations.json"):
        a, b = name[r["a"]], name[r["b"]]
        row = tt[((tt.flow_a == a) & (tt.flow_b == b)) | ((tt.flow_a == b) & (tt.flow_b == a))].iloc[0]
        assert row["n"] == r["n"]
        assert abs(row["z"]) == pytest.approx(abs(r["z"]), abs=TOL)
        assert row["p_val"] == pytest.approx(r["p_val"], abs=TOL)
        assert row["r_1"] == pytest.approx(r["r_time1"], abs=TOL)


def test_steiger_function_direct():
    z, p = steiger_test(100, 0.5, 0.3, 0.6, 0.3, 0.3, 0.6)
    z2, _ = steiger_test(100, 0.3, 0.5, 0.6, 0.3, 0.3, 0.6)
    assert z == pytest.approx(-z2) and 0 < p < 1


# --------------------------------------------------------------------------- time: mixed model


def test_mixed_model_matches_lme4(sai, sai_instrument, reference_dir):
    ref = _load(reference_dir, "flows_lmm_sai.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        res = flows(sai, sai_instrument, time="time", id="id")
    assert res.anova is None and res.mixed_model is not None
    assert res.mixed_model_formula == "value ~ flow * time + (1 | subject)"
    # same sum-to-zero parameterisation and level order as R (self=calm, to_others=tension)
    est = res.mixed_model["estimate"].to_numpy()
    se = res.mixed_model["se"].to_numpy()
    assert res.mixed_model["term"].tolist()[:3] == ["Intercept", "flow[self]", "flow[to_others]"]
    # same REML criterion and parameterisation as lme4 (stats.lmm): agreement to 1e-6
    np.testing.assert_allclose(est, ref["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(se, ref["se"], rtol=0, atol=1e-6)
    assert res.mixed_model_terms.attrs["residual_var"] == pytest.approx(ref["sigma"] ** 2, abs=1e-6)
    assert res.mixed_model_terms.attrs["random_intercept_var"] == pytest.approx(ref["var_id"], abs=1e-6)
    assert res.mixed_model_terms["term"].tolist() == ["flow", "time", "flow:time"]


def test_metric_mean_item_and_pomp(sai, sai_instrument):
    d = sai[sai["time"] == 1]
    res = flows(d, sai_instrument, id="id", metric="mean_item")
    assert res.flow_scores["transform"].tolist() == ["sum / 6 items", "sum / 4 items", "sum / 5 items"]
    v = res.values.set_index("subject")
    first = d.set_index("id")
    np.testing.assert_allclose(v["to_others"], first["tension_sum"] / 4)
    pomp = flows(d, sai_instrument, id="id", metric="pomp").values.set_index("subject")
    np.testing.assert_allclose(pomp["self"], 100 * (first["calm_sum"] - 6) / (24 - 6))
    assert pomp["self"].max() <= 100


# --------------------------------------------------------------------------- errors, plot


def test_errors_are_readable(obk):
    with pytest.raises(AnalysisError, match="group column 'arm' is not in the data"):
        flows(obk, group="arm", scores=PHASES)
    with pytest.raises(AnalysisError, match="name the person identifier"):
        flows(obk, time="gender", scores=PHASES)
    with pytest.raises(AnalysisError, match="Unknown metric"):
        flows(obk, scores=PHASES, metric="z")
    with pytest.raises(AnalysisError, match="At least two flows"):
        flows(obk, scores={"pre": "pre"})


def test_instrument_without_flows_is_an_error(obk):
    with pytest.raises(AnalysisError, match="tags no score with a flow"):
        flows(obk, "cbi")


def test_flow_score_choice_ceas():
    from compassion_scales.analyses.flows import _pick_flow_scores
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("ceas")
    default = _pick_flow_scores(inst, None)
    assert all(inst.score(s).status != "derived" for s in default.values())
    assert set(default) == {"self", "to_others", "from_others"}
    action = _pick_flow_scores(inst, "action")
    assert all("action" in s for s in action.values())


def test_profile_plot_returns_a_figure_and_keeps_the_backend(obk_flows, tmp_path):
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from compassion_scales.reporting.flows_plot import save_figure

    res = obk_flows
    before = mpl.get_backend()
    fig = res.plot(title="Phases")
    assert isinstance(fig, Figure) and mpl.get_backend() == before
    assert fig.get_suptitle() == "Phases" and len(fig.axes) == 1
    png, svg = tmp_path / "p.png", tmp_path / "p.svg"
    save_figure(fig, png)
    save_figure(fig, svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:2000]
    with pytest.raises(AnalysisError, match=".png or .svg"):
        save_figure(fig, tmp_path / "p.pdf")


def test_profile_plot_path_still_saves_with_a_warning(obk_flows, tmp_path):
    res = obk_flows
    png = tmp_path / "p.png"
    with pytest.warns(FutureWarning, match="save the returned figure"):
        res.plot(str(png))
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_old_argument_names_still_work(obk, obk_flows, sai, sai_instrument):
    new = obk_flows
    with pytest.warns(FutureWarning, match="`columns` is now called `scores`"):
        old = flows(obk, group="treatment", subject="id", columns=PHASES)
    pd.testing.assert_frame_equal(old.anova, new.anova)
    pd.testing.assert_frame_equal(old.posthoc, new.posthoc)
    with pytest.warns(FutureWarning, match="by position"):
        positional = flows(obk, None, "treatment", None, "id", scores=PHASES)
    pd.testing.assert_frame_equal(positional.anova, new.anova)
    d = sai[sai["time"] == 1]
    with pytest.warns(FutureWarning, match="`flow_score` is now called `scores`"):
        old = flows(d, sai_instrument, subject="id", flow_score="sum")
    new = flows(d, sai_instrument, id="id", scores="sum")
    pd.testing.assert_frame_equal(old.values, new.values)


def test_scores_as_a_list_of_score_ids():
    from compassion_scales.analyses.flows import _pick_flow_scores
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("ceas")
    action = _pick_flow_scores(inst, "action")
    assert _pick_flow_scores(inst, list(action.values())) == action
    with pytest.raises(AnalysisError, match="carry no flow tag"):
        _pick_flow_scores(inst, ["nonsense"])


def test_to_dict_has_all_parts(obk_flows):
    res = obk_flows
    d = res.to_dict()
    for key in ("anova", "sphericity", "posthoc", "correlations", "descriptives", "group_tests", "notes"):
        assert key in d
    assert d["n_dropped"] == 0


def test_ceas_raw_items_default_flow_scores():
    """Wiring through scoring: CEAS raw answers -> engagement sums / 6 items by default."""
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("ceas")
    rng = np.random.default_rng(11)
    n = 30
    df = pd.DataFrame({"pid": [f"p{i}" for i in range(n)], "arm": ["cft", "tau", "wait"] * 10})
    for it in inst.item_ids:
        df[it] = rng.integers(1, 11, n)
    res = flows(df, "ceas", group="arm", id="pid")
    fs = res.flow_scores.set_index("flow")
    assert fs.loc["self", "score"] == "ceas_self_engagement" and fs.loc["self", "n_items"] == 6
    scored = [f"ceas_self_e{i}" for i in (1, 2, 4, 5, 6, 8)]
    np.testing.assert_allclose(res.values["self"], df[scored].sum(axis=1) / 6)
    # the derived 10-item total on request: sum of both sections / 10 items
    tot = flows(df, "ceas", group="arm", id="pid", scores="total")
    assert tot.flow_scores.set_index("flow").loc["to_others", "n_items"] == 10
    assert set(res.anova["term"]) == {"group", "flow", "group:flow"}


def test_group_and_time_model_and_tests(sai, sai_instrument):
    d = sai.assign(arm=np.where(sai["id"] % 2 == 1, "odd", "even"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        res = flows(d, sai_instrument, group="arm", time="time", id="id")
    assert res.mixed_model_formula == "value ~ flow * group * time + (1 | subject)"
    assert res.mixed_model_terms["term"].tolist() == ["flow", "group", "time", "flow:group", "flow:time",
                                                      "group:time", "flow:group:time"]
    # Fisher z per time point (3 flow pairs x 1 group pair x 2 times), Steiger per group
    assert len(res.group_tests) == 6 and len(res.time_tests) == 6
    assert set(res.descriptives["time"]) == {1, 2}


def test_mixed_model_names_the_empty_cell() -> None:
    """A group seen at one time point only: the error names the empty flow x group x time cells."""
    from testkit import EXAMPLES

    df = pd.read_csv(EXAMPLES / "responses.csv")
    df.loc[0, "group"] = "third"  # one person, baseline only
    with pytest.raises(AnalysisError, match="no observations for flow = self, group = third, time = 2"):
        flows(df, "ceas", group="group", time="time", id="pid")


def test_flow_scores_without_variation_are_one_line() -> None:
    """Every answer the same: a one-line AnalysisError, not numpy's "Singular matrix"."""
    from testkit import EXAMPLES

    df = pd.read_csv(EXAMPLES / "responses.csv")
    df[[c for c in df.columns if c.startswith("ceas")]] = 5
    with pytest.raises(AnalysisError, match="the flow scores do not vary"):
        flows(df, "ceas", group="group", time="time", id="pid")


def test_report_refuses_too_few_resamples_up_front() -> None:
    from testkit import EXAMPLES

    import compassion_scales as cs

    df = pd.read_csv(EXAMPLES / "responses.csv")
    with pytest.raises(AnalysisError, match="n_boot=50 resamples is too few"):
        cs.report(df, "fcs", n_boot=50)


def test_long_rows_without_a_group_are_reported_not_silently_dropped():
    """With time: rows whose group is blank enter no table and not the mixed model; they were
    left out without a word (the notes even said "no listwise deletion")."""
    from testkit import EXAMPLES

    data = pd.read_csv(EXAMPLES / "responses.csv", dtype={"group": "string"})
    data.loc[[0, 1, 5], "group"] = pd.NA
    with pytest.warns(MissingDataWarning, match=r"3 of 300 rows have no group \(rows 2, 3, 7 of "):
        res = flows(data, "ceas", group="group", time="time", id="pid")
    assert int(res.descriptives["n"].sum()) < int(flows(
        pd.read_csv(EXAMPLES / "responses.csv"), "ceas", group="group", time="time",
        id="pid").descriptives["n"].sum())


# --------------------------------------------------------------------------- time order

THREE_FLOWS = {"self": "self", "to_others": "oth", "from_others": "frm"}


def _waves(labels, n=40):
    """Long data: n people x the occasions ``labels`` (in time order), flow scores rising over time."""
    rng = np.random.default_rng(7)
    rows = [{"pid": f"p{i}", "arm": "a" if i % 2 else "b", "wave": w, "self": rng.normal(j, 1),
             "oth": rng.normal(0, 1), "frm": rng.normal(j / 2, 1)}
            for i in range(n) for j, w in enumerate(labels)]
    return pd.DataFrame(rows)


def _wave_flows(data, **kwargs):
    return flows(data, group="arm", time="wave", id="pid", scores=THREE_FLOWS, **kwargs)


@pytest.mark.parametrize("labels", [("pre", "mid", "post"), ("baseline", "week 4", "follow-up"),
                                    ("pre", "post")])
def test_text_time_labels_need_occasions_not_alphabetical_order(labels):
    """`mid, post, pre` (R's factor() order) ran every table, the Steiger tests between time
    points and the plot backwards, exit 0. Text labels now need occasions, in time order."""
    numbered = _wave_flows(_waves(range(1, len(labels) + 1)))
    data = _waves(labels)
    with pytest.raises(AnalysisError, match=r"holds the text labels .*say which comes first: .*"
                                            r"occasions=\[\.\.\.\] / --occasions FIRST NEXT"):
        _wave_flows(data)
    res = _wave_flows(data, occasions=list(labels))
    assert list(pd.unique(res.descriptives["time"])) == list(labels)
    np.testing.assert_allclose(res.descriptives["mean"], numbered.descriptives["mean"])
    assert (res.time_tests["time_1"].iloc[0], res.time_tests["time_2"].iloc[0]) == labels[:2]
    np.testing.assert_allclose(res.time_tests["z"], numbered.time_tests["z"])
    np.testing.assert_allclose(res.mixed_model["estimate"], numbered.mixed_model["estimate"])
    assert f"Occasions of 'wave' in time order (as listed in occasions): {', '.join(labels)}." in res.notes()


@pytest.mark.parametrize("wave, order", [
    (pd.Categorical(["pre", "mid", "post"], categories=["pre", "mid", "post"]), ["pre", "mid", "post"]),
    (["2026-03-01", "2026-01-15", "2026-02-01"], ["2026-01-15", "2026-02-01", "2026-03-01"]),
    (["10", "2", "1"], ["1", "2", "10"]),
])
def test_numbers_dates_and_categories_keep_their_own_order(wave, order):
    data = _waves(["x", "y", "z"])
    data["wave"] = pd.Series(wave).take(np.tile(range(3), 40)).to_numpy()
    if isinstance(wave, pd.Categorical):
        data["wave"] = pd.Categorical(data["wave"], categories=wave.categories)
    res = _wave_flows(data)
    assert list(pd.unique(res.descriptives["time"])) == order


def test_occasions_not_in_the_data_or_too_few_are_errors_and_others_are_left_out():
    data = _waves(["pre", "mid", "post"])
    with pytest.raises(AnalysisError, match=r"No rows have wave = 'Post' \(occasions\); the values of "
                                            r"'wave' are: pre, mid, post\."):
        _wave_flows(data, occasions=["pre", "Post"])
    with pytest.raises(AnalysisError, match="occasions names pre more than once"):
        _wave_flows(data, occasions=["pre", "post", "pre"])
    with pytest.raises(AnalysisError, match="a time factor needs at least two"):
        _wave_flows(data, occasions=["pre"])
    with pytest.raises(AnalysisError, match="name it too"):
        flows(data, group="arm", id="pid", scores=THREE_FLOWS, occasions=["pre", "post"])
    two = _wave_flows(data, occasions=["pre", "post"])
    assert list(pd.unique(two.descriptives["time"])) == ["pre", "post"]
    assert set(two.values["time"]) == {"pre", "post"}
    assert any("40 row(s) at occasions not listed were left out" in n for n in two.notes())
    same = _wave_flows(data[data["wave"] != "mid"], occasions=["pre", "post"])
    np.testing.assert_allclose(two.mixed_model["estimate"], same.mixed_model["estimate"])


def test_long_ids_that_differ_only_by_leading_zeros_are_refused():
    """Rows merged from a file that stored the ids as numbers (``7`` for ``007``) made one
    person two subjects of the mixed model, each with one occasion, exit 0."""
    data = _waves([1, 2], n=12)
    data["pid"] = [f"{i:03d}" for i in range(12) for _ in range(2)]
    _wave_flows(data)  # zero-padded everywhere: fine
    data.loc[data.index[3], "pid"] = "1"  # person 001's second occasion, written as a number
    data.attrs["source"] = "long.csv"
    with pytest.raises(AnalysisError, match=r"^long\.csv: column pid: the person ids '001' \(row 4\) and "
                                            r"'1' \(row 5\) differ only by leading zeros \(1 person written "
                                            r"so\), so one person's occasions would be analysed as two people"):
        _wave_flows(data)
