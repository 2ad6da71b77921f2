"""Helpers shared by the benchmark scripts: timing medians, machine load, R side by side.

Run a benchmark from the repository root, e.g. ``python benchmarks/bench_flows_lmm.py``.
Every script prints the machine load (``os.getloadavg``) because the numbers depend on it.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def median_time(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of ``fn()`` over ``repeat`` runs after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def have_r(*packages: str) -> bool:
    if shutil.which("Rscript") is None:
        return False
    libs = "; ".join(f"suppressPackageStartupMessages(library({p}))" for p in packages)
    return subprocess.run(["Rscript", "-e", libs], capture_output=True).returncode == 0


def run_r(code: str) -> dict[str, Any]:
    """Run R code whose last act is ``cat(jsonlite::toJSON(list(...), auto_unbox = TRUE))``."""
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    last = out.stdout.strip().splitlines()[-1]  # R packages may cat() text without a newline
    return json.loads(last[last.index("{"):])


R_TIMER = """
med_time <- function(expr_fn, repeat_n = 5) {
  expr_fn()
  t <- vapply(seq_len(repeat_n), function(i) system.time(expr_fn())[["elapsed"]], numeric(1))
  list(median = median(t), times = t)
}
"""


def ratio_line(label: str, ours: float, peer: float, peer_name: str) -> str:
    return (f"{label}: cscore {ours:.4f} s, {peer_name} {peer:.4f} s, ratio cscore/{peer_name} = "
            f"{ours / peer:.3f}")
