"""compassion_scales.analyses.efa against R psych golden values (tests/reference/efa.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.analyses.efa import (
    bartlett,
    correlation_matrix,
    efa,
    kmo,
    parallel_analysis,
    scree_plot,
)
from compassion_scales.errors import AnalysisError, HeywoodCaseWarning, OutputFileError

REF = REFERENCE
ITEMS = [f"{t}{i}" for t in "ACENO" for i in range(1, 6)]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def pa3(bfi):
    """A quick parallel analysis of the bfi items (3 iterations), computed once for the tests
    that only render it."""
    return parallel_analysis(bfi[ITEMS], n_iter=3)


@pytest.fixture(scope="module")
def efa2(bfi):
    """A two-factor solution of the bfi items, computed once for the plotting tests."""
    return efa(bfi[ITEMS], n_factors=2)


@pytest.fixture(scope="module")
def harman74() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "harman74_cor.csv", index_col=0)


def golden(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, comment="#")


def factor_cols(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("factor_")]


def aligned(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Reorder and re-sign our columns to best match R's (a safety net: psych's own
    ordering and sign rules are implemented, and checked separately below)."""
    k = theirs.shape[1]
    out = np.empty_like(ours)
    used: set[int] = set()
    for j in range(k):
        cands = [c for c in range(k) if c not in used]
        best = min(cands, key=lambda c: min(np.abs(ours[:, c] - theirs[:, j]).max(),
                                            np.abs(-ours[:, c] - theirs[:, j]).max()))
        used.add(best)
        col = ours[:, best]
        out[:, j] = col if np.abs(col - theirs[:, j]).max() <= np.abs(-col - theirs[:, j]).max() else -col
    return out


# (method, rotation as in the R call, n_factors, dataset)
CASES = [
    ("minres", "oblimin", 3, "bfi"), ("minres", "oblimin", 5, "bfi"), ("minres", "none", 1, "bfi"),
    ("minres", "none", 5, "bfi"), ("minres", "promax", 5, "bfi"), ("minres", "varimax", 5, "bfi"),
    ("minres", "geominQ", 5, "bfi"), ("minres", "geominT", 5, "bfi"),
    ("ml", "varimax", 3, "bfi"), ("ml", "varimax", 5, "bfi"), ("ml", "oblimin", 5, "bfi"),
    ("pa", "varimax", 5, "bfi"), ("pa", "oblimin", 5, "bfi"),
    ("minres", "oblimin", 5, "bfi_listwise"),
    ("ml", "varimax", 4, "harman74"), ("minres", "oblimin", 4, "harman74"),
]


def run_case(method, rotation, k, dataset, bfi, harman74):
    if dataset == "harman74":
        return efa(harman74, n_factors=k, method=method, rotation=rotation, n_obs=145)
    missing = "listwise" if dataset == "bfi_listwise" else "pairwise"
    return efa(bfi[ITEMS], n_factors=k, method=method, rotation=rotation, missing=missing)


@pytest.mark.parametrize("method,rotation,k,dataset", CASES,
                         ids=["_".join(map(str, c)) for c in CASES])
def test_matches_psych_fa(method, rotation, k, dataset, bfi, harman74):
    stem = f"{method}_{rotation}_{k}_{dataset}"
    res = run_case(method, rotation, k, dataset, bfi, harman74)
    g = golden(f"loadings_{stem}.csv")
    theirs = g[factor_cols(g)].to_numpy()
    ours = res.loadings.to_numpy()
    assert list(res.loadings.index) == list(g["item"])
    assert list(res.loadings.columns) == [f"factor_{j + 1}" for j in range(k)]
    # the required tolerance, after aligning order and sign
    np.testing.assert_allclose(aligned(ours, theirs), theirs, atol=1e-3, rtol=0)
    # psych's sorting and sign conventions are reproduced, so no alignment is needed
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
    np.testing.assert_allclose(res.communalities, g["communality"], atol=1e-4)
    np.testing.assert_allclose(res.uniquenesses, g["uniqueness"], atol=1e-4)
    np.testing.assert_allclose(res.complexity, g["complexity"], atol=1e-3)
    v = golden(f"variance_{stem}.csv")
    cols = [c for c in v.columns if c != "factor"]
    np.testing.assert_allclose(res.variance[cols].to_numpy(), v[cols].to_numpy(), atol=1e-4)
    e = golden(f"eigenvalues_{stem}.csv")
    np.testing.assert_allclose(res.eigenvalues["eigenvalue"], e["eigenvalue"], atol=1e-8)
    np.testing.assert_allclose(res.eigenvalues["fa_eigenvalue"], e["fa_eigenvalue"], atol=1e-4)
    phi_file = REF / f"phi_{stem}.csv"
    if phi_file.exists():
        phi = golden(phi_file.name)
        assert res.factor_correlations is not None
        np.testing.assert_allclose(res.factor_correlations.to_numpy(), phi[factor_cols(phi)].to_numpy(),
                                   atol=1e-4)
        np.testing.assert_allclose(res.structure.to_numpy(),
                                   ours @ res.factor_correlations.to_numpy(), atol=1e-12)
    else:
        assert res.factor_correlations is None
        assert res.structure.equals(res.loadings)


@pytest.mark.parametrize("method,rotation,k,dataset", CASES,
                         ids=["_".join(map(str, c)) for c in CASES])
def test_fit_statistics_match_psych(method, rotation, k, dataset, bfi, harman74):
    res = run_case(method, rotation, k, dataset, bfi, harman74)
    g = golden(f"fit_{method}_{rotation}_{k}_{dataset}.csv").iloc[0]
    f = res.fit.iloc[0]
    assert f["df"] == g["df"] and f["null_df"] == g["null_df"] and f["n_obs"] == g["n_obs"]
    for col in ("objective", "chisq", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "bic",
                "null_chisq", "rms", "crms", "fit_off"):
        # the goldens keep R's names chi2/null_chi2; ours are chisq/null_chisq (glossary)
        assert f[col] == pytest.approx(g[col.replace("chisq", "chi2")], rel=1e-5), col
    # p-values are as small as 1e-264 here (or underflow to 0), so compare on the log scale
    if g["p_val"] == 0:
        assert f["p_val"] < 1e-300
    else:
        assert np.log(f["p_val"]) == pytest.approx(np.log(g["p_val"]), rel=1e-5)


def test_fit_without_n_obs_has_only_residual_statistics(harman74):
    f = efa(harman74, n_factors=2).fit.iloc[0]
    assert np.isnan(f["chisq"]) and np.isnan(f["rmsea"]) and f["rms"] > 0


def test_rotation_is_actually_applied(bfi):
    # guards against a silent break of the rotation kernel (e.g. returning its input)
    none = efa(bfi[ITEMS], n_factors=5, rotation="none").loadings.to_numpy()
    for rot in ("varimax", "oblimin", "promax", "geomin_obl", "geomin_ort"):
        rotated = efa(bfi[ITEMS], n_factors=5, rotation=rot).loadings.to_numpy()
        assert np.abs(rotated - none).max() > 0.1, rot


def test_psych_rotation_aliases_and_unknown(bfi):
    a = efa(bfi[ITEMS], n_factors=3, rotation="geominQ").loadings
    b = efa(bfi[ITEMS], n_factors=3, rotation="geomin_obl").loadings
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(AnalysisError, match="Unknown rotation 'quartimoo'"):
        efa(bfi[ITEMS], n_factors=3, rotation="quartimoo")
    with pytest.raises(AnalysisError, match="Unknown extraction method"):
        efa(bfi[ITEMS], n_factors=3, method="wls")


def test_kmo_matches_psych(bfi):
    for missing in ("pairwise", "listwise"):
        g = golden(f"kmo_{missing}_bfi.csv")
        res = kmo(bfi[ITEMS], missing=missing)
        assert res.overall == pytest.approx(g["msa"].iloc[0], abs=1e-10)
        np.testing.assert_allclose(res.per_item.to_numpy(), g["msa"].iloc[1:], atol=1e-10)
        assert list(res.summary["item"]) == ["overall", *ITEMS]
        assert res.missing == missing
        assert missing in res._notes()[-1]


def test_bartlett_matches_psych(bfi):
    g = golden("bartlett_bfi.csv").set_index("missing")
    for missing in ("pairwise", "listwise"):
        res = bartlett(bfi[ITEMS], missing=missing)
        assert res.chisq == pytest.approx(g.loc[missing, "chi2"], rel=1e-10)
        assert res.df == g.loc[missing, "df"]
        assert res.n_obs == g.loc[missing, "n_obs"]
        assert res.p_val == pytest.approx(g.loc[missing, "p_val"], abs=1e-300)


def test_pairwise_correlations_equal_pandas(bfi):
    # pandas' DataFrame.corr uses pairwise-complete observations like R's cor(use="pairwise")
    ours = correlation_matrix(bfi[ITEMS])
    np.testing.assert_allclose(ours.to_numpy(), bfi[ITEMS].corr().to_numpy(), atol=1e-12)
    lw = correlation_matrix(bfi[ITEMS], missing="listwise")
    np.testing.assert_allclose(lw.to_numpy(), bfi[ITEMS].dropna().corr().to_numpy(), atol=1e-12)


def test_parallel_analysis_matches_psych(bfi):
    g = golden("parallel_minres_bfi.csv")
    res = parallel_analysis(bfi[ITEMS], n_iter=100, seed=42)
    e = res.eigenvalues
    # observed eigenvalues are deterministic
    np.testing.assert_allclose(e["observed_pc"], g["observed_pc"], atol=1e-10)
    np.testing.assert_allclose(e["observed_fa"], g["observed_fa"], atol=1e-5)
    # psych: "the number of factors = 6 and the number of components = 6"
    assert (res.n_factors, res.n_components) == (g["n_factors"][0], g["n_components"][0]) == (6, 6)
    # random parts differ from R only by simulation error (first factor value is a mix of
    # Heywood and proper one-factor fits on random data, so it is left out)
    np.testing.assert_allclose(e["simulated_pc_mean"], g["simulated_pc_mean"], atol=0.01)
    np.testing.assert_allclose(e["simulated_pc_quantile"], g["simulated_pc_q95"], atol=0.015)
    np.testing.assert_allclose(e["simulated_fa_mean"][1:], g["simulated_fa_mean"][1:], atol=0.01)
    np.testing.assert_allclose(e["simulated_fa_quantile"][1:], g["simulated_fa_q95"][1:], atol=0.015)
    assert res.n_iter == 100 and res.quantile == 0.95 and res.seed == 42
    notes = " ".join(res._notes())
    assert "100 iterations" in notes and "0.95 quantile" in notes and "seed = 42" in notes


def test_parallel_analysis_resampled_and_seeded(bfi):
    a = parallel_analysis(bfi[ITEMS], n_iter=5, seed=3, reference="resample", kind="fa")
    b = parallel_analysis(bfi[ITEMS], n_iter=5, seed=3, reference="resample", kind="fa")
    pd.testing.assert_frame_equal(a.eigenvalues, b.eigenvalues)
    assert a.n_factors == 6 and a.n_components is None
    assert "observed_pc" not in a.eigenvalues
    c = parallel_analysis(bfi[ITEMS], n_iter=5, seed=4, reference="resample", kind="fa")
    assert not a.eigenvalues.equals(c.eigenvalues)


def test_efa_chooses_n_factors_by_parallel_analysis(bfi):
    res = efa(bfi[ITEMS], method="minres")
    assert res.n_factors == 6
    assert res.parallel is not None and res.parallel.n_factors == 6
    assert any("parallel analysis" in line for line in res._notes())


def test_missing_handling_is_stated(bfi):
    pw = efa(bfi[ITEMS], n_factors=5)
    lw = efa(bfi[ITEMS], n_factors=5, missing="listwise")
    assert pw.n_obs == 2800 and lw.n_obs == 2436
    assert "pairwise deletion" in pw._notes()[-1]
    assert "listwise deletion, 2436 of 2800 cases used (364 dropped)" in lw._notes()[-1]
    # pairwise and listwise really differ
    assert np.abs(pw.loadings.to_numpy() - lw.loadings.to_numpy()).max() > 1e-3


def heywood_corr() -> pd.DataFrame:
    # positive definite, but one factor needs a loading of x1 = sqrt(.8 * .8 / .6) > 1
    r = np.array([[1.0, 0.8, 0.8, 0.5], [0.8, 1.0, 0.6, 0.4], [0.8, 0.6, 1.0, 0.4],
                  [0.5, 0.4, 0.4, 1.0]])
    names = ["x1", "x2", "x3", "x4"]
    return pd.DataFrame(r, index=names, columns=names)


@pytest.mark.parametrize("method", ["minres", "ml", "pa"])
def test_heywood_case_warns_and_is_not_clipped(method):
    with pytest.warns(HeywoodCaseWarning, match="x1"):
        res = efa(heywood_corr(), n_factors=1, method=method, n_obs=200)
    assert res.heywood_items == ("x1",)
    if method == "pa":
        # principal axis is unbounded: the improper communality is reported as estimated
        assert res.communalities["x1"] > 1
        assert res.uniquenesses["x1"] < 0
    assert any("Heywood" in line for line in res._notes())


def test_no_heywood_warning_on_bfi(bfi):
    with warnings.catch_warnings():
        warnings.simplefilter("error", HeywoodCaseWarning)
        res = efa(bfi[ITEMS], n_factors=5)
    assert res.heywood_items == ()


def test_errors_are_readable(bfi):
    with pytest.raises(AnalysisError, match="at most 18"):
        efa(bfi[ITEMS], n_factors=19)
    with pytest.raises(AnalysisError, match="is not a number"):
        efa(bfi[ITEMS].assign(A1=["x"] * len(bfi)), n_factors=2)
    with pytest.raises(AnalysisError, match="no variance"):
        efa(bfi[ITEMS].assign(A1=1.0), n_factors=2)
    with pytest.raises(AnalysisError, match="not found"):
        efa(bfi, n_factors=2, items=["A1", "A2", "nope"])
    with pytest.raises(AnalysisError, match="n_obs"):
        parallel_analysis(heywood_corr())
    singular = heywood_corr()
    singular.iloc[0, 1] = singular.iloc[1, 0] = 0.99
    singular.iloc[0, 2] = singular.iloc[2, 0] = 0.99
    with pytest.raises(AnalysisError, match="positive-definite"):
        efa(singular, n_factors=1, method="ml", n_obs=100)


def test_result_objects_render(bfi, pa3, tmp_path):
    res = efa(bfi[ITEMS], n_factors=3, rotation="oblimin")
    s = res.summary
    assert list(s.columns) == ["item", "factor_1", "factor_2", "factor_3", "communality",
                               "uniqueness", "complexity"]
    assert "Exploratory factor analysis" in repr(res)
    d = res.to_dict()
    assert d["n_factors"] == 3 and d["factor_correlations"][0]["factor"] == "factor_1"
    assert d["heywood_items"] == [] and d["missing"] == "pairwise"
    assert "<h4>" in res._repr_html_()
    assert pa3.to_dict()["n_iter"] == 3


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_scree_plot(pa3, efa2, tmp_path, suffix):
    out = scree_plot(pa3, tmp_path / f"scree{suffix}")
    assert out.exists() and out.stat().st_size > 1000
    assert efa2.plot(tmp_path / f"efa{suffix}").exists()


def test_scree_plot_bad_extension(efa2, tmp_path):
    with pytest.raises(OutputFileError, match=r"\.png or \.svg"):
        scree_plot(efa2, tmp_path / "scree.pdf")


def test_instrument_path():
    rng = np.random.default_rng(7)
    n = 300
    f = rng.normal(size=(n, 3))
    cols = {}
    from compassion_scales import load_instrument

    inst = load_instrument("fcs")
    scores = [s for s in inst.scores if not s.components][:3]
    for j, s in enumerate(scores):
        for item in inst.score_items(s.id):
            cols[item] = np.clip(np.round(2 + f[:, j] + rng.normal(size=n)), 0, 4)
    df = pd.DataFrame(cols)
    res = efa(df, n_factors=3, instrument="fcs")
    assert set(res.loadings.index) == set(cols)
    one = efa(df, n_factors=1, instrument="fcs", score=scores[0].id)
    assert list(one.loadings.index) == inst.score_items(scores[0].id)


# psych 2.2.9: r <- matrix(c(1,.8,.8,.5, .8,1,.6,.4, .8,.6,1,.4, .5,.4,.4,1), 4)
#              fa(r, 1, fm = fm, n.obs = 200)$loadings
PSYCH_HEYWOOD = {"minres": [1.00504, 0.78467, 0.78467, 0.50280],
                 "ml": [0.99750, 0.80152, 0.80152, 0.50121],
                 "pa": [1.01636, 0.78214, 0.78214, 0.50254]}


@pytest.mark.parametrize("method", ["minres", "ml", "pa"])
def test_heywood_solution_close_to_psych(method):
    with pytest.warns(HeywoodCaseWarning):
        res = efa(heywood_corr(), n_factors=1, method=method, n_obs=200)
    # at the uniqueness bound psych's optimiser stops a little early; ours reaches the optimum
    # of the same criterion, so boundary solutions agree to 1e-3 (interior ones to 1e-5)
    # at the uniqueness bound psych's optimiser stops early; ours reaches the optimum of the
    # same criterion, so boundary solutions agree to 1e-3 (interior ones to 1e-5)
    np.testing.assert_allclose(res.loadings["factor_1"], PSYCH_HEYWOOD[method],
                               atol=1e-3 if method == "minres" else 1e-4)


def test_old_call_styles_still_work_and_warn(bfi):
    """efa(data, 3) (0.1: the number of factors second) and nfactors= warn and still work."""
    new = efa(bfi[ITEMS], n_factors=3)
    with pytest.warns(FutureWarning, match="give `n_factors` by name"):
        old = efa(bfi[ITEMS], 3)
    pd.testing.assert_frame_equal(old.loadings, new.loadings)
    with pytest.warns(FutureWarning, match="`nfactors` is now called `n_factors`"):
        assert efa(bfi[ITEMS], nfactors=3).n_factors == 3
    with pytest.raises(TypeError, match="multiple values"):
        efa(bfi[ITEMS], 3, n_factors=2)
    b = bartlett(bfi[ITEMS])
    assert list(b.summary.columns[:3]) == ["chisq", "df", "p_val"]
    with pytest.warns(FutureWarning, match="chisq"):
        assert b.chi2 == b.chisq
