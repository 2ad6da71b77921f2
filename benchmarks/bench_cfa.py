"""Benchmark: cscore's CFA and invariance against lavaan in the same run.

Run from the repository root::

    /opt/cs/bin/python benchmarks/bench_cfa.py [--repeat 20]

Times (median per fit, seconds) for:

* Holzinger-Swineford 3-factor CFA (301 x 9),
* bfi 5-factor CFA (25 items, listwise n = 2436),
* Holzinger-Swineford configural -> strict invariance by school (4 multi-group fits),
* bfi 5-factor CFA with FIML (n = 2800),
* WLSMV (ordinal) CFA of Holzinger-Swineford cut into 3-4 categories and of bfi (6 categories):
  thresholds, polychoric correlations and their asymptotic covariance, DWLS fit, robust SEs,
  scaled-shifted test, fit measures, standardised solution (lavaan: ``cfa(ordered = TRUE,
  estimator = "WLSMV")`` + ``fitMeasures`` + ``standardizedSolution``).
* FCS (38 items, 3 factors) configural -> strict invariance by ``group`` on the shipped
  example data (``examples/responses.csv``, listwise n = 136 per the CFA), every step fitted
  (``stop_at_failure=False``, lavaan: the four ``cfa(group.equal = ...)`` fits + ``fitMeasures``
  + ``lavTestLRT``); ``--only fcs_inv`` runs this task alone.
* robust ML (``estimator="MLR"``): the HS and bfi CFAs and the HS invariance steps
  (lavaan: ``estimator = "MLR"``, with ``lavTestLRT``'s scaled difference tests).

Python times include everything ``cfa()`` returns (fit measures, standard errors,
standardised solution with delta-method SEs) and, for the single-group CFAs, reading all
modification indices (computed on first access since 0.2). R is timed inside R
with ``system.time`` (after a warm-up fit) for ``lavaan::cfa`` + ``fitMeasures`` +
``standardizedSolution`` + ``modindices`` (without ``modindices`` for FIML, which cscore
does not compute), so R's start-up is not counted. Without Rscript
only the Python times are printed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "data"
HS_MODEL = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFI_MODEL = "\n".join(f"{f} =~ " + " + ".join(f"{c}{i}" for i in range(1, 6))
                      for f, c in zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True))

R_CODE = r"""
suppressPackageStartupMessages(library(lavaan))
reps <- {reps}
only <- strsplit("{only}", ",")[[1]]
run <- function(k) length(only) == 0 || k %in% only
hs <- read.csv("{hs}"); bfi <- read.csv("{bfi}"); hs_ord <- read.csv("{hs_ord}")
hs_model <- "{hs_model}"
bfi_model <- "{bfi_model}"
one <- function(model, data, ...) {{
  fit <- cfa(model, data = data, ...)
  fitMeasures(fit); standardizedSolution(fit); modindices(fit)
}}
inv <- function() {{
  f <- list(cfa(hs_model, data = hs, group = "school"),
            cfa(hs_model, data = hs, group = "school", group.equal = "loadings"),
            cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts")),
            cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts", "residuals")))
  for (x in f) fitMeasures(x)
  do.call(lavTestLRT, unname(f))
}}
time_it <- function(expr_fun) {{
  expr_fun()
  t <- sapply(seq_len(reps), function(i) system.time(expr_fun())[["elapsed"]])
  median(t)
}}
if (run("hs")) cat("hs", time_it(function() one(hs_model, hs)), "\n")
if (run("bfi")) cat("bfi", time_it(function() one(bfi_model, bfi, missing = "listwise")), "\n")
if (run("inv")) cat("inv", time_it(inv), "\n")
if (run("fiml")) cat("fiml", time_it(function() {{
  fit <- cfa(bfi_model, data = bfi, missing = "fiml"); fitMeasures(fit); standardizedSolution(fit)
}}), "\n")
ord <- function(model, data) {{
  fit <- cfa(model, data = data, ordered = TRUE, estimator = "WLSMV"); fitMeasures(fit); standardizedSolution(fit)
}}
if (run("wlsmv_hs")) cat("wlsmv_hs", time_it(function() ord(hs_model, hs_ord)), "\n")
reps <- max(3, reps %/% 4)
if (run("wlsmv_bfi")) cat("wlsmv_bfi", time_it(function() ord(bfi_model, bfi[, 1:25])), "\n")
if (run("hs_mlr")) cat("hs_mlr", time_it(function() one(hs_model, hs, estimator = "MLR")), "\n")
if (run("bfi_mlr")) cat("bfi_mlr", time_it(function() one(bfi_model, bfi, missing = "listwise", estimator = "MLR")), "\n")
inv_mlr <- function() {{
  f <- list(cfa(hs_model, data = hs, group = "school", estimator = "MLR"),
            cfa(hs_model, data = hs, group = "school", group.equal = "loadings", estimator = "MLR"),
            cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts"),
                estimator = "MLR"),
            cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts", "residuals"),
                estimator = "MLR"))
  for (x in f) fitMeasures(x)
  do.call(lavTestLRT, unname(f))
}}
if (run("inv_mlr")) cat("inv_mlr", time_it(inv_mlr), "\n")
if (run("fcs_inv")) {{
  fcs <- read.csv("{fcs}")
  fcs_inv <- function() {{
    eq <- list("", "loadings", c("loadings", "intercepts"), c("loadings", "intercepts", "residuals"))
    f <- lapply(eq, function(e) cfa("{fcs_model}", data = fcs, group = "group", group.equal = e))
    for (x in f) fitMeasures(x)
    do.call(lavTestLRT, unname(f))
  }}
  cat("fcs_inv", time_it(fcs_inv), "\n")
}}
cat("version", as.character(packageVersion("lavaan")), "\n")
"""


def _median_time(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--only", default=None, help="comma-separated tasks to run (e.g. fcs_inv,inv)")
    args = ap.parse_args()

    from compassion_scales.analyses.cfa import cfa
    from compassion_scales.analyses.invariance import invariance

    hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    bfi = pd.read_csv(DATA / "bfi.csv")
    hs_ord = pd.read_csv(DATA / "hs_ordinal.csv")
    from compassion_scales.instrument import load_instrument

    fcs = pd.read_csv(ROOT / "examples" / "responses.csv")
    inst = load_instrument("fcs")
    fcs_model = "; ".join(f"{s} =~ " + " + ".join(inst.score_items(s)) for s in inst.score_ids)
    warnings.simplefilter("ignore")
    reps_small = max(3, args.repeat // 4)
    tasks = {
        "hs": (lambda: cfa(hs, HS_MODEL).modification_indices, args.repeat),
        "bfi": (lambda: cfa(bfi, BFI_MODEL).modification_indices, max(3, args.repeat // 4)),
        "inv": (lambda: invariance(hs, HS_MODEL, group="school", stop_at_failure=False,
                                 refit_candidates=False), reps_small),
        "fiml": (lambda: cfa(bfi, BFI_MODEL, missing="fiml"), max(3, args.repeat // 4)),
        "wlsmv_hs": (lambda: cfa(hs_ord, HS_MODEL, ordered=True), args.repeat),
        "wlsmv_bfi": (lambda: cfa(bfi, BFI_MODEL, ordered=True), max(3, args.repeat // 4)),
        "hs_mlr": (lambda: cfa(hs, HS_MODEL, estimator="MLR").modification_indices, args.repeat),
        "bfi_mlr": (lambda: cfa(bfi, BFI_MODEL, estimator="MLR").modification_indices, max(3, args.repeat // 4)),
        "inv_mlr": (lambda: invariance(hs, HS_MODEL, group="school", stop_at_failure=False,
                                     refit_candidates=False, estimator="MLR",
                                     configural_rmsea=0.10), reps_small),
        "fcs_inv": (lambda: invariance(fcs, "fcs", group="group", stop_at_failure=False,
                                       refit_candidates=False), reps_small),
    }
    only = set(args.only.split(",")) if args.only else set(tasks)
    py = {k: _median_time(fn, reps) for k, (fn, reps) in tasks.items() if k in only}
    r: dict[str, float] = {}
    version = "not run"
    if shutil.which("Rscript"):
        code = R_CODE.format(reps=args.repeat, hs=DATA / "HolzingerSwineford1939.csv", bfi=DATA / "bfi.csv",
                             hs_ord=DATA / "hs_ordinal.csv",
                             hs_model=HS_MODEL, bfi_model=BFI_MODEL, only=args.only or "",
                             fcs=ROOT / "examples" / "responses.csv", fcs_model=fcs_model)
        out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=False)
        for line in out.stdout.splitlines():
            key, *val = line.split()
            if key == "version":
                version = val[0]
            elif val:
                r[key] = float(val[0])
        if out.returncode != 0:
            print("R failed:", out.stderr.strip().splitlines()[-1:])
    labels = {"hs": "Holzinger-Swineford CFA, 3 factors (n = 301)",
              "bfi": "bfi CFA, 25 items, 5 factors (listwise n = 2436)",
              "inv": "HS invariance by school, 4 multi-group fits",
              "fiml": "bfi CFA, FIML (n = 2800, 364 incomplete)",
              "wlsmv_hs": "HS cut into 3-4 categories, WLSMV (n = 301)",
              "wlsmv_bfi": "bfi 6-category items, WLSMV (listwise n = 2436)",
              "hs_mlr": "HS CFA, MLR",
              "bfi_mlr": "bfi CFA, MLR (listwise n = 2436)",
              "inv_mlr": "HS invariance by school, MLR + scaled LRT",
              "fcs_inv": "FCS invariance by group, 4 multi-group fits (n = 136)"}
    print(f"median seconds per run; python repeats {args.repeat} (bfi/invariance {max(3, args.repeat // 4)}), "
          f"lavaan {version} repeats {args.repeat}")
    print(f"{'task':52s} {'cscore':>9s} {'lavaan':>9s} {'ratio':>7s}")
    for k, lab in labels.items():
        if k not in py:
            continue
        rv = r.get(k)
        ratio = f"{py[k] / rv:7.2f}" if rv else "     - "
        print(f"{lab:52s} {py[k]:9.4f} {rv if rv is not None else float('nan'):9.4f} {ratio}")


if __name__ == "__main__":
    main()
