"""The FIML kernels of the SEM engine (#16): the analytic observed information against central
differences of the analytic gradient, and the batched pattern computations (padded stacks and
low-rank updates) against plain per-pattern loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.stats.sem import em_saturated, missing_patterns, parse_model, sample_moments
from compassion_scales.stats.sem.fit import fit_sem
from compassion_scales.stats.sem.patterns import PatternStack, pattern_loglik, split_patterns

HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
ITEMS = [f"x{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def hs_missing() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / "hs_missing.csv")


def _groups(df: pd.DataFrame, group: str | None) -> list[np.ndarray]:
    X = df[ITEMS].to_numpy(float)
    if group is None:
        return [X]
    return [X[(df[group] == g).to_numpy()] for g in sorted(df[group].unique())]


CASES = {
    "one group, marker": ({}, None, True),
    "one group, std.lv": ({"std_lv": True}, None, True),
    "two groups, loadings and intercepts equal": ({"equal": ("loadings", "intercepts")}, "school", True),
    "two groups, std.lv, loadings equal, one released": (
        {"std_lv": True, "equal": ("loadings",), "released": (("visual=~x2", 1),)}, "school", True),
    "complete data, ML with means": ({}, "school", False),
    "complete data, ML without means": ({"meanstructure": False}, None, False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_analytic_observed_information_equals_numerical(hs_missing, name):
    options, group, fiml = CASES[name]
    options = {"meanstructure": True, **options}
    data = _groups(hs_missing if fiml else hs_missing.dropna(subset=ITEMS), group)
    samples = [sample_moments(X, ITEMS, fiml=fiml) for X in data]
    eng, out = fit_sem(parse_model(HS), samples, estimates=False, **options)
    for x in (out["x"], out["x"] + 0.02 * np.cos(np.arange(eng.nfree))):  # at the optimum and away from it
        analytic, numeric = eng.observed_information(x), eng._observed_information_numeric(x)
        assert np.max(np.abs(analytic - numeric)) <= 1e-6 * np.max(np.abs(numeric))


def test_analytic_observed_information_of_an_mlr_fiml_fit(hs_missing):
    data = _groups(hs_missing, "school")
    samples = [sample_moments(X, ITEMS, fiml=True) for X in data]
    eng, out = fit_sem(parse_model(HS), samples, meanstructure=True, equal=("loadings",), estimator="MLR",
                       raw=[X[~np.isnan(X).all(axis=1)] for X in data], estimates=False)
    analytic, numeric = eng.observed_information(out["x"]), eng._observed_information_numeric(out["x"])
    assert np.max(np.abs(analytic - numeric)) <= 1e-6 * np.max(np.abs(numeric))
    # the sandwich was built on the analytic information
    assert np.all(np.isfinite(out["vcov"])) and out["fit"]["chisq_scaled"] > 0


def _sparse_data(seed: int = 3, n: int = 400, p: int = 10) -> np.ndarray:
    """Normal data with rows missing 0 to p - 2 items (low-rank and padded patterns both)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(p, p)) * 0.4 + np.eye(p)
    X = rng.normal(size=(n, p)) @ A.T + np.arange(p)
    drop = rng.choice([0, 1, 2, 3, p - 2], n, p=[0.5, 0.2, 0.1, 0.1, 0.1])
    for i, k in enumerate(drop):
        X[i, rng.choice(p, k, replace=False)] = np.nan
    return X


def _loglik_loop(pats, mu: np.ndarray, Sig: np.ndarray) -> float:
    total = 0.0
    for o, n, m, S in pats:
        So = Sig[np.ix_(o, o)]
        Si = np.linalg.inv(So)
        d = m - mu[o]
        total += -0.5 * n * (len(o) * np.log(2 * np.pi) + np.linalg.slogdet(So)[1] + np.sum(Si * S) + d @ Si @ d)
    return total


def test_pattern_loglik_low_rank_and_padded_agree_with_a_loop():
    X = _sparse_data()
    pats = missing_patterns(X)
    stack = PatternStack.of(pats, X.shape[1])
    mu, Sig = np.nanmean(X, axis=0), np.cov(np.nan_to_num(X - np.nanmean(X, axis=0)).T) + np.eye(X.shape[1])
    ref = _loglik_loop(pats, mu, Sig)
    for rmax in (-1, 3, X.shape[1]):  # all padded, mixed, all low-rank
        assert pattern_loglik(split_patterns(stack, rmax), mu, Sig) == pytest.approx(ref, rel=1e-12)


def _em_loop(X: np.ndarray, iters: int = 5000, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """EM by a plain loop over cases (the textbook algorithm)."""
    n, p = X.shape
    mu, Sig = np.nanmean(X, axis=0), np.diag(np.nanvar(X, axis=0))
    for _ in range(iters):
        T1, T2 = np.zeros(p), np.zeros((p, p))
        for y in X:
            o, m = ~np.isnan(y), np.isnan(y)
            x, C = y.copy(), np.zeros((p, p))
            if m.any():
                B = Sig[np.ix_(m, o)] @ np.linalg.inv(Sig[np.ix_(o, o)])
                x[m] = mu[m] + B @ (y[o] - mu[o])
                C[np.ix_(m, m)] = Sig[np.ix_(m, m)] - B @ Sig[np.ix_(o, m)]
            T1 += x
            T2 += np.outer(x, x) + C
        mu_new = T1 / n
        Sig_new = T2 / n - np.outer(mu_new, mu_new)
        done = max(np.abs(mu_new - mu).max(), np.abs(Sig_new - Sig).max()) < tol
        mu, Sig = mu_new, Sig_new
        if done:
            break
    return mu, Sig


def test_em_saturated_matches_a_casewise_loop():
    X = _sparse_data(n=300, p=8)
    mu, Sig, ll, converged = em_saturated(X, missing_patterns(X))
    mu_ref, Sig_ref = _em_loop(X)
    assert converged
    np.testing.assert_allclose(mu, mu_ref, atol=1e-9)
    np.testing.assert_allclose(Sig, Sig_ref, atol=1e-9)
    assert ll == pytest.approx(_loglik_loop(missing_patterns(X), mu_ref, Sig_ref), rel=1e-10)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_fiml_item_answered_by_four_people_is_refused_in_words(estimator):
    # y2 answered by 4 of 120: EM's covariance matrix turns singular (numpy's LinAlgError "Matrix is
    # not positive definite" reached the user). lavaan reports a fit with warnings about coverage and
    # the EM matrix's smallest eigenvalue (Rscript tests/reference/cfa_fiml_sparse_item.R)
    import json

    from compassion_scales.analyses.cfa import cfa
    from compassion_scales.errors import AnalysisError

    ref = json.loads((REFERENCE / "cfa_fiml_sparse_item.json").read_text())
    assert any("smaller than 1e-05" in w for w in ref["warnings"])
    df = pd.read_csv(REFERENCE / "data" / "ordinal_edges_n120.csv").astype(float)
    df["y2"] = np.nan
    df.loc[:3, "y2"] = [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(AnalysisError, match=r"became singular.*\(y2: 4 answers, of 120\)"):
        cfa(df, "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8", estimator=estimator, missing="fiml")
