"""Internal consistency against R psych (fixtures from tests/reference/reliability.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import EXAMPLES, REFERENCE, nonempty

from compassion_scales.analyses.reliability import (
    ReliabilityResult,
    _cov,
    cronbach_alpha,
    item_analysis,
    omega,
    reliability,
    split_half,
)
from compassion_scales.errors import (
    AnalysisError,
    KeyingWarning,
    MissingDataWarning,
    PsychometricWarning,
)
from compassion_scales.stats.alpha import alpha_stats as _alpha_stats
from compassion_scales.stats.alpha import bootstrap_alpha as _boot_alpha

REF = REFERENCE
DATA = REF / "data"
ALPHA = json.loads((REF / "reliability_alpha_psych.json").read_text())
OMEGA = json.loads((REF / "reliability_omega_psych.json").read_text())
POLY = json.loads((REF / "reliability_polychoric_psych.json").read_text())
KEYS25 = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(DATA / "bfi.csv")


@pytest.fixture(scope="module")
def datasets(bfi) -> dict[str, pd.DataFrame]:
    return {"bfi": bfi, "hs": pd.read_csv(DATA / "HolzingerSwineford1939.csv"),
            "ability": pd.read_csv(DATA / "ability.csv")}


def _data(datasets, case: str, items: list[str]) -> pd.DataFrame:
    key = "bfi" if case.startswith("bfi") else "hs" if case.startswith("hs") else "ability"
    return datasets[key][items]


def _keys(case: dict) -> list[str] | None:
    k = case["keys"]
    return [k] if isinstance(k, str) else (list(k) or None)


ALPHA_CASES = nonempty([k for k in ALPHA if k != "versions"], "cases in reliability_alpha_psych.json")


@pytest.mark.parametrize("case", ALPHA_CASES)
def test_alpha_matches_psych(datasets, case):
    c = ALPHA[case]
    missing = "listwise" if "listwise" in case else "pairwise"
    res = cronbach_alpha(_data(datasets, case, c["items"]), reverse=_keys(c), missing=missing)
    row = res.iloc[0]
    t = c["total"]
    assert row["n_obs"] == c["n_rows"]
    assert row["alpha"] == pytest.approx(t["raw_alpha"], abs=1e-6)
    assert row["std_alpha"] == pytest.approx(t["std.alpha"], abs=1e-6)
    assert row["g6_smc"] == pytest.approx(t["G6(smc)"], abs=1e-6)
    assert row["average_r"] == pytest.approx(t["average_r"], abs=1e-6)
    assert row["median_r"] == pytest.approx(t["median_r"], abs=1e-6)
    assert row["signal_noise"] == pytest.approx(t["S/N"], abs=1e-6)
    assert row["ase"] == pytest.approx(t["ase"], abs=1e-6)
    assert row["ci_low"] == pytest.approx(c["feldt"]["lower"], abs=1e-6)
    assert row["ci_high"] == pytest.approx(c["feldt"]["upper"], abs=1e-6)
    assert row["missing"] == missing


@pytest.mark.parametrize("case", ALPHA_CASES)
def test_item_statistics_match_psych(datasets, case):
    c = ALPHA[case]
    missing = "listwise" if "listwise" in case else "pairwise"
    it = item_analysis(_data(datasets, case, c["items"]), reverse=_keys(c), missing=missing)
    st = pd.DataFrame(c["item_stats"])
    drop = pd.DataFrame(c["alpha_drop"])
    assert it["item"].tolist() == c["items"]
    np.testing.assert_array_equal(it["n"].to_numpy(), st["n"].to_numpy())
    for ours, theirs in [("r_total", "raw.r"), ("r_total_std", "std.r"), ("r_drop", "r.drop"),
                         ("mean", "mean"), ("sd", "sd")]:
        np.testing.assert_allclose(it[ours], st[theirs], atol=1e-6, rtol=0, err_msg=ours)
    np.testing.assert_allclose(it["alpha_if_dropped"], drop["raw_alpha"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(it["std_alpha_if_dropped"], drop["std.alpha"], atol=1e-6, rtol=0)
    keyed = set(_keys(c) or [])
    assert it["key"].tolist() == ["-" if i in keyed else "+" for i in c["items"]]


@pytest.mark.parametrize("case", nonempty([k for k in OMEGA if k != "versions"], "cases in reliability_omega_psych.json"))
def test_omega_matches_psych(datasets, case):
    c = OMEGA[case]
    d = _data(datasets, case, c["items"])
    rev = KEYS25 if "keyed" in case else None
    res = omega(d, n_factors=c["nfactors"], reverse=rev, item_range=(1, 6), ordinal=c["poly"])
    row = res.iloc[0]
    assert row["omega_total"] == pytest.approx(c["omega_tot"], abs=1e-3)
    assert row["alpha"] == pytest.approx(c["alpha"], abs=1e-3)
    assert row["lambda6"] == pytest.approx(c["G6"], abs=1e-3)
    if c["nfactors"] > 1:
        assert row["omega_h"] == pytest.approx(c["omega_h"], abs=1e-3)
        assert row["omega_limit"] == pytest.approx(c["omega_lim"], abs=1e-3)
        assert row["ecv"] == pytest.approx(c["ECV"], abs=1e-3)
        assert "Schmid-Leiman" in row["estimator"]
    else:
        assert np.isnan(row["omega_h"])
    sl = pd.DataFrame(c["sl"])
    load = res.attrs["loadings"]
    np.testing.assert_allclose(load["g"], sl["g"], atol=1e-3)
    np.testing.assert_allclose(load["h2"], sl["h2"], atol=1e-3)
    assert row["correlation"].startswith("polychoric" if c["poly"] else "Pearson")


def test_omega_total_matches_psych_for_ordinal_neuroticism(bfi):
    c = POLY["bfi_neuroticism"]
    res = reliability(bfi[c["items"]], n_boot=0, ordinal=True)
    assert res.summary["ordinal_alpha"].iloc[0] == pytest.approx(c["ordinal_alpha"], abs=1e-3)
    assert res.summary["ordinal_omega_total"].iloc[0] == pytest.approx(
        OMEGA["bfi_neuroticism_poly_1"]["omega_tot"], abs=1e-3)


def test_bootstrap_matches_a_naive_loop_complete_and_pairwise():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(200, 1))
    X = np.round(np.clip(2 + f + rng.normal(size=(200, 6)), 0, 4))
    idx = np.random.default_rng(11).integers(0, 200, size=(150, 200), dtype=np.int32)
    fast = _boot_alpha(X, 150, 11)
    naive = [_alpha_stats(np.cov(X[i], rowvar=False))["alpha"] for i in idx]
    np.testing.assert_allclose(fast, naive, atol=1e-12)
    Xm = X.copy()
    Xm[rng.random(X.shape) < 0.1] = np.nan
    fast = _boot_alpha(Xm, 150, 11)
    naive = [_alpha_stats(_cov(Xm[i]))["alpha"] for i in idx]
    np.testing.assert_allclose(fast, naive, atol=1e-12)
    # small chunks of resamples and of item pairs give the same answer
    np.testing.assert_allclose(_boot_alpha(Xm, 150, 11, chunk_cells=4000), naive, atol=1e-12)


def test_bootstrap_is_seeded_and_reported(bfi):
    d = bfi[["N1", "N2", "N3", "N4", "N5"]]
    a = cronbach_alpha(d, n_boot=500, seed=7).iloc[0]
    b = cronbach_alpha(d, n_boot=500, seed=7).iloc[0]
    c = cronbach_alpha(d, n_boot=500, seed=8).iloc[0]
    assert a["boot_ci_low"] == b["boot_ci_low"] and a["boot_ci_high"] == b["boot_ci_high"]
    assert a["boot_ci_low"] != c["boot_ci_low"]
    assert a["n_boot"] == 500 and a["seed"] == 7
    assert a["boot_ci_low"] < a["alpha"] < a["boot_ci_high"]
    # the bootstrap interval is close to Feldt's for a large sample
    assert abs(a["boot_ci_low"] - a["ci_low"]) < 0.01
    unseeded = reliability(d, n_boot=200, seed=None)
    assert isinstance(unseeded.seed, int)
    assert f"seed {unseeded.seed}" in "\n".join(unseeded._notes())
    assert reliability(d, n_boot=200).seed == 0  # the default seed is 0 (glossary)


def test_split_half_is_spearman_brown_of_odd_even_sums(bfi):
    d = bfi[["C1", "C2", "C3", "C4", "C5"]].dropna()
    res = split_half(d, reverse=["C4", "C5"]).iloc[0]
    k = d.copy()
    k[["C4", "C5"]] = 7 - k[["C4", "C5"]]
    r = np.corrcoef(k[["C1", "C3", "C5"]].sum(axis=1), k[["C2", "C4"]].sum(axis=1))[0, 1]
    assert res["r_halves"] == pytest.approx(r, abs=1e-12)
    assert res["split_half_sb"] == pytest.approx(2 * r / (1 + r), abs=1e-12)
    assert res["lambda6"] == pytest.approx(
        cronbach_alpha(d, reverse=["C4", "C5"])["g6_smc"].iloc[0], abs=1e-12)


def test_keying_audit_flags_an_unreversed_item_and_never_flips(bfi):
    d = bfi[["A1", "A2", "A3", "A4", "A5"]]
    with pytest.warns(KeyingWarning, match="A1"):
        res = reliability(d, n_boot=0)
    items = res.items.set_index("item")
    assert items.loc["A1", "keying_flag"]
    assert items.loc["A1", "r_drop"] < 0 and items.loc["A1", "loading_1f"] < 0
    assert not items.drop("A1")["keying_flag"].any()
    assert res.summary["n_flagged"].iloc[0] == 1
    # alpha uses the keys as given (not silently flipped)
    assert res.summary["alpha"].iloc[0] == pytest.approx(
        cronbach_alpha(d)["alpha"].iloc[0], abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", KeyingWarning)
        ok = reliability(d, reverse=["A1"], n_boot=0)
    assert ok.summary["alpha"].iloc[0] == pytest.approx(
        ALPHA["bfi_agreeableness"]["total"]["raw_alpha"], abs=1e-6)


def test_reliability_by_group_and_settings_in_notes(bfi):
    d = bfi[["C1", "C2", "C3", "C4", "C5", "gender"]]
    with pytest.warns(MissingDataWarning):
        res = reliability(d, reverse=["C4", "C5"], group="gender", n_boot=0, missing="listwise")
    assert isinstance(res, ReliabilityResult)
    assert res.summary["group"].tolist() == ["all", "1", "2"]
    sub = bfi.loc[bfi["gender"] == 2, ["C1", "C2", "C3", "C4", "C5"]]
    assert res.summary["alpha"].iloc[2] == pytest.approx(
        cronbach_alpha(sub, reverse=["C4", "C5"], item_range=(1, 6), missing="listwise")["alpha"].iloc[0],
        abs=1e-12)
    assert res.summary["n_obs"].iloc[0] == len(d.drop(columns="gender").dropna())
    notes = "\n".join(res._notes())
    assert "listwise" in notes and "Feldt" in notes
    assert set(res.items["group"]) == {"all", "1", "2"}
    payload = res.to_dict()
    assert payload["settings"]["missing"] == "listwise" and len(payload["items"]) == 15


def test_listwise_warns_about_dropped_people(bfi):
    with pytest.warns(MissingDataWarning, match="Listwise deletion dropped"):
        reliability(bfi[["N1", "N2", "N3", "N4", "N5"]], n_boot=0, missing="listwise")


def test_pairwise_is_stated_and_default(bfi):
    res = reliability(bfi[["N1", "N2", "N3", "N4", "N5"]], n_boot=0)
    assert res.missing == "pairwise"
    assert res._notes()[0].startswith("Missing answers: pairwise")


def test_omega_hierarchical_in_reliability(datasets):
    hs = datasets["hs"][[f"x{i}" for i in range(1, 10)]]
    res = reliability(hs, n_boot=0, n_factors=3)
    assert res.summary["omega_h"].iloc[0] == pytest.approx(OMEGA["hs_3"]["omega_h"], abs=1e-3)
    assert res.summary["omega_total"].iloc[0] == pytest.approx(OMEGA["hs_3"]["omega_tot"], abs=1e-3)


@pytest.mark.parametrize("kwargs, match", [
    ({"reverse": ["Z9"]}, "Cannot reverse-key Z9"),
    ({"missing": "everything"}, "missing must be 'pairwise' or 'listwise'"),
    ({"n_boot": 10}, "too few"),
    ({"level": 95}, "level must be a confidence level between 0 and 1"),
])
def test_errors_are_explained(bfi, kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        cronbach_alpha(bfi[["A1", "A2", "A3"]], **kwargs)


@pytest.mark.parametrize("n, words", [(1, "Only 1 person has usable answers"),
                                      (2, "Only 2 people have usable answers")])
def test_too_few_people_are_counted_in_words(bfi, n, words):
    with pytest.raises(AnalysisError, match=words):
        cronbach_alpha(bfi[["A1", "A2", "A3"]].dropna().head(n))


def test_text_columns_and_single_items_are_refused():
    with pytest.raises(AnalysisError, match="'x' is not a number"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}))
    with pytest.raises(AnalysisError, match="at least 2 items"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(AnalysisError, match="group column 'site'"):
        reliability(pd.DataFrame({"a": [1, 2, 3], "b": [1, 3, 2]}), group="site")


def test_instrument_path_uses_keyed_item_scores():
    from compassion_scales.io import read_responses
    from compassion_scales.scoring import item_scores

    data = read_responses(EXAMPLES / "responses.csv")
    res = reliability(data, "fcs", n_boot=0)
    assert res.instrument == "fcs"
    assert {"fcs_others", "fcs_from_others", "fcs_self"} <= set(res.summary["score"])
    expected = cronbach_alpha(item_scores(data, "fcs", "fcs_self"))["alpha"].iloc[0]
    got = res.summary.set_index("score").loc["fcs_self", "alpha"]
    assert got == pytest.approx(expected, abs=1e-12)
    assert "instrument 'fcs'" in "\n".join(res._notes())
    with pytest.raises(AnalysisError, match="do not also give items"):
        reliability(data, "fcs", items=["fcs_oth_1", "fcs_oth_2"])


def test_alpha_invariances(bfi):
    """Item order, a common linear rescaling, and reversing twice leave alpha unchanged."""
    d = bfi[["C1", "C2", "C3", "C4", "C5"]]
    base = cronbach_alpha(d, reverse=["C4", "C5"])["alpha"].iloc[0]
    shuffled = d[["C5", "C2", "C4", "C1", "C3"]]
    assert cronbach_alpha(shuffled, reverse=["C5", "C4"])["alpha"].iloc[0] == pytest.approx(base, abs=1e-12)
    assert cronbach_alpha(2 * d + 3, reverse=["C4", "C5"])["alpha"].iloc[0] == pytest.approx(base, abs=1e-12)
    flipped = d.copy()
    flipped[["C4", "C5"]] = 7 - flipped[["C4", "C5"]]
    assert cronbach_alpha(flipped)["alpha"].iloc[0] == pytest.approx(base, abs=1e-12)
    twice = cronbach_alpha(flipped, reverse=["C4", "C5"], item_range=(1, 6))["alpha"].iloc[0]
    assert twice == pytest.approx(cronbach_alpha(d)["alpha"].iloc[0], abs=1e-12)


def test_old_argument_names_still_work_and_warn(bfi):
    """0.1 names (boot, ci, nfactors, omega(data, 2)) give the same numbers with a FutureWarning."""
    d = bfi[["A2", "A3", "A4", "A5", "C1", "C2", "C3"]]

    def messages(record: pytest.WarningsRecorder) -> str:
        return "\n".join(str(w.message) for w in record if issubclass(w.category, FutureWarning))

    new = cronbach_alpha(d, n_boot=200, level=0.9, seed=4)
    with pytest.warns(FutureWarning) as rec:
        old = cronbach_alpha(d, boot=200, ci=0.9, seed=4)
    assert "`boot` is now called `n_boot`" in messages(rec)
    assert "`ci` is now called `level`" in messages(rec)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(FutureWarning) as rec:
        old_rel = reliability(d, boot=0, nfactors=2)
    assert "`nfactors` is now called `n_factors`" in messages(rec)
    assert old_rel.n_factors == 2
    pd.testing.assert_frame_equal(old_rel.summary, reliability(d, n_boot=0, n_factors=2).summary)
    with pytest.warns(FutureWarning, match="give `n_factors` by name"):
        old_om = omega(d, 2)
    pd.testing.assert_frame_equal(old_om, omega(d, n_factors=2))
    with pytest.warns(FutureWarning, match="`nfactors` is now called `n_factors`"):
        omega(d, nfactors=2)
    with pytest.warns(FutureWarning, match="level"):
        assert old_rel.ci == 0.95


def test_groups_are_reported_in_the_shared_order():
    """Group order follows stats.groups.group_levels: category order, else sorted."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 1)) + rng.normal(size=(120, 4))
    d = pd.DataFrame(x, columns=list("abcd"))
    d["site"] = pd.Categorical(np.repeat(["zeta", "alpha", "mid"], 40),
                               categories=["zeta", "mid", "alpha"])
    res = reliability(d, group="site", n_boot=0)
    assert res.summary["group"].tolist() == ["all", "zeta", "mid", "alpha"]
    d["site"] = pd.Series([2] * 40 + ["b"] * 40 + [1] * 40, dtype=object)
    assert reliability(d, group="site", n_boot=0).summary["group"].tolist() == ["all", "1", "2", "b"]


@pytest.fixture(scope="module")
def fcs_first_occasion() -> pd.DataFrame:
    data = pd.read_csv(EXAMPLES / "responses.csv", dtype={"pid": str})
    return data[data["time"] == 1][[c for c in data.columns if not c.startswith("ceas")]].reset_index(drop=True)


def test_nullable_group_column_with_missing_groups(fcs_first_occasion: pd.DataFrame) -> None:
    # before: ValueError "Cannot mask with non-boolean array containing NA / NaN values"
    d = fcs_first_occasion
    arm = (d["group"] == "cft").astype("Int64").where(d.index % 10 != 0, pd.NA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = reliability(d.assign(group=arm), "fcs", group="group", n_boot=0).summary
        want = reliability(d.assign(group=arm.astype("float64")), "fcs", group="group", n_boot=0).summary
    assert sorted(got["group"].unique()) == ["0", "1", "all"]
    assert np.allclose(got.select_dtypes("number").to_numpy(float),
                       want.select_dtypes("number").to_numpy(float), equal_nan=True)


def test_group_column_named_twice(fcs_first_occasion: pd.DataFrame) -> None:
    # before: AttributeError: 'DataFrame' object has no attribute 'dtype'
    d = pd.concat([fcs_first_occasion, fcs_first_occasion[["group"]]], axis=1)
    with pytest.raises(AnalysisError) as err:
        reliability(d, "fcs", group="group", n_boot=0)
    assert str(err.value) == "The group column 'group' appears 2 times in the data; keep one column of that name."


@pytest.mark.parametrize("verb", ["reliability", "compare", "flows"])
def test_groups_stored_as_number_and_text_are_refused(fcs_first_occasion: pd.DataFrame, verb: str) -> None:
    # before: compare analysed 1 and "1" as two groups (both shown as "1"), flows as one group
    import compassion_scales as cs

    d = fcs_first_occasion.assign(group=fcs_first_occasion["group"].map({"cft": 1, "waitlist": "1"}))
    call = {"reliability": lambda: cs.reliability(d, "fcs", group="group", n_boot=0),
            "compare": lambda: cs.compare(d, "fcs", group="group"),
            "flows": lambda: cs.flows(d, "fcs", group="group")}[verb]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AnalysisError) as err:
            call()
    assert str(err.value) == ("column group: the groups '1' (text) and 1 (a number) read the same but are "
                              "stored differently, so they would be analysed as separate groups in some "
                              "tables and as one in others; write each group the same way in every row.")


def test_one_score_named_as_text(fcs_first_occasion: pd.DataFrame) -> None:
    # before: "Instrument 'fcs' has no score(s) f, c, s, _, s, e, l, f" (the text read letter by letter)
    import compassion_scales as cs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert reliability(fcs_first_occasion, "fcs", scores="fcs_self", n_boot=0).summary["score"].tolist() \
            == ["fcs_self"]
        assert cs.compare(fcs_first_occasion, "fcs", group="group", scores="fcs_self").summary["score"].tolist() \
            == ["fcs_self"]


def test_an_item_without_variance_is_left_out_as_psych_alpha_does():
    """psych::alpha deletes an item that has no variance, with a warning, and reports alpha of
    the others; cscore refused the whole score. Golden values from R 4.x, psych (Debian):

        d <- data.frame(a=c(1,2,3,4,5,3,2,4,NA,3), b=c(2,2,3,5,4,3,1,4,2,3),
                        c=c(1,3,3,4,5,2,2,3,3,NA), f=c(3,3,3,3,3,3,NA,3,3,3),
                        d=c(2,2,4,4,5,3,1,5,2,3))
        a <- alpha(d); print(a$total, digits = 12); a$alpha.drop[, "raw_alpha"]
    """
    nan = np.nan
    d = pd.DataFrame(dict(a=[1, 2, 3, 4, 5, 3, 2, 4, nan, 3], b=[2, 2, 3, 5, 4, 3, 1, 4, 2, 3],
                          c=[1, 3, 3, 4, 5, 2, 2, 3, 3, nan], f=[3, 3, 3, 3, 3, 3, nan, 3, 3, 3],
                          d=[2, 2, 4, 4, 5, 3, 1, 5, 2, 3]))
    with pytest.warns(PsychometricWarning, match=r"^Item\(s\) f: the same answer from everyone who "
                                                 r"answered \(no variance\); left out .*\(4 items remain\)"):
        row = cronbach_alpha(d).iloc[0]
    got = row[["alpha", "std_alpha", "g6_smc", "average_r", "signal_noise", "ase", "median_r"]]
    np.testing.assert_allclose(got.to_numpy(float), [0.953921209904, 0.955171576419, 0.963630746297,
                                                     0.8419426863, 21.3072756102, 0.0263203296738,
                                                     0.869858264972], rtol=1e-9)
    assert row["n_items"] == 4
    with pytest.warns(PsychometricWarning):
        table = item_analysis(d)
    assert table["item"].tolist() == ["a", "b", "c", "d"]
    np.testing.assert_allclose(table["alpha_if_dropped"], [0.907746478873, 0.947845385611,
                                                           0.954201680672, 0.945821384678], rtol=1e-9)
    d["g"] = np.nan  # an item nobody answered is left out too, and said so
    with pytest.warns(PsychometricWarning, match=r"f: the same answer .*; g: no answers"):
        cronbach_alpha(d)
    with pytest.raises(AnalysisError, match=r"f: the same answer .* fewer than 2 items are left"):
        cronbach_alpha(d[["a", "f"]])
