"""Simulated FCS- and CEAS-shaped responses with injected careless respondents (test helper)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from compassion_scales import load_instrument


def _genuine(rng: np.random.Generator, n: int, groups: list[list[str]], corr: np.ndarray,
             lo: int, hi: int, centre: float, spread: float, loading: float = 0.75) -> pd.DataFrame:
    """Graded answers from correlated factors: y = item mean + spread * (loading f + noise)."""
    g = len(groups)
    F = rng.multivariate_normal(np.zeros(g), corr, size=n)
    cols = {}
    for j, items in enumerate(groups):
        means = rng.uniform(centre - spread * 0.5, centre + spread * 0.5, size=len(items))
        for it, m in zip(items, means, strict=True):
            y = m + spread * (loading * F[:, j] + np.sqrt(1 - loading ** 2) * rng.normal(size=n))
            cols[it] = np.clip(np.round(y), lo, hi)
    return pd.DataFrame(cols)


def _inject(rng: np.random.Generator, df: pd.DataFrame, items: list[str], lo: int, hi: int,
            share: float) -> np.ndarray:
    n = len(df)
    k = len(items)
    careless = np.zeros(n, dtype=bool)
    idx = rng.choice(n, size=int(round(share * n)), replace=False)
    careless[idx] = True
    kinds = np.array(["straight", "random", "alternating"])[np.arange(len(idx)) % 3]
    X = df[items].to_numpy(dtype=float, copy=True)
    for r, kind in zip(idx, kinds, strict=True):
        if kind == "straight":
            X[r] = rng.integers(lo, hi + 1)
        elif kind == "random":
            X[r] = rng.integers(lo, hi + 1, size=k)
        else:
            # swing across at least half the response range: a, b, a, b, ...
            gap = int(np.ceil((hi - lo) / 2))
            a = rng.integers(lo, hi - gap + 1)
            b = rng.integers(a + gap, hi + 1)
            X[r] = np.where(np.arange(k) % 2 == 0, a, b) if rng.random() < 0.5 else \
                np.where(np.arange(k) % 2 == 0, b, a)
    df[items] = X
    return careless


def fcs_sample(seed: int, n: int = 300, share: float = 0.10) -> tuple[pd.DataFrame, np.ndarray]:
    """FCS-shaped data (3 correlated scales, 0-4, floor-heavy) with ``share`` careless rows."""
    rng = np.random.default_rng(seed)
    inst = load_instrument("fcs")
    groups = [list(s.items) for s in inst.scores]
    corr = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    df = _genuine(rng, n, groups, corr, 0, 4, centre=1.3, spread=1.0)
    items = [i for i in inst.item_ids if i in df.columns]
    df = df[items].copy()
    return df, _inject(rng, df, items, 0, 4, share)


def ceas_sample(seed: int, n: int = 300, share: float = 0.10) -> tuple[pd.DataFrame, np.ndarray]:
    """CEAS-shaped data (6 correlated section scales, 1-10, fillers answered reversed)."""
    rng = np.random.default_rng(seed)
    inst = load_instrument("ceas")
    sections: dict[str, list[str]] = {}
    for it in inst.items:
        sections.setdefault(it.section or "", []).append(it.id)
    groups = list(sections.values())
    g = len(groups)
    corr = np.full((g, g), 0.3)
    for a in range(0, g, 2):
        corr[a:a + 2, a:a + 2] = 0.6
    np.fill_diagonal(corr, 1.0)
    df = _genuine(rng, n, groups, corr, 1, 10, centre=6.5, spread=1.8)
    for it in inst.items:
        if not it.scored:  # reverse-worded fillers: answered the other way
            df[it.id] = 11 - df[it.id]
    items = [i for i in inst.item_ids if i in df.columns]
    df = df[items].copy()
    scored = [i.id for i in inst.items if i.scored]
    return df, _inject(rng, df, scored, 1, 10, share)
