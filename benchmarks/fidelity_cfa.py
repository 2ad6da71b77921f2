"""Worst differences of the ML CFA, invariance and model omega from lavaan 0.6-14 / semTools.

Run from the repository root (needs no R; reads the golden files in tests/reference/)::

    python benchmarks/fidelity_cfa.py

Covers the HS (marker, std.lv), bfi, bfi FIML and HS MLR CFAs (fit measures, estimates,
standard errors, standardised values and their SEs, modification indices), the four HS
invariance steps, lavTestScore for the scalar intercepts, the partial refit with x3~1
released, and compRelSEM's omega. The robust and ordinal pieces are in ``fidelity_sem.py``.
"""
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from compassion_scales.analyses.cfa import cfa
from compassion_scales.analyses.invariance import invariance
from compassion_scales.analyses.model_omega import model_omega

warnings.simplefilter("ignore")
REF = Path(__file__).resolve().parents[1] / "tests" / "reference"
HS = pd.read_csv(REF / "data/HolzingerSwineford1939.csv")
BFI = pd.read_csv(REF / "data/bfi.csv")
HSM = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFIM = {f: [f"{c}{i}" for i in range(1, 6)] for f, c in
        zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True)}
worst: dict[str, float] = {}


def upd(key, val):
    if np.isfinite(val):
        worst[key] = max(worst.get(key, 0.0), float(val))


def compare(res, ref, grouped=None):
    f, r = res.fit, ref["fit"]
    upd("chisq (relative)", abs(f["chisq"] / r["chisq"] - 1) if r["chisq"] else abs(f["chisq"]))
    for a, b in [("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"), ("srmr", "srmr")]:
        if b in r and r[b] is not None:
            upd(a, abs(f[a] - r[b]))
    est = res.estimates.copy()
    keys = ["lhs", "op", "rhs"]
    if grouped:
        est["group"] = est["group"].map(grouped)
        keys = keys + ["group"]
    m = est.merge(pd.DataFrame(ref["params"]), on=keys, suffixes=("", "_ref"))
    upd("est", np.nanmax(np.abs(m["est"] - m["est_ref"])))
    free = m["se_ref"] > 0
    upd("se", np.nanmax(np.abs(m["se"][free] - m["se_ref"][free])))
    m = est.merge(pd.DataFrame(ref["std"]), on=keys, suffixes=("", "_ref"))
    upd("std_all", np.nanmax(np.abs(m["std_all"] - m["est.std"])))
    fr = m["se_ref"] > 0
    upd("std_se", np.nanmax(np.abs(m["std_se"][fr] - m["se_ref"][fr])))
    if "mi" in ref and len(res.modification_indices):
        mi = res.modification_indices.copy()
        if grouped:
            mi["group"] = mi["group"].map(grouped)
        m = mi.merge(pd.DataFrame(ref["mi"]), on=keys, suffixes=("", "_ref"))
        upd("mi", np.nanmax(np.abs(m["mi"] - m["mi_ref"])))
        upd("epc", np.nanmax(np.abs(m["epc"] - m["epc_ref"])))




def ld(name):
    return json.loads((REF / name).read_text())


compare(cfa(HS, HSM), ld("cfa_ml_marker_hs.json"))
compare(cfa(HS, HSM, std_lv=True), ld("cfa_ml_stdlv_hs.json"))
compare(cfa(BFI, BFIM), ld("cfa_ml_marker_bfi.json"))
compare(cfa(BFI, BFIM, missing="fiml"), ld("cfa_fiml_marker_bfi.json"))
compare(cfa(HS, HSM, estimator="MLR"), ld("cfa_mlr_hs.json"))
gm = {"Pasteur": 1, "Grant-White": 2}
full = invariance(HS, HSM, group="school", configural_rmsea=0.10, stop_at_failure=False)
for step in ["configural", "metric", "scalar", "strict"]:
    compare(full.fits[step], ld(f"cfa_invariance_{step}_hs.json"), grouped=gm)
res = invariance(HS, HSM, group="school", configural_rmsea=0.10)
ref = pd.DataFrame(ld("cfa_invariance_lrt_hs.json")["score_scalar"])
ref = ref[ref["lhs_param"].str.contains("~1")]
ref["parameter"] = ref["lhs_param"].str.replace("~1@g1", " ~1", regex=False)
m = res.partial.merge(ref, on="parameter")
upd("score test (relative)", np.max(np.abs(m["score_chisq"] / m["X2"] - 1)))
part = ld("cfa_invariance_partial_x3_hs.json")["fit"]
upd("partial refit chisq (relative)", abs(res.partial.iloc[0]["chisq"] / part["chisq"] - 1))
om = ld("model_omega_semtools.json")
o = model_omega(HS, HSM, n_boot=0)
upd("omega", np.max(np.abs(o["omega"] - [om["hs"]["obs_var"][f] for f in o["factor"]])))
o = model_omega(BFI, BFIM, n_boot=0)
upd("omega", np.max(np.abs(o["omega"] - [om["bfi"]["obs_var"][f] for f in o["factor"]])))
for k, v in worst.items():
    print(f"{k:32s} {v:.3e}")
