"""Fresh-data fidelity sweep: cscore against R on simulated data sets it has never seen.

    python benchmarks/fidelity_fresh.py [--keep DIR] [--only reliability,efa,...]

Simulates data sets unlike the test fixtures (n 40-2000, 4-30 items, Likert 1-5 / 0-4 / 1-7
and continuous, skewed answers, 0-20% missing completely at random and blocks of missing
answers, near-Heywood and near-singular cases, 2-5 unequal groups, two occasions with people
missing at one), writes them to a temporary folder, runs ONE Rscript
(``benchmarks/fidelity_fresh.R``: psych, GPArotation, BayesFactor, base R stats) for the
reference numbers, runs cscore's Python API (and the CLI with ``--format json`` for a few) on
the same files, and prints per statistic the worst absolute and relative difference and the
data set where it occurred. Each R call is the one our documentation names as the
equivalent (see ``docs/reliability.md``, ``docs/factor-analysis.md``, ``compare``'s notes,
``docs/clinical-change.md``). Factor solutions are compared as psych orders and signs them
("unaligned") and after matching columns by order and sign ("aligned").

Takes about a minute (R ~25 s, Python ~20 s) on the shared 2-core machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
R_SCRIPT = HERE / "fidelity_fresh.R"
FCS_SELF = [f"fcs_self_{i}" for i in range(1, 16)]
FCS_OTH = [f"fcs_oth_{i}" for i in range(1, 11)]
FCS_FROM = [f"fcs_from_{i}" for i in range(1, 14)]


# ============================================================================ simulation
def _factor_data(rng: np.random.Generator, n: int, loadings: np.ndarray,
                 phi: np.ndarray | None = None) -> np.ndarray:
    k, m = loadings.shape
    phi = np.eye(m) if phi is None else phi
    f = rng.multivariate_normal(np.zeros(m), phi, size=n)
    common = f @ loadings.T
    h2 = np.einsum("ij,jk,ik->i", loadings, phi, loadings)
    e = rng.normal(size=(n, k)) * np.sqrt(np.clip(1 - h2, 0.002, None))
    return common + e


def _likert(x: np.ndarray, lo: int, hi: int, skew: float = 0.0) -> np.ndarray:
    """Cut standardised scores into lo..hi; ``skew`` > 0 piles answers at the bottom."""
    cats = hi - lo + 1
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    cuts = np.linspace(-1.8, 1.8, cats - 1) + skew
    return lo + (z[..., None] > cuts).sum(axis=-1).astype(float)


def _mcar(rng: np.random.Generator, x: np.ndarray, rate: float) -> np.ndarray:
    x = x.copy()
    x[rng.random(x.shape) < rate] = np.nan
    # keep at least one answer per row (rows with none are a documented difference)
    empty = np.isnan(x).all(axis=1)
    x[empty, 0] = 1.0
    return x


def _simple(k: int, lam: float | np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(lam, dtype=float), (k,)).reshape(k, 1).copy()


def _structure(sizes: list[int], main: float, cross: float = 0.0) -> np.ndarray:
    k, m = sum(sizes), len(sizes)
    L = np.full((k, m), cross)
    start = 0
    for j, s in enumerate(sizes):
        L[start:start + s, j] = main
        start += s
    return L


def simulate(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The item data sets (name -> DataFrame of items, columns i1..ik)."""
    sets: dict[str, np.ndarray] = {}
    # n = 40, 5 items 1-5, one factor, complete
    sets["n40_k5_likert15"] = _likert(_factor_data(rng, 40, _simple(5, [.7, .6, .65, .5, .55])), 1, 5)
    # n = 2000, 30 items 1-5, three factors, 10% MCAR
    L = _structure([10, 10, 10], .6, .1)
    sets["n2000_k30_3f_mcar10"] = _mcar(rng, _likert(_factor_data(
        rng, 2000, L, np.array([[1, .3, .2], [.3, 1, .4], [.2, .4, 1]])), 1, 5), .10)
    # n = 150, 8 items 0-4, skewed, 5% MCAR
    sets["n150_k8_likert04_skew"] = _mcar(rng, _likert(_factor_data(
        rng, 150, _simple(8, np.linspace(.45, .8, 8))), 0, 4, skew=1.0), .05)
    # n = 300, 12 items 1-7, two factors; a block of people skipped the last 4 items
    x = _likert(_factor_data(rng, 300, _structure([6, 6], .65), np.array([[1, .5], [.5, 1]])), 1, 7)
    x[rng.choice(300, 45, replace=False)[:, None], np.arange(8, 12)] = np.nan
    sets["n300_k12_likert17_block"] = x
    # n = 500, 6 continuous items, one near-Heywood item (loading .97)
    sets["n500_k6_cont_nearheywood"] = _factor_data(rng, 500, _simple(6, [.97, .6, .55, .5, .6, .45]))
    # n = 60, 10 continuous items; item 10 nearly the sum of items 1 and 2 (near singular)
    x = _factor_data(rng, 60, _structure([5, 5], .6))
    x[:, 9] = x[:, 0] + x[:, 1] + rng.normal(scale=.05, size=60)
    sets["n60_k10_cont_nearsingular"] = x
    # n = 250, 9 items 1-5, three factors, 20% MCAR
    sets["n250_k9_3f_mcar20"] = _mcar(rng, _likert(_factor_data(
        rng, 250, _structure([3, 3, 3], .7), np.array([[1, .4, .3], [.4, 1, .3], [.3, .3, 1]])), 1, 5), .20)
    # n = 1000, 15 continuous items, three factors with cross-loadings, complete
    sets["n1000_k15_cont_3f"] = _factor_data(rng, 1000, _structure([5, 5, 5], .65, .15))
    # n = 45, 4 items 0-4, 15% MCAR
    sets["n45_k4_likert04_mcar15"] = _mcar(rng, _likert(_factor_data(rng, 45, _simple(4, .7)), 0, 4), .15)
    # n = 800, 20 items 1-7, four factors, 2% MCAR, right-skewed
    sets["n800_k20_4f_skew"] = _mcar(rng, _likert(_factor_data(
        rng, 800, _structure([5, 5, 5, 5], .6), np.full((4, 4), .3) + .7 * np.eye(4)), 1, 7, skew=-.6), .02)
    # n = 120, 7 items 1-5, one item reverse-worded (negative loading), not reversed
    sets["n120_k7_unreversed"] = _likert(_factor_data(
        rng, 120, _simple(7, [.7, .6, -.6, .65, .5, .55, .6])), 1, 5)
    # n = 200, 5 items 1-5 plus their total (a singular correlation matrix)
    x = _likert(_factor_data(rng, 200, _simple(5, .55)), 1, 5)
    sets["n200_k6_total_column"] = np.column_stack([x, x.sum(axis=1)])
    # n = 180, 12 items 1-5, half of them reverse-worded and not reversed (a balanced scale)
    sets["n180_k12_balanced_unreversed"] = _likert(_factor_data(
        rng, 180, _simple(12, np.tile([.65, -.6], 6))), 1, 5)
    # n = 12, 10 items (n barely above k), continuous
    sets["n12_k10_cont"] = _factor_data(rng, 12, _simple(10, .6))
    return {name: pd.DataFrame(v, columns=[f"i{j + 1}" for j in range(v.shape[1])])
            for name, v in sets.items()}


def simulate_groups(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Group comparison sets: one score ``y`` (some missing), group column ``g``."""
    out = {}
    def frame(parts: list[np.ndarray], labels: list[str]) -> pd.DataFrame:
        y = np.concatenate(parts)
        g = np.concatenate([[lab] * len(p) for lab, p in zip(labels, parts, strict=True)])
        return pd.DataFrame({"g": g, "y": y})
    out["g2_30v90_cont"] = frame([rng.normal(10, 2, 30), rng.normal(11, 4, 90)], ["ctl", "trt"])
    # Likert mean scores (many ties), small groups
    out["g2_12v19_ties"] = frame([np.round(rng.normal(3, .8, 12) * 2) / 2,
                                  np.round(rng.normal(3.6, .7, 19) * 2) / 2], ["a", "b"])
    # skewed sum scores, large unequal groups, some missing
    d = frame([rng.gamma(2, 4, 400), rng.gamma(2.4, 4, 1100)], ["f", "m"])
    d.loc[rng.choice(len(d), 60, replace=False), "y"] = np.nan
    out["g2_400v1100_skew_missing"] = d
    out["g2_300v300_big_effect"] = frame([rng.normal(0, 1, 300), rng.normal(1.3, 1.1, 300)],
                                         ["p", "q"])
    for name, sizes in (("multi_g2", [35, 50]), ("multi_g3", [30, 25, 40])):
        g = np.repeat([f"arm{i}" for i in range(len(sizes))], sizes)
        shift = np.repeat(np.arange(len(sizes)), sizes)
        m = pd.DataFrame({"g": g})
        for j, eff in enumerate([0.0, .25, .5, .05][:len(MULTI[name])]):
            m[f"y{j + 1}"] = rng.normal(size=len(g)) + eff * shift
        m.loc[rng.random(len(m)) < .05, "y2"] = np.nan
        out[name] = m
    out["g3_20v50v130"] = frame([rng.normal(0, 1, 20), rng.normal(.4, 1.5, 50),
                                 rng.normal(.2, .7, 130)], ["s1", "s2", "s3"])
    out["g5_unequal_ties"] = frame([np.round(rng.gamma(2, 2, n)) + s for n, s in
                                    zip([8, 15, 40, 22, 60], [0, 1, 0, 2, 1], strict=True)],
                                   ["A", "B", "C", "D", "E"])
    out["g4_large_effect"] = frame([rng.normal(m, 1, n) for m, n in
                                    zip([0, 1.5, 3, 4], [25, 30, 35, 400], strict=True)], ["w", "x", "y", "z"])
    return out


def simulate_occasions(rng: np.random.Generator, n: int = 160) -> tuple[pd.DataFrame, pd.DataFrame]:
    """FCS answers (0-4) at two occasions; some people at one time only, some items missing."""
    L = _structure([10, 13, 15], .6, .1)
    true = _factor_data(rng, n, L)
    t1 = _likert(true, 0, 4, skew=.4)
    t2 = _likert(.8 * true + .6 * rng.normal(size=true.shape) - .3, 0, 4, skew=.5)
    cols = FCS_OTH + FCS_FROM + FCS_SELF
    ids = np.arange(1001, 1001 + n)
    a = pd.DataFrame(t1, columns=cols)
    b = pd.DataFrame(t2, columns=cols)
    a = _with_missing(rng, a, .01)
    b = _with_missing(rng, b, .01)
    a.insert(0, "id", ids)
    b.insert(0, "id", ids)
    a = a.drop(index=rng.choice(n, 12, replace=False))            # missing at time 1
    b = b.drop(index=rng.choice(n, 17, replace=False))            # missing at time 2
    return a.sample(frac=1, random_state=1), b


def _with_missing(rng: np.random.Generator, d: pd.DataFrame, rate: float) -> pd.DataFrame:
    v = d.to_numpy(dtype=float, copy=True)
    v[rng.random(v.shape) < rate] = np.nan
    return pd.DataFrame(v, columns=d.columns)


# ============================================================================ comparison log
class Log:
    """Worst absolute / relative difference per statistic, with the data set."""

    def __init__(self) -> None:
        self.worst: dict[str, dict[str, Any]] = {}
        self.decisions: list[str] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.verdicts: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, stat: str, where: str, ours: Any, theirs: Any) -> None:
        a = np.atleast_1d(np.asarray(ours, dtype=object)).ravel()
        b = np.atleast_1d(np.asarray(theirs, dtype=object)).ravel()
        a = np.array([np.nan if v is None else v for v in a], dtype=float)
        b = np.array([np.nan if v is None else v for v in b], dtype=float)
        if a.shape != b.shape:
            self.decisions.append(f"{stat} @ {where}: shape {a.shape} vs R {b.shape}")
            return
        self.counts[stat] += a.size
        both_nan = np.isnan(a) & np.isnan(b)
        one_nan = np.isnan(a) ^ np.isnan(b)
        if one_nan.any():
            self.decisions.append(f"{stat} @ {where}: NaN in {'ours' if np.isnan(a).any() else 'R'} "
                                  f"(ours {a[one_nan][:3]}, R {b[one_nan][:3]})")
        ok = ~(both_nan | one_nan)
        if not ok.any():
            return
        d = np.abs(a[ok] - b[ok])
        rel = d / np.maximum(np.abs(b[ok]), 1e-300)
        i = int(np.argmax(d))
        cur = self.worst.get(stat)
        if cur is None or d[i] > cur["abs"]:
            self.worst[stat] = {"abs": float(d[i]), "rel": float(rel[i]), "where": where,
                                "ours": float(a[ok][i]), "r": float(b[ok][i]),
                                "max_rel": max(float(rel.max()), cur["max_rel"] if cur else 0.0)}
        else:
            cur["max_rel"] = max(cur["max_rel"], float(rel.max()))

    def same(self, stat: str, where: str, ours: Any, theirs: Any) -> None:
        self.counts[stat] += 1
        bad = list(ours) != list(theirs)
        self.verdicts[stat][0] += 1
        self.verdicts[stat][1] += int(bad)
        if bad:
            self.decisions.append(f"{stat} @ {where}: ours {list(ours)} vs R {list(theirs)}")

    def report(self) -> str:
        lines = [f"{'statistic':44s} {'n':>6s} {'worst abs':>10s} {'rel':>9s} {'max rel':>9s}  data set"]
        for stat in sorted(self.worst):
            w = self.worst[stat]
            lines.append(f"{stat:44s} {self.counts[stat]:6d} {w['abs']:10.2e} {w['rel']:9.1e} "
                         f"{w['max_rel']:9.1e}  {w['where']}")
        lines.append("\nDecisions (same answer as R?):")
        for stat, (n, bad) in sorted(self.verdicts.items()):
            lines.append(f"  {stat:60s} {n:4d} compared, {bad} differ")
        lines.append(f"\n{sum(self.counts.values())} numbers and decisions compared.")
        lines.append(f"Decision / NaN / shape disagreements: {len(self.decisions)}")
        lines += ["  " + d for d in self.decisions]
        return "\n".join(lines)


# ============================================================================ jobs
ROTATIONS = {"varimax": "varimax", "promax": "promax", "oblimin": "oblimin",
             "geominQ": "geomin_obl", "geominT": "geomin_ort", "none": "none"}
EFA_PLAN = {
    "n2000_k30_3f_mcar10": [(3, "minres", "oblimin"), (3, "ml", "promax"), (3, "pa", "varimax"),
                            (3, "minres", "geominQ")],
    "n300_k12_likert17_block": [(2, "minres", "oblimin"), (2, "ml", "varimax"), (2, "pa", "promax"),
                                (2, "minres", "geominT")],
    "n500_k6_cont_nearheywood": [(1, "minres", "none"), (1, "ml", "none"), (1, "pa", "none")],
    "n60_k10_cont_nearsingular": [(2, "minres", "oblimin"), (2, "ml", "varimax")],
    "n250_k9_3f_mcar20": [(3, "minres", "oblimin"), (3, "ml", "oblimin"), (3, "pa", "geominQ")],
    "n1000_k15_cont_3f": [(3, "minres", "varimax"), (3, "ml", "oblimin"), (3, "minres", "promax"),
                          (3, "pa", "oblimin"), (3, "ml", "geominT")],
    "n800_k20_4f_skew": [(4, "minres", "oblimin"), (4, "ml", "promax"), (4, "pa", "varimax")],
    "n200_k6_total_column": [(1, "pa", "none"), (2, "pa", "varimax")],
    "n150_k8_likert04_skew": [(1, "minres", "none"), (2, "minres", "oblimin"), (2, "ml", "geominQ"),
                              (2, "minres", "none"), (2, "ml", "none")],
}
MULTI = {"multi_g2": ["y1", "y2", "y3", "y4"], "multi_g3": ["y1", "y2", "y3"]}
CORR_INPUT = ("n300_k12_likert17_block", "n250_k9_3f_mcar20")
KEYED = {"n150_k8_likert04_skew": ["i2", "i5"], "n120_k7_unreversed": ["i3"],
         "n45_k4_likert04_mcar15": ["i4"]}
ORDINAL = ["n300_k12_likert17_block", "n45_k4_likert04_mcar15"]
GROUPED = "n2000_k30_3f_mcar10"
GROUPED_LEVELS = ["north", "south", "west"]
EFA_LISTWISE = {"n250_k9_3f_mcar20": [(3, "minres", "oblimin"), (2, "ml", "varimax")],
                "n300_k12_likert17_block": [(2, "minres", "none"), (2, "pa", "oblimin")]}
OMEGA_NF = {"n2000_k30_3f_mcar10": 3, "n250_k9_3f_mcar20": 3, "n1000_k15_cont_3f": 3,
            "n800_k20_4f_skew": 4, "n300_k12_likert17_block": 2, "n150_k8_likert04_skew": 2}


def manifest(items: dict[str, pd.DataFrame], groups: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    for name, d in items.items():
        cols = list(d.columns)
        for missing in ("pairwise", "listwise"):
            if missing == "listwise" and not d.isna().any().any():
                continue
            if missing == "listwise" and d.dropna().shape[0] < 5:
                continue
            jobs.append({"name": f"alpha:{name}:{missing}", "kind": "alpha", "file": f"{name}.csv",
                         "items": cols, "missing": missing, "omega_nf": OMEGA_NF.get(name)})
        if name in EFA_PLAN:
            jobs.append({"name": f"efa:{name}", "kind": "efa", "file": f"{name}.csv", "items": cols,
                     "corr_input": name in CORR_INPUT,
                         "solutions": [{"nf": nf, "fm": fm, "rotate": rot}
                                       for nf, fm, rot in EFA_PLAN[name]]})
    for name, keys in KEYED.items():
        jobs.append({"name": f"alpha:{name}:keyed", "kind": "alpha", "file": f"{name}.csv",
                     "items": list(items[name].columns), "missing": "pairwise", "keys": keys,
                     "ordinal": name in ORDINAL})
    for name in ORDINAL:
        jobs.append({"name": f"alpha:{name}:ordinal", "kind": "alpha", "file": f"{name}.csv",
                     "items": list(items[name].columns), "missing": "pairwise", "ordinal": True})
    for value in GROUPED_LEVELS:
        jobs.append({"name": f"alpha:{GROUPED}:group={value}", "kind": "alpha",
                     "file": f"{GROUPED}_grouped.csv", "items": list(items[GROUPED].columns),
                     "missing": "pairwise", "subset": {"column": "grp", "value": value}})
    for name, plan in EFA_LISTWISE.items():
        jobs.append({"name": f"efa:{name}:listwise", "kind": "efa", "file": f"{name}.csv",
                     "items": list(items[name].columns), "missing": "listwise",
                     "solutions": [{"nf": nf, "fm": fm, "rotate": rot} for nf, fm, rot in plan]})
    jobs.append({"name": "icc:raters5", "kind": "icc", "file": "raters5.csv"})
    for name in MULTI:
        jobs.append({"name": f"multi:{name}", "kind": "multi", "file": f"{name}.csv",
                     "scores": MULTI[name], "group": "g"})
    for name in [g for g in groups if g not in MULTI]:
        jobs.append({"name": f"compare:{name}", "kind": "compare", "file": f"{name}.csv",
                     "score": "y", "group": "g"})
    scores = [{"id": "fcs_others", "items": FCS_OTH}, {"id": "fcs_from_others", "items": FCS_FROM},
              {"id": "fcs_self", "items": FCS_SELF}]
    jobs.append({"name": "retest:fcs", "kind": "retest", "file1": "occ1.csv", "file2": "occ2.csv",
                 "scores": scores})
    jobs.append({"name": "change:fcs", "kind": "change", "file1": "occ1.csv", "file2": "occ2.csv",
                 "scores": scores, "clinical": [30, 8], "functional": [15, 6]})
    return jobs


# ============================================================================ cscore side
def check_alpha(log: Log, name: str, d: pd.DataFrame, missing: str, r: dict[str, Any],
                job: dict[str, Any]) -> None:
    import compassion_scales as cs

    tag = job["name"].split(":", 2)[2]
    where = f"{name} ({tag})"
    opts: dict[str, Any] = {"n_boot": 0, "missing": missing, "reverse": job.get("keys") or None,
                            "ordinal": bool(job.get("ordinal"))}
    nf = OMEGA_NF.get(name, 1) if "subset" not in job and not job.get("keys") else 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "subset" in job:
            res = cs.reliability(d, group="grp", n_factors=nf, **opts)
            value = job["subset"]["value"]
            res = _one_group(res, value)
        else:
            res = cs.reliability(d, n_factors=nf, **opts)
        res1 = cs.reliability(d, n_factors=1, **opts) if nf > 1 else res
    hey = _heywood_tag(d[list(job["items"])], missing, job.get("keys") or None, 1)
    hey_nf = _heywood_tag(d[list(job["items"])], missing, job.get("keys") or None, nf) if nf > 1 else ""
    s = res.summary.iloc[0]
    s1 = res1.summary.iloc[0]
    it = res.items
    if job.get("ordinal") and "ordinal_alpha" not in r:
        log.decisions.append(f"ordinal @ {where}: psych::polychoric failed (sparse table); "
                             f"cscore gives ordinal alpha {s['ordinal_alpha']:.4f}")
    elif job.get("ordinal"):
        log.add("ordinal alpha (polychoric)", where, s["ordinal_alpha"], r["ordinal_alpha"])
        log.add("ordinal omega total (polychoric)", where, s["ordinal_omega_total"], r["ordinal_omega"])
    if tag == "ordinal":
        return
    log.add("alpha raw", where, s["alpha"], r["raw_alpha"])
    log.add("alpha std", where, s["std_alpha"], r["std_alpha"])
    log.add("alpha lambda6 (G6 smc)", where, s["lambda6"], r["g6"])
    log.add("alpha average_r", where, s["average_r"], r["average_r"])
    log.add("alpha median_r", where, s["median_r"], r["median_r"])
    log.add("alpha signal_noise", where, s["signal_noise"], r["sn"])
    log.add("alpha ase", where, s["ase"], r["ase"])
    log.add("alpha Feldt ci", where, [s["ci_low"], s["ci_high"]], [r["feldt_low"], r["feldt_high"]])
    log.add("alpha n_obs", where, s["n_obs"], r["n_obs"])
    log.add("item r.drop", where, it["r_drop"], r["r_drop"])
    log.add("item raw.r", where, it["r_total"], r["raw_r"])
    log.add("item std.r", where, it["r_total_std"], r["std_r"])
    log.add("item mean/sd", where, np.r_[it["mean"], it["sd"]], np.r_[r["item_mean"], r["item_sd"]])
    log.add("alpha if dropped raw", where, it["alpha_if_dropped"], r["alpha_drop"])
    log.add("alpha if dropped std", where, it["std_alpha_if_dropped"], r["std_alpha_drop"])
    log.add("split half (odd-even SB)", where, s["split_half_sb"], r["split_half_sb"])
    if "omega_total_1" in r:
        log.add("omega total (1 factor)" + hey, where, s1["omega_total"], r["omega_total_1"])
    if "omega_h_nf" in r and s["n_factors"] > 1:
        log.add("omega total (n factors)" + hey_nf, where, s["omega_total"], r["omega_total_nf"])
        log.add("omega h (n factors)" + hey_nf, where, s["omega_h"], r["omega_h_nf"])
    flagged = sorted(it.loc[it["keying_flag"], "item"])
    flips = sorted(r.get("check_keys_flips") or [])
    log.same("keying flag vs psych check.keys flips", where, flagged, flips)
    log.same("keying flag vs psych's warning (PC1 < 0)", where, flagged, sorted(r.get("pc_negative") or []))


def _heywood_tag(d: pd.DataFrame, missing: str, keys: list[str] | None, nf: int) -> str:
    """" [Heywood case]" when cscore's omega with ``nf`` factors warns of one, else ""."""
    import compassion_scales as cs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cs.omega(d, n_factors=nf, missing=missing, reverse=keys)
        except cs.AnalysisError:
            return ""
    return " [Heywood case]" if any(issubclass(w.category, cs.HeywoodCaseWarning) for w in caught) else ""


def _one_group(res: Any, value: str) -> Any:
    """The rows of one group of a grouped reliability result, as a plain result-like object."""
    class _G:
        summary = res.summary[res.summary["group"] == value].reset_index(drop=True)
        items = res.items[res.items["group"] == value].reset_index(drop=True)
    return _G


def _align(ours: np.ndarray, theirs: np.ndarray) -> tuple[np.ndarray, tuple[int, ...], np.ndarray]:
    """Permute and sign our columns to best match R's (largest total congruence)."""
    k = ours.shape[1]
    best, best_perm, best_s = np.inf, tuple(range(k)), np.ones(k)
    for perm in itertools.permutations(range(k)):
        o = ours[:, perm]
        s = np.sign(np.sum(o * theirs, axis=0))
        s[s == 0] = 1
        err = np.abs(o * s - theirs).max()
        if err < best:
            best, best_perm, best_s = err, perm, s
    return ours[:, best_perm] * best_s, best_perm, best_s


def _log10p(p: float | None) -> float:
    return np.nan if p is None or np.isnan(p) else float(np.log10(max(p, 1e-300)))


def _check_corr_input(log: Log, name: str, folder: Path, f: dict[str, Any]) -> None:
    """efa() on the correlation matrix R analysed (with n_obs), as psych::fa(r, n.obs =)."""
    import compassion_scales as cs

    r = pd.read_csv(folder / f"corr_{name}.csv", index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.efa(r, n_factors=2, n_obs=int(pd.read_csv(folder / f"{name}.csv").shape[0]))
    fit = res.fit.iloc[0]
    where = f"{name} (correlation matrix input)"
    log.add("efa on R + n_obs: fit (chisq, tli, rmsea+CI, bic, rms, crms)", where,
            [fit["chisq"], fit["tli"], fit["rmsea"], fit["rmsea_ci_low"], fit["rmsea_ci_high"],
             fit["bic"], fit["rms"], fit["crms"]],
            [f["chisq"], f["tli"], *f["rmsea"], f["bic"], f["rms"], f["crms"]])
    RL = np.array(f["loadings"], dtype=float)
    log.add("efa on R + n_obs: loadings (psych order)", where, res.loadings.to_numpy(), RL)


def check_efa(log: Log, name: str, d: pd.DataFrame, r: dict[str, Any], missing: str = "pairwise",
              folder: Path | None = None) -> None:
    import compassion_scales as cs

    name = name if missing == "pairwise" else f"{name} (listwise)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pa = cs.parallel_analysis(d, n_iter=2, seed=1, kind="fa", missing=missing)
        try:
            k = cs.kmo(d, missing=missing)
            b = cs.bartlett(d, missing=missing)
        except cs.AnalysisError as exc:
            log.decisions.append(f"KMO/Bartlett @ {name}: cscore refuses ({str(exc)[:60]}...); "
                                 f"psych gives KMO {r['kmo']}, Bartlett {r['bartlett']}")
            k = b = None
    if k is not None and b is not None:
        log.add("KMO overall", name, k.overall, r["kmo"])
        log.add("KMO per item", name, k.per_item, r["kmo_items"])
        log.add("Bartlett chisq", name, b.chisq, r["bartlett"])
        log.add("Bartlett df, p (log10)", name, [b.df, _log10p(b.p_val)],
                [r["bartlett_df"], _log10p(r["bartlett_p"])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hey = " [Heywood case]" if cs.efa(d, n_factors=1, missing=missing).heywood_items else ""
    log.add("parallel observed fa values" + hey, name, pa.eigenvalues["observed_fa"], r["pa_values"])
    if "corr_fit" in r and folder is not None:
        _check_corr_input(log, name, folder, r["corr_fit"])
    for f in r["fits"]:
        where = f"{name} {f['fm']}/{f['rotate']}/{f['nf']}"
        if "error" in f:
            log.decisions.append(f"efa @ {where}: psych::fa fails ({f['error'][:50]}); not compared")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cs.efa(d, n_factors=f["nf"], method=f["fm"], rotation=ROTATIONS[f["rotate"]],
                         missing=missing)
        hey = bool(res.heywood_items) or min(f["uniquenesses"]) < 0.01
        sfx = " [Heywood case]" if hey else ""

        def add(stat: str, *args: Any, sfx: str = sfx) -> None:
            log.add(stat + sfx, *args)

        L = res.loadings.to_numpy()
        RL = np.array(f["loadings"], dtype=float).reshape(L.shape[0], -1) if f["nf"] > 1 \
            else np.array(f["loadings"], dtype=float).reshape(-1, 1)
        tag = f"efa {f['fm']}"
        add(f"{tag} loadings (psych order, unaligned)", where, L, RL)
        La, perm, sg = _align(L, RL)
        add(f"{tag} loadings (aligned)", where, La, RL)
        add(f"{tag} communalities", where, res.communalities, f["communality"])
        add(f"{tag} uniquenesses", where, res.uniquenesses, f["uniquenesses"])
        if f["phi"] is not None and res.factor_correlations is not None:
            P = res.factor_correlations.to_numpy()[np.ix_(perm, perm)] * np.outer(sg, sg)
            add(f"{tag} Phi (aligned)", where, P, np.array(f["phi"], dtype=float))
        elif (f["phi"] is None) != (res.factor_correlations is None) and f["nf"] > 1:
            log.decisions.append(f"Phi @ {where}: present in one only")
        fit = res.fit.iloc[0]
        add("efa fit chisq", where, fit["chisq"], f["chisq"])
        add("efa fit df", where, fit["df"], f["dof"])
        if f["dof"] and f["dof"] > 0 and f["p"] is None:
            if not np.isnan(fit["p_val"]):  # both without a p (singular fit) agree
                log.decisions.append(f"efa fit p @ {where}: psych gives no p (PVAL NULL); cscore "
                                     f"chisq {fit['chisq']:.6g}, p {fit['p_val']:.6g}")
        elif f["dof"] and f["dof"] > 0:
            add("efa fit p (log10)", where, np.log10(max(fit["p_val"], 1e-300)),
                    np.log10(max(f["p"], 1e-300)))
            add("efa fit TLI", where, fit["tli"], f["tli"])
            add("efa fit RMSEA", where, fit["rmsea"], f["rmsea"])
            add("efa fit RMSEA 90% CI", where, [fit["rmsea_ci_low"], fit["rmsea_ci_high"]],
                    [f["rmsea_low"], f["rmsea_high"]])
            add("efa fit BIC", where, fit["bic"], f["bic"])
            add("efa fit crms", where, fit["crms"], f["crms"])
        add("efa fit rms", where, fit["rms"], f["rms"])
        add("efa fit null chisq", where, fit["null_chisq"], f["null_chisq"])
        add(f"{tag} fa eigenvalues", where, res.eigenvalues["fa_eigenvalue"], f["values"])
        add("efa eigenvalues of R (e.values)", where, res.eigenvalues["eigenvalue"], f["e_values"])
        add("efa fit objective", where, fit["objective"], f["objective"])
        add("efa fit fit.off", where, fit["fit_off"], f["fit_off"])
        add(f"{tag} complexity", where, res.complexity, f["complexity"])
        if f["structure"] is not None:
            S = np.array(f["structure"], dtype=float).reshape(L.shape)
            add(f"{tag} structure (aligned)", where, res.structure.to_numpy()[:, perm] * sg, S)
        V = np.array(f["vaccounted"], dtype=float)
        if f["nf"] == 1:
            V = V.reshape(-1, 1)
        ours_v = res.variance[["ss_loadings", "proportion_var", "cumulative_var"]].to_numpy().T[:, perm]
        add(f"{tag} Vaccounted ss/prop (aligned)", where, ours_v[:2], V[:2])


def check_compare(log: Log, name: str, d: pd.DataFrame, r: dict[str, Any]) -> None:
    import compassion_scales as cs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.compare(d, group="g", scores=["y"])
    t = res.tests.iloc[0]
    if "t" in r:
        log.add("welch t", name, t["statistic"], r["t"])
        log.add("welch df", name, t["df1"], r["df"])
        log.add("welch p", name, t["p_val"], r["p"])
        log.add("wilcox W", name, t["np_statistic"], r["w"])
        log.add("wilcox p (exact=FALSE, correct)", name, t["np_p_val"], r["w_p"])
        log.add("d (pooled, psych hedges.g)", name, t["d"], r["psych_hedges_g"])
        log.add("hedges g (J*d)", name, t["g"], r["g"])
        log.add("hedges g CI (exact nct, by hand)", name, [t["g_ci_low"], t["g_ci_high"]], r["g_ci"])
        j = t["g"] / t["d"]
        log.add("d CI vs psych cohen.d.ci (loose tol)", name,
                [t["g_ci_low"] / j, t["g_ci_high"] / j], r["psych_d_ci"])
        log.add("log10 bf10 (ttestBF)", name, np.log10(t["bf10"]), r["log10_bf10"])
        log.add("rank biserial (by hand)", name, t["rank_biserial"], r["rank_biserial"])
    else:
        log.add("welch anova F (oneway.test)", name, t["statistic"], r["f"])
        log.add("welch anova df", name, [t["df1"], t["df2"]], [r["df1"], r["df2"]])
        log.add("welch anova p", name, t["p_val"], r["p"])
        log.add("kruskal H", name, t["np_statistic"], r["h"])
        log.add("kruskal p", name, t["np_p_val"], r["h_p"])
        log.add("aov F", name, t["f_classic"], r["f_classic"])
        log.add("aov p", name, t["f_p_val"], r["f_p"])
        log.add("eta_sq (by hand)", name, t["eta_sq"], r["eta_sq"])
        log.add("omega_sq (by hand)", name, t["omega_sq"], r["omega_sq"])
        ph = res.posthoc
        log.add("pairwise welch p", name, ph["p_val"], r["pairs_p"])
        log.add("pairwise welch p holm", name, ph["p_adj"], r["pairs_p_holm"])
        log.add("eta_sq CI (noncentral F, by hand)", name, [t["eta_sq_ci_low"], t["eta_sq_ci_high"]],
                r["eta_ci"])
    desc = res.descriptives
    log.add("group mean t CI (t.test)", name, np.c_[desc["ci_low"], desc["ci_high"]],
            np.array(r["mean_ci"], dtype=float))


def check_multi(log: Log, name: str, d: pd.DataFrame, r: dict[str, Any], scores: list[str]) -> None:
    import compassion_scales as cs

    for corr, key in (("holm", "holm"), ("fdr_bh", "BH"), ("bonferroni", "bonferroni")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = cs.compare(d, group="g", scores=scores, correction=corr).tests
        log.add(f"p_adj across scores ({corr} = p.adjust {key})", name, t["p_adj"], r["p_" + key])
        log.add(f"np_p_adj across scores ({corr})", name, t["np_p_adj"], r["np_" + key])


def check_icc(log: Log, d: pd.DataFrame, r: dict[str, Any]) -> None:
    import compassion_scales as cs

    tab = cs.icc(d)
    where = "raters5 (listwise)"
    log.add("wide ICC n", where, tab["n_obs"].iloc[0], r["n"])
    log.add("wide ICC (6 forms)", where, tab["icc"], r["icc"])
    log.add("wide ICC F, df", where, np.r_[tab["f"], tab["df1"], tab["df2"]], np.r_[r["f"], r["df1"], r["df2"]])
    log.add("wide ICC p", where, tab["p_val"], r["p"])
    log.add("wide ICC CI", where, np.r_[tab["ci_low"], tab["ci_high"]], np.r_[r["low"], r["high"]])


def check_retest(log: Log, a: pd.DataFrame, b: pd.DataFrame, r: dict[str, Any]) -> None:
    import compassion_scales as cs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.retest(a, "fcs", second_data=b, id="id")
    for sid, rr in r.items():
        where = f"occasions {sid}"
        tab = res.icc[res.icc["score"] == sid]
        row = res.table.set_index("score").loc[sid]
        log.add("retest n_pairs", where, row["n_pairs"], rr["n"])
        log.add("ICC (6 forms)", where, tab["icc"], rr["icc"])
        log.add("ICC F", where, tab["f"], rr["f"])
        log.add("ICC df", where, np.r_[tab["df1"], tab["df2"]], np.r_[rr["df1"], rr["df2"]])
        log.add("ICC p", where, tab["p_val"], rr["p"])
        log.add("ICC CI", where, np.r_[tab["ci_low"], tab["ci_high"]], np.r_[rr["low"], rr["high"]])
        log.add("retest pearson r", where, row["pearson_r"], rr["r"])
        log.add("retest r CI (cor.test)", where, [row["r_ci_low"], row["r_ci_high"]], rr["r_ci"])


def check_change(log: Log, a: pd.DataFrame, b: pd.DataFrame, r: dict[str, Any],
                 clinical: tuple[float, float], functional: tuple[float, float]) -> None:
    import compassion_scales as cs

    norms = {sid: [{"population": "clinical", "mean": clinical[0], "sd": clinical[1]},
                   {"population": "non_clinical", "mean": functional[0], "sd": functional[1]}]
             for sid in r}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.change(a, "fcs", second_data=b, id="id", from_sample=True, norms=norms)
    for sid, rr in r.items():
        where = f"occasions {sid}"
        par = res.parameters.set_index("score").loc[sid]
        log.add("change sample SD", where, par["sd"], rr["sd"])
        log.add("change sample alpha", where, par["reliability"], rr["reliability"])
        log.add("change SE_diff", where, par["se_diff"], rr["se_diff"])
        log.add("change cut-offs a b c", where, [par["cutoff_a"], par["cutoff_b"], par["cutoff_c"]],
                [rr["cut_a"], rr["cut_b"], rr["cut_c"]])
        p = res.persons[(res.persons["score"] == sid)].dropna(subset=["rci"])
        p = p.assign(id=pd.to_numeric(p["id"])).set_index("id").loc[rr["ids"]]
        log.add("change RCI", where, p["rci"], rr["rci"])
        ours = [str(c) if isinstance(c, str) else "NA" for c in p["clinical_change"]]
        log.same("change JT category", where, ours, rr["category"])


def check_cli(log: Log, folder: Path, items: dict[str, pd.DataFrame], rres: dict[str, Any]) -> None:
    """A few runs through the command line (``--format json``) against the same R numbers."""
    exe = Path(sys.executable).with_name("cscore")
    def run(*args: str) -> Any:
        out = subprocess.run([str(exe), *args, "--format", "json"], capture_output=True, text=True,
                             cwd=folder, check=True)
        return json.loads(out.stdout)
    name = "n150_k8_likert04_skew"
    cols = ",".join(items[name].columns)
    js = run("reliability", f"{name}.csv", "--items", cols, "--n-boot", "0")
    summ = js["summary"][0]
    r = rres[f"alpha:{name}:pairwise"]
    log.add("CLI reliability alpha/std/omega", name,
            [summ["alpha"], summ["std_alpha"], summ["omega_total"]],
            [r["raw_alpha"], r["std_alpha"], r["omega_total_1"]])
    name = "n1000_k15_cont_3f"
    js = run("factors", "efa", f"{name}.csv", "--items", ",".join(items[name].columns), "-n", "3",
             "--method", "ml", "--rotation", "oblimin")
    f = next(f for f in rres[f"efa:{name}"]["fits"] if f["fm"] == "ml" and f["rotate"] == "oblimin")
    log.add("CLI efa ml fit (chisq, tli, rmsea, bic)", name,
            [js["fit"]["chisq"], js["fit"]["tli"], js["fit"]["rmsea"], js["fit"]["bic"]],
            [f["chisq"], f["tli"], f["rmsea"], f["bic"]])
    L = pd.DataFrame(js["summary"])[["factor_1", "factor_2", "factor_3"]].to_numpy()
    log.add("CLI efa ml loadings (aligned)", name,
            _align(L, np.array(f["loadings"], dtype=float))[0], np.array(f["loadings"], dtype=float))
    for gname in ("g2_30v90_cont", "g3_20v50v130"):
        js = run("compare", f"{gname}.csv", "--group", "g", "--score", "y")
        rr = rres[f"compare:{gname}"]
        s = js["summary"][0]
        key = ("t", "p") if "t" in rr else ("f", "p")
        log.add("CLI compare statistic, p", gname, [s["statistic"], s["p_val"]], [rr[key[0]], rr[key[1]]])
    js = run("retest", "occ1.csv", "occ2.csv", "--id", "id", "-i", "fcs")
    icc = pd.DataFrame(js["icc"])
    rr = rres["retest:fcs"]["fcs_self"]
    log.add("CLI retest ICC", "occasions fcs_self", icc.loc[icc["score"] == "fcs_self", "icc"], rr["icc"])


# ============================================================================ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="write the data and R output to this folder and keep them")
    ap.add_argument("--seed", type=int, default=20261202)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    items = simulate(rng)
    groups = simulate_groups(rng)
    occ1, occ2 = simulate_occasions(rng)
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="fidelity_")
    folder = Path(args.keep or tmp.name)  # type: ignore[union-attr]
    folder.mkdir(parents=True, exist_ok=True)
    for name, d in {**items, **groups}.items():
        d.to_csv(folder / f"{name}.csv", index=False, na_rep="")
    grouped = items[GROUPED].assign(grp=rng.choice(GROUPED_LEVELS, len(items[GROUPED]), p=[.6, .3, .1]))
    grouped.to_csv(folder / f"{GROUPED}_grouped.csv", index=False, na_rep="")
    raters = _factor_data(rng, 70, _simple(5, [.8, .7, .75, .85, .6])) * 2 + np.arange(5) * .3
    raters[rng.random(raters.shape) < .03] = np.nan
    pd.DataFrame(raters, columns=[f"r{j}" for j in range(1, 6)]).to_csv(folder / "raters5.csv", index=False)
    occ1.to_csv(folder / "occ1.csv", index=False, na_rep="")
    occ2.to_csv(folder / "occ2.csv", index=False, na_rep="")
    jobs = manifest(items, groups)
    (folder / "manifest.json").write_text(json.dumps(jobs))
    t0 = time.perf_counter()
    with open(folder / "r_log.txt", "w") as rlog:
        done = subprocess.run(["Rscript", str(R_SCRIPT), str(folder)], stdout=rlog, stderr=rlog)
    if done.returncode:
        print((folder / "r_log.txt").read_text()[-3000:], file=sys.stderr)
        return 1
    t_r = time.perf_counter() - t0
    rres = json.loads((folder / "r_results.json").read_text())
    log = Log()
    t0 = time.perf_counter()
    # read back what R read (CSV round trip), so both sides see the same numbers
    back = {n: pd.read_csv(folder / f"{n}.csv") for n in {**items, **groups}}
    a = pd.read_csv(folder / "occ1.csv")
    b = pd.read_csv(folder / "occ2.csv")
    for job in jobs:
        kind, name = job["kind"], job["name"].split(":")[1]
        r = rres[job["name"]]
        if kind == "alpha":
            frame = pd.read_csv(folder / job["file"]) if "subset" in job else back[name]
            check_alpha(log, name, frame, job["missing"], r, job)
        elif kind == "efa":
            check_efa(log, name, back[name], r, job.get("missing", "pairwise"), folder)
        elif kind == "multi":
            check_multi(log, name, back[name], r, job["scores"])
        elif kind == "icc":
            check_icc(log, pd.read_csv(folder / job["file"]), r)
        elif kind == "compare":
            check_compare(log, name, back[name], r)
        elif kind == "retest":
            check_retest(log, a, b, r)
        elif kind == "change":
            check_change(log, a, b, r, tuple(job["clinical"]), tuple(job["functional"]))
    check_cli(log, folder, items, rres)
    t_py = time.perf_counter() - t0
    print(log.report())
    print(f"\nR {rres['versions']['R']}, psych {rres['versions']['psych']}, GPArotation "
          f"{rres['versions']['GPArotation']}, BayesFactor {rres['versions']['BayesFactor']}; "
          f"R took {t_r:.0f} s, cscore {t_py:.0f} s. {len(items) + len(groups) + 2} data files.")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
