"""Ordinal measurement invariance (WLSMV, Wu & Estabrook 2016) against lavaan 0.6-14 + semTools
(fixtures from tests/reference/invariance_ordinal.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.analyses.invariance import invariance
from compassion_scales.analyses.ordinal_invariance import OrdinalInvarianceResult
from compassion_scales.errors import AnalysisError
from compassion_scales.stats.ordinal_invariance import (
    fit_multigroup_dwls,
    satorra2000_scaled_shifted,
    wu_estabrook_model,
)
from compassion_scales.stats.ordinal_sem import polychoric_nacov

REF = REFERENCE
HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
ITEMS = [f"x{i}" for i in range(1, 10)]
GOLD = json.loads((REF / "invariance_ordinal_hs.json").read_text())
DATA = pd.read_csv(REF / "data" / "hs_ordinal.csv")
STEP_EQ = {"configural": (), "thresholds": ("thresholds",), "loadings": ("thresholds", "loadings")}
# ours -> lavaan's fitMeasures names
FIT_KEYS = {"npar": "npar", "chisq": "chisq", "df": "df", "p_val": "pvalue", "chisq_scaled": "chisq.scaled",
            "p_val_scaled": "pvalue.scaled", "chisq_scaling_factor": "chisq.scaling.factor",
            "baseline_chisq": "baseline.chisq", "baseline_chisq_scaled": "baseline.chisq.scaled",
            "cfi": "cfi", "tli": "tli", "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled",
            "rmsea": "rmsea", "rmsea_scaled": "rmsea.scaled"}
RELATIVE = {"chisq", "chisq_scaled", "baseline_chisq", "baseline_chisq_scaled"}


@pytest.fixture(scope="module")
def fits() -> dict:
    ncat = [int(DATA[c].nunique()) for c in ITEMS]
    stats = [polychoric_nacov(DATA.loc[DATA.school == g, ITEMS].to_numpy() - 1, ncat) for g in GOLD["group_levels"]]
    pattern = np.zeros((9, 3), dtype=bool)
    pattern[np.arange(9), np.arange(9) // 3] = True
    out = {}
    for step, eq in STEP_EQ.items():
        model, names = wu_estabrook_model(pattern, [k - 1 for k in ncat], 2, eq)
        out[step] = fit_multigroup_dwls(stats, model, names)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("step", list(STEP_EQ))
def test_fit_measures_match_lavaan(fits: dict, step: str) -> None:
    res, ref = fits[step], GOLD[step]["fit"]
    assert res["converged"]
    for ours, theirs in FIT_KEYS.items():
        want = ref[theirs]
        tol = 1e-4 * abs(want) if ours in RELATIVE else 1e-4
        assert res["fit"][ours] == pytest.approx(want, abs=tol), (step, ours)
    ss = GOLD[step]["scaled_shifted"]
    assert res["fit"]["trace_ugamma"] == pytest.approx(ss["trace.UGamma"], rel=1e-4)
    assert res["fit"]["trace_ugamma2"] == pytest.approx(ss["trace.UGamma2"], rel=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize(("key", "a", "b"), [("thresholds_vs_configural", "configural", "thresholds"),
                                             ("loadings_vs_thresholds", "thresholds", "loadings")])
def test_scaled_shifted_difference_matches_lavtestlrt(fits: dict, key: str, a: str, b: str) -> None:
    d, ref = satorra2000_scaled_shifted(fits[a], fits[b]), GOLD["lrt"][key]
    assert d["chisq_diff"] == pytest.approx(ref["chisq_diff"], rel=1e-4)
    assert d["df_diff"] == ref["df_diff"]
    assert d["p_val"] == pytest.approx(ref["p"], abs=1e-4)


@pytest.mark.slow
def test_invariance_api_ordered() -> None:
    res = invariance(DATA, HS, group="school", ordered=True)
    assert isinstance(res, OrdinalInvarianceResult)
    t = res.summary
    assert list(t["step"]) == ["configural", "thresholds", "metric"]
    assert res.group_labels == ("Pasteur", "Grant-White")
    for row, step in zip(t.itertuples(), ["configural", "thresholds", "loadings"], strict=True):
        ref = GOLD[step]["fit"]
        assert row.chisq_scaled == pytest.approx(ref["chisq.scaled"], rel=1e-4)
        assert row.cfi_scaled == pytest.approx(ref["cfi.scaled"], abs=1e-4)
        assert row.rmsea_scaled == pytest.approx(ref["rmsea.scaled"], abs=1e-4)
    assert t["chisq_diff"].iloc[1] == pytest.approx(GOLD["lrt"]["thresholds_vs_configural"]["chisq_diff"], rel=1e-4)
    assert t["chisq_diff"].iloc[2] == pytest.approx(GOLD["lrt"]["loadings_vs_thresholds"]["chisq_diff"], rel=1e-4)
    assert t["p_diff"].iloc[2] == pytest.approx(GOLD["lrt"]["loadings_vs_thresholds"]["p"], abs=1e-4)
    assert res.highest_level == "metric"
    assert any("Wu & Estabrook (2016)" in line for line in res._notes())
    assert res.to_dict()["highest_level"] == "metric"
    # estimator="WLSMV" alone treats the items as ordered
    res2 = invariance(DATA, HS, group="school", estimator="WLSMV", steps=["configural", "thresholds"])
    assert list(res2.summary["step"]) == ["configural", "thresholds"]


@pytest.mark.parametrize("kwargs", [{"steps": ["configural", "metric", "scalar"]},
                                    {"steps": ["configural", "strict"]},
                                    {"estimator": "ULSMV"},
                                    {"missing": "fiml"}])
def test_unavailable_ordinal_options_raise(kwargs: dict) -> None:
    kw = {"ordered": True, **kwargs}
    with pytest.raises(AnalysisError, match="not available|only"):
        invariance(DATA, HS, group="school", **kw)


def test_ordinal_residual_covariances_not_available() -> None:
    with pytest.raises(AnalysisError, match="residual covariances"):
        invariance(DATA, HS + "\n x7 ~~ x8", group="school", ordered=True)


def test_empty_category_in_a_group_raises() -> None:
    df = DATA.copy()
    df.loc[(df.school == "Pasteur") & (df.x1 == 4), "x1"] = 3
    with pytest.raises(AnalysisError, match="nobody chose"):
        invariance(df, HS, group="school", ordered=True)


@pytest.mark.slow
def test_cli_invariance_ordered() -> None:
    from click.testing import CliRunner

    from compassion_scales.cli import main

    path = str(REF / "data" / "hs_ordinal.csv")
    model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    r = CliRunner().invoke(main, ["factors", "invariance", path, "--model", model, "--group", "school",
                                  "--ordered", "--format", "csv", "-q"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("step,equal,npar,chisq,df")
    assert [ln.split(",")[0] for ln in lines[1:4]] == ["configural", "thresholds", "metric"]
    bad = CliRunner().invoke(main, ["factors", "invariance", path, "--model", model, "--group", "school",
                                    "--ordered", "--estimator", "MLR"])
    assert bad.exit_code != 0
    assert bad.output == "Error: --ordered invariance is available with --estimator WLSMV only.\n"
