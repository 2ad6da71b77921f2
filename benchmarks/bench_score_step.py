"""The in-process score step against a numpy sum over the same item block (issue #16).

A wide survey: ten shipped instruments side by side (CBI, CEAS, CS, FCS, FSCRS, OLBI,
ProQOL-5, SCS-SF, SOCS-O, SOCS-S: 232 items, reverse-keyed items, recoded options, sums,
means and scores of scores), integer answers with about 1% blank, one float64 block.
Times ``compassion_scales.score(data, instruments)`` against ``block.sum(axis=1)`` on the
same ``(rows x 232)`` block (and against extracting the block from the frame and summing).
Medians of ``--repeat`` runs after one warm-up. From 1.5e8 rows x items (650,000 rows here)
``score`` uses the compiled kernel (``compassion_scales.stats.score_kernel``); the warm-up
pays its one-time cost (importing numba, loading the cached kernel: about 1-1.5 s), which
the medians leave out. ``--numpy`` times the numpy path instead (the reference
implementation, what smaller calls use). Usage::

    python benchmarks/bench_score_step.py [--rows 1000000] [--repeat 3] [--numpy]
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _common import load, median_time  # noqa: E402

INSTRUMENTS = ["cbi", "ceas", "cs", "fcs", "fscrs", "olbi", "proqol5", "scs_sf", "socs_o", "socs_s"]


def make_wide(n: int, seed: int = 1) -> tuple[pd.DataFrame, list[str]]:
    """``n`` rows x 232 items (valid whole answers, about 1% blank) as one float64 block."""
    from compassion_scales.instrument import load_instrument

    rng = np.random.default_rng(seed)
    cols, lo, hi = [], [], []
    for iid in INSTRUMENTS:
        inst = load_instrument(iid)
        for it in inst.items:
            rs = inst.response_sets[it.response_set]
            cols.append(it.id)
            lo.append(rs.min)
            hi.append(rs.max)
    lo_a, hi_a = np.array(lo), np.array(hi)
    block = np.floor(lo_a + rng.random((n, len(cols))) * (hi_a - lo_a + 1))
    block[rng.random(block.shape) < 0.01] = np.nan
    frame = pd.DataFrame(block, columns=cols)
    frame.insert(0, "pid", np.arange(n))
    return frame, cols


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--numpy", action="store_true", help="time the numpy path, not the kernel")
    a = ap.parse_args()
    import compassion_scales as cs
    from compassion_scales.stats import score_kernel

    if a.numpy:
        score_kernel.COMPILE_THRESHOLD = score_kernel.LOADED_THRESHOLD = 2**62

    n = int(a.rows)
    frame, cols = make_wide(n)
    block = frame[cols].to_numpy()
    warnings.simplefilter("ignore")
    t_sum, _ = median_time(lambda: block.sum(axis=1), a.repeat)
    t_ext, _ = median_time(lambda: frame[cols].to_numpy().sum(axis=1), a.repeat)
    t_score, _ = median_time(lambda: cs.score(frame, INSTRUMENTS, id="pid"), a.repeat)
    path = "numpy path" if a.numpy else ("compiled kernel" if "numba" in sys.modules else "numpy path")
    print(f"# score step, {n:,} rows x {len(cols)} items ({len(INSTRUMENTS)} instruments, "
          f"{path}); {load()}")
    print(f"numpy block.sum(axis=1): {t_sum:.3f} s; extract block from the frame + sum: {t_ext:.3f} s")
    print(f"cscore score(): {t_score:.3f} s; ratio score / numpy sum = {t_score / t_sum:.2f} "
          f"(target <= 2), score / (extract + sum) = {t_score / t_ext:.2f}")


if __name__ == "__main__":
    main()
