"""Bootstrap alpha: cscore vs ``psych::alpha(n.iter=)`` on bfi's 25 items (2,800 people).

Also times the resampling with BLAS on every core against one thread (the guard added in #16).
Usage::

    python benchmarks/bench_alpha_threads.py [--boot 1000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _common import R_TIMER, have_r, load, median_time, ratio_line, run_r  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "tests", "reference", "data", "bfi.csv")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    from threadpoolctl import threadpool_limits

    from compassion_scales.analyses.reliability import _boot_alpha, cronbach_alpha

    bfi = pd.read_csv(DATA)
    items = bfi[[c for c in bfi.columns if c[:1] in "ACENO" and c[1:].isdigit()]]
    print(f"# bootstrap alpha, {items.shape[0]} x {items.shape[1]} items, {a.boot} resamples; {load()}")
    ours, _ = median_time(lambda: cronbach_alpha(items, n_boot=a.boot, seed=1), a.repeat)
    X = items.to_numpy(float)
    for threads in (None, 1):
        def run(t=threads):
            with threadpool_limits(limits=t, user_api="blas"):
                _boot_alpha(X, a.boot, 1)
        med, times = median_time(run, a.repeat)
        print(f"resampling kernel, BLAS threads {'all' if threads is None else threads}: median {med:.3f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in times)})")
    if have_r("psych", "jsonlite"):
        path = os.path.abspath(DATA)
        r = run_r(R_TIMER + f"""
suppressPackageStartupMessages(library(psych))
b <- read.csv("{path}")
x <- b[, grepl("^[ACENO][0-9]$", names(b))]
tm <- med_time(function() suppressWarnings(psych::alpha(x, n.iter = {a.boot}, check.keys = FALSE)), {a.repeat})
cat(jsonlite::toJSON(list(median = tm$median), digits = NA, auto_unbox = TRUE))
""")
        print(ratio_line("alpha with bootstrap CI", ours, r["median"], "psych::alpha"))
    else:
        print(f"alpha with bootstrap CI: cscore {ours:.3f} s (Rscript with psych not available)")


if __name__ == "__main__":
    main()
