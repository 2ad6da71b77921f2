"""Scoring against the I/O floor: ``cscore score`` vs reading and writing with pyarrow alone.

For each size: the whole ``cscore score FILE -i fcs --id pid -o OUT`` process (in memory and
``--stream``) against a process that reads the same CSV with pyarrow, sums the items of each
FCS subscale with numpy and writes id + sums with pyarrow (the floor any scorer must pay).
Medians of ``--repeat`` fresh processes. Usage::

    python benchmarks/bench_score_floor.py [--sizes 1e4 1e5 1e6] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import load  # noqa: E402
from bench_growth import write_csv  # noqa: E402

# the floor: no pandas, no cscore import; the subscale item lists come in as JSON
FLOOR = r"""
import json, sys, numpy as np, pyarrow as pa, pyarrow.csv as pacsv
groups = json.loads(sys.argv[3])
t = pacsv.read_csv(sys.argv[1])
cols = {"pid": t.column("pid")}
for s, items in groups.items():
    m = np.column_stack([t.column(i).to_numpy(zero_copy_only=False) for i in items])
    cols[s] = m.sum(axis=1)
pacsv.write_csv(pa.table(cols), sys.argv[2])
"""


def wall(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("fcs")
    groups = {sc: list(inst.score_items(sc)) for sc in inst.score_ids}
    print(f"# cscore score vs pyarrow read + numpy sums + pyarrow write (fresh processes); {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in a.sizes):
            src, out = os.path.join(tmp, "in.csv"), os.path.join(tmp, "out.csv")
            write_csv(src, n)
            base = [sys.executable, "-m", "compassion_scales", "score", src, "-i", "fcs", "--id", "pid",
                    "-o", out]
            t_mem = wall(base, a.repeat)
            t_str = wall(base + ["--stream"], a.repeat)
            t_floor = wall([sys.executable, "-c", FLOOR, src, out, json.dumps(groups)], a.repeat)
            print(f"n = {n:>9,d}: cscore {t_mem:6.2f} s, --stream {t_str:6.2f} s, pyarrow floor "
                  f"{t_floor:6.2f} s; ratios {t_mem / t_floor:.2f} / {t_str / t_floor:.2f}", flush=True)


if __name__ == "__main__":
    main()
