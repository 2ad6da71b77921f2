"""Worst differences between cscore's ordinal CFA (WLSMV/ULSMV) and lavaan 0.6-14 / semTools.

Run from the repository root (golden files from ``Rscript tests/reference/cfa_ordinal.R``)::

    python benchmarks/ordinal_vs_lavaan.py [case-substring]

Prints, per fixture, the fit time and the worst difference, then the worst difference of each
statistic over all fixtures (chi-squares, scaling factors and shifts relative to max(1, |value|);
everything else absolute).
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from compassion_scales.analyses.cfa import cfa

warnings.simplefilter("ignore")
HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFI = "\n".join(f"{n} =~ " + " + ".join(f"{c}{i}" for i in range(1, 6)) for n, c in
                [("agree", "A"), ("consc", "C"), ("extra", "E"), ("neuro", "N"), ("open", "O")])
FCS = "\n".join(f"{n} =~ " + " + ".join(f"{c}{i}" for i in range(1, 7)) for n, c in
                [("others", "co"), ("from", "fo"), ("self", "se")])
R = str(Path(__file__).resolve().parents[1] / "tests" / "reference") + "/"
cases = {
 "wlsmv_marker_hs": ("hs_ordinal.csv", HS, dict()),
 "wlsmv_stdlv_hs": ("hs_ordinal.csv", HS, dict(std_lv=True)),
 "ulsmv_marker_hs": ("hs_ordinal.csv", HS, dict(estimator="ULSMV")),
 "wlsmv_rescov_hs": ("hs_ordinal.csv", HS + "\n x7 ~~ x8", dict()),
 "wlsmv_theta_hs": ("hs_ordinal.csv", HS, dict(parameterization="theta")),
 "wlsmv_stdlv_hsbinary": ("hs_binary.csv", HS, dict(std_lv=True)),
 "wlsmv_marker_bfi": ("bfi.csv", BFI, dict()),
 "wlsmv_stdlv_fcs": ("fcs_sim_ordinal.csv", FCS, dict(std_lv=True)),
 "ulsmv_marker_fcs": ("fcs_sim_ordinal.csv", FCS, dict(estimator="ULSMV")),
}
FM = {"chisq": "chisq", "chisq_scaled": "chisq.scaled", "chisq_scaling_factor": "chisq.scaling.factor",
      "baseline_chisq": "baseline.chisq", "baseline_chisq_scaled": "baseline.chisq.scaled",
      "baseline_chisq_scaling_factor": "baseline.chisq.scaling.factor",
      "cfi": "cfi", "tli": "tli", "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled", "rmsea": "rmsea",
      "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper", "rmsea_p_close": "rmsea.pvalue",
      "rmsea_scaled": "rmsea.scaled", "rmsea_ci_low_scaled": "rmsea.ci.lower.scaled",
      "rmsea_ci_high_scaled": "rmsea.ci.upper.scaled", "rmsea_p_close_scaled": "rmsea.pvalue.scaled",
      "cfi_robust": "cfi.robust", "tli_robust": "tli.robust", "rmsea_robust": "rmsea.robust",
      "rmsea_ci_low_robust": "rmsea.ci.lower.robust", "rmsea_ci_high_robust": "rmsea.ci.upper.robust",
      "rmsea_p_close_robust": "rmsea.pvalue.robust",
      "srmr": "srmr", "npar": "npar", "df": "df"}
worst = {}
for name, (data, model, kw) in cases.items():
    if len(sys.argv) > 1 and sys.argv[1] not in name:
        continue
    d = json.load(open(R + f"cfa_ordinal_{name}.json"))
    df = pd.read_csv(R + "data/" + data)
    t = time.time()
    res = cfa(df, model, ordered=True, **kw)
    el = time.time() - t
    f = res.fit
    out = {}
    for k, kk in FM.items():
        v = d["fit"].get(kk)
        if v is None:
            continue
        rel = abs(f[k] - v) / max(abs(v), 1) if k.startswith(("chisq", "baseline")) else abs(f[k] - v)
        out[k] = rel
    ss = d["scaled_shifted"]
    out["shift"] = abs(f["chisq_shift"] - ss["shift.parameter"]) / max(1, abs(ss["shift.parameter"]))
    pe = pd.DataFrame(d["params"])
    pe = pe[~pe.op.isin(["~*~", "~1"])]
    st = pd.DataFrame(d["std"])
    st = st[~st.op.isin(["~*~", "~1"])]
    e = res.estimates.copy()

    def key(D):
        return D.lhs + D.op + D.rhs

    m = pe.assign(k=key(pe)).merge(e.assign(k=key(e)), on="k", suffixes=("_r", ""))
    assert len(m) == len(pe) == len(e), (len(m), len(pe), len(e))
    out["est"] = np.abs(m.est_r - m.est).max()
    se_r = m.se_r.where(m.free, np.nan)
    out["se"] = np.nanmax(np.abs(se_r - m.se))
    ms = st.assign(k=key(st)).merge(e.assign(k=key(e)), on="k", suffixes=("_r", ""))
    out["std_all"] = np.abs(ms["est.std"] - ms.std_all).max()
    sse = ms.se_r.where(ms.se_r > 0, np.nan)
    out["std_se"] = np.nanmax(np.abs(sse - ms.std_se))
    if "omega_categorical" in d:
        om = res.omega.set_index("factor").omega
        out["omega"] = max(abs(om[k] - v) for k, v in d["omega_categorical"].items())
    bad = {k: v for k, v in out.items() if v > 1e-4}
    print(f"{name}: {el:.2f}s  worst={max(out.values()):.2e}", "BAD:" if bad else "", bad if bad else "")
    for k, v in out.items():
        worst[k] = max(worst.get(k, 0), v)
print("\nworst difference per statistic over all fixtures")
for k, v in worst.items():
    print(f"  {k:32s} {v:.1e}")
