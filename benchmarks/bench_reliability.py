"""Benchmark: bootstrap CI of Cronbach's alpha (2,000 resamples of 10,000 people x 15 items).

Compares ``compassion_scales.cronbach_alpha(n_boot=2000)`` with R's
``psych::alpha(n.iter = 2000)`` (timed inside R, only the alpha call; skipped when
``Rscript`` is not installed) and with ``pingouin.cronbach_alpha`` (one call, and a
bootstrap loop of pingouin calls extrapolated from 100 resamples).

Run from the repository root::

    python benchmarks/bench_reliability.py [--n 10000] [--items 15] [--boot 2000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def make_data(n: int, k: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    x = np.clip(np.round(2 + 0.8 * f + rng.normal(size=(n, k))), 0, 4)
    return pd.DataFrame(x, columns=[f"i{j + 1}" for j in range(k)])


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


R_CODE = r"""
suppressPackageStartupMessages(library(psych))
x <- read.csv("{csv}")
set.seed(1)
t <- system.time(a <- psych::alpha(x, n.iter = {boot}, warnings = FALSE))[["elapsed"]]
cat(sprintf("%.6f %.10f %.10f %.10f %d\n", t, a$total$raw_alpha, a$boot.ci[1], a$boot.ci[3],
            getOption("mc.cores", 2L)))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--items", type=int, default=15)
    ap.add_argument("--boot", type=int, default=2000)
    args = ap.parse_args()

    from compassion_scales.analyses.reliability import cronbach_alpha

    data = make_data(args.n, args.items)
    print(f"data: {args.n} x {args.items}, bootstrap resamples: {args.boot}")
    cronbach_alpha(data.iloc[:200], n_boot=200, seed=0)  # warm-up (imports)
    res = cronbach_alpha(data, n_boot=args.boot, seed=1).iloc[0]
    t_ours = best_of(lambda: cronbach_alpha(data, n_boot=args.boot, seed=1))
    print(f"cscore cronbach_alpha(n_boot={args.boot}):  {t_ours:8.3f} s   "
          f"alpha={res['alpha']:.6f} boot CI=[{res['boot_ci_low']:.6f}, {res['boot_ci_high']:.6f}]")

    datam = data.mask(np.random.default_rng(5).random(data.shape) < 0.05)
    t_pair = best_of(lambda: cronbach_alpha(datam, n_boot=args.boot, seed=1), repeat=1)
    print(f"cscore, 5% missing (pairwise bootstrap):  {t_pair:8.3f} s")

    t_r = None
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "x.csv"
            data.to_csv(csv, index=False)
            script = Path(tmp) / "bench.R"
            script.write_text(R_CODE.format(csv=csv.as_posix(), boot=args.boot))
            out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
            if out.returncode == 0:
                parts = out.stdout.split()
                t_r = float(parts[0])
                print(f"R psych::alpha(n.iter={args.boot}):        {t_r:8.3f} s   "
                      f"alpha={float(parts[1]):.6f} boot CI=[{float(parts[2]):.6f}, "
                      f"{float(parts[3]):.6f}] (mc.cores={parts[4]})")
            else:
                print("R psych::alpha failed:", out.stderr.strip()[:300])
    else:
        print("Rscript not found: R comparison skipped")

    import pingouin as pg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pg.cronbach_alpha(data)
        t_pg1 = best_of(lambda: pg.cronbach_alpha(data))
        rng = np.random.default_rng(0)
        m = 100
        t = time.perf_counter()
        for _ in range(m):
            pg.cronbach_alpha(data.iloc[rng.integers(0, len(data), len(data))])
        t_pgboot = (time.perf_counter() - t) * args.boot / m
    print(f"pingouin.cronbach_alpha (1 call, no bootstrap): {t_pg1:8.3f} s")
    print(f"pingouin.cronbach_alpha x {args.boot} resamples (extrapolated from {m}): {t_pgboot:8.3f} s")

    print("ratios (other / cscore bootstrap):")
    if t_r is not None:
        print(f"  psych::alpha(n.iter={args.boot}) / cscore: {t_r / t_ours:8.1f}x")
    print(f"  pingouin bootstrap loop / cscore:        {t_pgboot / t_ours:8.1f}x")
    print(f"  pingouin single call / cscore bootstrap: {t_pg1 / t_ours:8.3f}x")


if __name__ == "__main__":
    main()
