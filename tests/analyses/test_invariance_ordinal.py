"""Ordinal measurement invariance (WLSMV, Wu & Estabrook 2016) against lavaan 0.6-14 + semTools
(fixtures from tests/reference/invariance_ordinal.R: HS by school, bfi A/C by gender, simulated
FCS-shaped 0-4 data by group, bfi C by three education groups; five steps in the delta parameterisation -- strict in theta -- and
all five in the theta parameterisation)."""

from __future__ import annotations

import io
import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.analyses.cfa import parse_model
from compassion_scales.analyses.invariance import invariance
from compassion_scales.analyses.ordinal_invariance import (
    ORDINAL_STEPS,
    OrdinalInvarianceResult,
    ordinal_invariance,
)
from compassion_scales.errors import AnalysisError, ConvergenceWarning
from compassion_scales.stats.ordinal_invariance import WU_ESTABROOK_ORDER, wu_estabrook_model

REF = REFERENCE
FILES = {"hs": "hs_ordinal.csv", "bfi": "bfi.csv", "fcs": "fcs_sim_cfa.csv", "bfi3": "bfi.csv",
         "cat3": "ordinal_3cat_groups.csv"}
EDU3 = {1: "low", 2: "low", 3: "mid", 4: "high", 5: "high"}  # bfi3: three education groups
HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
DATA = pd.read_csv(REF / "data" / "hs_ordinal.csv")
# ours -> lavaan's fitMeasures name; chi-squares and scaling factors are compared relatively
FIT_KEYS = {"npar": "npar", "df": "df", "chisq": "chisq", "p_val": "pvalue", "chisq_scaled": "chisq.scaled",
            "p_val_scaled": "pvalue.scaled", "scaling_factor": "chisq.scaling.factor", "cfi": "cfi",
            "tli": "tli", "rmsea": "rmsea", "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled",
            "rmsea_scaled": "rmsea.scaled", "srmr": "srmr"}
RELATIVE = {"chisq", "chisq_scaled", "scaling_factor"}
SEQ = {"delta": ("steps", "lrt"), "theta": ("theta", "lrt_theta")}
CASES = [(name, pz) for name in FILES for pz in SEQ]


@cache
def gold(name: str) -> dict:
    return json.loads((REF / f"invariance_ordinal_{name}.json").read_text())


@cache
def run(name: str, pz: str) -> OrdinalInvarianceResult:
    g = gold(name)
    df = pd.read_csv(REF / "data" / FILES[name])
    if name == "bfi3":
        df["edu3"] = df["education"].map(EDU3)
    df = df[g["items"] + [g["group"]]].dropna()
    return ordinal_invariance(df, parse_model(g["model"]), g["group"], "golden", steps=None, delta_cfi=0.01,
                              delta_rmsea=0.015, use_chisq=False, alpha=0.05, stop_at_failure=False,
                              configural_cfi=0.9, configural_rmsea=0.08, ordered=True, parameterization=pz)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "pz"), CASES)
def test_fit_measures_match_lavaan(name: str, pz: str) -> None:
    res, (seq, _) = run(name, pz), SEQ[pz]
    table = res.table.set_index("step")
    assert list(table.index) == list(ORDINAL_STEPS)
    for step, ref in gold(name)[seq].items():
        assert table.loc[step, "parameterization"] == ref["parameterization"]
        for ours, theirs in FIT_KEYS.items():
            want = ref["fit"][theirs]
            tol = 1e-4 * abs(want) if ours in RELATIVE else 1e-4
            assert table.loc[step, ours] == pytest.approx(want, abs=tol), (step, ours)
        assert table.loc[step, "shift"] == pytest.approx(ref["scaled_shifted"]["shift.parameter"], rel=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "pz"), CASES)
def test_scaled_shifted_differences_match_lavtestlrt(name: str, pz: str) -> None:
    table = run(name, pz).table.set_index("step")
    for key, ref in gold(name)[SEQ[pz][1]].items():
        step = key.split("_vs_")[0]
        # equivalent models (df_diff 0): lavaan's plain difference (numerically 0) and p NA
        assert table.loc[step, "chisq_diff"] == pytest.approx(ref["chisq_diff"], rel=1e-4, abs=1e-6), key
        assert table.loc[step, "df_diff"] == ref["df_diff"]
        if ref["p"] is None:
            assert np.isnan(table.loc[step, "p_diff"]), key
        else:
            assert table.loc[step, "p_diff"] == pytest.approx(ref["p"], abs=1e-4), key


@pytest.mark.slow
@pytest.mark.parametrize(("name", "pz"), CASES)
def test_estimates_and_robust_se_match_parameterestimates(name: str, pz: str) -> None:
    res, g = run(name, pz), gold(name)
    for step, ref in g[SEQ[pz][0]].items():
        lav = pd.DataFrame(ref["params"])
        lav["group"] = [str(g["group_levels"][k - 1]) for k in lav["group"]]
        m = lav.merge(res.estimates[step], on=["group", "lhs", "op", "rhs"], how="left", suffixes=("_lav", ""))
        assert m["est"].notna().all(), step
        assert len(res.estimates[step]) == len(lav)
        np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4, rtol=0, err_msg=step)
        # lavaan prints 0 for the standard errors of fixed and derived values
        np.testing.assert_allclose(m["se"].fillna(0.0), m["se_lav"], atol=1e-4, rtol=0, err_msg=step)
        assert (m["free"] == (m["se_lav"] > 0)).all(), step


@pytest.mark.slow
def test_invariance_api_runs_all_five_steps() -> None:
    res = invariance(DATA, HS, group="school", ordered=True)
    assert isinstance(res, OrdinalInvarianceResult)
    t = res.summary
    assert list(t["step"]) == ["configural", "thresholds", "metric", "scalar"]  # stops at scalar
    assert res.failed_step == "scalar" and res.highest_level == "metric"
    assert list(t["parameterization"]) == ["delta"] * 4
    ref = gold("hs")
    assert t["chisq_diff"].iloc[3] == pytest.approx(ref["lrt"]["scalar_vs_metric"]["chisq_diff"], rel=1e-4)
    assert any("Not tested because scalar failed: strict" in line for line in res._notes())
    full = invariance(DATA, HS, group="school", ordered=True, stop_at_failure=False)
    assert list(full.summary["step"]) == list(ORDINAL_STEPS)
    assert full.summary["parameterization"].iloc[-1] == "theta"
    assert full.to_dict()["parameterization"] == "delta"
    assert set(full.estimates) == set(ORDINAL_STEPS)
    # estimator="WLSMV" alone treats the items as ordered
    res2 = invariance(DATA, HS, group="school", estimator="WLSMV", steps=["configural", "thresholds"])
    assert list(res2.summary["step"]) == ["configural", "thresholds"]


def test_three_category_items_thresholds_step_is_the_configural_model_again() -> None:
    # with 3 categories, equal thresholds with free intercepts and scales (Wu & Estabrook, 2016) has
    # as many parameters as the configural model: lavTestLRT gives the plain difference, df 0 and p NA
    # (fixture: Rscript tests/reference/invariance_ordinal.R cat3)
    g = gold("cat3")
    df = pd.read_csv(REF / "data" / FILES["cat3"])
    t = invariance(df, g["model"], group="grp", ordered=True, stop_at_failure=False).summary.set_index("step")
    ref = g["lrt"]["thresholds_vs_configural"]
    assert t.loc["thresholds", "df_diff"] == ref["df_diff"] == 0
    assert t.loc["thresholds", "npar"] == g["steps"]["thresholds"]["fit"]["npar"] == g["steps"]["configural"]["fit"]["npar"]
    assert t.loc["thresholds", "chisq"] == pytest.approx(g["steps"]["thresholds"]["fit"]["chisq"], rel=1e-6)
    assert t.loc["thresholds", "chisq_diff"] == pytest.approx(ref["chisq_diff"], abs=1e-6)
    assert ref["p"] is None and np.isnan(t.loc["thresholds", "p_diff"])
    nxt = g["lrt"]["metric_vs_thresholds"]
    assert t.loc["metric", "chisq_diff"] == pytest.approx(nxt["chisq_diff"], rel=1e-4)
    assert t.loc["metric", "p_diff"] == pytest.approx(nxt["p"], abs=1e-4)


def test_binary_items_are_refused_in_words_not_a_singular_matrix() -> None:
    # one threshold cannot identify a free intercept and scale: the fit used to stop with
    # numpy's "Singular matrix"; semTools has other rules for binary items, which we lack
    df = pd.read_csv(REF / "data" / "hs_binary.csv")
    with pytest.raises(AnalysisError, match=r"at least three answer categories per item, but x1, x2, x3 \.\.\. have two"):
        invariance(df, HS, group="school", ordered=True)
    mixed = df.assign(x1=df["x1"] + (df.index % 3 == 0))  # x1 now has three categories
    with pytest.raises(AnalysisError, match="but x2, x3, x4 ... have two"):
        invariance(mixed, HS, group="school", ordered=True)


def test_wu_estabrook_model_counts_match_measeq_syntax() -> None:
    pattern = np.zeros((9, 3), dtype=bool)
    pattern[np.arange(9), np.arange(9) // 3] = True
    ncat = [int(DATA[f"x{i}"].nunique()) for i in range(1, 10)]
    for pz, seq in (("delta", "steps"), ("theta", "theta")):
        for k, step in enumerate(ORDINAL_STEPS):
            par = gold("hs")[seq][step]["parameterization"]
            model, names = wu_estabrook_model(pattern, [c - 1 for c in ncat], 2, WU_ESTABROOK_ORDER[:k], par)
            assert model.n_free == len(names) == gold("hs")[seq][step]["fit"]["npar"], (pz, step)


def test_wu_estabrook_model_rejects_strict_delta_and_skipped_steps() -> None:
    pattern = np.ones((3, 1), dtype=bool)
    with pytest.raises(ValueError, match="theta"):
        wu_estabrook_model(pattern, [2, 2, 2], 2, WU_ESTABROOK_ORDER, "delta")
    with pytest.raises(ValueError, match="order"):
        wu_estabrook_model(pattern, [2, 2, 2], 2, ["loadings"])


@pytest.mark.parametrize("pz", ["delta", "theta"])
def test_analytic_jacobian_equals_numeric(pz: str) -> None:
    pattern = np.zeros((7, 2), dtype=bool)
    pattern[:4, 0] = pattern[4:, 1] = True
    wide = np.zeros((9, 3), dtype=bool)  # three factors, one item loading on two
    wide[:3, 0] = wide[3:6, 1] = wide[6:, 2] = wide[2, 1] = True
    rng = np.random.default_rng(3)
    for pat, n_thr in ((pattern, [2, 3, 1, 2, 4, 2, 3]), (wide, [1, 2, 3, 1, 2, 3, 1, 2, 3])):
        for k in range(5 if pz == "theta" else 4):
            model, _ = wu_estabrook_model(pat, n_thr, 3, WU_ESTABROOK_ORDER[:k], pz)
            x = rng.uniform(0.3, 1.2, model.n_free)
            for g in range(3):
                np.testing.assert_allclose(model.jacobian(x, g), model.jacobian_numeric(x, g), atol=1e-8)


def test_orient_makes_first_loadings_positive_consistently() -> None:
    pattern = np.zeros((4, 2), dtype=bool)
    pattern[:2, 0] = pattern[2:, 1] = True
    model, names = wu_estabrook_model(pattern, [1, 1, 1, 1], 2, ["thresholds", "loadings", "intercepts"])
    x = np.arange(1.0, model.n_free + 1)
    lam0 = model.groups[0].lam
    x[lam0[lam0 >= 0]] *= np.array([-1, -1, 1, 1])  # factor 1 reflected (loadings shared by both groups)
    y = model.orient(x)
    assert (y[lam0[lam0 >= 0]] > 0).all()
    for s in model.groups:  # the covariance and the mean of factor 1 change sign in every group
        assert y[s.psi[1, 0]] == -x[s.psi[1, 0]]
        if s.alpha[0] >= 0:
            assert y[s.alpha[0]] == -x[s.alpha[0]]
            assert y[s.alpha[1]] == x[s.alpha[1]]
    for g in range(2):
        np.testing.assert_allclose(model.implied(y, g), model.implied(x, g))


@pytest.mark.parametrize(("kwargs", "match"), [({"steps": ["configural", "metric", "scalar"]}, "order"),
                                               ({"steps": ["configural", "partial"]}, "not available"),
                                               ({"estimator": "ULSMV"}, "only"),
                                               ({"missing": "fiml"}, "listwise")])
def test_unavailable_ordinal_options_raise(kwargs: dict, match: str) -> None:
    kw = {"ordered": True, **kwargs}
    with pytest.raises(AnalysisError, match=match):
        invariance(DATA, HS, group="school", **kw)


def test_bad_parameterization_raises() -> None:
    with pytest.raises(AnalysisError, match="parameterization must be"):
        ordinal_invariance(DATA, parse_model(HS), "school", "x", steps=None, delta_cfi=0.01, delta_rmsea=0.015,
                           use_chisq=False, alpha=0.05, stop_at_failure=True, configural_cfi=0.9,
                           configural_rmsea=0.08, parameterization="probit")


def test_ordinal_residual_covariances_not_available() -> None:
    with pytest.raises(AnalysisError, match="residual covariances"):
        invariance(DATA, HS + "\n x7 ~~ x8", group="school", ordered=True)


def test_empty_category_in_a_group_raises() -> None:
    df = DATA.copy()
    df.loc[(df.school == "Pasteur") & (df.x1 == 4), "x1"] = 3
    with pytest.raises(AnalysisError, match="nobody chose"):
        invariance(df, HS, group="school", ordered=True)


def test_diverging_strict_step_warns_instead_of_crashing() -> None:
    # y5 and y7 answered almost alike (polychoric near 1): in the strict (theta) step the minimum lies
    # at infinity. The Gauss-Newton polish ran into NaN ("array must not contain infs or NaNs");
    # lavaan stops early there (Rscript tests/reference/invariance_ordinal.R diverge)
    ref = gold("diverge")
    df = pd.read_csv(REF / "data" / "ordinal_diverging_2grp.csv")
    with pytest.warns(ConvergenceWarning, match="strict model the estimates diverged"):
        res = invariance(df, "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8", group="grp", ordered=True,
                         stop_at_failure=False)
    t = res.summary.set_index("step")
    for step in ("configural", "thresholds", "metric", "scalar"):  # finite minima: as lavaan
        assert t.loc[step, "chisq"] == pytest.approx(ref["steps"][step]["fit"]["chisq"], rel=1e-6)
        assert t.loc[step, "chisq_scaled"] == pytest.approx(ref["steps"][step]["fit"]["chisq.scaled"], rel=1e-6)
    assert t.loc["scalar", "chisq_diff"] == pytest.approx(ref["lrt"]["scalar_vs_metric"]["chisq_diff"], rel=1e-6)
    assert np.isfinite(t.loc["strict", "chisq"])
    assert t.loc["strict", "chisq"] <= ref["steps"]["strict"]["fit"]["chisq"]  # nearer the infimum


@pytest.mark.slow
def test_cli_invariance_ordered_runs_every_step() -> None:
    from click.testing import CliRunner

    from compassion_scales.cli import main

    path = str(REF / "data" / "hs_ordinal.csv")
    model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    r = CliRunner().invoke(main, ["factors", "invariance", path, "--model", model, "--group", "school",
                                  "--ordered", "--all-steps", "--format", "csv", "-q"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("step,equal,parameterization,npar,chisq,df")
    assert [ln.split(",")[0] for ln in lines[1:6]] == list(ORDINAL_STEPS)
    bad = CliRunner().invoke(main, ["factors", "invariance", path, "--model", model, "--group", "school",
                                    "--ordered", "--estimator", "MLR"])
    assert bad.exit_code != 0
    assert bad.output == "Error: --ordered invariance is available with --estimator WLSMV only.\n"


@pytest.mark.slow
def test_theta_through_invariance_and_cli_matches_lavaan() -> None:
    """invariance(..., parameterization="theta") and --parameterization theta reach the theta
    fit whose goldens the tests above check (semTools parameterization = "theta")."""
    from click.testing import CliRunner

    from compassion_scales.cli import main

    res = invariance(DATA, HS, group="school", ordered=True, parameterization="theta",
                     stop_at_failure=False)
    assert set(res.summary["parameterization"]) == {"theta"}
    for step, ref in gold("hs")["theta"].items():
        got = res.summary.set_index("step").loc[step, "chisq_scaled"]
        assert got == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-4), step
    path = str(REF / "data" / "hs_ordinal.csv")
    r = CliRunner().invoke(main, ["factors", "invariance", path, "--model", HS, "--group", "school",
                                  "--ordered", "--parameterization", "theta", "--all-steps",
                                  "--format", "csv", "-q"])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(io.StringIO(r.stdout))
    assert list(table["parameterization"]) == ["theta"] * 5


def test_parameterization_needs_ordered_items() -> None:
    with pytest.raises(AnalysisError, match="ordered items only"):
        invariance(DATA, HS, group="school", parameterization="theta")


def test_empty_category_message_says_it_counts_complete_cases_only() -> None:
    # the answer may well be in the file, in rows dropped for a missing answer elsewhere
    df = DATA.copy()
    df.loc[(df.school == "Pasteur") & (df.x1 == 4), "x1"] = 3
    n = int(((df.school == "Pasteur") & df[["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"]]
             .notna().all(axis=1)).sum())
    with pytest.raises(AnalysisError, match=rf"In group 'Pasteur' nobody chose some answer of item "
                                            rf"'x1' that other groups used, counting its {n} complete "
                                            r"cases \(listwise deletion\)"):
        invariance(df, HS, group="school", ordered=True)
