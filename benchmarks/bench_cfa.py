"""Benchmark: cscore's CFA and invariance against lavaan in the same run.

Run from the repository root::

    python benchmarks/bench_cfa.py [--repeat 20]

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
* simulated FCS data (``sim_fcs.py``: the fcs instrument's 3-factor model, 38 items 0-4, from a
  known loading structure), configural -> strict invariance (``stop_at_failure=False``) with
  G = 2, 5, 10 groups at total n = 1,000, 10,000, 100,000: tasks ``sim_g{G}_n{n}``
  (e.g. ``sim_g5_n10000``), and a FIML CFA of the simulated FCS set (one group) with 5% of the
  cells blank (MCAR) at n = 10,000: ``fiml_fcs``. Each file is written once to a temporary
  folder; cscore and lavaan read the same file (reading is not timed). These tasks are not
  warmed up and are timed ``--repeat`` times on both sides (``--r-skip`` names tasks lavaan
  should not run, e.g. when one lavaan fit would take many minutes; ``--py-skip`` likewise for
  cscore). They run only when named
  in ``--only``, or with ``--only sim`` (all of them).

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
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sim_fcs import make_fcs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIM_GROUPS = (2, 5, 10)
SIM_SIZES = (1_000, 10_000, 100_000)
SIM_TASKS = [f"sim_g{g}_n{n}" for g in SIM_GROUPS for n in SIM_SIZES] + ["fiml_fcs"]
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
time_big <- function(expr_fun) median(sapply(seq_len({reps_big}), function(i) system.time(expr_fun())[["elapsed"]]))
for (task in strsplit("{sim}", ";")[[1]]) {{
  kv <- strsplit(task, "=")[[1]]
  d <- read.csv(kv[2])
  if (kv[1] == "fiml_fcs") {{
    f <- function() {{ fit <- cfa("{fcs_model}", data = d, missing = "fiml"); fitMeasures(fit); standardizedSolution(fit) }}
  }} else {{
    f <- function() {{
      eq <- list("", "loadings", c("loadings", "intercepts"), c("loadings", "intercepts", "residuals"))
      fits <- lapply(eq, function(e) cfa("{fcs_model}", data = d, group = "group", group.equal = e))
      for (x in fits) fitMeasures(x)
      do.call(lavTestLRT, unname(fits))
    }}
  }}
  cat(kv[1], time_big(f), "\n")
}}
cat("version", as.character(packageVersion("lavaan")), "\n")
"""


def _time_once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _median_time(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _sim_files(names: list[str], folder: str) -> dict[str, str]:
    """Write the simulated CSV of each sim task once; the task name -> path."""
    paths = {}
    for name in names:
        if name == "fiml_fcs":
            data = make_fcs(10_000, 1, missing=0.05)
        else:
            g, n = (int(x[1:]) for x in name.split("_")[1:])
            data = make_fcs(n, g)
        paths[name] = str(Path(folder) / f"{name}.csv")
        data.to_csv(paths[name], index=False)
    return paths


def _sim_task(name: str, path: str):
    from compassion_scales.analyses.cfa import cfa
    from compassion_scales.analyses.invariance import invariance

    data = pd.read_csv(path)
    if name == "fiml_fcs":
        return lambda: cfa(data, "fcs", missing="fiml")
    return lambda: invariance(data, "fcs", group="group", stop_at_failure=False, refit_candidates=False)


def _sim_label(name: str) -> str:
    if name == "fiml_fcs":
        return "FCS sim CFA, FIML, 5% MCAR (n = 10,000)"
    g, n = (int(x[1:]) for x in name.split("_")[1:])
    return f"FCS sim invariance, {g} groups, 4 fits (n = {n:,})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--only", default=None, help="comma-separated tasks to run (e.g. fcs_inv,inv)")
    ap.add_argument("--r-skip", default="", help="comma-separated tasks lavaan does not run (too slow)")
    ap.add_argument("--py-skip", default="", help="comma-separated sim tasks cscore does not run (timed before)")
    args = ap.parse_args()
    print("start:", _uptime(), flush=True)

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
    if "sim" in only:
        only |= set(SIM_TASKS)
    sim_names = [k for k in SIM_TASKS if k in only]
    tmp = tempfile.TemporaryDirectory()
    sim_paths = _sim_files(sim_names, tmp.name)
    py = {k: _median_time(fn, reps) for k, (fn, reps) in tasks.items() if k in only}
    for name in [k for k in sim_names if k not in args.py_skip.split(",")]:
        fn = _sim_task(name, sim_paths[name])
        py[name] = statistics.median(_time_once(fn) for _ in range(args.repeat))
        print(f"cscore {name}: {py[name]:.3f} s ({_uptime()})", flush=True)
    r_skip = set(args.r_skip.split(",")) - {""}
    r_only = ",".join(sorted(only - set(SIM_TASKS))) or "none"
    r: dict[str, float] = {}
    version = "not run"
    if shutil.which("Rscript"):
        code = R_CODE.format(reps=args.repeat, hs=DATA / "HolzingerSwineford1939.csv", bfi=DATA / "bfi.csv",
                             hs_ord=DATA / "hs_ordinal.csv",
                             hs_model=HS_MODEL, bfi_model=BFI_MODEL, only=r_only if args.only else "",
                             reps_big=args.repeat,
                             sim=";".join(f"{k}={sim_paths[k]}" for k in sim_names if k not in r_skip),
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
    tmp.cleanup()
    labels.update({k: _sim_label(k) for k in sim_names})
    print("end:", _uptime())
    print(f"median seconds per run; python repeats {args.repeat} (bfi/invariance {max(3, args.repeat // 4)}), "
          f"lavaan {version} repeats {args.repeat}")
    print(f"{'task':56s} {'cscore':>9s} {'lavaan':>9s} {'ratio':>7s}")
    for k, lab in labels.items():
        if k not in py and k not in r:
            continue
        rv, pv = r.get(k), py.get(k, float("nan"))
        ratio = f"{pv / rv:7.2f}" if rv and k in py else "     - "
        print(f"{lab:56s} {pv:9.4f} {rv if rv is not None else float('nan'):9.4f} {ratio}")


if __name__ == "__main__":
    main()
