"""Scoring against the I/O floor: ``cscore score`` vs reading and writing with pyarrow alone.

For each size and format (CSV, Parquet): the whole ``cscore score FILE -i fcs --id pid -o OUT``
process (in memory and ``--stream``, OUT of the input's format) against a process that reads
the same file with pyarrow, sums the items of each FCS subscale with numpy and writes id + sums
with pyarrow (the floor any scorer must pay). The runs of one size take turns, in an order
that rotates (see :func:`measure`), so that a change in the machine's load hits all three
alike; they run in a scratch folder, as a user's would. Reported:
medians over ``--repeat`` fresh processes of wall time, of CPU time (user + system of the
child; system time shown apart) and of peak memory, the ratios to the floor, and the load
average beside each size. On a shared machine the CPU ratio is the steadier one; on this
virtual machine system time varies most (touching fresh memory can cost 20 ms or 600 ms per
300 MB, depending on what the host reclaimed), so use many repeats.

Python compiles a module that has no cached bytecode on every import: with
``PYTHONDONTWRITEBYTECODE`` set and a source checkout never compiled, each cscore process
pays ~70 ms CPU (10,000 rows: a tenth of the floor) that an installed wheel does not (pip
compiles at install). The header says which case is measured; ``--compile`` byte-compiles
cscore's own modules first, as pip does (the floor's modules are in site-packages, compiled).
Usage::

    python benchmarks/bench_score_floor.py [--sizes 1e4 1e5 1e6] [--formats csv parquet] [--repeat 3] [--compile]
        [--baseline DIR]
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
import json, sys, numpy as np, pyarrow as pa
groups = json.loads(sys.argv[3])
if sys.argv[1].endswith(".parquet"):
    import pyarrow.parquet as pq
    t = pq.read_table(sys.argv[1])
else:
    import pyarrow.csv as pacsv
    t = pacsv.read_csv(sys.argv[1])
cols = {"pid": t.column("pid")}
for s, items in groups.items():
    m = np.column_stack([t.column(i).to_numpy(zero_copy_only=False) for i in items])
    cols[s] = m.sum(axis=1)
if sys.argv[2].endswith(".parquet"):
    pq.write_table(pa.table(cols), sys.argv[2])
else:
    pacsv.write_csv(pa.table(cols), sys.argv[2])
"""


def run(cmd: list[str], cwd: str | None = None, env: dict[str, str] | None = None
        ) -> tuple[float, float, float, float]:
    """Wall, user and system seconds and peak memory (MB) of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024


def measure(cmds: dict[str, tuple[list[str], dict[str, str]]], repeat: int, cwd: str | None = None
            ) -> dict[str, dict[str, float]]:
    """Median wall, CPU (user + system), system time and peak memory of each command, the
    commands taking turns.

    The order rotates from one round to the next. On this machine (a virtual machine that
    hands freed memory back to its host) the process that runs after one that freed a lot of
    memory pays more system time to touch fresh memory; a fixed order would always charge
    that to the same command.
    """
    runs: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in cmds}
    keys = list(cmds)
    for r in range(repeat):
        for k in keys[r % len(keys):] + keys[:r % len(keys)]:
            runs[k].append(run(cmds[k][0], cwd, cmds[k][1]))
    return {k: {"wall": statistics.median(x[0] for x in v),
                "cpu": statistics.median(x[1] + x[2] for x in v),
                "sys": statistics.median(x[2] for x in v),
                "rss": statistics.median(x[3] for x in v)} for k, v in runs.items()}


def _package_dirs() -> list[str]:
    import compassion_scales.cli

    return [os.path.dirname(m.__file__ or "") for m in (compassion_scales, compassion_scales.cli)]


def bytecode_state() -> str:
    """Whether cscore's modules load from cached bytecode or are compiled in every process."""
    import importlib.util

    missing = [f for d in _package_dirs() for f in os.listdir(d) if f.endswith(".py")
               and not os.path.exists(importlib.util.cache_from_source(os.path.join(d, f)))]
    if not missing:
        return "cached (as installed by pip)"
    return (f"{len(missing)} top modules without cached bytecode"
            + (" and PYTHONDONTWRITEBYTECODE set: compiled in every process (~70 ms CPU each); "
               "--compile to measure an installed package" if sys.dont_write_bytecode else ""))


def compile_package() -> None:
    import compileall

    for d in _package_dirs():
        compileall.compile_dir(d, quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    ap.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compile", action="store_true",
                    help="byte-compile cscore's modules first (as pip does when installing)")
    ap.add_argument("--baseline", metavar="DIR",
                    help="also time `cscore score` (in memory) from an older checkout in DIR, put "
                         "first on PYTHONPATH (e.g. `git worktree add --detach DIR COMMIT`)")
    a = ap.parse_args()
    from compassion_scales.instrument import load_instrument

    if a.compile:
        compile_package()

    inst = load_instrument("fcs")
    groups = json.dumps({sc: list(inst.score_items(sc)) for sc in inst.score_ids})
    print(f"# cscore score vs pyarrow read + numpy sums + pyarrow write (fresh processes, median of "
          f"{a.repeat}); {load()}")
    print(f"# cscore's bytecode: {bytecode_state()}")
    print("# per command: median wall s, CPU s (user + system; system in brackets), peak MB; "
          "ratios to the floor (wall / CPU)")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in a.sizes):
            src_csv = os.path.join(tmp, "in.csv")
            write_csv(src_csv, n)
            for fmt in a.formats:
                src = src_csv
                if fmt == "parquet":
                    import pyarrow.csv as pacsv
                    import pyarrow.parquet as pq

                    src = os.path.join(tmp, "in.parquet")
                    pq.write_table(pacsv.read_csv(src_csv), src)
                out = os.path.join(tmp, f"out.{fmt}")
                base = [sys.executable, "-m", "compassion_scales", "score", src, "-i", "fcs", "--id",
                        "pid", "-o", out]
                cmds = {"floor": ([sys.executable, "-c", FLOOR, src, out, groups], {}),
                        "memory": (base, {}), "stream": (base + ["--stream"], {})}
                if a.baseline:
                    cmds["baseline"] = (base, {"PYTHONPATH": a.baseline})
                r = measure(cmds, a.repeat, cwd=tmp)
                f = r["floor"]
                print(f"n = {n:>9,d} {fmt}: {load()}", flush=True)
                for k, m in r.items():
                    print(f"    {k:>9}: {m['wall']:6.2f} s, CPU {m['cpu']:6.2f} s ({m['sys']:5.2f}), "
                          f"{m['rss']:6.0f} MB; ratios {m['wall'] / f['wall']:.2f} / "
                          f"{m['cpu'] / f['cpu']:.2f}", flush=True)


if __name__ == "__main__":
    main()
