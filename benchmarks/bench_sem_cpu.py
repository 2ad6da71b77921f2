"""CPU time of the SEM code on the workloads of the test suite, and a check that an optimisation
changed no number beyond floating-point noise.

Run from the repository root::

    python benchmarks/bench_sem_cpu.py [--repeat 3] [--only hs,inv] [--dump out.json] [--compare base.json]

Tasks (small and medium models as the tests and users run them): ML CFAs of Holzinger-Swineford
(9 items, n = 301) and bfi (25 items, n = 2436), a FIML CFA of bfi (n = 2800), ML invariance of
HS by school (4 fits, with the partial-invariance refits) and of the shipped FCS example
(38 items), MLR invariance of HS, and ordinal (WLSMV) invariance of HS cut into categories and
of bfi by gender (five steps each, delta and theta parameterisations).

Prints the minimum and median CPU time (``time.process_time``: user + sys of this process, all
threads; the minimum is the least disturbed by other processes on a shared machine) and the
median wall time per task with the machine load. Set ``OPENBLAS_NUM_THREADS=1`` to time as the
tests run (tests/conftest.py). ``--dump`` writes every fit measure, estimate and
standard error of each task to JSON; ``--compare`` prints the largest absolute and relative
difference from such a file (run the old code with ``PYTHONPATH`` pointing at a copy of it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BFI = "\n".join(f"{f} =~ " + " + ".join(f"{c}{i}" for i in range(1, 6))
                for f, c in zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True))


def _numbers(res: Any) -> dict[str, float]:
    """Every number of a CFA or invariance result, flattened (name -> value)."""
    out: dict[str, float] = {}

    def frame(prefix: str, df: pd.DataFrame) -> None:
        num = df.select_dtypes("number")
        for r, row in enumerate(num.itertuples(index=False)):
            for c, v in zip(num.columns, row, strict=True):
                out[f"{prefix}[{r}].{c}"] = float(v)

    if type(res).__name__ == "OrdinalInvarianceResult":
        frame("table", res.table)
        for name, est in res.estimates.items():
            frame(name, est)
        return out
    if hasattr(res, "fits"):
        frame("summary", res.summary)
        for name, fit in res.fits.items():
            out.update({f"{name}.{k}": v for k, v in _numbers(fit).items()})
        if getattr(res, "partial", None) is not None and len(res.partial):
            frame("partial", res.partial)
        return out
    out.update({f"fit.{k}": float(v) for k, v in res.fit.items() if isinstance(v, int | float)})
    frame("estimates", res.estimates)
    return out


def tasks() -> dict[str, Callable[[], Any]]:
    from compassion_scales.analyses.cfa import cfa
    from compassion_scales.analyses.invariance import invariance

    data = REF / "data"
    hs = pd.read_csv(data / "HolzingerSwineford1939.csv")
    bfi = pd.read_csv(data / "bfi.csv")
    hs_ord = pd.read_csv(data / "hs_ordinal.csv")
    fcs = pd.read_csv(ROOT / "examples" / "responses.csv")
    bfi_ord = bfi[[f"{c}{i}" for c in "AC" for i in range(1, 6)] + ["gender"]].dropna()
    bfi_ord_model = "agree =~ A1 + A2 + A3 + A4 + A5\n consc =~ C1 + C2 + C3 + C4 + C5"
    return {
        "hs_cfa": lambda: cfa(hs, HS),
        "bfi_cfa": lambda: cfa(bfi, BFI),
        "bfi_fiml": lambda: cfa(bfi, BFI, missing="fiml"),
        "hs_inv": lambda: invariance(hs, HS, group="school", stop_at_failure=False),
        "hs_inv_mlr": lambda: invariance(hs, HS, group="school", stop_at_failure=False, estimator="MLR",
                                         configural_rmsea=0.10),
        "fcs_inv": lambda: invariance(fcs, "fcs", group="group", stop_at_failure=False, refit_candidates=False),
        "hs_ord_inv": lambda: invariance(hs_ord, HS, group="school", stop_at_failure=False, ordered=True),
        "hs_ord_inv_theta": lambda: invariance(hs_ord, HS, group="school", stop_at_failure=False, ordered=True,
                                               parameterization="theta"),
        "bfi_ord_inv": lambda: invariance(bfi_ord, bfi_ord_model, group="gender", stop_at_failure=False,
                                          ordered=True),
    }


def _compare(ours: dict[str, dict[str, float]], base: dict[str, dict[str, float]]) -> None:
    for task, nums in ours.items():
        old = base.get(task)
        if old is None:
            continue
        keys = [k for k in nums if k in old and np.isfinite(nums[k]) and np.isfinite(old[k])]
        absd = [abs(nums[k] - old[k]) for k in keys]
        reld = [abs(nums[k] - old[k]) / max(abs(old[k]), 1e-300) for k in keys]
        worst = keys[int(np.argmax(absd))] if keys else "-"
        nan_diff = sum(1 for k in nums if k in old and np.isfinite(nums[k]) != np.isfinite(old[k]))
        print(f"  {task:18s} {len(keys):6d} numbers, max |diff| {max(absd, default=0):.2e} ({worst}), "
              f"max rel {max(reld, default=0):.2e}, missing {len(set(old) ^ set(nums))}, finite/nan {nan_diff}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--dump", default="")
    ap.add_argument("--compare", default="")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print("start:", load(), flush=True)
    todo = {k: fn for k, fn in tasks().items() if not args.only or k in args.only.split(",")}
    numbers: dict[str, dict[str, float]] = {}
    total_cpu = 0.0
    for name, fn in todo.items():
        numbers[name] = _numbers(fn())  # warm-up, and the numbers
        cpu, wall = [], []
        for _ in range(args.repeat):
            c0, w0 = time.process_time(), time.perf_counter()
            fn()
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        total_cpu += min(cpu)
        print(f"{name:18s} cpu min {min(cpu):7.3f} s  median {statistics.median(cpu):7.3f} s  "
              f"wall median {statistics.median(wall):7.3f} s", flush=True)
    print(f"{'total':18s} cpu min {total_cpu:7.3f} s")
    print("end:", load())
    if args.dump:
        Path(args.dump).write_text(json.dumps(numbers))
    if args.compare:
        print("differences from", args.compare)
        _compare(numbers, json.loads(Path(args.compare).read_text()))


if __name__ == "__main__":
    main()
