"""Robust (MLR) and ordinal (WLSMV/ULSMV) CFA and invariance on fresh simulated data against lavaan.

    python benchmarks/fidelity_robust_fresh.py [--seed 20261202] [--only NAME ...] [--keep DIR]

Needs ``Rscript`` with lavaan and semTools (about 30 s in all). Simulates nineteen seeded data
sets the tests have never seen, writes them as CSV to a temporary folder, fits them all in one
Rscript run (with the R calls of the project's goldens: tests/reference/cfa_robust.R,
cfa_ordinal.R and invariance_ordinal.R), fits the same models in cscore, and prints per
analysis and statistic the worst absolute and relative difference and the fit where it occurred,
then how many numbers were compared and how many statistics exceed the tolerance.

* MLR (4 sets): Likert 5 categories n 300; heavy-tailed continuous n 900 (``std_lv``); Likert 7
  categories with 8% missing by FIML, n 500; skewed continuous with a residual covariance,
  n 150. ``cfa(estimator="MLR")`` against ``lavaan::cfa(estimator = "MLR")`` and, for the first
  three, ``invariance(..., estimator="MLR")`` against lavaan's ``group.equal`` fits and
  ``lavTestLRT`` (Satorra-Bentler 2001 scaled differences). cscore reports lavaan's ``.robust``
  CFI/TLI/RMSEA (as ``*_robust``), not the naive ``.scaled`` ones.
* Ordinal (6 sets): skewed items with 3, 4, 5 (0.4% missing, listwise), 7 (n 600 and a sparse
  n 200 x 15 items) and mixed 3/4/5/7 categories, 2-3 factors, 6-15 items;
  ``cfa(ordered=True, estimator="WLSMV")`` and ``"ULSMV"`` against ``lavaan::cfa(ordered = items,
  estimator = ...)``, the mixed set also with ``std_lv`` and the theta parameterisation; the
  thresholds and polychoric correlations as well (``*_scaled`` and ``*_robust`` indices both).
* Edge cases of real Likert data (6 sets, drawn after the others so those keep their data):
  n 120 with an empty lowest category (y1), an empty middle category (y2) and a binary item
  (y5), also ``std_lv`` and theta; 7 categories at n 100 with categories chosen by 2 people;
  binary items only (n 150, 3 factors); one factor mixing 2, 3, 4, 5 and 7 categories (n 130);
  4 categories with 3% missing answers (listwise, lavaan's default for ordered items; n 160);
  MLR by FIML with 12% missing at n 150 (``std_lv``).
* Ordinal invariance (3 sets: 4 categories in 2 groups, delta and theta; 5 categories in 3
  groups; 3 categories in 2 groups, where the thresholds step adds no constraint): ``invariance(ordered=True, estimator="WLSMV")`` against semTools' ``measEq.syntax(ID.fac
  = "std.lv", ID.cat = "Wu.Estabrook.2016")`` fitted by lavaan's WLSMV and ``lavTestLRT``.

Estimates, standard errors, p values and fit indices are compared absolutely; chi-squares,
scaling factors, shifts, log-likelihoods and AIC/BIC relatively (to max(|lavaan|, 1)); tolerance 1e-4. For every fit
with a larger difference a second Rscript run evaluates lavaan at cscore's estimates (start
values with ``optim.method = "none"``: lavaan's formulas, no optimiser). Agreement there, with
cscore's unscaled chi-square (N x the fit function) not above lavaan's, means lavaan's optimiser
stopped before the minimum (its nlminb ``rel.tol`` 1e-10; seen with ``--seed 1`` in a flat
direction of the MLR configural model); disagreement would mean a different formula or
convention. ``--keep DIR`` keeps the CSVs, the R script and lavaan's JSON.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TOL = 1e-4
#: categories -> cut points on the standard-normal latent response (skewed: the top categories rare)
CUTS = {2: [0.6], 3: [0.2, 1.4], 4: [-0.3, 0.6, 1.5], 5: [-0.5, 0.3, 1.0, 1.7], 7: [-0.9, -0.3, 0.2, 0.7, 1.3, 1.9]}
MLR_STEPS = ["configural", "metric", "scalar", "strict"]
ORD_STEPS = ["configural", "thresholds", "metric", "scalar", "strict"]


def _model(sizes: Sequence[int]) -> tuple[str, list[str]]:
    lines, items, k = [], [], 0
    for f, m in enumerate(sizes, start=1):
        its = [f"y{k + j + 1}" for j in range(m)]
        k += m
        items += its
        lines.append(f"f{f} =~ " + " + ".join(its))
    return "\n".join(lines), items


# name, kind, n, items per factor, options
SETS: list[dict[str, Any]] = [
    {"name": "mlr_likert5_n300", "kind": "mlr", "n": 300, "sizes": [3, 3, 3], "data": "likert", "ncat": 5,
     "steps": MLR_STEPS, "missing": "listwise", "std_lv": False},
    {"name": "mlr_heavytail_n900", "kind": "mlr", "n": 900, "sizes": [4, 4], "data": "heavy",
     "steps": MLR_STEPS, "missing": "listwise", "std_lv": True},
    {"name": "mlr_fiml_likert7_n500", "kind": "mlr", "n": 500, "sizes": [4, 4, 4], "data": "likert", "ncat": 7,
     "miss": 0.08, "steps": MLR_STEPS[:3], "missing": "fiml", "std_lv": False},
    {"name": "mlr_skewed_rescov_n150", "kind": "mlr", "n": 150, "sizes": [3, 3], "data": "skewed",
     "steps": [], "missing": "listwise", "std_lv": False, "extra": "y3 ~~ y4"},
    {"name": "ord3_n400", "kind": "ord", "n": 400, "sizes": [4, 4], "ncat": 3},
    {"name": "ord4_n150", "kind": "ord", "n": 150, "sizes": [3, 3], "ncat": 4},
    {"name": "ord5_listwise_n1500", "kind": "ord", "n": 1500, "sizes": [5, 5, 5], "ncat": 5, "miss": 0.004},
    {"name": "ord7_n600", "kind": "ord", "n": 600, "sizes": [4, 4, 4], "ncat": 7},
    {"name": "ord7_sparse_n200", "kind": "ord", "n": 200, "sizes": [5, 5, 5], "ncat": 7},
    {"name": "ordmix_n800", "kind": "ord", "n": 800, "sizes": [3, 3, 3], "ncat": [3, 4, 5, 7, 3, 4, 5, 7, 4],
     "variants": ["stdlv", "theta"]},
    {"name": "ordinv4_2grp_n900", "kind": "ordinv", "n": 900, "sizes": [4, 4], "ncat": 4, "groups": 2,
     "variants": ["delta", "theta"]},
    {"name": "ordinv5_3grp_n1200", "kind": "ordinv", "n": 1200, "sizes": [6], "ncat": 5, "groups": 3,
     "variants": ["delta"]},
    # every item with 3 categories: the thresholds step is the configural model again (df_diff 0)
    {"name": "ordinv3_2grp_n700", "kind": "ordinv", "n": 700, "sizes": [4, 4], "ncat": 3, "groups": 2,
     "variants": ["delta"]},
    # edge cases of real Likert data (appended last, so the sets above keep their data). "edges": nobody
    # answers 1 on y1 nor 3 on y2 (an empty lowest and an empty middle category) and y5 is binary;
    # "rare_ok": rare categories allowed (each used category chosen by at least 2 people)
    {"name": "ord5_edges_n120", "kind": "ord", "n": 120, "sizes": [4, 4], "ncat": 5, "edges": True,
     "variants": ["stdlv", "theta"]},
    {"name": "ord7_rare_n100", "kind": "ord", "n": 100, "sizes": [4, 4], "ncat": 7, "rare_ok": True},
    {"name": "ordbinary_n150", "kind": "ord", "n": 150, "sizes": [3, 3, 3], "ncat": 2},
    {"name": "ordmix2to7_1f_n130", "kind": "ord", "n": 130, "sizes": [6], "ncat": [2, 3, 5, 7, 2, 4],
     "rare_ok": True},
    {"name": "ord4_listwise_n160", "kind": "ord", "n": 160, "sizes": [3, 3], "ncat": 4, "miss": 0.03,
     "rare_ok": True},
    {"name": "mlr_fiml_likert5_n150", "kind": "mlr", "n": 150, "sizes": [4, 4], "data": "likert", "ncat": 5,
     "miss": 0.12, "steps": [], "missing": "fiml", "std_lv": True},
]
for _s in SETS:
    _s["model"], _s["items"] = _model(_s["sizes"])
    if "extra" in _s:
        _s["model"] += "\n" + _s["extra"]

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE); dir <- args[1]
spec <- fromJSON(file.path(dir, "spec.json"), simplifyVector = FALSE)
FM_MLR <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
            "baseline.chisq", "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "cfi", "tli", "rmsea",
            "cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
            "srmr", "rmsea.ci.lower", "rmsea.ci.upper", "pvalue", "logl", "aic", "bic", "fmin")
FM_ORD <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
            "chisq.scaling.factor", "chisq.shift.parameters", "baseline.chisq", "baseline.chisq.scaled",
            "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled", "tli.scaled", "rmsea",
            "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
            "cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
            "srmr", "fmin")
# diag mode (args[2] = "diag"): fits named in diag.json are evaluated at cscore's estimates (start values,
# optim.method = "none"): lavaan's own formulas at cscore's point, no optimiser involved
FIX <- if (length(args) > 1 && args[2] == "diag") fromJSON(file.path(dir, "diag.json"), simplifyVector = FALSE) else list()
OWN <- list()
fit <- function(id, ...) {
  f <- cfa(...)
  if (is.null(FIX[[id]])) return(f)
  cs <- read.csv(FIX[[id]], colClasses = c(group = "character")); pt <- parTable(f)
  lab <- lavInspect(f, "group.label"); g <- if (length(lab)) lab[pt$group] else rep("", nrow(pt))
  hit <- match(paste(g, pt$lhs, pt$op, pt$rhs), paste(cs$group, cs$lhs, cs$op, cs$rhs))
  ok <- !is.na(hit) & pt$free > 0
  pt$est[ok] <- cs$est[hit[ok]]
  OWN[[id]] <<- list(chisq = fitMeasures(f, "chisq"), fmin = fitMeasures(f, "fmin"), missing = sum(!ok & pt$free > 0))
  cfa(..., start = pt, optim.method = "none", optim.force.converged = TRUE)
}
dump <- function(f, keys) {
  pe <- parameterEstimates(f)
  list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group,
       est = pe$est, se = pe$se, fit = as.list(fitMeasures(f, keys)),
       iterations = lavInspect(f, "iterations"), converged = lavInspect(f, "converged"))
}
out <- list()
for (s in spec) {
  t0 <- Sys.time()
  d <- read.csv(file.path(dir, paste0(s$name, ".csv")))
  m <- s$model; items <- unlist(s$items); res <- list()
  if (s$kind == "mlr") {
    res$cfa <- dump(fit(paste0(s$name, "/cfa"), m, data = d, estimator = "MLR", missing = s$missing,
                        std.lv = s$std_lv), FM_MLR)
    GE <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
    steps <- unlist(s$steps); fits <- list()
    for (st in steps) fits[[st]] <- fit(paste0(s$name, "/", st), m, data = d, group = "grp", group.equal = GE[[st]], estimator = "MLR",
                                        missing = s$missing)
    if (length(steps)) {
      res$group_labels <- lavInspect(fits[[1]], "group.label")
      res$inv <- lapply(fits, dump, keys = FM_MLR)
      for (i in seq_along(steps)[-1]) {
        t <- lavTestLRT(fits[[i - 1]], fits[[i]])
        res$inv[[i]]$lrt <- list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
                                 p = t[["Pr(>Chisq)"]][2], method = attr(t, "heading"))
      }
    }
  } else if (s$kind == "ord") {
    variants <- list(WLSMV = list("WLSMV", FALSE, "delta"), ULSMV = list("ULSMV", FALSE, "delta"))
    if ("stdlv" %in% unlist(s$variants)) variants$WLSMV_stdlv <- list("WLSMV", TRUE, "delta")
    if ("theta" %in% unlist(s$variants)) variants$WLSMV_theta <- list("WLSMV", FALSE, "theta")
    for (v in names(variants)) {
      a <- variants[[v]]
      f <- fit(paste0(s$name, "/", v), m, data = d, ordered = items, estimator = a[[1]], std.lv = a[[2]],
               parameterization = a[[3]])
      r <- dump(f, FM_ORD)
      ss <- lavInspect(f, "sampstat")
      r$sample_th <- as.list(ss$th); r$polychoric <- unname(ss$cov)
      res[[v]] <- r
    }
  } else {
    GE <- list(configural = "", thresholds = "thresholds", metric = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"),
               strict = c("thresholds", "loadings", "intercepts", "residuals"))
    for (par in unlist(s$variants)) {  # "delta" (strict in theta, as semTools requires) or "theta" throughout
      pz <- c(configural = par, thresholds = par, metric = par, scalar = par, strict = "theta")
      tag <- if (par == "delta") "" else paste0(par, "_")
      fits <- list()
      for (st in names(GE)) {
        syn <- measEq.syntax(configural.model = m, data = d, ordered = items, parameterization = pz[[st]],
                             ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "grp",
                             group.equal = GE[[st]])
        fits[[st]] <- fit(paste0(s$name, "/", tag, st), as.character(syn), data = d, ordered = items,
                          estimator = "WLSMV", group = "grp", parameterization = pz[[st]])
      }
      res$group_labels <- lavInspect(fits[[1]], "group.label")
      inv <- lapply(fits, dump, keys = FM_ORD)
      for (i in seq_along(fits)[-1]) {
        t <- lavTestLRT(fits[[i - 1]], fits[[i]])
        inv[[i]]$lrt <- list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
                             p = t[["Pr(>Chisq)"]][2], method = attr(t, "heading"))
      }
      names(inv) <- paste0(tag, names(inv))
      res$inv <- c(res$inv, inv)
    }
  }
  res$seconds <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  out[[s$name]] <- res
}
out$own <- OWN
out$versions <- list(lavaan = as.character(packageVersion("lavaan")),
                     semTools = as.character(packageVersion("semTools")))
write_json(out, file.path(dir, "r.json"), digits = NA, auto_unbox = TRUE, na = "null")
"""

# ---------------------------------------------------------------- simulation


def _latent(rng: np.random.Generator, n: int, sizes: Sequence[int], heavy: bool = False) -> np.ndarray:
    """Latent responses with unit variance: factors correlated .3-.5, loadings .5-.85."""
    m = len(sizes)
    phi = np.full((m, m), 0.4) + np.diag(np.full(m, 0.6))
    if m > 2:
        phi[0, 2] = phi[2, 0] = 0.3
    eta = rng.multivariate_normal(np.zeros(m), phi, size=n)
    if heavy:  # multivariate t with 5 df, rescaled to unit variance
        eta *= np.sqrt(3 / 5 * 5 / rng.chisquare(5, size=(n, 1)))
    cols = []
    for f, k in enumerate(sizes):
        for _ in range(k):
            lam = rng.uniform(0.5, 0.85)
            e = (rng.chisquare(2, size=n) - 2) / 2 if heavy else rng.normal(size=n)
            cols.append(lam * eta[:, f] + math.sqrt(1 - lam**2) * e)
    return np.column_stack(cols)


def _cut(rng: np.random.Generator, y: np.ndarray, ncat: int | Sequence[int]) -> np.ndarray:
    ks = [ncat] * y.shape[1] if isinstance(ncat, int) else list(ncat)
    out = np.empty(y.shape, dtype=int)
    for j, k in enumerate(ks):
        out[:, j] = 1 + np.searchsorted(np.asarray(CUTS[k]) + rng.uniform(-0.15, 0.15), y[:, j])
    return out


def _all_categories(x: np.ndarray, ncat: int | Sequence[int], groups: np.ndarray | None) -> bool:
    ks = [ncat] * x.shape[1] if isinstance(ncat, int) else list(ncat)
    parts = [x] if groups is None else [x[groups == g] for g in np.unique(groups)]
    return all(len(np.unique(p[:, j])) == k for p in parts for j, k in enumerate(ks))


def _edges(x: np.ndarray) -> np.ndarray:
    """Empty the lowest category of item 1 and the middle one of item 2; make item 5 binary."""
    x = x.copy()
    x[x[:, 0] == 1, 0] = 2
    mid = (x[:, 1].min() + x[:, 1].max()) // 2
    x[x[:, 1] == mid, 1] = mid - 1
    x[:, 4] = 1 + (x[:, 4] > np.median(x[:, 4]))
    return x


def _usable(s: dict[str, Any], x: np.ndarray, labels: np.ndarray) -> bool:
    """Every category used (in every group); with "edges"/"rare_ok" each used one by 2 or more people."""
    if s["kind"] == "mlr":
        return True
    if s.get("edges") or s.get("rare_ok"):
        return all(np.unique(x[:, j], return_counts=True)[1].min() >= 2 for j in range(x.shape[1]))
    return _all_categories(x, s["ncat"], labels if s["kind"] == "ordinv" else None)


def simulate_set(s: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    n, sizes, items = s["n"], s["sizes"], s["items"]
    for _ in range(200):  # redraw until every category is used (in every group) - rare, not empty
        if s["kind"] == "ordinv":
            grp = rng.integers(0, s["groups"], size=n)
            y = _latent(rng, n, sizes)
            y += 0.3 * grp[:, None] / max(1, s["groups"] - 1)   # latent mean difference
            y[:, 1] += 0.25 * (grp == 1)                       # one non-invariant threshold set
            x = _cut(rng, y, s["ncat"])
            labels = np.array(["g1", "g2", "g3"])[grp]
        else:
            labels = np.where(rng.random(n) < 0.45, "g1", "g2")
            if s["kind"] == "ord" or s.get("data") == "likert":
                x = _cut(rng, _latent(rng, n, sizes), s["ncat"])
            elif s["data"] == "heavy":
                x = _latent(rng, n, sizes, heavy=True) * 2 + 10
            else:  # skewed: exponentiated normal (log-normal-ish) items
                x = np.exp(0.6 * _latent(rng, n, sizes))
        if s.get("edges"):
            x = _edges(x)
        if _usable(s, x, labels):
            break
    else:  # pragma: no cover - seeds are fixed
        raise RuntimeError(f"{s['name']}: could not draw every category")
    d = pd.DataFrame(x, columns=items)
    if s.get("miss"):
        d = d.mask(rng.random(d.shape) < s["miss"])
        d = d[d.notna().any(axis=1)]
    d["grp"] = labels[d.index.to_numpy()]
    return d


# ---------------------------------------------------------------- comparison

class Worst:
    """Worst difference per (analysis, statistic) over data sets; the fits with a difference above TOL."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.flagged: dict[str, list[str]] = {}
        self.n = 0  # numbers compared (a parameter kind or a matrix counts all its entries)

    def add(self, analysis: str, stat: str, ours: float, theirs: float, where: str, rel: bool = False) -> None:
        ours, theirs = float(ours), math.nan if theirs is None else float(theirs)   # JSON null = R's NA
        self.n += 1
        if not (math.isfinite(ours) and math.isfinite(theirs)):
            ad = 0.0 if (math.isnan(ours) and math.isnan(theirs)) else math.inf
        else:
            ad = abs(ours - theirs)
        # relative to max(|lavaan|, 1) for the statistics compared relatively (a difference test of
        # equivalent models is 0 up to rounding), to |lavaan| for the information column of the others
        scale = max(abs(theirs), 1.0) if rel else abs(theirs)
        rd = ad / scale if scale != 0.0 else (0.0 if ad == 0.0 else math.nan)
        r = self.rows.setdefault((analysis, stat), {"abs": -1.0, "abs_at": "", "rel": -1.0, "rel_at": "",
                                                     "rel_kind": rel})
        if ad > r["abs"]:
            r["abs"], r["abs_at"] = ad, where
        if not math.isnan(rd) and rd > r["rel"]:
            r["rel"], r["rel_at"] = rd, where
        if (rd if rel else ad) > TOL:
            self.flagged.setdefault(where, []).append(f"{stat} {ours:.8g} vs {theirs:.8g}")

    def table(self) -> pd.DataFrame:
        out = []
        for (a, s), r in self.rows.items():
            crit = r["rel"] if r["rel_kind"] else r["abs"]
            out.append({"analysis": a, "statistic": s, "worst_abs": r["abs"], "abs_at": r["abs_at"],
                        "worst_rel": r["rel"], "rel_at": r["rel_at"],
                        "flag": "FINDING" if crit > TOL else ""})
        return pd.DataFrame(out)


def compare_params(w: Worst, analysis: str, ours: pd.DataFrame, ref: dict[str, Any], where: str,
                   labels: Sequence[str] | None = None) -> None:
    lav = pd.DataFrame({k: ref[k] for k in ("lhs", "op", "rhs", "group", "est", "se")})
    lav = lav[lav["op"] != "=="]
    lav["se"] = pd.to_numeric(lav["se"], errors="coerce").fillna(0.0)
    lav["est"] = pd.to_numeric(lav["est"], errors="coerce")
    keys = ["lhs", "op", "rhs"]
    o = ours.copy()
    if labels is not None:
        lav["group"] = [str(labels[int(g) - 1]) for g in lav["group"]]
        o["group"] = o["group"].astype(str)
        keys = ["group", *keys]
    m = lav.merge(o[[*keys, "est", "se"]], on=keys, how="left", suffixes=("_lav", ""))
    # lavaan rows cscore does not list: only fixed ones (se 0: ~*~ scales, ~1 intercepts of ordinal items) may be
    w.add(analysis, "free rows unmatched", int((m["est"].isna() & (m["se_lav"] > 0)).sum()), 0.0, where)
    m = m[m["est"].notna()]
    se = pd.to_numeric(m["se"], errors="coerce").fillna(0.0)
    kind = np.where(m["op"] == "|", "thresholds", np.where(m["op"] == "=~", "loadings", "other params"))
    for k in ("loadings", "thresholds", "other params"):
        sel = kind == k
        if sel.any():
            i = int(np.argmax(np.abs(m["est"][sel].to_numpy() - m["est_lav"][sel].to_numpy())))
            w.n += 2 * (int(sel.sum()) - 1)  # every estimate and SE of the kind, through its worst
            w.add(analysis, f"est {k}", m["est"][sel].iloc[i], m["est_lav"][sel].iloc[i], where)
            j = int(np.argmax(np.abs(se[sel].to_numpy() - m["se_lav"][sel].to_numpy())))
            w.add(analysis, f"se {k}", se[sel].iloc[j], m["se_lav"][sel].iloc[j], where)


MLR_FIT = {"chisq": ("chisq", True), "chisq_scaled": ("chisq.scaled", True),
           "scaling_factor": ("chisq.scaling.factor", True), "p_val_scaled": ("pvalue.scaled", False),
           "baseline_chisq_scaled": ("baseline.chisq.scaled", True),
           "baseline_scaling_factor": ("baseline.chisq.scaling.factor", True),
           "cfi": ("cfi", False), "tli": ("tli", False), "rmsea": ("rmsea", False),
           "cfi_robust": ("cfi.robust", False), "tli_robust": ("tli.robust", False),
           "rmsea_robust": ("rmsea.robust", False), "rmsea_ci_low_robust": ("rmsea.ci.lower.robust", False),
           "rmsea_ci_high_robust": ("rmsea.ci.upper.robust", False), "srmr": ("srmr", False),
           "rmsea_ci_low": ("rmsea.ci.lower", False), "rmsea_ci_high": ("rmsea.ci.upper", False),
           "p_val": ("pvalue", False), "loglik": ("logl", True), "aic": ("aic", True), "bic": ("bic", True),
           "df": ("df", False), "npar": ("npar", False)}
ORD_FIT = {"chisq": ("chisq", True), "chisq_scaled": ("chisq.scaled", True),
           "chisq_scaling_factor": ("chisq.scaling.factor", True), "chisq_shift": ("chisq.shift.parameters", True),
           "p_val_scaled": ("pvalue.scaled", False), "baseline_chisq": ("baseline.chisq", True),
           "baseline_chisq_scaled": ("baseline.chisq.scaled", True),
           "cfi": ("cfi", False), "tli": ("tli", False), "rmsea": ("rmsea", False),
           "cfi_scaled": ("cfi.scaled", False), "tli_scaled": ("tli.scaled", False),
           "rmsea_scaled": ("rmsea.scaled", False), "rmsea_ci_low_scaled": ("rmsea.ci.lower.scaled", False),
           "rmsea_ci_high_scaled": ("rmsea.ci.upper.scaled", False),
           "cfi_robust": ("cfi.robust", False), "tli_robust": ("tli.robust", False),
           "rmsea_robust": ("rmsea.robust", False), "srmr": ("srmr", False),
           "df": ("df", False), "npar": ("npar", False)}
ORDINV_FIT = {"chisq": ("chisq", True), "chisq_scaled": ("chisq.scaled", True),
              "scaling_factor": ("chisq.scaling.factor", True), "shift": ("chisq.shift.parameters", True),
              "p_val_scaled": ("pvalue.scaled", False), "cfi_scaled": ("cfi.scaled", False),
              "tli_scaled": ("tli.scaled", False), "rmsea_scaled": ("rmsea.scaled", False),
              "cfi": ("cfi", False), "rmsea": ("rmsea", False), "srmr": ("srmr", False),
              "df": ("df", False), "npar": ("npar", False)}


def compare_fit(w: Worst, analysis: str, ours: dict[str, Any], ref: dict[str, Any], keys: dict, where: str) -> None:
    for k, (lk, rel) in keys.items():
        if k in ours and ref.get(lk) is not None:
            w.add(analysis, k, ours[k], ref[lk], where, rel=rel)


def fits_of(s: dict[str, Any], d: pd.DataFrame, ref: dict[str, Any]) -> list[dict[str, Any]]:
    """cscore's fits of one data set: analysis, fit id (set/fit, as the R script names it), fit measures,
    estimates, lavaan's result, the fit keys to compare, group labels and the difference test."""
    from compassion_scales import cfa, invariance

    name, out = s["name"], []
    if s["kind"] == "mlr":
        a = "MLR" + (" fiml" if s["missing"] == "fiml" else "")
        r = cfa(d[s["items"]], s["model"], estimator="MLR", missing=s["missing"], std_lv=s["std_lv"])
        out.append({"analysis": f"{a} cfa", "id": f"{name}/cfa", "fit": r.fit, "est": r.estimates,
                    "ref": ref["cfa"], "keys": MLR_FIT})
        if s["steps"]:
            inv = invariance(d, s["model"], group="grp", estimator="MLR", missing=s["missing"], steps=s["steps"],
                             stop_at_failure=False, refit_candidates=False)
            tab = inv.summary.set_index("step")
            for st in s["steps"]:
                out.append({"analysis": f"{a} invariance", "id": f"{name}/{st}", "fit": tab.loc[st].to_dict(),
                            "est": inv.fits[st].estimates, "ref": ref["inv"][st], "keys": MLR_FIT,
                            "labels": ref["group_labels"], "test": "chisq_diff (SB2001)"})
    elif s["kind"] == "ord":
        variants = {"WLSMV": ("WLSMV", False, "delta"), "ULSMV": ("ULSMV", False, "delta"),
                    "WLSMV_stdlv": ("WLSMV", True, "delta"), "WLSMV_theta": ("WLSMV", False, "theta")}
        for v, (est, std_lv, pz) in variants.items():
            if v in ref:
                r = cfa(d[s["items"]], s["model"], ordered=True, estimator=est, std_lv=std_lv, parameterization=pz)
                out.append({"analysis": f"{v} cfa", "id": f"{name}/{v}", "fit": r.fit, "est": r.estimates,
                            "ref": ref[v], "keys": ORD_FIT, "result": r})
    else:
        for pz in s["variants"]:
            inv = invariance(d, s["model"], group="grp", ordered=True, estimator="WLSMV", stop_at_failure=False,
                             parameterization=pz)
            tab = inv.summary.set_index("step")
            tag = "" if pz == "delta" else f"{pz}_"
            for st in ORD_STEPS:
                out.append({"analysis": f"WLSMV invariance {pz}", "id": f"{name}/{tag}{st}",
                            "fit": tab.loc[st].to_dict(), "est": inv.estimates[st], "ref": ref["inv"][tag + st],
                            "keys": ORDINV_FIT, "labels": ref["group_labels"], "test": "chisq_diff (satorra.2000)"})
    return out


def check_fit(w: Worst, f: dict[str, Any], ref: dict[str, Any] | None = None) -> None:
    """Every statistic of one cscore fit against lavaan's (``ref``: another lavaan result for the same fit)."""
    a, fid, r = f["analysis"], f["id"], ref or f["ref"]
    compare_fit(w, a, f["fit"], r["fit"], f["keys"], fid)
    compare_params(w, a, f["est"], r, fid, f.get("labels"))
    if "test" in f and "lrt" in r:
        w.add(a, f["test"], f["fit"]["chisq_diff"], r["lrt"]["chisq_diff"], fid, rel=True)
        w.add(a, "p_diff", f["fit"]["p_diff"], r["lrt"]["p"], fid)
    if "result" in f:  # ordinal: the sample statistics (thresholds, polychoric correlations)
        res = f["result"]
        th = {f"{it}|{t}": e for it, t, e in zip(res.thresholds["item"], res.thresholds["threshold"],
                                                 res.thresholds["est"], strict=True)}
        for k, e in r["sample_th"].items():
            w.add(a, "sample thresholds", th.get(k, math.nan), e, fid)
        pc = np.asarray(r["polychoric"], dtype=float)
        ours = res.polychoric.to_numpy(dtype=float)
        i = np.unravel_index(int(np.argmax(np.abs(ours - pc))), pc.shape)
        w.add(a, "polychoric", ours[i], pc[i], fid)
        w.n += pc.shape[0] * (pc.shape[0] - 1) // 2 - 1


def run_r(folder: Path, sets: list[dict[str, Any]], mode: str) -> dict[str, Any]:
    (folder / "spec.json").write_text(json.dumps(sets))
    (folder / "fit.R").write_text(R_SCRIPT)
    subprocess.run(["Rscript", str(folder / "fit.R"), str(folder), mode], check=True)
    return json.loads((folder / "r.json").read_text())


def diagnose(folder: Path, sets: list[dict[str, Any]], data: dict[str, pd.DataFrame], fits: list[dict[str, Any]],
             flagged: dict[str, list[str]]) -> None:
    """Evaluate lavaan at cscore's estimates for every flagged fit, and compare again.

    Agreement there, with cscore's unscaled chi-square (N x F, the fit function) not above
    lavaan's, means lavaan's optimiser stopped before the minimum; disagreement means a
    different formula or convention."""
    files = {}
    for f in fits:
        if f["id"] in flagged:
            est = f["est"].copy()
            est["group"] = est["group"].astype(str) if "group" in est else ""
            path = folder / f"cscore_{f['id'].replace('/', '__')}.csv"
            est[["group", "lhs", "op", "rhs", "est"]].to_csv(path, index=False)
            files[f["id"]] = str(path)
    (folder / "diag.json").write_text(json.dumps(files))
    names = {fid.split("/")[0] for fid in files}
    for s in sets:
        if s["name"] in names:
            data[s["name"]].to_csv(folder / f"{s['name']}.csv", index=False)
    ref = run_r(folder, [s for s in sets if s["name"] in names], "diag")
    print(f"\nlavaan evaluated at cscore's estimates (optim.method = 'none') for the {len(files)} flagged fit(s):")
    for f in fits:
        if f["id"] not in files:
            continue
        sname, key = f["id"].split("/")
        r = ref[sname]
        r = r["cfa"] if key == "cfa" and "cfa" in r else r.get(key) or r["inv"][key]
        w = Worst()
        check_fit(w, f, r)
        own = ref["own"][f["id"]]
        ours = float(f["fit"]["chisq"])
        print(f"  {f['analysis']} {f['id']}: flagged {'; '.join(flagged[f['id']][:3])}")
        print(f"    unscaled chi-square: cscore {ours:.10f}, lavaan at its own solution {own['chisq']:.10f}, "
              f"lavaan at cscore's estimates {r['fit']['chisq']:.10f} "
              f"({'cscore lower or equal: lavaan stopped early' if ours <= own['chisq'] else 'lavaan lower'})")
        left = w.flagged.get(f["id"], [])
        print("    at cscore's estimates: " + ("every statistic within tolerance -> lavaan's convergence tolerance"
                                                 if not left else "still different: " + "; ".join(left)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--only", nargs="*", help="data set names (default all)")
    ap.add_argument("--keep", type=Path, help="keep the CSVs, R script and r.json in this folder")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    sets = [s for s in SETS if not args.only or s["name"] in args.only]
    rng = np.random.default_rng(args.seed)
    data = {s["name"]: simulate_set(s, rng) for s in SETS}   # all drawn, so --only keeps the same data
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for s in sets:
            data[s["name"]].to_csv(folder / f"{s['name']}.csv", index=False)
        t0 = time.perf_counter()
        ref = run_r(folder, sets, "main")
        print(f"seed {args.seed}; lavaan {ref['versions']['lavaan']}, semTools {ref['versions']['semTools']}: "
              f"{time.perf_counter() - t0:.1f} s")
        w, fits = Worst(), []
        for s in sets:
            t0 = time.perf_counter()
            d = data[s["name"]]
            these = fits_of(s, d, ref[s["name"]])
            for f in these:
                check_fit(w, f)
            fits += these
            cats = sorted({int(d[c].nunique()) for c in s["items"]}) if s["kind"] != "mlr" else "-"
            print(f"{s['name']:24s} n={len(d):5d} items={len(s['items']):2d} categories={cats}  "
                  f"cscore {time.perf_counter() - t0:5.1f} s, lavaan {ref[s['name']]['seconds']:5.1f} s")
        tab = w.table()
        with pd.option_context("display.float_format", "{:.1e}".format, "display.width", 200,
                               "display.max_rows", 500, "display.max_colwidth", 40):
            print(tab.to_string(index=False))
        print(f"tolerance {TOL:g}: chi-squares, scaling factors, shifts and chisq_diff relative; the rest absolute")
        print(f"{w.n} numbers compared; {sum(len(v) for v in w.flagged.values())} statistic(s) above the tolerance "
              f"in {len(w.flagged)} fit(s)")
        if w.flagged:
            diagnose(folder, sets, data, fits, w.flagged)
        else:
            print("no statistic differs by more than the tolerance")


if __name__ == "__main__":
    main()
