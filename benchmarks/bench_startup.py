"""Start-up and small files: time to first result for every subcommand on a 300-row file.

Runs each command as a fresh process on ``examples/responses.csv`` (300 rows, FCS + CEAS),
reports the median wall time, the share spent importing modules (``python -X importtime``:
cumulative time of the top-level imports) and whether statsmodels or matplotlib were loaded.
Usage::

    python benchmarks/bench_startup.py [--repeat 3] [--only flows]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import have_r, load  # noqa: E402

DATA = "examples/responses.csv"
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "instruments list": ["instruments", "list"],
    "score": ["score", DATA, "--id", "pid", "--id", "time", "-o", "{tmp}/scores.csv"],
    "reliability": ["reliability", DATA, "-i", "fcs"],
    "retest": ["retest", DATA, "--id", "pid", "--time", "time", "--occasions", "1", "2", "-i", "fcs"],
    "factors efa": ["factors", "efa", DATA, "-i", "fcs", "--n-factors", "3"],
    "factors cfa": ["factors", "cfa", DATA, "-i", "fcs"],
    "factors invariance": ["factors", "invariance", DATA, "-i", "fcs", "--group", "group"],
    "flows": ["flows", DATA, "-i", "ceas", "--group", "group", "--time", "time", "--id", "pid"],
    "compare": ["compare", DATA, "-i", "fcs", "--group", "group"],
    "screen": ["screen", DATA, "-i", "fcs"],
    "change": ["change", DATA, "-i", "fcs", "--id", "pid", "--time", "time", "--occasions", "1", "2"],
    "trial": ["trial", DATA, "-i", "fcs", "--arm", "group", "--time", "time", "--occasions", "1", "2",
              "--id", "pid"],
    "report": ["report", DATA, "-i", "fcs", "--group", "group", "--time", "time", "--id", "pid",
               "-o", "{tmp}/report.html", "--quiet"],
}
def _fcs_items() -> dict[str, list[str]]:
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("fcs")
    return {s: list(inst.score_items(s)) for s in inst.score_ids}


def _r_efa() -> str:
    items = [i for v in _fcs_items().values() for i in v]
    return (f'x <- read.csv("{DATA}")[, c({", ".join(repr(i) for i in items)})]; '
            'suppressPackageStartupMessages(library(psych)); '
            'print(psych::fa(x, nfactors = 3, fm = "minres", rotate = "oblimin"))')


def _r_cfa() -> str:
    model = "; ".join(f"{s} =~ " + " + ".join(v) for s, v in _fcs_items().items())
    return (f'x <- read.csv("{DATA}"); suppressPackageStartupMessages(library(lavaan)); '
            f'print(summary(lavaan::cfa("{model}", data = x, missing = "listwise")))')


#: Rscript doing the same analysis from the same file (time to first result, fresh process)
R_PEERS = {"factors efa": _r_efa, "factors cfa": _r_cfa}

HEAVY = ("statsmodels", "matplotlib", "sklearn", "pingouin", "factor_analyzer", "scipy.stats", "dask")


def run(args: list[str], importtime: bool) -> tuple[float, str, int]:
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "compassion_scales", *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t0, p.stderr, p.returncode


def import_share(stderr: str) -> tuple[float, set[str]]:
    total, loaded = 0, set()
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if not m:
            continue
        if not m.group(3):  # top level import: its cumulative time includes its children
            total += int(m.group(2))
        name = m.group(4)
        for h in HEAVY:
            if name == h or name.startswith(h + "."):
                loaded.add(h)
    return total / 1e6, loaded


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    print(f"# time to first result, 300-row file, fresh process per run; {load()}")
    print(f"{'command':20s} {'median s':>9s} {'imports s':>9s} {'share':>6s}  heavy modules loaded")
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in COMMANDS.items():
            if a.only and a.only != name:
                continue
            args = [x.replace("{tmp}", tmp) for x in args]
            times = []
            for _ in range(a.repeat):
                t, err, rc = run(args, False)
                if rc not in (0, 1):
                    print(f"{name}: exit {rc}: {err.strip().splitlines()[-1] if err.strip() else ''}")
                times.append(t)
            t_imp, err, _ = run(args, True)
            imp, loaded = import_share(err)
            med = statistics.median(times)
            print(f"{name:20s} {med:9.2f} {imp:9.2f} {imp / t_imp:6.0%}  {', '.join(sorted(loaded)) or '-'}")
            if name in R_PEERS and have_r("psych", "lavaan"):
                code = R_PEERS[name]()
                r_times = []
                for _ in range(a.repeat):
                    t0 = time.perf_counter()
                    subprocess.run(["Rscript", "-e", code], capture_output=True, check=True)
                    r_times.append(time.perf_counter() - t0)
                r_med = statistics.median(r_times)
                print(f"{'  Rscript peer':20s} {r_med:9.2f}  ratio cscore/R = {med / r_med:.2f}")


if __name__ == "__main__":
    main()
