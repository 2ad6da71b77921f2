"""Model-based omega against semTools::compRelSEM (tests/reference/model_omega.R)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

import compassion_scales as cs
from compassion_scales.analyses.model_omega import model_omega
from compassion_scales.errors import AnalysisError

REF = REFERENCE
OM = json.loads((REF / "model_omega_semtools.json").read_text())
MODELS = {
    "hs": ("HolzingerSwineford1939.csv", "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"),
    "bfi": ("bfi.csv", {f: [f"{c}{i}" for i in range(1, 6)] for f, c in
                        zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True)}),
    "fcs": ("fcs_sim_cfa.csv", "others =~ oth_1 + oth_2 + oth_3 + oth_4 + oth_5 + oth_6; "
                               "from =~ from_1 + from_2 + from_3 + from_4 + from_5; "
                               "self =~ self_1 + self_2 + self_3 + self_4 + self_5 + self_6 + self_7"),
}


@pytest.mark.parametrize("case", list(MODELS))
def test_omega_matches_compRelSEM(case):
    file, model = MODELS[case]
    d = pd.read_csv(REF / "data" / file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs = model_omega(d, model, n_boot=0)
        imp = model_omega(d, model, n_boot=0, obs_var=False)
    ref = OM[case]
    # bfi: lavaan's estimates are 2.5e-5 from the exact optimum (its looser tolerance), omega 3e-6
    np.testing.assert_allclose(obs["omega"], [ref["obs_var"][f] for f in obs["factor"]], atol=1e-5)
    np.testing.assert_allclose(imp["omega"], [ref["model_var"][f] for f in imp["factor"]], atol=1e-5)
    assert obs["ci_low"].isna().all() and (obs["n_boot"] == 0).all()


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    d = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    model = MODELS["hs"][1]
    a = model_omega(d, model, n_boot=30, seed=5)
    b = model_omega(d, model, n_boot=30, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert (a["ci_low"] < a["omega"]).all() and (a["omega"] < a["ci_high"]).all()
    assert (a["n_boot"] == 30).all() and "percentile bootstrap" in a.attrs["method"]
    assert cs.model_omega is model_omega
    with pytest.raises(AnalysisError, match="level must lie between 0 and 1"):
        model_omega(d, model, level=95)


def test_old_ci_keyword_still_works_with_a_future_warning():
    d = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    model = MODELS["hs"][1]
    new = model_omega(d, model, n_boot=10, seed=2, level=0.9)
    with pytest.warns(FutureWarning, match="`ci` is now called `level`"):
        old = model_omega(d, model, n_boot=10, seed=2, ci=0.9)
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(TypeError, match="give `level` only"):
        model_omega(d, model, n_boot=0, ci=0.9, level=0.9)
