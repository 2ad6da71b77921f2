"""Robust ML (estimator="MLR") against lavaan 0.6-14 (tests/reference/cfa_robust.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.cfa import cfa
from compassion_scales.analyses.invariance import invariance
from compassion_scales.cli import main
from compassion_scales.errors import AnalysisError
from compassion_scales.stats import robust as rb

REF = REFERENCE
HS_MODEL = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFI_MODEL = {f: [f"{c}{i}" for i in range(1, 6)] for f, c in
             zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True)}
FCS_MODEL = ("others =~ oth_1 + oth_2 + oth_3 + oth_4 + oth_5 + oth_6; "
             "from =~ from_1 + from_2 + from_3 + from_4 + from_5; "
             "self =~ self_1 + self_2 + self_3 + self_4 + self_5 + self_6 + self_7")
#: our fit key -> lavaan fitMeasures name
ROBUST_KEYS = {"chisq_scaled": "chisq.scaled", "scaling_factor": "chisq.scaling.factor",
               "p_val_scaled": "pvalue.scaled", "baseline_chisq_scaled": "baseline.chisq.scaled",
               "baseline_scaling_factor": "baseline.chisq.scaling.factor"}
INDEX_KEYS = {"cfi_robust": "cfi.robust", "tli_robust": "tli.robust", "rmsea_robust": "rmsea.robust",
              "rmsea_ci_low_robust": "rmsea.ci.lower.robust", "rmsea_ci_high_robust": "rmsea.ci.upper.robust",
              "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "srmr": "srmr"}


def load(name: str) -> dict:
    return json.loads((REF / name).read_text())


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / name)


CASES = {
    "cfa_mlr_hs.json": lambda: cfa(data("HolzingerSwineford1939.csv"), HS_MODEL, estimator="MLR"),
    "cfa_mlr_stdlv_hs.json": lambda: cfa(data("HolzingerSwineford1939.csv"), HS_MODEL, estimator="mlr",
                                         std_lv=True),
    "cfa_mlr_bfi.json": lambda: cfa(data("bfi.csv"), BFI_MODEL, estimator="MLR"),
    "cfa_mlr_fcs.json": lambda: cfa(data("fcs_sim_cfa.csv"), FCS_MODEL, estimator="MLR"),
}


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: make() for name, make in CASES.items()}


def assert_se(ours, ref, atol):
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    fixed = ref == 0
    assert np.isnan(ours[fixed]).all()
    np.testing.assert_allclose(ours[~fixed], ref[~fixed], atol=atol)


def check_estimates(res, ref) -> None:
    m = res.estimates.merge(pd.DataFrame(ref["params"]), on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
    assert len(m) == len(ref["params"]) == len(res.estimates)
    np.testing.assert_allclose(m["est"], m["est_ref"], atol=1e-4)
    assert_se(m["se"], m["se_ref"], atol=1e-5)          # Huber-White sandwich
    s = res.estimates.merge(pd.DataFrame(ref["std"]), on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
    np.testing.assert_allclose(s["std_all"], s["est.std"], atol=1e-4)
    assert_se(s["std_se"], s["se_ref"], atol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_mlr_matches_lavaan(fitted, name):
    res, ref = fitted[name], load(name)
    f, r = res.fit, ref["fit"]
    assert res.estimator == "MLR" and f["df"] == r["df"] and f["npar"] == r["npar"]
    assert f["chisq"] == pytest.approx(r["chisq"], rel=1e-6)   # the ML statistic is unchanged
    for ours, theirs in ROBUST_KEYS.items():
        assert f[ours] == pytest.approx(r[theirs], rel=1e-5, abs=1e-12), ours
    for ours, theirs in INDEX_KEYS.items():
        assert f[ours] == pytest.approx(r[theirs], abs=1e-6), ours
    check_estimates(res, ref)
    assert "MLR" in res._title and any("Yuan-Bentler" in line for line in res._notes())
    assert "chisq_scaled" in set(res.summary["measure"])


@pytest.mark.slow
def test_mlr_with_fiml_matches_lavaan_scaled_test_and_standard_errors():
    ref = load("cfa_mlr_fiml_bfi.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cfa(data("bfi.csv"), BFI_MODEL, estimator="MLR", missing="fiml")
    f, r = res.fit, ref["fit"]
    assert f["chisq"] == pytest.approx(r["chisq"], rel=1e-6)
    for ours, theirs in ROBUST_KEYS.items():
        assert f[ours] == pytest.approx(r[theirs], rel=1e-5, abs=1e-12), ours
    m = res.estimates.merge(pd.DataFrame(ref["params"]), on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
    np.testing.assert_allclose(m["est"], m["est_ref"], atol=1e-4)
    assert_se(m["se"], m["se_ref"], atol=1e-5)
    # robust CFI/TLI/RMSEA with lavaan's FIML correction (lav_fit_fiml_corrected, V3)
    for ours, theirs in INDEX_KEYS.items():
        assert f[ours] == pytest.approx(r[theirs], abs=1e-6), ours
    assert any("FIML-corrected" in line for line in res._notes())


@pytest.mark.slow
def test_mlr_fiml_invariance_matches_lavaan():
    ref = load("cfa_mlr_fiml_invariance_hs.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = invariance(data("hs_missing.csv"), HS_MODEL, group="school", estimator="MLR", missing="fiml",
                         steps=["configural", "metric"], configural_rmsea=0.10, refit_candidates=False)
    t = res.summary
    lrt = pd.DataFrame(ref["lrt"])
    np.testing.assert_allclose(t["chisq"], lrt["Chisq"], rtol=1e-6)
    assert t["chisq_diff"].iloc[1] == pytest.approx(float(lrt["Chisq diff"].iloc[1]), rel=1e-4)
    assert t["p_diff"].iloc[1] == pytest.approx(float(lrt["Pr(>Chisq)"].iloc[1]), rel=1e-4)
    for step, r in nonempty(ref["fits"], "MLR-FIML invariance fits").items():
        row = t[t["step"] == step].iloc[0]
        assert row["scaling_factor"] == pytest.approx(r["chisq.scaling.factor"], rel=1e-5)
        for ours, theirs in INDEX_KEYS.items():
            if ours in row.index:
                assert row[ours] == pytest.approx(r[theirs], abs=1e-5), (step, ours)
    metric = res.fits["metric"].estimates
    metric = metric.assign(g=metric["group"].map({g: k + 1 for k, g in enumerate(res.group_labels)}))
    m = metric.merge(pd.DataFrame(ref["params_metric"]), left_on=["lhs", "op", "rhs", "g"],
                     right_on=["lhs", "op", "rhs", "group"], suffixes=("", "_ref"))
    assert len(m) == len(ref["params_metric"])
    assert_se(m["se"], m["se_ref"], atol=1e-5)


@pytest.mark.parametrize("name,file,model,group", [
    ("cfa_mlr_invariance_hs.json", "HolzingerSwineford1939.csv", HS_MODEL, "school"),
    ("cfa_mlr_invariance_fcs.json", "fcs_sim_cfa.csv", FCS_MODEL, "group"),
])
def test_mlr_invariance_matches_lavTestLRT(name, file, model, group):
    ref = load(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = invariance(data(file), model, group=group, estimator="MLR", stop_at_failure=False,
                         configural_rmsea=0.10, refit_candidates=False)
    t = res.summary
    lrt = pd.DataFrame(ref["lrt"])
    assert "satorra.bentler.2001" in ref["method"]
    np.testing.assert_allclose(t["chisq"], lrt["Chisq"], rtol=1e-6)
    np.testing.assert_allclose(t["chisq_diff"][1:], lrt["Chisq diff"][1:].astype(float), rtol=1e-4)
    np.testing.assert_allclose(t["df_diff"][1:], lrt["Df diff"][1:].astype(float))
    np.testing.assert_allclose(t["p_diff"][1:], lrt["Pr(>Chisq)"][1:].astype(float), rtol=1e-4, atol=1e-10)
    for step, r in nonempty(ref["fits"], f"invariance fits in {name}").items():
        row = t[t["step"] == step].iloc[0]
        assert row["scaling_factor"] == pytest.approx(r["chisq.scaling.factor"], rel=1e-5)
        assert row["chisq_scaled"] == pytest.approx(r["chisq.scaled"], rel=1e-5)
        for ours, theirs in INDEX_KEYS.items():
            if ours in row.index:
                assert row[ours] == pytest.approx(r[theirs], abs=1e-6), (step, ours)
    np.testing.assert_allclose(t["delta_cfi"][1:], np.diff(t["cfi_robust"]))
    scalar = res.fits["scalar"].estimates
    p = pd.DataFrame(ref["params_scalar"])
    labels = list(res.group_labels)
    scalar = scalar.assign(g=scalar["group"].map({g: k + 1 for k, g in enumerate(labels)}))
    m = scalar.merge(p, left_on=["lhs", "op", "rhs", "g"], right_on=["lhs", "op", "rhs", "group"],
                     suffixes=("", "_ref"))
    assert len(m) == len(p)
    assert_se(m["se"], m["se_ref"], atol=1e-5)
    notes = "\n".join(res._notes())
    assert "Satorra-Bentler (2001)" in notes and "robust CFI" in notes


def test_estimator_dispatch_and_messages():
    hs = data("HolzingerSwineford1939.csv")
    # WLSMV is implemented for ordinal items; continuous items are refused with a pointer
    with pytest.raises(AnalysisError, match="more than 10 distinct values"):
        cfa(hs, HS_MODEL, estimator="WLSMV")
    with pytest.raises(AnalysisError, match="more than 10 distinct values"):
        invariance(hs, HS_MODEL, group="school", estimator="WLSMV")
    with pytest.raises(AnalysisError, match="Unknown estimator 'GLS'"):
        cfa(hs, HS_MODEL, estimator="GLS")


def test_fixed_by_definition_standardised_values_have_no_se(fitted):
    est = fitted["cfa_mlr_stdlv_hs.json"].estimates
    var = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & est["lhs"].isin(["visual", "textual", "speed"])]
    assert len(var) == 3 and (var["std_all"] == 1).all()
    assert var["std_se"].isna().all() and var["std_z"].isna().all()
    assert var["se"].isna().all() and var["z"].isna().all()   # fixed at 1: no SE, no z
    marker = fitted["cfa_mlr_hs.json"].estimates
    first = marker[(marker["op"] == "=~") & (marker["rhs"] == "x1")].iloc[0]
    assert np.isnan(first["se"]) and first["std_se"] > 0   # a fixed marker's std value still varies


def test_cli_estimator_mlr_equals_library():
    hs = str(REF / "data" / "HolzingerSwineford1939.csv")
    model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    r = CliRunner().invoke(main, ["factors", "cfa", hs, "--model", model, "--estimator", "MLR", "--format", "json"])
    assert r.exit_code == 0, r.output
    lib = cfa(pd.read_csv(hs), model, estimator="MLR")
    assert json.loads(r.output) == json.loads(lib.to_json())
    r = CliRunner().invoke(main, ["factors", "cfa", hs, "--model", model, "--estimator", "WLSMV"])
    assert r.exit_code == 1 and "more than 10 distinct values" in r.output
    r = CliRunner().invoke(main, ["factors", "invariance", hs, "--model", model, "--group", "school",
                                  "--estimator", "MLR", "--configural-rmsea", ".1"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Measurement invariance (multi-group CFA, MLR)")
    assert "chisq scaled" in r.output and "Satorra-Bentler (2001)" in r.output


def test_saturated_observed_information_matches_numerical_hessian():
    rng = np.random.default_rng(5)
    Y = rng.normal(size=(300, 4)) @ np.triu(np.full((4, 4), 0.3), 1) + rng.normal(size=(300, 4))
    Y[rng.random(Y.shape) < 0.15] = np.nan
    mu = np.nanmean(Y, axis=0) + 0.1
    Sig = np.cov(np.nan_to_num(Y), rowvar=False) + 0.3 * np.eye(4)
    A = rb.saturated_observed_information(Y, mu, Sig)
    r, c = rb.vech_index(4)
    th = np.concatenate([mu, Sig[r, c]])

    def grad(t):
        S = np.zeros((4, 4))
        S[r, c] = t[4:]
        S[c, r] = t[4:]
        return rb.saturated_scores(Y, t[:4], S).sum(axis=0) / len(Y)

    H = np.column_stack([(grad(th + e) - grad(th - e)) / 2e-6 for e in np.eye(len(th)) * 1e-6])
    np.testing.assert_allclose(A, -H, atol=1e-8)
    # complete data at the sample moments: observed = expected information
    Yc = rng.normal(size=(200, 3))
    S = np.cov(Yc, rowvar=False, bias=True)
    np.testing.assert_allclose(rb.saturated_observed_information(Yc, Yc.mean(axis=0), S),
                               rb.saturated_information(S), atol=1e-12)


def test_scaled_difference_edge_cases():
    T, d, c = rb.scaled_difference_sb2001(100.0, 10, 1.2, 80.0, 8, 1.6)
    assert np.isnan(c) and np.isnan(T) and d == 2   # negative c_delta: NA, as lavaan
    assert np.isnan(rb.scaled_difference_sb2001(100.0, 10, 1.2, 80.0, 8, 1.5)[0])
    T, d, c = rb.scaled_difference_sb2001(30.0, 5, 1.2, 0.0, 0, 9.9)
    assert c == pytest.approx(1.2) and T == pytest.approx(25.0)
