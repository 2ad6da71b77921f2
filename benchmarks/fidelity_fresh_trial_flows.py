"""Fresh-data fidelity sweep for ``trial``, ``flows`` and long-data ``retest`` against R.

    python benchmarks/fidelity_fresh_trial_flows.py [--keep DIR] [--seed N]

Follows ``benchmarks/fidelity_fresh.py`` (which covers reliability, EFA, compare, ICC, retest
and change from two files): simulates item answers in Python (FCS 0-4 for ``trial`` and
``retest``, CEAS 1-10 for ``flows``), writes them to a temporary folder, runs ONE Rscript
(``benchmarks/fidelity_fresh_trial_flows.R``: base R stats, psych, lme4) for the reference
numbers, runs cscore's Python API on the same files and prints per statistic the worst
absolute and relative difference and the data set where it occurred.

R calls (as the docs name them; docs/clinical-change.md, docs/flows.md, docs/reliability.md):
- trial: ``lm(post ~ pre + arm)``, ``confint``; adjusted means at mean(pre) with ``predict``
  (the docs name ``emmeans``, not installed here; with one covariate it is the same number);
  ``t.test(var.equal = FALSE)``; paired ``t.test``; d_z CI by ``uniroot`` on ``pt(t, df, ncp)``.
- flows: ``t.test`` CIs, ``cor.test``, ``psych::r.test`` (Fisher z; Steiger), Welch and paired
  ``t.test``, ``lme4::lmer(value ~ flow * group * time + (1 | subject))`` with ``contr.sum``,
  REML and ML (fixed effects, SEs, variance components, log-likelihood).
- retest (long data, ``time=``/``occasions=``): ``psych::ICC(lmer = FALSE)``, ``cor.test``.

What to expect (seed 20261203): everything agrees to <= 1e-12 except the mixed model, where
lmer's variances differ by up to ~2e-7 relative (fixed effects ~1e-9 absolute). That is where
lme4's default optimiser stops on a flat criterion, not a cscore difference: lme4's own
``devFunOnly`` deviance at cscore's theta equals that at lmer's theta to ~1e-12, and a
``optimize(devfun, tol = 1e-14)`` optimum lies between the two thetas (both ~1e-8 from it).
The log-likelihoods agree to ~1e-12.

Takes about 10 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fidelity_fresh import FCS_FROM, FCS_OTH, FCS_SELF, Log  # noqa: E402

HERE = Path(__file__).resolve().parent
R_SCRIPT = HERE / "fidelity_fresh_trial_flows.R"
FCS_SCORES = [{"id": "fcs_others", "items": FCS_OTH}, {"id": "fcs_from_others", "items": FCS_FROM},
              {"id": "fcs_self", "items": FCS_SELF}]
CEAS_FLOWS = {"self": "ceas_self", "to_others": "ceas_oth", "from_others": "ceas_from"}
CEAS_SCORED = {fl: [f"{p}_e{i}" for i in (1, 2, 4, 5, 6, 8)] for fl, p in CEAS_FLOWS.items()}
CEAS_ALL = [f"{p}_{s}{i}" for p in CEAS_FLOWS.values()
            for s, k in (("e", 8), ("a", 5)) for i in range(1, k + 1)]


# ============================================================================ simulation
def _cut(x: np.ndarray, lo: int, hi: int, spread: float = 1.8) -> np.ndarray:
    cuts = np.linspace(-spread, spread, hi - lo)
    return lo + (x[..., None] > cuts).sum(axis=-1).astype(float)


def simulate_trial(rng: np.random.Generator, sizes: list[int], effects: list[float],
                   drop_fu: float, blank_fu: int, item_na: float,
                   labels: list[str] | None = None) -> pd.DataFrame:
    """Long FCS data (id, arm, wave 0/1): drops some follow-up rows, blanks some follow-up
    rows, leaves single items unanswered (a missing item makes that score missing) and adds
    three follow-up rows of ids with no baseline row."""
    arms = np.repeat(labels or [f"arm{i}" for i in range(len(sizes))], sizes)
    eff = np.repeat(effects, sizes)
    n = arms.size
    latent = rng.normal(size=(n, 3)) @ np.linalg.cholesky(np.array([[1, .4, .5], [.4, 1, .45],
                                                                    [.5, .45, 1]])).T
    post_lat = .7 * latent + .7 * rng.normal(size=(n, 3)) - eff[:, None]
    sizes_f = [len(FCS_OTH), len(FCS_FROM), len(FCS_SELF)]
    def items(lat: np.ndarray) -> np.ndarray:
        cols = [_cut(.7 * lat[:, [f]] + .7 * rng.normal(size=(n, k)) + .3, 0, 4)
                for f, k in enumerate(sizes_f)]
        return np.hstack(cols)
    cols = FCS_OTH + FCS_FROM + FCS_SELF
    ids = rng.permutation(np.arange(5001, 5001 + n))
    base = pd.DataFrame(items(latent), columns=cols)
    fu = pd.DataFrame(items(post_lat), columns=cols)
    for d in (base, fu):
        d[:] = d.mask(rng.random(d.shape) < item_na)
    fu.loc[rng.choice(n, blank_fu, replace=False), cols] = np.nan
    base.insert(0, "wave", 0)
    fu.insert(0, "wave", 1)
    for d in (base, fu):
        d.insert(0, "arm", arms)
        d.insert(0, "id", ids)
    fu = fu[rng.random(n) >= drop_fu]
    # three people seen at follow-up only (no baseline row): left out by both sides
    extra = fu.iloc[:3].assign(id=np.arange(9001, 9004))
    return pd.concat([base, fu, extra]).sample(frac=1, random_state=int(rng.integers(1e6))).reset_index(drop=True)


def simulate_flows(rng: np.random.Generator, sizes: list[int], n_times: int, miss_occ: float,
                   item_na: float) -> pd.DataFrame:
    """Long CEAS data (id, grp, wave 1..T): occasions after the first missing at random."""
    g = np.repeat([f"g{i}" for i in range(len(sizes))], sizes)
    n = g.size
    shift = np.repeat(np.linspace(0, .6, len(sizes)), sizes)
    person = rng.normal(size=(n, 3)) @ np.linalg.cholesky(np.array([[1, .3, .5], [.3, 1, .4],
                                                                    [.5, .4, 1]])).T
    rows = []
    for t in range(1, n_times + 1):
        lat = .8 * person + .6 * rng.normal(size=(n, 3)) + (t - 1) * .2 * shift[:, None]
        lat[:, 0] -= .4  # self lower than others
        blocks = []
        for f in range(3):
            blocks.append(_cut(.7 * lat[:, [f]] + .7 * rng.normal(size=(n, 13)), 1, 10, 2.2))
        x = np.hstack(blocks)
        x[rng.random(x.shape) < item_na] = np.nan
        d = pd.DataFrame(x, columns=CEAS_ALL)
        d.insert(0, "wave", t)
        d.insert(0, "grp", g)
        d.insert(0, "id", np.arange(1, n + 1))
        if t > 1:
            d = d[rng.random(n) >= miss_occ]
        rows.append(d)
    return pd.concat(rows).reset_index(drop=True)


# ============================================================================ checks
TRIALS = {  # name: (sizes, effects, drop follow-up rows, blank follow-up rows, item NA rate, reference)
    "trial_a2_40v65": ([40, 65], [0, .5], .10, 4, .004, None),
    "trial_a3_30v45v22_mixedcase": ([30, 45, 22], [0, .6, .2], .15, 3, .003, None),
    "trial_a3_ref_arm2": ([25, 60, 35], [0, -.3, .5], .08, 2, .0, "arm2"),
}
FLOWS = {  # name: (group sizes or None, times, missing occasion rate, item NA rate)
    "flows_g2_t2": ([45, 70], 2, .15, .003),
    "flows_g3_t3": ([30, 50, 25], 3, .2, .004),
    "flows_g1_t3": ([60], 3, .1, .0),
}
RETEST = ["trial_a2_40v65", "trial_a3_30v45v22_mixedcase"]
# arm labels whose order R's factor() decides by its collation (default reference = first level)
ARM_LABELS = {"trial_a3_30v45v22_mixedcase": ["wait", "Control", "cft"]}


def check_trial(log: Log, name: str, d: pd.DataFrame, r: dict[str, Any], ref: str | None) -> None:
    import compassion_scales as cs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.trial(d, "fcs", arm="arm", time="wave", occasions=(0, 1), id="id", reference=ref)
    for sid, rr in r.items():
        where = f"{name} {sid}"
        log.same("trial reference arm (R factor() order / given)", where, [res.reference], [rr["reference"]])
        anc = res.ancova[res.ancova["score"] == sid].set_index("arm")
        unadj = res.unadjusted[res.unadjusted["score"] == sid].set_index("arm")
        for ra in rr["ancova"]:
            a, u = anc.loc[ra["arm"]], unadj.loc[ra["arm"]]
            log.add("trial n (arm, ref, obs)", where, [a["n_arm"], a["n_reference"], a["n_obs"]],
                    [ra["n_arm"], ra["n_reference"], rr["n_obs"]])
            log.add("trial ancova diff (lm coef)", where, a["diff"], ra["diff"])
            log.add("trial ancova SE", where, a["se"], ra["se"])
            log.add("trial ancova t", where, a["t"], ra["t"])
            log.add("trial ancova df", where, a["df"], ra["df"])
            log.add("trial ancova p", where, a["p_val"], ra["p"])
            log.add("trial ancova CI (confint)", where, [a["ci_low"], a["ci_high"]], ra["ci"])
            log.add("trial baseline coef", where, a["baseline_coef"], ra["baseline_coef"])
            log.add("trial adjusted means (predict at mean pre)", where,
                    [a["adj_mean_arm"], a["adj_mean_reference"]], [ra["adj_arm"], ra["adj_ref"]])
            log.add("trial pooled baseline SD", where, a["pooled_baseline_sd"], ra["psd"])
            log.add("trial smd and CI", where, [a["smd"], a["smd_ci_low"], a["smd_ci_high"]],
                    [ra["smd"], *ra["smd_ci"]])
            log.add("trial R squared", where, a["r_squared"], ra["r2"])
            log.add("trial welch diff, se", where, [u["diff"], u["se"]], [ra["w_diff"], ra["w_se"]])
            log.add("trial welch t, df", where, [u["t"], u["df"]], [ra["w_t"], ra["w_df"]])
            log.add("trial welch p", where, u["p_val"], ra["w_p"])
            log.add("trial welch CI", where, [u["ci_low"], u["ci_high"]], ra["w_ci"])
        wit = res.within[res.within["score"] == sid].set_index("arm")
        for rw in rr["within"]:
            w = wit.loc[rw["arm"]]
            log.add("trial within n", where, w["n"], rw["n"])
            log.add("trial within mean/sd change", where, [w["mean_change"], w["sd_change"]],
                    [rw["mean_change"], rw["sd_change"]])
            log.add("trial within paired t", where, w["t"], rw["t"])
            log.add("trial within p", where, w["p_val"], rw["p"])
            log.add("trial within CI", where, [w["ci_low"], w["ci_high"]], rw["ci"])
            log.add("trial d_z", where, w["d_z"], rw["d_z"])
            log.add("trial d_z CI (nct)", where, [w["d_z_ci_low"], w["d_z_ci_high"]], rw["d_z_ci"])


def _lmm_loglik(res: Any, reml: bool) -> float:
    """Log-likelihood of the flows model (not in FlowsResult): the same fit, from the library's
    own design and fitter (``_sum_coded_design``, ``random_intercept_lmm``)."""
    from compassion_scales.analyses.flows import _sum_coded_design
    from compassion_scales.stats.lmm import random_intercept_lmm

    flows = list(res.values.columns.drop(["subject", "group", "time"]))
    long = res.values.melt(id_vars=["subject", "group", "time"], value_vars=flows, var_name="flow",
                           value_name="value").dropna(subset=["value"])
    levels = {"flow": flows, "time": sorted(long["time"].astype(str).unique())}
    factors = ["flow", "time"]
    if long["group"].nunique() > 1:
        levels["group"] = sorted(long["group"].astype(str).unique())
        factors = ["flow", "group", "time"]
    _, X, _, keep = _sum_coded_design(long, levels, factors)
    fit = random_intercept_lmm(long["value"].to_numpy(float)[keep], X,
                               long["subject"].astype(str).to_numpy()[keep], reml=reml)
    return float(fit.loglik)


def check_flows(log: Log, name: str, d: pd.DataFrame, r: dict[str, Any], grouped: bool) -> None:
    import compassion_scales as cs

    kw = {"group": "grp"} if grouped else {}
    fits = {}
    for reml in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[reml] = cs.flows(d, "ceas", time="wave", id="id", reml=reml, **kw)
    res = fits[True]
    key = ["flow", "group", "time"]
    desc = res.descriptives.assign(time=lambda x: x["time"].astype(str), group=lambda x: x["group"].astype(str))
    rd = pd.DataFrame(r["desc"])
    m = desc.merge(rd, on=key, suffixes=("", "_r"), validate="1:1")
    if len(m) != len(rd):
        log.decisions.append(f"flows descriptives @ {name}: {len(m)} of {len(rd)} cells matched")
    log.add("flows desc n", name, m["n"], m["n_r"])
    log.add("flows desc mean", name, m["mean"], m["mean_r"])
    log.add("flows desc sd", name, m["sd"], m["sd_r"])
    log.add("flows desc CI (t.test)", name, np.c_[m["ci_low"], m["ci_high"]], np.vstack(m["ci"]))

    cor = res.correlations.assign(time=lambda x: x["time"].astype(str), group=lambda x: x["group"].astype(str))
    m = cor.merge(pd.DataFrame(r["cors"]), on=["group", "time", "flow_a", "flow_b"], suffixes=("", "_r"))
    log.add("flows cor n", name, m["n"], m["n_r"])
    log.add("flows cor r (cor.test)", name, m["r"], m["r_r"])
    log.add("flows cor CI (cor.test)", name, np.c_[m["ci_low"], m["ci_high"]], np.vstack(m["ci"]))
    log.add("flows cor p (cor.test)", name, m["p_val"], m["p"])

    if r["gtests"]:
        gt = res.group_tests.assign(time=lambda x: x["time"].astype(str))
        m = gt.merge(pd.DataFrame(r["gtests"]), on=["time", "flow_a", "flow_b", "group_1", "group_2"],
                     suffixes=("", "_r"))
        if len(m) != len(r["gtests"]):
            log.decisions.append(f"flows group tests @ {name}: {len(m)} of {len(r['gtests'])} matched")
        log.add("flows Fisher |z| (r.test)", name, m["z"].abs(), m["z_r"])
        log.add("flows Fisher p (r.test)", name, m["p_val"], m["p"])
    tt = res.time_tests.assign(time_1=lambda x: x["time_1"].astype(str),
                               time_2=lambda x: x["time_2"].astype(str),
                               group=lambda x: x["group"].astype(str))
    m = tt.merge(pd.DataFrame(r["ttests"]), on=["group", "flow_a", "flow_b", "time_1", "time_2"],
                 suffixes=("", "_r"))
    if len(m) != len(r["ttests"]):
        log.decisions.append(f"flows Steiger @ {name}: {len(m)} of {len(r['ttests'])} matched")
    log.add("flows Steiger n", name, m["n"], m["n_r"])
    log.add("flows Steiger r_1, r_2", name, np.c_[m["r_1"], m["r_2"]], np.c_[m["r_1_r"], m["r_2_r"]])
    log.add("flows Steiger |z| (r.test)", name, m["z"].abs(), m["z_r"].abs())
    log.add("flows Steiger p (r.test)", name, m["p_val"], m["p"])

    ph = res.posthoc.assign(time=lambda x: x["time"].astype(str))
    if r["welch"]:
        w = ph[ph["comparison"] == "groups within flow"]
        m = w.merge(pd.DataFrame(r["welch"]), on=["time", "flow", "a", "b"], suffixes=("", "_r"))
        log.add("flows groups within flow Welch t, df", name, np.c_[m["t"], m["df"]], np.c_[m["t_r"], m["df_r"]])
        log.add("flows groups within flow Welch p", name, m["p_val"], m["p"])
        log.add("flows groups within flow Hedges g", name, m["g"], m["g_r"])
    pw = ph[ph["comparison"] == "flows within group"].assign(group=lambda x: x["group"].astype(str))
    m = pw.merge(pd.DataFrame(r["paired"]), on=["time", "group", "a", "b"], suffixes=("", "_r"))
    log.add("flows flows within group paired t", name, m["t"], m["t_r"])
    log.add("flows flows within group paired p", name, m["p_val"], m["p"])

    for reml, tag in ((True, "REML"), (False, "ML")):
        rr = r["lmm"]["reml" if reml else "ml"]
        fe = fits[reml].mixed_model
        if len(fe) != len(rr["beta"]):
            log.decisions.append(f"lmm @ {name}: {len(fe)} vs R {len(rr['beta'])} coefficients")
            continue
        log.add(f"lmer {tag} fixed effects", name, fe["estimate"], rr["beta"])
        log.add(f"lmer {tag} SEs", name, fe["se"], rr["se"])
        attrs = fits[reml].mixed_model_terms.attrs
        log.add(f"lmer {tag} random-intercept variance", name, attrs["random_intercept_var"], rr["tau2"])
        log.add(f"lmer {tag} residual variance", name, attrs["residual_var"], rr["sigma2"])
        log.add(f"lmer {tag} logLik", name, _lmm_loglik(fits[reml], reml), rr["loglik"])
        if name == "flows_g3_t3" and reml:
            _names_note(log, name, list(fe["term"]), rr["names"])


def _names_note(log: Log, name: str, ours: list[str], theirs: list[str]) -> None:
    """Fixed effects are compared by position: say which R coefficient stands beside which."""
    log.same("lmer coefficient count", name, [len(ours)], [len(theirs)])
    print(f"[{name}] coefficient order (ours -> R): "
          + ", ".join(f"{a}={b}" for a, b in list(zip(ours, theirs, strict=True))[::7]))


def check_anova(log: Log, name: str, d: pd.DataFrame, r: dict[str, Any], grouped: bool) -> None:
    import compassion_scales as cs

    kw = {"group": "grp"} if grouped else {}
    for ss_type in (3, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cs.flows(d, "ceas", anova_type=ss_type, **kw)
        an = res.anova.set_index("term")
        tag = "Type III (car::Anova)" if ss_type == 3 else "Type I (aov)"
        log.add("flows anova n complete", name, res.n_complete, r["n"])
        for rr in r["type3" if ss_type == 3 else "type1"]:
            a = an.loc[rr["term"]]
            log.add(f"flows anova {tag} SS", name, a["ss"], rr["ss"])
            log.add(f"flows anova {tag} F", name, a["f"], rr["f"])
            log.add(f"flows anova {tag} p", name, a["p_val"], rr["p"])
            if ss_type == 3:
                log.add("flows anova df1, df2, SS_error", name, [a["df1"], a["df2"], a["ss_error"]],
                        [rr["df1"], rr["df2"], rr["ss_error"]])
                log.add("flows anova pes, ges (afex formula)", name, [a["pes"], a["ges"]], [rr["pes"], rr["ges"]])
                if "gg_eps" in rr:
                    log.add("flows anova GG/HF eps", name, [a["gg_eps"], a["hf_eps"]], [rr["gg_eps"], rr["hf_eps"]])
                    log.add("flows anova GG/HF p", name, [a["p_gg"], a["p_hf"]], [rr["p_gg"], rr["p_hf"]])
        if ss_type == 3:
            log.add("flows Mauchly W, p", name, res.sphericity[["mauchly_w", "p_val"]].iloc[0],
                    [r["mauchly_w"], r["mauchly_p"]])


def check_retest(log: Log, name: str, d: pd.DataFrame, r: dict[str, Any]) -> None:
    import compassion_scales as cs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.retest(d, "fcs", id="id", time="wave", occasions=(0, 1))
    for sid, rr in r.items():
        where = f"{name} {sid} (long)"
        tab = res.icc[res.icc["score"] == sid]
        row = res.table.set_index("score").loc[sid]
        log.add("retest(long) n_pairs", where, row["n_pairs"], rr["n"])
        log.add("retest(long) ICC (6 forms)", where, tab["icc"], rr["icc"])
        log.add("retest(long) ICC F", where, tab["f"], rr["f"])
        log.add("retest(long) ICC df", where, np.r_[tab["df1"], tab["df2"]], np.r_[rr["df1"], rr["df2"]])
        log.add("retest(long) ICC p", where, tab["p_val"], rr["p"])
        log.add("retest(long) ICC CI", where, np.r_[tab["ci_low"], tab["ci_high"]], np.r_[rr["low"], rr["high"]])
        log.add("retest(long) pearson r", where, row["pearson_r"], rr["r"])
        log.add("retest(long) r CI (cor.test)", where, [row["r_ci_low"], row["r_ci_high"]], rr["r_ci"])


# ============================================================================ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="write the data and R output to this folder and keep them")
    ap.add_argument("--seed", type=int, default=20261203)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="fidelity_tf_")
    folder = Path(args.keep or tmp.name)  # type: ignore[union-attr]
    folder.mkdir(parents=True, exist_ok=True)
    jobs: list[dict[str, Any]] = []
    for name, (sizes, eff, drop, blank, na, ref) in TRIALS.items():
        simulate_trial(rng, sizes, eff, drop, blank, na, ARM_LABELS.get(name)).to_csv(folder / f"{name}.csv", index=False, na_rep="")
        jobs.append({"name": f"trial:{name}", "kind": "trial", "file": f"{name}.csv", "scores": FCS_SCORES,
                     "occasions": [0, 1], "reference": ref})
    for name in RETEST:
        jobs.append({"name": f"retest:{name}", "kind": "retest", "file": f"{name}.csv", "scores": FCS_SCORES,
                     "occasions": [0, 1]})
    for name, (sizes, n_times, miss, na) in FLOWS.items():
        d = simulate_flows(rng, sizes, n_times, miss, na)
        if len(sizes) == 1:
            d = d.drop(columns="grp")
        d.to_csv(folder / f"{name}.csv", index=False, na_rep="")
        jobs.append({"name": f"flows:{name}", "kind": "flows", "file": f"{name}.csv",
                     "flows": list(CEAS_FLOWS), "items": CEAS_SCORED,
                     "group": "grp" if len(sizes) > 1 else None})
        first = d[d["wave"] == 1].drop(columns="wave")  # one row per person: the mixed ANOVA
        first.to_csv(folder / f"{name}_t1.csv", index=False, na_rep="")
        jobs.append({"name": f"anova:{name}_t1", "kind": "anova", "file": f"{name}_t1.csv",
                     "flows": list(CEAS_FLOWS), "items": CEAS_SCORED,
                     "group": "grp" if len(sizes) > 1 else None})
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
    for job in jobs:
        kind, name = job["kind"], job["name"].split(":")[1]
        d = pd.read_csv(folder / job["file"])  # what R read (CSV round trip)
        r = rres[job["name"]]
        if kind == "trial":
            check_trial(log, name, d, r, job["reference"])
        elif kind == "flows":
            check_flows(log, name, d, r, job["group"] is not None)
        elif kind == "retest":
            check_retest(log, name, d, r)
        elif kind == "anova":
            check_anova(log, name, d, r, job["group"] is not None)
    t_py = time.perf_counter() - t0
    print(log.report())
    v = rres["versions"]
    print(f"\n{v['R']}, psych {v['psych']}, lme4 {v['lme4']}; R took {t_r:.0f} s, cscore {t_py:.0f} s. "
          f"{len(TRIALS) + len(FLOWS)} data files.")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
