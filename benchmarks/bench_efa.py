"""Benchmark: EFA with parallel analysis (100 iterations) on psych's bfi (25 items x 2,800).

Python (cscore) against R (psych::fa.parallel + psych::fa) in the same run. R is timed
inside R with ``system.time`` (start-up and package loading excluded); Python with
``time.perf_counter`` around the library calls (data already in memory).

psych's ``fa.parallel`` on raw data computes, per iteration, both a simulated-normal and a
resampled comparison; cscore computes one reference per call, so both are timed: the default
(simulated only, what ``cscore factors efa`` runs) and simulated + resampled (the same work
as psych). Note psych runs its iterations with ``parallel::mclapply`` (2 cores by default).

Run:  python benchmarks/bench_efa.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pandas as pd

from compassion_scales.analyses.efa import efa, parallel_analysis

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "data" / "bfi.csv"
ITEMS = [f"{t}{i}" for t in "ACENO" for i in range(1, 6)]

R_CODE = r"""
suppressPackageStartupMessages(library(psych))
x <- read.csv("{data}")[, 1:25]
set.seed(1)
invisible(fa(x, 6))  # warm-up
for (i in seq_len({repeats})) {{
  t <- system.time({{
    p <- fa.parallel(x, fm = "minres", fa = "both", n.iter = 100, plot = FALSE)
    f <- fa(x, nfactors = p$nfact, fm = "minres", rotate = "oblimin")
  }})[["elapsed"]]
  cat(sprintf("R %.4f %d\n", t, p$nfact))
}}
"""


def time_python(repeats: int, references: tuple[str, ...]) -> tuple[list[float], int]:
    data = pd.read_csv(DATA)[ITEMS]
    efa(data, n_factors=6)  # warm-up: imports, BLAS initialisation
    times = []
    k = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        pa = None
        for ref in references:
            pa = parallel_analysis(data, n_iter=100, seed=1, reference=ref)
        assert pa is not None
        k = pa.n_factors or 1
        efa(data, n_factors=k, method="minres", rotation="oblimin")
        times.append(time.perf_counter() - t0)
    return times, k


def time_r(repeats: int) -> tuple[list[float], int] | None:
    if shutil.which("Rscript") is None:
        return None
    code = R_CODE.format(data=DATA.as_posix(), repeats=repeats)
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.splitlines() if line.startswith("R ")]
    return [float(r[1]) for r in rows], int(rows[-1][2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"bfi: {len(ITEMS)} items x {len(pd.read_csv(DATA))} cases, pairwise correlations, "
          f"100 iterations, median of {args.repeats} runs")
    results = []
    for label, refs in (("cscore simulate (default)", ("simulate",)),
                        ("cscore simulate + resample", ("simulate", "resample"))):
        t, k = time_python(args.repeats, refs)
        results.append((label, statistics.median(t), k))
    r = time_r(args.repeats)
    if r is not None:
        results.append(("R psych fa.parallel + fa", statistics.median(r[0]), r[1]))
    else:
        print("Rscript not found: R timing skipped")
    for label, t, k in results:
        print(f"{label:30s} {t:8.3f} s   factors suggested: {k}")
    if r is not None:
        base = statistics.median(r[0])
        for label, t, _ in results[:-1]:
            print(f"{label:30s} {base / t:6.1f}x the speed of R")


if __name__ == "__main__":
    main()
