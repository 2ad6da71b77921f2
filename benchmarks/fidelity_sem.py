"""Worst differences from R (lavaan 0.6-14, psych 2.2.9, semTools 0.5-6) for issue 13's pieces.

Run from the repository root (needs no R; reads the golden files in tests/reference/)::

    python benchmarks/fidelity_sem.py

Prints one line per estimator/statistic with the largest absolute (or relative) difference
over every golden data set.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"
HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFI = {f: [f"{c}{i}" for i in range(1, 6)] for f, c in
       zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True)}
FCS = ("others =~ oth_1 + oth_2 + oth_3 + oth_4 + oth_5 + oth_6; from =~ from_1 + from_2 + from_3 + from_4 + "
       "from_5; self =~ self_1 + self_2 + self_3 + self_4 + self_5 + self_6 + self_7")


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / name)


def main() -> None:
    from compassion_scales.analyses.cfa import cfa
    from compassion_scales.analyses.correlations import polychoric
    from compassion_scales.analyses.efa import efa
    from compassion_scales.analyses.invariance import invariance
    from compassion_scales.analyses.model_omega import model_omega
    from compassion_scales.analyses.reliability import omega, reliability

    warnings.simplefilter("ignore")
    worst: dict[str, float] = {}

    def note(key: str, value: float) -> None:
        worst[key] = max(worst.get(key, 0.0), float(value))

    # polychoric with unequal categories (psych global = FALSE)
    uq = json.loads((REF / "polychoric_unequal_psych.json").read_text())
    for case in ("hs_cut_unequal", "fcs_sim_unequal"):
        c, d = uq[case], data(f"{case}.csv")
        note("polychoric rho (unequal categories), abs", np.abs(polychoric(d).to_numpy() - np.array(c["rho"])).max())
        note("ordinal alpha (unequal categories), abs",
             abs(reliability(d, n_boot=0, ordinal=True).summary["ordinal_alpha"].iloc[0] - c["ordinal_alpha"]))
        note("ordinal omega total (unequal categories), abs",
             abs(omega(d, n_factors=c["nfactors"], ordinal=True).iloc[0]["omega_total"] - c["omega_tot"]))
    # EFA ML Heywood: cscore objective minus psych's (<= 0 means at least psych's minimum)
    hey = json.loads((REF / "efa_heywood_psych.json").read_text())
    inputs = {"ability_5": (data("ability.csv"), None), "bfi_E_O_5": (data("bfi.csv").iloc[:, 10:20], None),
              "bfi_E_O_4": (data("bfi.csv").iloc[:, 10:20], None),
              "harman8_3": (pd.read_csv(REF / "data" / "harman8_cor.csv", index_col=0), 305),
              "harman_political_3": (pd.read_csv(REF / "data" / "harman_political_cor.csv", index_col=0), 147)}
    for case, (d, n) in inputs.items():
        res = efa(d, hey[case]["nfactors"], method="ml", rotation="none", n_obs=n)
        diff = float(res.fit["objective"].iloc[0]) - hey[case]["objective"]
        worst["EFA ML Heywood: max(objective - psych's)"] = max(worst.get(
            "EFA ML Heywood: max(objective - psych's)", -np.inf), diff)
    # MLR
    keys = {"chisq.scaled": "chisq_scaled", "chisq.scaling.factor": "scaling_factor",
            "baseline.chisq.scaling.factor": "baseline_scaling_factor"}
    idx = {"cfi.robust": "cfi_robust", "tli.robust": "tli_robust", "rmsea.robust": "rmsea_robust",
           "rmsea.ci.lower.robust": "rmsea_ci_low_robust", "rmsea.ci.upper.robust": "rmsea_ci_high_robust",
           "srmr": "srmr"}
    fits = {"cfa_mlr_hs.json": lambda: cfa(data("HolzingerSwineford1939.csv"), HS, estimator="MLR"),
            "cfa_mlr_stdlv_hs.json": lambda: cfa(data("HolzingerSwineford1939.csv"), HS, estimator="MLR",
                                                 std_lv=True),
            "cfa_mlr_bfi.json": lambda: cfa(data("bfi.csv"), BFI, estimator="MLR"),
            "cfa_mlr_fcs.json": lambda: cfa(data("fcs_sim_cfa.csv"), FCS, estimator="MLR"),
            "cfa_mlr_fiml_bfi.json": lambda: cfa(data("bfi.csv"), BFI, estimator="MLR", missing="fiml")}
    for name, make in fits.items():
        ref, res = json.loads((REF / name).read_text()), make()
        tag = "MLR FIML" if "fiml" in name else "MLR"
        for r, o in keys.items():
            note(f"{tag} {o}, relative", abs(res.fit[o] / ref["fit"][r] - 1))
        for r, o in idx.items():
            note(f"{tag} {o}, abs", abs(res.fit[o] - ref["fit"][r]))
        m = res.estimates.merge(pd.DataFrame(ref["params"]), on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
        free = m["se_ref"] > 0
        note(f"{tag} estimates, abs", np.abs(m["est"] - m["est_ref"]).max())
        note(f"{tag} sandwich SE, abs", np.abs(m["se"][free] - m["se_ref"][free]).max())
    for name, file, model, group, kw in [
            ("cfa_mlr_invariance_hs.json", "HolzingerSwineford1939.csv", HS, "school", {}),
            ("cfa_mlr_invariance_fcs.json", "fcs_sim_cfa.csv", FCS, "group", {}),
            ("cfa_mlr_fiml_invariance_hs.json", "hs_missing.csv", HS, "school",
             {"missing": "fiml", "steps": ["configural", "metric"]})]:
        ref = json.loads((REF / name).read_text())
        res = invariance(data(file), model, group=group, estimator="MLR", stop_at_failure=False,
                         configural_rmsea=0.10, refit_candidates=False, **kw)
        lrt = pd.DataFrame(ref["lrt"])
        t = res.summary
        ours, theirs = t["chisq_diff"][1:].to_numpy(), lrt["Chisq diff"][1:].astype(float).to_numpy()
        note("MLR invariance SB2001 scaled chisq diff, relative", np.abs(ours / theirs - 1).max())
        note("MLR invariance p of the difference, abs",
             np.abs(t["p_diff"][1:].to_numpy() - lrt["Pr(>Chisq)"][1:].astype(float).to_numpy()).max())
        for step, r in ref["fits"].items():
            row = t[t["step"] == step].iloc[0]
            note("MLR invariance per-step scaling factor, relative",
                 abs(row["scaling_factor"] / r["chisq.scaling.factor"] - 1))
            note("MLR invariance per-step robust CFI/RMSEA, abs",
                 max(abs(row["cfi_robust"] - r["cfi.robust"]), abs(row["rmsea_robust"] - r["rmsea.robust"])))
    om = json.loads((REF / "model_omega_semtools.json").read_text())
    for case, (file, model) in {"hs": ("HolzingerSwineford1939.csv", HS), "bfi": ("bfi.csv", BFI),
                                "fcs": ("fcs_sim_cfa.csv", FCS)}.items():
        res = model_omega(data(file), model, n_boot=0)
        note("model omega (compRelSEM), abs",
             np.abs(res["omega"].to_numpy() - np.array([om[case]["obs_var"][f] for f in res["factor"]])).max())
    for k, v in worst.items():
        print(f"{k:60s} {v:.2e}")


if __name__ == "__main__":
    main()
