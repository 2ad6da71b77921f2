"""Ordinal CFA (WLSMV / ULSMV) against lavaan 0.6-14 + semTools (fixtures from tests/reference/cfa_ordinal.R
and, for empty and rare answer categories, tests/reference/cfa_ordinal_edges.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.cfa import cfa
from compassion_scales.analyses.ordinal_cfa import OrdinalCFAResult, categorical_omega
from compassion_scales.errors import AnalysisError, HeywoodCaseWarning, MissingDataWarning
from compassion_scales.stats.ordinal_sem import (
    bivariate_normal_cdf,
    polychoric_nacov,
    scaled_shifted,
)

REF = REFERENCE
HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFI = "\n".join(f"{n} =~ " + " + ".join(f"{c}{i}" for i in range(1, 6)) for n, c in
                [("agree", "A"), ("consc", "C"), ("extra", "E"), ("neuro", "N"), ("open", "O")])
FCS = "\n".join(f"{n} =~ " + " + ".join(f"{c}{i}" for i in range(1, 7)) for n, c in
                [("others", "co"), ("from", "fo"), ("self", "se")])
EDGES = "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
CASES = {
    "wlsmv_marker_hs": ("hs_ordinal.csv", HS, {}),
    "wlsmv_stdlv_hs": ("hs_ordinal.csv", HS, {"std_lv": True}),
    "ulsmv_marker_hs": ("hs_ordinal.csv", HS, {"estimator": "ULSMV"}),
    "wlsmv_rescov_hs": ("hs_ordinal.csv", HS + "\n x7 ~~ x8", {}),
    "wlsmv_theta_hs": ("hs_ordinal.csv", HS, {"parameterization": "theta"}),
    "wlsmv_stdlv_hsbinary": ("hs_binary.csv", HS, {"std_lv": True}),
    "wlsmv_marker_bfi": ("bfi.csv", BFI, {}),
    "wlsmv_stdlv_fcs": ("fcs_sim_ordinal.csv", FCS, {"std_lv": True}),
    "ulsmv_marker_fcs": ("fcs_sim_ordinal.csv", FCS, {"estimator": "ULSMV"}),
    # n 120: an unused lowest and an unused middle answer, a binary item, rare extreme answers
    "wlsmv_marker_edges": ("ordinal_edges_n120.csv", EDGES, {}),
    "ulsmv_stdlv_edges": ("ordinal_edges_n120.csv", EDGES, {"estimator": "ULSMV", "std_lv": True}),
}
# our name -> lavaan fitMeasures name; chi-squares compared relatively, indices absolutely
CHISQ_KEYS = {"chisq": "chisq", "chisq_scaled": "chisq.scaled", "chisq_scaling_factor": "chisq.scaling.factor",
              "baseline_chisq": "baseline.chisq", "baseline_chisq_scaled": "baseline.chisq.scaled",
              "baseline_chisq_scaling_factor": "baseline.chisq.scaling.factor"}
INDEX_KEYS = {"cfi": "cfi", "tli": "tli", "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled", "rmsea": "rmsea",
              "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper", "rmsea_p_close": "rmsea.pvalue",
              "rmsea_scaled": "rmsea.scaled", "rmsea_ci_low_scaled": "rmsea.ci.lower.scaled",
              "rmsea_ci_high_scaled": "rmsea.ci.upper.scaled", "rmsea_p_close_scaled": "rmsea.pvalue.scaled",
              "cfi_robust": "cfi.robust", "tli_robust": "tli.robust", "rmsea_robust": "rmsea.robust",
              "rmsea_ci_low_robust": "rmsea.ci.lower.robust", "rmsea_ci_high_robust": "rmsea.ci.upper.robust",
              "rmsea_p_close_robust": "rmsea.pvalue.robust",
              "srmr": "srmr", "npar": "npar", "df": "df", "n_obs": "ntotal", "p_val": "pvalue",
              "p_val_scaled": "pvalue.scaled"}


def _ref(name: str) -> dict:
    return json.loads((REF / f"cfa_ordinal_{name}.json").read_text())


_FITS: dict[str, tuple[OrdinalCFAResult, dict]] = {}


def _fit(name: str) -> tuple[OrdinalCFAResult, dict]:
    if name not in _FITS:
        data, model, kw = CASES[name]
        df = pd.read_csv(REF / "data" / data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingDataWarning)
            _FITS[name] = (cfa(df, model, ordered=True, **kw), _ref(name))
    return _FITS[name]


def _key(d: pd.DataFrame) -> pd.Series:
    return d["lhs"] + d["op"] + d["rhs"]


@pytest.mark.parametrize("name", list(CASES))
def test_fit_measures_match_lavaan(name):
    res, ref = _fit(name)
    assert isinstance(res, OrdinalCFAResult)
    assert res.converged
    for ours, theirs in CHISQ_KEYS.items():
        want = ref["fit"][theirs]
        assert res.fit[ours] == pytest.approx(want, rel=1e-4), ours
    for ours, theirs in INDEX_KEYS.items():
        if ref["fit"][theirs] is None:  # lavaan gives no p-value for the unscaled ULS statistic
            continue
        assert res.fit[ours] == pytest.approx(ref["fit"][theirs], abs=1e-4), ours
    ss = ref["scaled_shifted"]
    assert res.fit["chisq_shift"] == pytest.approx(ss["shift.parameter"], rel=1e-4, abs=1e-4)
    assert res.fit["trace_ugamma"] == pytest.approx(ss["trace.UGamma"], rel=1e-4)


@pytest.mark.parametrize("name", list(CASES))
def test_estimates_match_lavaan(name):
    res, ref = _fit(name)
    pe = pd.DataFrame(ref["params"])
    pe = pe[~pe["op"].isin(["~*~", "~1"])]
    est = res.estimates
    m = pe.assign(k=_key(pe)).merge(est.assign(k=_key(est)), on="k", suffixes=("_r", ""))
    assert len(m) == len(pe) == len(est)
    np.testing.assert_allclose(m["est"], m["est_r"], atol=1e-4)
    free = m[m["free"]]
    np.testing.assert_allclose(free["se"], free["se_r"], atol=1e-4)
    assert m.loc[~m["free"], "se"].isna().all()  # fixed values have no standard error
    st = pd.DataFrame(ref["std"])
    st = st[~st["op"].isin(["~*~", "~1"])]
    ms = st.assign(k=_key(st)).merge(est.assign(k=_key(est)), on="k", suffixes=("_r", ""))
    assert len(ms) == len(st)
    np.testing.assert_allclose(ms["std_all"], ms["est.std"], atol=1e-4)
    has_se = ms[ms["se_r"] > 0]
    np.testing.assert_allclose(has_se["std_se"], has_se["se_r"], atol=1e-4)


@pytest.mark.parametrize("name", [n for n in CASES if n != "wlsmv_theta_hs"])
def test_categorical_omega_matches_semtools(name):
    res, ref = _fit(name)
    om = res.omega.set_index("factor")["omega"]
    for f, v in nonempty(ref["omega_categorical"], f"omegas in {name}").items():
        assert om[f] == pytest.approx(v, abs=1e-4)


def test_sample_statistics_match_lavaan():
    ref = _ref("wlsmv_marker_hs")
    df = pd.read_csv(REF / "data" / "hs_ordinal.csv")
    X = df[[f"x{i}" for i in range(1, 10)]].to_numpy() - 1
    st = polychoric_nacov(X, [int(X[:, j].max()) + 1 for j in range(9)])
    np.testing.assert_allclose(st.cor, np.array(ref["polychoric"]), atol=1e-6)
    np.testing.assert_allclose(np.concatenate(st.thresholds), list(ref["thresholds"].values()), atol=1e-8)
    np.testing.assert_allclose(st.nacov, np.array(ref["gamma"]), atol=1e-6)


def test_bivariate_normal_cdf_known_values():
    from scipy.stats import norm

    # rho = 0: product of the margins; rho = 1: min; rho = -1: max(0, F(x) + F(y) - 1)
    assert bivariate_normal_cdf(0.3, -0.4, 0.0) == pytest.approx(norm.cdf(0.3) * norm.cdf(-0.4), abs=1e-15)
    assert bivariate_normal_cdf(0.3, -0.4, 1.0) == pytest.approx(norm.cdf(-0.4), abs=1e-15)
    assert bivariate_normal_cdf(0.3, 0.5, -1.0) == pytest.approx(norm.cdf(0.3) + norm.cdf(0.5) - 1, abs=1e-15)
    # high correlation branch against numerical integration
    from scipy import integrate

    r = 0.95
    val = integrate.quad(lambda t: norm.pdf(t) * norm.cdf((1.0 - r * t) / np.sqrt(1 - r * r)), -np.inf, 0.2,
                         epsabs=1e-14)[0]
    assert bivariate_normal_cdf(0.2, 1.0, r) == pytest.approx(val, abs=1e-12)


def test_scaled_shifted_formula():
    out = scaled_shifted(40.0, 10.0, 14.0, 25.0)
    a = np.sqrt(10.0 / 25.0)
    assert out["chisq_scaled"] == pytest.approx(40.0 * a + 10.0 - a * 14.0)
    assert out["scaling_factor"] == pytest.approx(1 / a)


def test_categorical_omega_rises_with_loadings():
    th = [np.array([-1.0, 0.0, 1.0])] * 4
    low = categorical_omega(np.full((4, 1), 0.4), np.eye(1), th, np.full((4, 4), 0.16) + 0.84 * np.eye(4))
    high = categorical_omega(np.full((4, 1), 0.8), np.eye(1), th, np.full((4, 4), 0.64) + 0.36 * np.eye(4))
    assert 0 < low < high < 1


def test_estimator_alone_treats_items_as_ordered():
    df = pd.read_csv(REF / "data" / "hs_ordinal.csv")
    res = cfa(df, HS, estimator="WLSMV")
    ref, _ = _fit("wlsmv_marker_hs")
    assert res.fit["chisq"] == pytest.approx(ref.fit["chisq"], rel=1e-12)
    assert "delta parameterisation" in " ".join(res._notes())


def test_errors_are_one_line_messages():
    df = pd.read_csv(REF / "data" / "hs_ordinal.csv")
    with pytest.raises(AnalysisError, match="mixing ordinal and continuous"):
        cfa(df, HS, ordered=["x1", "x2"])
    with pytest.raises(AnalysisError, match="Multi-group ordinal"):
        cfa(df, HS, ordered=True, group="school")
    with pytest.raises(AnalysisError, match="not available with ordered items"):
        cfa(df, HS, ordered=True, estimator="MLR")
    with pytest.raises(AnalysisError, match="listwise"):
        cfa(df, HS, ordered=True, missing="fiml")
    with pytest.raises(AnalysisError, match=r"missing='pairwise' is not available .*'ML' or 'MLR'"):
        cfa(df, HS, ordered=True, missing="pairwise")
    with pytest.raises(AnalysisError, match="parameterization"):
        cfa(df, HS, ordered=True, parameterization="gamma")
    cont = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    with pytest.raises(AnalysisError, match="more than 10 distinct values"):
        cfa(cont, HS, estimator="WLSMV")
    one = df.assign(x1=1)
    with pytest.raises(AnalysisError, match="only one answer category"):
        cfa(one, HS, ordered=True)


def test_single_person_category_refused_in_words():
    # y3 chosen 2 by one person, 1 by everyone else: a polychoric correlation has no sampling
    # variance; lavaan does not converge (WLSMV) or stops in eigen() (ULSMV). cscore raised
    # scipy's "Residuals are not finite in the initial point" (WLSMV) or gave SEs of 1e9 (ULSMV).
    ref = json.loads((REF / "cfa_ordinal_degenerate.json").read_text())
    assert ref["WLSMV"]["converged"] is False and "error" in ref["ULSMV"]
    df = pd.read_csv(REF / "data" / "ordinal_edges_n120.csv")
    df["y3"] = np.where(np.arange(len(df)) == 0, 2, 1)
    for estimator in ("WLSMV", "ULSMV"):
        with pytest.raises(AnalysisError, match=r"sampling variance of y3-y6 is zero .*y3: 1\b"):
            cfa(df, EDGES, ordered=True, estimator=estimator)


def test_degenerate_statistic_message_names_thresholds_and_group():
    # the check used per group by ordinal invariance: a threshold whose sampling variance is 0
    from compassion_scales.analyses.ordinal_cfa import refuse_degenerate_statistics
    from compassion_scales.stats.ordinal_sem import PolychoricStats, degenerate_statistics

    st = PolychoricStats([np.zeros(1), np.zeros(2)], np.eye(2), np.diag([0.0, 1.0, 1.0, 1.0]), 10, [])
    assert degenerate_statistics(st) == [(0, 0)]
    codes = np.array([[0, 0]] * 9 + [[1, 2]])
    with pytest.raises(AnalysisError, match=r"of the thresholds of a is zero or undefined in group 'g1'.*\(a: 1\)"):
        refuse_degenerate_statistics(st, codes, ["a", "b"], " in group 'g1'")


def test_theta_heywood_case_warns_in_words_not_numpy():
    # y8 = y7 capped at 4: the delta solution has a negative residual variance for y8 (as lavaan's,
    # tests/reference/cfa_ordinal_edges.R). The theta parameterisation cannot express it: cscore gave
    # NaN for y8 with numpy's "invalid value encountered in sqrt" and no Heywood warning
    ref = json.loads((REF / "cfa_ordinal_wlsmv_heywood_edges.json").read_text())
    df = pd.read_csv(REF / "data" / "ordinal_edges_n120.csv")
    df["y8"] = df["y7"].clip(upper=4)
    with pytest.warns(HeywoodCaseWarning, match="y8; the solution is improper") as rec:
        delta = cfa(df, EDGES, ordered=True)
    assert [(w.filename, w.lineno, str(w.message)) for w in rec if w.category is RuntimeWarning] == []
    assert delta.fit["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=1e-6)
    pe = pd.DataFrame(ref["params"])
    want = pe[(pe.lhs == "y8") & (pe.op == "~~") & (pe.rhs == "y8")].est.item()
    got = delta.estimates.query("lhs == 'y8' and op == '~~' and rhs == 'y8'").est.item()
    assert want < 0 and got == pytest.approx(want, abs=1e-5)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        theta = cfa(df, EDGES, ordered=True, parameterization="theta")
    assert [str(w.message) for w in rec if w.category is RuntimeWarning] == []
    assert any("theta parameterisation cannot express it" in str(w.message) for w in rec
               if issubclass(w.category, HeywoodCaseWarning))
    assert theta.fit["chisq"] == delta.fit["chisq"]
    # lavaan's theta fit stops at a larger chi-square, its loadings running off
    lav_theta = json.loads((REF / "cfa_ordinal_theta_heywood.json").read_text())
    assert theta.fit["chisq"] < lav_theta["fit"]["chisq"]


def test_missing_rows_dropped_with_warning():
    df = pd.read_csv(REF / "data" / "hs_ordinal.csv")
    df.loc[:4, "x3"] = np.nan
    with pytest.warns(MissingDataWarning, match="5 of 301 rows"):
        res = cfa(df, HS, ordered=True)
    assert res.n_obs == 296 and res.n_dropped == 5


def test_result_renders():
    res, _ = _fit("wlsmv_marker_hs")
    text = res.to_table()
    assert "chisq_scaled" in text
    d = res.to_dict()
    assert d["fit"]["df"] == 24.0 and len(d["omega"]) == 3
    assert list(res.loadings.columns) == ["visual", "textual", "speed"]
    assert res.modification_indices.empty


def test_forced_ordinal_on_many_categories_warns():
    from compassion_scales.errors import PsychometricWarning

    cont = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv").head(120)
    cont = cont.assign(x1=(cont["x1"] * 2).round())
    with pytest.warns(PsychometricWarning, match="more than 10 distinct values"):
        cfa(cont, "F =~ x1 + x2 + x3", ordered=True)
