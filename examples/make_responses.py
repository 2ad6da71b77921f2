"""Make examples/responses.csv: synthetic but realistic FCS + CEAS answers (seeded).

Design: 150 participants (pid P001...) in two groups (``cft`` 80, ``waitlist`` 70), each
answering at two time points (``time`` = 1 pre, 2 post), so 300 rows in long format.
Each score's items load on a latent trait; fears of compassion fall and compassion rises
after CFT. About 2% of answers are left blank at random, and a few participants skip a
whole section. Run from the repository root::

    python examples/make_responses.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import compassion_scales as cs

SEED = 20261122
N_CFT, N_WAIT = 80, 70
INSTRUMENTS = tuple(i for i in ("fcs", "ceas") if i in set(cs.list_instruments()["id"]))


def _answers(rng: np.random.Generator, trait: np.ndarray, lo: float, hi: float,
             reverse: bool, loading: float) -> np.ndarray:
    """Discretise a latent trait (SD units) plus noise onto the lo..hi response scale."""
    z = loading * trait + np.sqrt(1 - loading ** 2) * rng.standard_normal(trait.shape)
    if reverse:
        z = -z
    mid = (lo + hi) / 2
    spread = (hi - lo) / 4.5
    return np.clip(np.rint(mid + spread * z), lo, hi)


def make(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = N_CFT + N_WAIT
    pid = np.array([f"P{i:03d}" for i in range(1, n + 1)])
    group = np.array(["cft"] * N_CFT + ["waitlist"] * N_WAIT)
    rng.shuffle(group)
    base = {}
    rows = []
    for time in (1, 2):
        frame = pd.DataFrame({"pid": pid, "group": group, "time": time})
        cols = {}
        for inst_id in INSTRUMENTS:
            inst = cs.load_instrument(inst_id)
            for s in inst.scores:
                if not s.items:
                    continue
                key = (inst_id, s.id)
                if key not in base:
                    base[key] = rng.standard_normal(n)
                trait = base[key].copy()
                if time == 2:
                    shift = np.where(group == "cft", 0.6, 0.1)
                    trait = trait + (-shift if s.higher_is == "worse" else shift)
                    trait = 0.8 * trait + 0.6 * rng.standard_normal(n) * 0.5
                for item_id in s.items:
                    it = inst.item(item_id)
                    rs = inst.response_sets[it.response_set]
                    if item_id not in cols:
                        cols[item_id] = _answers(rng, trait, rs.min, rs.max, it.reverse, 0.75)
            for it in inst.items:  # fillers: reverse-worded, weakly related
                if not it.scored:
                    rs = inst.response_sets[it.response_set]
                    cols[it.id] = _answers(rng, rng.standard_normal(n), rs.min, rs.max, False, 0.3)
            ordered = [i for i in inst.item_ids if i in cols]
            for c in ordered:
                frame[c] = cols[c]
        rows.append(frame)
    df = pd.concat(rows, ignore_index=True)
    item_cols = [c for c in df.columns if c not in ("pid", "group", "time")]
    values = df[item_cols].to_numpy(dtype=float)
    values[rng.random(values.shape) < 0.02] = np.nan
    df[item_cols] = values
    # three participants skip the FCS for-others section at one time point
    skip = rng.choice(len(df), size=3, replace=False)
    oth = [c for c in item_cols if c.startswith("fcs_oth_")]
    df.loc[skip, oth] = np.nan
    df[item_cols] = df[item_cols].astype("Int64")
    return df.sort_values(["pid", "time"], kind="stable").reset_index(drop=True)


if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "responses.csv"
    make().to_csv(out, index=False)
    print(f"wrote {out}")
