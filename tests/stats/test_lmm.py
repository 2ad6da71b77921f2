"""Random-intercept LMM kernel (compassion_scales.stats.lmm) against lme4::lmer goldens.

Goldens: tests/reference/lmm.R (lmm_*.json) and flows.R (flows_lmm_sai.json).
"""
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.analyses.flows import flows
from compassion_scales.errors import AnalysisError, MissingDataWarning
from compassion_scales.stats.lmm import random_intercept_lmm

REF = REFERENCE
TOL = 1e-6
FLOWS = {"self": "self", "to_others": "to_others", "from_others": "from_others"}


def _load(name):
    return json.loads((REF / name).read_text())


def _check(fit_or_frame, attrs, ref, tol=TOL):
    est = fit_or_frame["estimate"].to_numpy()
    se = fit_or_frame["se"].to_numpy()
    np.testing.assert_allclose(est, ref["estimate"], rtol=0, atol=tol)
    np.testing.assert_allclose(se, ref["se"], rtol=0, atol=tol)
    assert attrs["residual_var"] == pytest.approx(ref["sigma"] ** 2, abs=tol)
    assert attrs["random_intercept_var"] == pytest.approx(ref["var_id"], abs=tol)


@pytest.fixture(scope="module")
def sim():
    return pd.read_csv(REF / "data" / "lmm_sim.csv")


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_flows_group_time_model_matches_lmer(sim, method):
    ref = _load(f"lmm_{method}_sim.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        res = flows(sim, scores=FLOWS, group="arm", time="time", id="id", reml=method == "reml")
    assert res.mixed_model_formula == "value ~ flow * group * time + (1 | subject)"
    assert len(res.mixed_model) == len(ref["term"]) == 27
    # R names flow1:arm2:time1 = flow[self]:group[tau]:time[1]: same order, first factor fastest
    assert res.mixed_model["term"].iloc[-1] == "flow[to_others]:group[tau]:time[2]"
    _check(res.mixed_model, res.mixed_model_terms.attrs, ref)
    assert ("REML" if method == "reml" else "ML") in " ".join(res._notes())


def _sai():
    d = pd.read_csv(REF / "data" / "sai_xray.csv")
    scales = {"calm_sum": ["calm", "secure", "at.ease", "relaxed", "rested", "comfortable"],
              "tension_sum": ["tense", "nervous", "jittery", "high.strung"],
              "worry_sum": ["worrying", "worried", "upset", "regretful", "rattled"]}
    for sid, items in scales.items():
        d[sid] = d[items].sum(axis=1, min_count=len(items))
    return d


@pytest.mark.parametrize("name, reml", [("flows_lmm_sai.json", True), ("lmm_ml_sai.json", False)])
def test_flows_sai_matches_lmer(name, reml):
    from compassion_scales.instrument import load_instrument

    inst = load_instrument(REF / "data" / "sai_three_flows.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        res = flows(_sai(), inst, time="time", id="id", reml=reml)
    _check(res.mixed_model, res.mixed_model_terms.attrs, _load(name))


def test_flows_mixed_model_intervals_honour_level():
    """Issue #16: the fixed-effect CIs follow `level` (lme4 confint(method = "Wald"))."""
    from compassion_scales.instrument import load_instrument

    ref = _load("lmm_ml_sai_wald90.json")
    inst = load_instrument(REF / "data" / "sai_three_flows.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        res = flows(_sai(), inst, time="time", id="id", reml=False, level=0.90)
        wide = flows(_sai(), inst, time="time", id="id", reml=False)
    assert len(ref["ci_low"]) == len(res.mixed_model) == 6
    np.testing.assert_allclose(res.mixed_model["ci_low"], ref["ci_low"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.mixed_model["ci_high"], ref["ci_high"], rtol=0, atol=TOL)
    assert (wide.mixed_model["ci_high"] > res.mixed_model["ci_high"]).all()


def _design(long, factors):
    """Sum-coded full-factorial design, R's column order (for kernel-level tests)."""
    import itertools

    cols, names = [np.ones(len(long))], ["(Intercept)"]
    coded = {}
    for f in factors:
        lv = sorted(long[f].unique(), key=str) if f != "flow" else list(FLOWS)
        c = pd.Categorical(long[f], categories=lv).codes
        k = len(lv)
        coded[f] = np.vstack([np.eye(k - 1), -np.ones((1, k - 1))])[c]
    for r in range(1, len(factors) + 1):
        for combo in itertools.combinations(factors, r):
            block = list(coded[combo[0]].T)
            for f in combo[1:]:
                block = [a * b for b in coded[f].T for a in block]
            cols += block
            names += [":".join(combo)] * len(block)
    return np.column_stack(cols)


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_kernel_theta_loglik_match_lmer(sim, method):
    ref = _load(f"lmm_{method}_sim.json")
    long = sim.melt(id_vars=["id", "arm", "time"], value_vars=list(FLOWS), var_name="flow").dropna()
    X = _design(long, ["flow", "arm", "time"])
    fit = random_intercept_lmm(long["value"].to_numpy(), X, long["id"].to_numpy(), reml=method == "reml")
    assert fit.n_obs == ref["n_obs"] and fit.reml is (method == "reml")
    assert fit.theta == pytest.approx(ref["theta"], abs=TOL)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=TOL)
    assert fit.criterion == pytest.approx(-2 * ref["loglik"], abs=2 * TOL)
    np.testing.assert_allclose(fit.beta, ref["estimate"], rtol=0, atol=TOL)
    np.testing.assert_allclose(fit.se, ref["se"], rtol=0, atol=TOL)
    assert fit.tau2 == pytest.approx(fit.sigma2 * fit.theta ** 2)


def test_kernel_singular_fit_at_zero():
    ref = _load("lmm_reml_singular.json")
    d = pd.read_csv(REF / "data" / "lmm_singular.csv")
    x = np.where(d["time"] == 1, 1.0, -1.0)
    fit = random_intercept_lmm(d["value"].to_numpy(), np.column_stack([np.ones(len(d)), x]), d["id"])
    assert fit.theta == 0.0 and fit.tau2 == 0.0
    np.testing.assert_allclose(fit.beta, ref["estimate"], atol=TOL)
    np.testing.assert_allclose(fit.se, ref["se"], atol=TOL)
    assert fit.sigma2 == pytest.approx(ref["sigma"] ** 2, abs=TOL)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=TOL)


def test_kernel_group_labels_and_row_order_do_not_matter(sim):
    long = sim.melt(id_vars=["id", "arm", "time"], value_vars=list(FLOWS), var_name="flow").dropna()
    X = _design(long, ["flow", "time"])
    y = long["value"].to_numpy()
    a = random_intercept_lmm(y, X, long["id"].to_numpy())
    perm = np.random.default_rng(0).permutation(len(y))
    b = random_intercept_lmm(y[perm], X[perm], ("p" + long["id"].astype(str)).to_numpy()[perm])
    np.testing.assert_allclose(a.beta, b.beta, atol=1e-9)
    assert a.theta == pytest.approx(b.theta, abs=1e-7)


def test_kernel_rejects_bad_input():
    X = np.column_stack([np.ones(6), [1, 1, 1, 1, 1, 1]])
    with pytest.raises(ValueError, match="rank deficient"):
        random_intercept_lmm(np.arange(6.0), X, [1, 1, 2, 2, 3, 3])
    with pytest.raises(ValueError, match="missing"):
        random_intercept_lmm(np.array([1.0, np.nan, 3]), np.ones((3, 1)), [1, 2, 3])
    with pytest.raises(ValueError, match="same number"):
        random_intercept_lmm(np.ones(3), np.ones((2, 1)), [1, 2, 3])


def test_flows_empty_cell_is_an_analysis_error(sim):
    d = sim.copy()
    d.loc[(d["arm"] == "wait") & (d["time"] == 3), list(FLOWS)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        with pytest.raises(AnalysisError, match="cannot be fitted"):
            flows(d, scores=FLOWS, group="arm", time="time", id="id")
