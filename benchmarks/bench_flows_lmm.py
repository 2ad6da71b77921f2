"""Flows mixed model (``flows(..., time=...)``): cscore vs ``lme4::lmer`` on the same data.

5,000 people x 2 times x 3 flows (random intercept per person, sum contrasts), REML and ML.
Times the model fit only on both sides (data already in memory, in long form for R); also
the whole ``flows()`` call for reference. Usage::

    python benchmarks/bench_flows_lmm.py [--people 5000] [--repeat 5] [--statsmodels]

``--statsmodels`` also times statsmodels MixedLM (the engine before #16) once.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _common import R_TIMER, have_r, load, median_time, ratio_line, run_r  # noqa: E402

FLOWS = {"self": "self", "to_others": "to_others", "from_others": "from_others"}


def make_data(n: int, seed: int = 16) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 0.6, n)
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "time": np.tile([1, 2], n)})
    for j, f in enumerate(FLOWS):
        d[f] = np.round(3 + 0.3 * j + 0.1 * (d["time"] - 1) + u[d["id"]] + rng.normal(0, 0.8, 2 * n), 3)
        d.loc[rng.random(2 * n) < 0.05, f] = np.nan
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--statsmodels", action="store_true")
    a = ap.parse_args()
    from compassion_scales.analyses.flows import _mixed_model, flows

    d = make_data(a.people)
    print(f"# flows --time mixed model, {a.people} people x 2 times x 3 flows; {load()}")
    vals = d.rename(columns={"id": "subject"}).assign(group="all")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "flows.csv")
        d.to_csv(path, index=False)
        for reml in (True, False):
            ours, _ = median_time(lambda r=reml: _mixed_model(vals, list(FLOWS), None, [1, 2], reml=r),
                                  a.repeat)
            label = "REML" if reml else "ML"
            if have_r("lme4", "jsonlite"):
                r = run_r(R_TIMER + f"""
suppressPackageStartupMessages(library(lme4))
options(contrasts = c("contr.sum", "contr.poly"))
w <- read.csv("{path}")
lx <- do.call(rbind, lapply(c("self", "to_others", "from_others"), function(f)
  data.frame(id = w$id, time = factor(w$time), flow = f, value = w[[f]])))
lx <- lx[!is.na(lx$value), ]
lx$flow <- factor(lx$flow, levels = c("self", "to_others", "from_others"))
tm <- med_time(function() lmer(value ~ flow * time + (1 | id), data = lx, REML = {str(reml).upper()}),
               {a.repeat})
fit <- lmer(value ~ flow * time + (1 | id), data = lx, REML = {str(reml).upper()})
cat(jsonlite::toJSON(list(median = tm$median, est = unname(fixef(fit))), digits = NA, auto_unbox = TRUE))
""")
                print(ratio_line(f"{label} fit", ours, r["median"], "lmer"))
                fe, _, _ = _mixed_model(vals, list(FLOWS), None, [1, 2], reml=reml)
                diff = np.max(np.abs(fe["estimate"].to_numpy() - np.asarray(r["est"])))
                print(f"{label}: max |estimate difference| vs lmer = {diff:.2e}")
            else:
                print(f"{label} fit: cscore {ours:.4f} s (Rscript with lme4 not available)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole, _ = median_time(lambda: flows(d, scores=FLOWS, time="time", id="id"), 3)
    print(f"whole flows() call (descriptives, post hoc, correlations, Steiger tests, model): {whole:.3f} s")
    if a.statsmodels:
        import time

        import statsmodels.formula.api as smf

        long = vals.melt(id_vars=["subject", "time"], value_vars=list(FLOWS), var_name="flow").dropna()
        long["time"] = long["time"].astype(str)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            smf.mixedlm("value ~ C(flow, Sum) * C(time, Sum)", long, groups=long["subject"]).fit(reml=True)
        print(f"statsmodels MixedLM REML fit (engine before #16), one run: {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
