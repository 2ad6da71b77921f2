"""Growth: time and peak memory at three sizes per area, with the fitted exponent.

Each run is a fresh process (peak RSS from ``getrusage`` of the child). The exponent is the
least-squares slope of log(time) and log(peak RSS) on log(size): 1 = linear, 0 = flat.
Usage::

    python benchmarks/bench_growth.py [--area score-stream] [--sizes 1e5 1e6 1e7] [--repeat 1]

Areas: ``score-stream`` (``cscore score --stream``), ``score`` (in memory), ``flows-lmm``
(people x 2 times x 3 flows), ``change`` (clients, FCS), ``cfa`` (the FCS 3-factor CFA, ML,
on simulated FCS data, ``sim_fcs.py``), ``invariance`` (configural -> strict, 5 groups,
``stop_at_failure=False``, same data), ``cfa-fiml`` (the FCS CFA by FIML, 5% of cells blank; 1,000 to 10,000 people).
Scoring files are FCS-shaped (38 items, 0-4, about 2% blank) and written once to a temporary
folder; the CFA areas simulate their data inside the timed process (a small part of the time).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import load  # noqa: E402

CHILD = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t0
if p.returncode:
    sys.stderr.write(p.stderr[-3000:])
print(json.dumps({"time": dt, "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "rc": p.returncode}))
"""

AREA_CODE = {
    "flows-lmm": """
import sys, warnings, numpy as np, pandas as pd
sys.path.insert(0, "benchmarks")
from bench_flows_lmm import make_data, FLOWS
from compassion_scales.analyses.flows import flows
d = make_data({n})
warnings.simplefilter("ignore")
flows(d, scores=FLOWS, time="time", id="id")
""",
    "change": """
import sys, warnings
sys.path.insert(0, "benchmarks")
from bench_change import make
from compassion_scales.analyses.change import change
from compassion_scales.instrument import load_instrument
inst = load_instrument("fcs")
pre, post = make(inst, {n}, 0, 1), make(inst, {n}, {n} // 50, 2)
warnings.simplefilter("ignore")
change(pre, inst, second_data=post, id="client", sd=8.0, reliability=0.85)
""",
    "cfa": """
import sys, warnings
sys.path.insert(0, "benchmarks")
from sim_fcs import make_fcs
from compassion_scales.analyses.cfa import cfa
d = make_fcs({n})
warnings.simplefilter("ignore")
cfa(d, "fcs")
""",
    "cfa-fiml": """
import sys, warnings
sys.path.insert(0, "benchmarks")
from sim_fcs import make_fcs
from compassion_scales.analyses.cfa import cfa
d = make_fcs({n}, missing=0.05)
warnings.simplefilter("ignore")
cfa(d, "fcs", missing="fiml")
""",
    "invariance": """
import sys, warnings
sys.path.insert(0, "benchmarks")
from sim_fcs import make_fcs
from compassion_scales.analyses.invariance import invariance
d = make_fcs({n}, groups=5)
warnings.simplefilter("ignore")
invariance(d, "fcs", group="group", stop_at_failure=False, refit_candidates=False)
""",
}


def write_csv(path: str, n: int, seed: int = 1, chunk: int = 1_000_000) -> None:
    """An FCS-shaped file written in chunks (so making the 1e7 file needs little memory)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from compassion_scales.instrument import load_instrument

    items = list(load_instrument("fcs").item_ids)
    rng = np.random.default_rng(seed)
    with open(path, "wb") as fh:
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            cols = {"pid": pa.array(np.char.add("p", np.arange(start, start + m).astype(str)))}
            for it in items:
                v = rng.integers(0, 5, m).astype(float)
                cols[it] = pa.array(v, mask=rng.random(m) < 0.02)
            opts = pacsv.WriteOptions(include_header=start == 0, quoting_style="none")
            sink = pa.BufferOutputStream()
            pacsv.write_csv(pa.table(cols), sink, write_options=opts)
            fh.write(sink.getvalue().to_pybytes())


def measure(cmd: list[str], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", CHILD, *cmd], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if r["rc"]:
            raise SystemExit(f"command failed: {' '.join(cmd)}\n{out.stderr}")
        runs.append((r["time"], r["rss_mb"]))
    return statistics.median(t for t, _ in runs), statistics.median(m for _, m in runs)


def slope(x: list[float], y: list[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--area", default="score-stream", choices=["score-stream", "score", "flows-lmm", "change", "cfa",
                                                           "cfa-fiml", "invariance"])
    ap.add_argument("--sizes", nargs="+", type=float, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    defaults = {"score-stream": [1e5, 1e6, 1e7], "score": [1e4, 1e5, 1e6], "flows-lmm": [1e3, 1e4, 1e5],
                "change": [1e4, 1e5, 1e6], "cfa": [1e4, 1e5, 1e6], "cfa-fiml": [1000, 3000, 10000],
                "invariance": [1e3, 1e4, 1e5]}
    sizes = [int(s) for s in (a.sizes or defaults[a.area])]
    print(f"# growth: {a.area}, sizes {sizes}, median of {a.repeat} run(s); {load()}")
    times, mems = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            if a.area.startswith("score"):
                src, out = os.path.join(tmp, f"in{n}.csv"), os.path.join(tmp, f"out{n}.csv")
                write_csv(src, n)
                cmd = [sys.executable, "-m", "compassion_scales", "score", src, "-i", "fcs", "--id", "pid",
                       "-o", out, *(["--stream"] if a.area == "score-stream" else [])]
                size_mb = os.path.getsize(src) / 2**20
            else:
                cmd = [sys.executable, "-c", AREA_CODE[a.area].format(n=n)]
                size_mb = float("nan")
            t, m = measure(cmd, a.repeat)
            times.append(t)
            mems.append(m)
            extra = f", file {size_mb:.0f} MB" if size_mb == size_mb else ""
            print(f"n = {n:>10,d}: {t:8.2f} s, peak RSS {m:8.0f} MB{extra}", flush=True)
            for f in os.listdir(tmp):
                os.remove(os.path.join(tmp, f))
    print(f"fitted exponent: time ~ n^{slope(sizes, times):.2f}, peak RSS ~ n^{slope(sizes, mems):.2f}")


if __name__ == "__main__":
    main()
