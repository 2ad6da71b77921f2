"""FCS-shaped data from a known loading structure, for the CFA/invariance benchmarks.

38 items scored 0-4 on the fcs instrument's three scores (10 + 13 + 15 items): a continuous
three-factor model (standardised loadings 0.55-0.80, factor correlations 0.45, group factor
means shifted by up to 0.3 SD) cut at the same thresholds in every group, so the invariance
model holds by construction. ``missing`` sets each cell blank with that probability (MCAR).
Used by ``bench_cfa.py`` (``sim_g*``/``fiml_fcs`` tasks) and ``bench_growth.py``
(``cfa``/``invariance`` areas)::

    python benchmarks/sim_fcs.py OUT.csv --n 10000 --groups 5 [--missing 0.05]
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

THRESHOLDS = np.array([-1.3, -0.45, 0.35, 1.2])


def fcs_items() -> dict[str, list[str]]:
    from compassion_scales.instrument import load_instrument

    inst = load_instrument("fcs")
    return {s: list(inst.score_items(s)) for s in inst.score_ids}


def fcs_model() -> str:
    return "; ".join(f"{s} =~ " + " + ".join(items) for s, items in fcs_items().items())


def make_fcs(n: int, groups: int = 1, missing: float = 0.0, seed: int = 16) -> pd.DataFrame:
    """``n`` respondents (split evenly over ``groups``) on the 38 FCS items, 0-4."""
    rng = np.random.default_rng(seed)
    scores = fcs_items()
    k = len(scores)
    lam = np.zeros((sum(len(v) for v in scores.values()), k))
    row = 0
    for j, items in enumerate(scores.values()):
        lam[row:row + len(items), j] = rng.uniform(0.55, 0.80, len(items))
        row += len(items)
    phi = np.full((k, k), 0.45) + np.eye(k) * 0.55
    group = np.sort(np.arange(n) % groups)
    means = rng.uniform(-0.3, 0.3, (groups, k))
    means[0] = 0.0
    eta = rng.standard_normal((n, k)) @ np.linalg.cholesky(phi).T + means[group]
    theta = 1.0 - (lam**2).sum(axis=1)
    y = eta @ lam.T + rng.standard_normal(lam.shape[0] * n).reshape(n, -1) * np.sqrt(theta)
    x = np.searchsorted(THRESHOLDS, y).astype(float)
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    cols = [it for items in scores.values() for it in items]
    df = pd.DataFrame(x, columns=cols)
    if groups > 1:
        df.insert(0, "group", np.char.add("g", (group + 1).astype(str)))
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--groups", type=int, default=1)
    ap.add_argument("--missing", type=float, default=0.0)
    a = ap.parse_args()
    make_fcs(a.n, a.groups, a.missing).to_csv(a.out, index=False)


if __name__ == "__main__":
    main()
