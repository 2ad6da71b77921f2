"""Benchmark: scoring 1,000,000 respondents x 38 FCS items.

Reports
  1. the score step alone (``compassion_scales.score`` on an in-memory DataFrame);
  2. the whole CLI run (``cscore score in.csv -i fcs -o out.csv``) against just reading
     and writing the same file with pandas' pyarrow engine.
Targets (issue #2): score step < 1 s; CLI run within 1.3x of read+write.

Run from anywhere:  python benchmarks/bench_score.py [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import compassion_scales as cs


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    inst = cs.load_instrument("fcs")
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 5, size=(n, len(inst.item_ids))).astype("float64")
    values[rng.random(values.shape) < 0.01] = np.nan
    df = pd.DataFrame(values, columns=inst.item_ids)
    df.insert(0, "pid", np.arange(n))
    return df


def timeit(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    df = make_data(args.rows)
    score_s = timeit(lambda: cs.score(df, "fcs", id="pid", prorate=0.8), args.repeat)
    print(f"score step, {args.rows:,} x 38 items: {score_s:.3f} s (target < 1 s)")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        df.to_csv(src, index=False)
        out = Path(tmp) / "out.csv"
        out2 = Path(tmp) / "rw.csv"

        def read_write() -> None:
            pd.read_csv(src, engine="pyarrow").to_csv(out2, index=False)

        def read_write_same_output() -> None:
            # read the input, write a frame shaped like cscore's output (pid + 3 scores)
            d = pd.read_csv(src, engine="pyarrow")
            pd.DataFrame({"pid": d["pid"], "a": d.iloc[:, 1] * 1.5, "b": d.iloc[:, 2] * 1.5,
                          "c": d.iloc[:, 3] * 1.5}).to_csv(out2, index=False)

        def cli() -> None:
            subprocess.run([sys.executable, "-m", "compassion_scales", "score", str(src), "-i", "fcs",
                            "--id", "pid", "--prorate", "0.8", "-o", str(out)], check=True,
                           capture_output=True)

        rw = timeit(read_write, args.repeat)
        rw2 = timeit(read_write_same_output, args.repeat)
        cl = timeit(cli, args.repeat)
        print(f"read input + write it back (39 columns), pandas pyarrow reader: {rw:.3f} s")
        print(f"read input + write a frame shaped like the output (4 columns): {rw2:.3f} s")
        print(f"cscore score CLI run (interpreter start, validation, scoring, provenance): {cl:.3f} s")
        print(f"ratio CLI / read+write-back: {cl / rw:.2f}; CLI / read+write-output-shape: "
              f"{cl / rw2:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
