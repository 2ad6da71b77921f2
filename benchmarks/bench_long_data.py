"""``change`` and ``retest`` on long data (one row per client and session), with the row
numbers of the occasion subsets shared (today) and copied by pandas (as before)::

    python benchmarks/bench_long_data.py [N_CLIENTS]
"""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

import compassion_scales._inputs as inputs
from compassion_scales import change, retest
from compassion_scales.instrument import load_instrument


def main(n: int) -> None:
    warnings.simplefilter("ignore")
    inst = load_instrument("fcs")
    rng = np.random.default_rng(0)
    d = pd.DataFrame(rng.integers(0, 5, (2 * n, len(inst.item_ids))).astype(str),
                     columns=list(inst.item_ids), dtype="str")
    d.insert(0, "session", np.repeat([1, 2], n).astype(str))
    d.insert(0, "client", np.tile([f"c{i}" for i in range(n)], 2))
    d = d.astype("str")
    d.attrs = {"source": "long.csv", "first_row": 2, "notes": []}
    shared = inputs.RowNumbers
    for label, cls in (("shared row numbers", shared), ("copied row numbers (before)", tuple)):
        inputs.RowNumbers = cls  # type: ignore[misc]
        t0 = time.perf_counter()
        change(d, "fcs", id="client", time="session", occasions=("1", "2"), sd=8.0,
               reliability=0.8, higher_is="worse")
        t1 = time.perf_counter()
        retest(d, "fcs", id="client", time="session", occasions=("1", "2"))
        t2 = time.perf_counter()
        print(f"{label}: change {t1 - t0:.2f} s, retest {t2 - t1:.2f} s")
    inputs.RowNumbers = shared  # type: ignore[misc]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
