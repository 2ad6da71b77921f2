"""``change`` (reliable change for every person and score) vs a plain pandas version.

There is no R peer installed for the Jacobson-Truax workflow, so the peer is the same
computation written straightforwardly in pandas: score three FCS subscales by summing
their items, merge pre and post on the id, RCI = diff / SE_diff, classify. Usage::

    python benchmarks/bench_change.py [--n 100000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _common import load, median_time, ratio_line  # noqa: E402


def make(inst, n: int, offset: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(rng.integers(0, 5, (n, len(inst.item_ids))), columns=list(inst.item_ids))
    d.insert(0, "client", [f"c{i}" for i in range(offset, offset + n)])
    return d


def plain_pandas(pre: pd.DataFrame, post: pd.DataFrame, inst, sd: float, rel: float) -> pd.DataFrame:
    se = sd * np.sqrt(2) * np.sqrt(1 - rel)
    subs = {s: list(inst.score_items(s)) for s in inst.score_ids}
    a = pd.DataFrame({s: pre[c].sum(axis=1) for s, c in subs.items()}).assign(client=pre["client"])
    b = pd.DataFrame({s: post[c].sum(axis=1) for s, c in subs.items()}).assign(client=post["client"])
    m = a.merge(b, on="client", suffixes=("_pre", "_post"))
    out = []
    for s in subs:
        rci = (m[f"{s}_post"] - m[f"{s}_pre"]) / se
        cat = np.select([rci > 1.96, rci < -1.96], ["reliable_deterioration", "reliable_improvement"],
                        "no_reliable_change")
        out.append(pd.DataFrame({"client": m["client"], "score": s, "pre": m[f"{s}_pre"],
                                 "post": m[f"{s}_post"], "rci": rci, "reliable_change": cat}))
    return pd.concat(out, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    from compassion_scales.analyses.change import change
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("fcs")
    pre, post = make(inst, a.n, 0, 1), make(inst, a.n, a.n // 50, 2)  # 2% unmatched each side
    print(f"# change, FCS (38 items, 3 scores), {a.n} clients pre and post; {load()}")

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            change(pre, inst, second_data=post, id="client", sd=8.0, reliability=0.85)

    t_ours, _ = median_time(ours, a.repeat)
    t_pd, _ = median_time(lambda: plain_pandas(pre, post, inst, 8.0, 0.85), a.repeat)
    print(ratio_line("change()", t_ours, t_pd, "plain pandas"))


if __name__ == "__main__":
    main()
