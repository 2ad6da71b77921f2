"""compassion_scales.analyses.cfa.cfa against lavaan::cfa (fixtures from tests/reference/cfa.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

from compassion_scales.analyses.cfa import CFAResult, cfa, parse_model
from compassion_scales.errors import AnalysisError, HeywoodCaseWarning, MissingDataWarning

HS_MODEL = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFI_MODEL = {f: [f"{c}{i}" for i in range(1, 6)] for f, c in
             zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True)}
# our name -> lavaan fitMeasures name
FIT_KEYS = {"chisq": "chisq", "df": "df", "p_val": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
            "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper",
            "rmsea_p_close": "rmsea.pvalue", "srmr": "srmr", "aic": "aic", "bic": "bic", "loglik": "logl",
            "loglik_unrestricted": "unrestricted.logl", "npar": "npar", "baseline_chisq": "baseline.chisq",
            "baseline_df": "baseline.df", "n_obs": "ntotal"}


def assert_se(ours: pd.Series, ref: pd.Series, atol: float) -> None:
    """Standard errors as lavaan's, except that where lavaan prints 0 (a fixed parameter, or a
    standardised value fixed by definition) cscore gives none (NaN)."""
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    fixed = ref == 0
    assert np.isnan(ours[fixed]).all()
    np.testing.assert_allclose(ours[~fixed], ref[~fixed], atol=atol)


@pytest.fixture(scope="module")
def hs(reference_dir_module):
    return pd.read_csv(reference_dir_module / "data" / "HolzingerSwineford1939.csv")


@pytest.fixture(scope="module")
def bfi(reference_dir_module):
    return pd.read_csv(reference_dir_module / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def reference_dir_module():
    return REFERENCE


def load_ref(reference_dir, name):
    return json.loads((reference_dir / name).read_text())


@pytest.fixture(scope="module")
def fitted(hs, bfi):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return {
            "cfa_ml_marker_hs.json": cfa(hs, HS_MODEL),
            "cfa_ml_stdlv_hs.json": cfa(hs, HS_MODEL, std_lv=True),
            "cfa_ml_marker_bfi.json": cfa(bfi, BFI_MODEL),
        }


def check_fit(fit: dict, ref: dict) -> None:
    """Fit measures as tight as the issue asks (chisq 1e-3 relative, indices 1e-4)."""
    r = ref["fit"]
    assert fit["df"] == r["df"] and fit["npar"] == r["npar"] and fit["n_obs"] == r["ntotal"]
    assert fit["chisq"] == pytest.approx(r["chisq"], rel=1e-6)
    assert fit["baseline_chisq"] == pytest.approx(r["baseline.chisq"], rel=1e-9)
    for k in ("cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"):
        assert fit[k] == pytest.approx(r[FIT_KEYS[k]], abs=1e-5), k
    for k in ("aic", "bic", "loglik", "loglik_unrestricted"):
        assert fit[k] == pytest.approx(r[FIT_KEYS[k]], rel=1e-8), k
    assert fit["p_val"] == pytest.approx(r["pvalue"], rel=1e-4, abs=1e-12)
    assert fit["rmsea_p_close"] == pytest.approx(r["rmsea.pvalue"], rel=1e-4, abs=1e-12)


def merged(est: pd.DataFrame, ref_rows: list[dict]) -> pd.DataFrame:
    ref = pd.DataFrame(ref_rows)
    est = est.copy()
    if "group" in est.columns:
        labels = list(dict.fromkeys(est["group"]))
        est["g"] = est["group"].map({g: k + 1 for k, g in enumerate(labels)})
    else:
        est["g"] = 1
    if "group" not in ref.columns:
        ref["group"] = 1
    m = est.merge(ref, left_on=["lhs", "op", "rhs", "g"], right_on=["lhs", "op", "rhs", "group"],
                  suffixes=("", "_ref"))
    assert len(m) == len(ref) == len(est)
    return m


@pytest.mark.parametrize("name", ["cfa_ml_marker_hs.json", "cfa_ml_stdlv_hs.json", "cfa_ml_marker_bfi.json"])
def test_fit_measures_match_lavaan(fitted, reference_dir_module, name):
    check_fit(fitted[name].fit, load_ref(reference_dir_module, name))


@pytest.mark.parametrize("name", ["cfa_ml_marker_hs.json", "cfa_ml_stdlv_hs.json", "cfa_ml_marker_bfi.json"])
def test_estimates_and_standard_errors_match_lavaan(fitted, reference_dir_module, name):
    ref = load_ref(reference_dir_module, name)
    m = merged(fitted[name].estimates, ref["params"])
    np.testing.assert_allclose(m["est"], m["est_ref"], atol=1e-4)
    assert_se(m["se"], m["se_ref"], atol=1e-5)


@pytest.mark.parametrize("name", ["cfa_ml_marker_hs.json", "cfa_ml_stdlv_hs.json", "cfa_ml_marker_bfi.json"])
def test_standardised_solution_matches_lavaan(fitted, reference_dir_module, name):
    ref = load_ref(reference_dir_module, name)
    m = merged(fitted[name].estimates, ref["std"])
    np.testing.assert_allclose(m["std_all"], m["est.std"], atol=1e-4)
    assert_se(m["std_se"], m["se_ref"], atol=1e-5)
    lo = fitted[name].loadings
    ref_lo = m[m["op"] == "=~"]
    for r in nonempty(ref_lo, f"loadings in {name}").itertuples():
        assert lo.loc[r.rhs, r.lhs] == pytest.approx(r._asdict()["std_all"], abs=1e-12)


@pytest.mark.parametrize("name", ["cfa_ml_marker_hs.json", "cfa_ml_stdlv_hs.json", "cfa_ml_marker_bfi.json"])
def test_modification_indices_match_lavaan(fitted, reference_dir_module, name):
    ref = pd.DataFrame(load_ref(reference_dir_module, name)["mi"])
    ours = fitted[name].modification_indices
    m = ref.merge(ours, on=["lhs", "op", "rhs"], suffixes=("_ref", ""))
    assert len(m) == len(ref)
    np.testing.assert_allclose(m["mi"], m["mi_ref"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(m["epc"], m["epc_ref"], atol=1e-4)
    np.testing.assert_allclose(m["sepc_all"], m["sepc.all"], atol=1e-4)
    # the same largest misfits, in the same order
    assert list(ours.head(5)[["lhs", "op", "rhs"]].itertuples(index=False)) == \
        list(ref.head(5)[["lhs", "op", "rhs"]].itertuples(index=False))


def test_bfi_listwise_is_stated_and_warned(bfi):
    with pytest.warns(MissingDataWarning, match="364 of 2800 rows were dropped"):
        res = cfa(bfi, BFI_MODEL)
    assert res.n_obs == 2436 and res.n_dropped == 364
    assert any("listwise" in line and "364 dropped" in line for line in res._notes())


def test_model_forms_agree(hs):
    text = cfa(hs, "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9")
    d = cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]})
    assert text.fit["chisq"] == pytest.approx(d.fit["chisq"], rel=1e-10)
    assert isinstance(text, CFAResult)
    assert list(text.summary["measure"])[:4] == ["n_obs", "npar", "chisq", "df"]


def test_residual_covariance_lowers_chisq_by_about_its_mi(hs):
    base = cfa(hs, HS_MODEL)
    mi = base.modification_indices.set_index(["lhs", "op", "rhs"]).loc[("x7", "~~", "x8"), "mi"]
    freed = cfa(hs, HS_MODEL + "\n x7 ~~ x8")
    assert freed.fit["df"] == base.fit["df"] - 1
    drop = base.fit["chisq"] - freed.fit["chisq"]
    assert 0.5 * mi < drop < 1.5 * mi
    row = freed.estimates.query("lhs == 'x7' and op == '~~' and rhs == 'x8'")
    assert len(row) == 1 and row["free"].item()


def test_parse_model_text_and_errors():
    spec = parse_model("# a comment\nA =~ a1 + a2 + a3 ; B =~ b1 + b2\nB =~ b3\na1 ~~ b1")
    assert dict(spec.factors) == {"A": ("a1", "a2", "a3"), "B": ("b1", "b2", "b3")}
    assert spec.residual_covariances == (("a1", "b1"),)
    assert spec.items == ["a1", "a2", "a3", "b1", "b2", "b3"]
    with pytest.raises(AnalysisError, match="Cannot read the model line 'A ~ a1'"):
        parse_model("A ~ a1")
    with pytest.raises(AnalysisError, match="lists an item twice"):
        parse_model("A =~ a1 + a1 + a2")
    with pytest.raises(AnalysisError, match="loads on no factor"):
        parse_model("A =~ a1 + a2 + a3\n a1 ~~ zz")
    with pytest.raises(AnalysisError, match="names no factor"):
        parse_model("")


def test_user_errors(hs):
    with pytest.raises(AnalysisError, match=r"item\(s\) x99 that are not columns"):
        cfa(hs, "visual =~ x1 + x2 + x99")
    with pytest.raises(AnalysisError, match="missing='pairwise' is not available"):
        cfa(hs, HS_MODEL, missing="pairwise")
    with pytest.raises(AnalysisError, match="Unknown estimator 'GLS'; use one of ML, MLR"):
        cfa(hs, HS_MODEL, estimator="GLS")
    with pytest.raises(AnalysisError, match="more people than items"):
        cfa(hs.head(8), HS_MODEL)
    bad = hs.assign(x1=hs["x1"].astype(object).where(hs.index != 3, "n/a"))
    with pytest.raises(AnalysisError, match="row 5, column x1: 'n/a' is not a number"):
        cfa(bad, HS_MODEL)
    with pytest.raises(AnalysisError, match="not identified"):
        cfa(hs, "A =~ x1 + x2")


def test_heywood_case_warns():
    # one factor, three items: the ML solution is closed-form and lambda_1^2 psi = .8*.8/.5 > 1
    target = np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])
    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, 3))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True)).T)
    X = z @ np.linalg.cholesky(target).T
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    with pytest.warns(HeywoodCaseWarning, match="Heywood case.*a"):
        res = cfa(df, "F =~ a + b + c")
    theta_a = res.estimates.query("lhs == 'a' and op == '~~'")["est"].item()
    assert theta_a == pytest.approx(1 - .8 * .8 / .5, abs=1e-6)


def _fcs_like_data(n: int = 400, seed: int = 3) -> pd.DataFrame:
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("fcs")
    rng = np.random.default_rng(seed)
    eta = rng.multivariate_normal(np.zeros(3), [[1, .5, .4], [.5, 1, .6], [.4, .6, 1]], size=n)
    cols = {}
    for k, s in enumerate(["fcs_others", "fcs_from_others", "fcs_self"]):
        for it in inst.score_items(s):
            latent = .8 * eta[:, k] + rng.normal(scale=.7, size=n)
            cols[it] = np.clip(np.round(latent + 2), 0, 4).astype(int)
    return pd.DataFrame(cols)


def test_instrument_model_uses_its_scores():
    pytest.importorskip("compassion_scales.scoring")
    from compassion_scales.instrument import load_instrument

    data = _fcs_like_data()
    res = cfa(data, "fcs")
    inst = load_instrument("fcs")
    assert list(res.model.factors) == ["fcs_others", "fcs_from_others", "fcs_self"]
    assert list(res.model.factors["fcs_self"]) == inst.score_items("fcs_self")
    same = cfa(data, {s: inst.score_items(s) for s in res.model.factors})
    assert res.fit["chisq"] == pytest.approx(same.fit["chisq"], rel=1e-10)
    assert "instrument 'fcs'" in res._notes()[0]
    one = cfa(data, inst, scores=["fcs_self"])
    assert list(one.model.factors) == ["fcs_self"]
    with pytest.raises(AnalysisError, match=r"has no score\(s\) nope"):
        cfa(data, "fcs", scores=["nope"])


def test_to_dict_is_json_and_complete(fitted):
    res = fitted["cfa_ml_marker_hs.json"]
    d = json.loads(res.to_json())
    assert d["fit"]["chisq"] == res.fit["chisq"]
    assert len(d["estimates"]) == len(res.estimates)
    assert d["model"].startswith("visual =~ x1 + x2 + x3")


@pytest.fixture(scope="module")
def fiml_bfi(bfi):
    return cfa(bfi, BFI_MODEL, missing="fiml")


@pytest.mark.slow
def test_fiml_matches_lavaan(fiml_bfi, reference_dir_module):
    ref = load_ref(reference_dir_module, "cfa_fiml_marker_bfi.json")
    res = fiml_bfi
    check_fit(res.fit, ref)
    assert res.n_obs == 2800 and res.n_dropped == 0 and res.n_incomplete == 364
    m = merged(res.estimates, ref["params"])  # includes the 25 intercepts
    assert (m["op"] == "~1").sum() == 25 + 5
    np.testing.assert_allclose(m["est"], m["est_ref"], atol=1e-4)
    # observed-information standard errors, as lavaan's default with missing = "ml"
    assert_se(m["se"], m["se_ref"], atol=2e-5)
    m = merged(res.estimates, ref["std"])
    np.testing.assert_allclose(m["std_all"], m["est.std"], atol=1e-4)
    assert_se(m["std_se"], m["se_ref"], atol=1e-5)
    assert res.modification_indices.empty
    assert any("full-information ML" in line for line in res._notes())


def test_fiml_equals_ml_on_complete_data(hs):
    ml = cfa(hs, HS_MODEL)
    fi = cfa(hs, HS_MODEL, missing="fiml")
    assert fi.fit["chisq"] == pytest.approx(ml.fit["chisq"], rel=1e-7)
    assert fi.fit["df"] == ml.fit["df"] and fi.fit["npar"] == ml.fit["npar"] + 9
    assert fi.fit["cfi"] == pytest.approx(ml.fit["cfi"], abs=1e-8)


def test_fiml_drops_only_rows_without_answers(hs):
    df = hs.copy()
    df.loc[0, [f"x{i}" for i in range(1, 10)]] = np.nan
    df.loc[1, "x1"] = np.nan
    with pytest.warns(MissingDataWarning, match="1 of 301 rows were dropped"):
        res = cfa(df, HS_MODEL, missing="fiml")
    assert res.n_obs == 300 and res.n_incomplete == 1
