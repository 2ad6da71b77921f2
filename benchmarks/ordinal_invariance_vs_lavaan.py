"""Worst differences between cscore's ordinal measurement invariance (WLSMV, Wu & Estabrook 2016)
and lavaan 0.6-14 + semTools' measEq.syntax.

Run from the repository root (golden files from ``Rscript tests/reference/invariance_ordinal.R``)::

    python benchmarks/ordinal_invariance_vs_lavaan.py [hs|bfi|fcs|bfi3 ...]

For each data set it runs the five steps twice (``parameterization="delta"``, where the strict
step is fitted in the theta parameterisation as semTools requires, and ``"theta"``) and prints
the worst difference of each statistic over the steps: chi-squares and scaling factors relative
to |value|; estimates, standard errors, CFI/TLI/RMSEA/SRMR, p values absolute. Then a table
statistic x data set.
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from compassion_scales.analyses.cfa import parse_model
from compassion_scales.analyses.ordinal_invariance import ordinal_invariance

warnings.simplefilter("ignore")
REF = Path(__file__).resolve().parents[1] / "tests" / "reference"
DATA = {"hs": "hs_ordinal.csv", "bfi": "bfi.csv", "fcs": "fcs_sim_cfa.csv", "bfi3": "bfi.csv"}
EDU3 = {1: "low", 2: "low", 3: "mid", 4: "high", 5: "high"}  # bfi3: three education groups
# our table column -> lavaan fitMeasures name, and whether the difference is relative
FIT = {"chisq": ("chisq", True), "chisq_scaled": ("chisq.scaled", True),
       "scaling_factor": ("chisq.scaling.factor", True), "p_val_scaled": ("pvalue.scaled", False),
       "cfi": ("cfi", False), "tli": ("tli", False), "rmsea": ("rmsea", False),
       "cfi_scaled": ("cfi.scaled", False), "tli_scaled": ("tli.scaled", False),
       "rmsea_scaled": ("rmsea.scaled", False), "srmr": ("srmr", False)}


def compare_estimates(ours: pd.DataFrame, params: list, labels: list) -> tuple[float, float, int]:
    """Worst |est| and |se| difference over lavaan's parameterEstimates rows; rows unmatched."""
    lav = pd.DataFrame(params)
    lav["group"] = [str(labels[g - 1]) for g in lav["group"]]
    m = lav.merge(ours, on=["group", "lhs", "op", "rhs"], how="left", suffixes=("_lav", ""))
    se = m["se"].fillna(0.0)
    return (float((m["est"] - m["est_lav"]).abs().max()), float((se - m["se_lav"]).abs().max()),
            int(m["est"].isna().sum()))


def run(name: str) -> dict[str, float]:
    gold = json.loads((REF / f"invariance_ordinal_{name}.json").read_text())
    df = pd.read_csv(REF / "data" / DATA[name])
    if name == "bfi3":
        df["edu3"] = df["education"].map(EDU3)
    df = df[gold["items"] + [gold["group"]]].dropna()
    spec = parse_model(gold["model"])
    worst: dict[str, float] = {}

    def upd(key: str, v: float) -> None:
        worst[key] = max(worst.get(key, 0.0), v)

    for pz, seq, lrt in (("delta", "steps", "lrt"), ("theta", "theta", "lrt_theta")):
        t0 = time.perf_counter()
        res = ordinal_invariance(df, spec, gold["group"], "golden", steps=None, delta_cfi=0.01, delta_rmsea=0.015,
                                 use_chisq=False, alpha=0.05, stop_at_failure=False, configural_cfi=0.9,
                                 configural_rmsea=0.08, ordered=True, parameterization=pz)
        print(f"{name} {pz}: {time.perf_counter() - t0:.1f} s for five steps")
        tab = res.table.set_index("step")
        for step, ref in gold[seq].items():
            for col, (lav, rel) in FIT.items():
                want = ref["fit"][lav]
                upd(col, abs(tab.loc[step, col] - want) / (abs(want) if rel else 1.0))
            upd("npar_df_mismatch", float(tab.loc[step, "npar"] != ref["fit"]["npar"]
                                          or tab.loc[step, "df"] != ref["fit"]["df"]))
            e, s, miss = compare_estimates(res.estimates[step], ref["params"], gold["group_levels"])
            upd("est", e)
            upd("se", s)
            upd("rows_unmatched", miss)
        for key, ref in gold[lrt].items():
            step = key.split("_vs_")[0]
            upd("chisq_diff", abs(tab.loc[step, "chisq_diff"] - ref["chisq_diff"]) / ref["chisq_diff"])
            upd("p_diff", abs(tab.loc[step, "p_diff"] - ref["p"]))
            upd("npar_df_mismatch", float(tab.loc[step, "df_diff"] != ref["df_diff"]))
    return worst


def main() -> None:
    names = sys.argv[1:] or list(DATA)
    out = {n: run(n) for n in names}
    table = pd.DataFrame(out)
    rel = [k for k, (_, r) in FIT.items() if r] + ["chisq_diff"]
    table.insert(0, "difference", ["relative" if k in rel else "absolute" for k in table.index])
    with pd.option_context("display.float_format", "{:.1e}".format, "display.width", 120):
        print(table)
    print("tolerance 1e-4; est/se over every parameterEstimates() row of every step, both parameterisations")
    if (table[names].to_numpy(dtype=float) > 1e-4).any():
        raise SystemExit("some statistic differs from lavaan by more than 1e-4")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
