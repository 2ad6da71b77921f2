"""Between-arm analysis of a randomised trial with baseline and follow-up scores.

For each score: ANCOVA of the follow-up score on the baseline score and arm
(ordinary least squares, `compassion_scales.stats.ols`), the unadjusted comparison of follow-up
scores (Welch's t-test) beside it, and the paired change within each arm with
Cohen's d_z. Participants without a follow-up score are counted per arm and left
out (complete-case analysis, stated in the output).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._typing import InstrumentLike
from compassion_scales.errors import AnalysisError, MissingDataWarning
from compassion_scales.results import ResultMixin
from compassion_scales.stats.groups import group_levels

__all__ = ["trial", "TrialResult", "dz_confidence_interval"]


@dataclass(frozen=True, repr=False)
class TrialResult(ResultMixin):
    """Result of :func:`trial`.

    Attributes
    ----------
    ancova : DataFrame
        Per score and non-reference arm: ``n_arm``, ``n_reference``,
        ``adj_mean_arm``, ``adj_mean_reference`` (at the mean baseline of the
        analysed sample), ``diff`` (arm - reference, adjusted), ``se``, ``ci_low``,
        ``ci_high``, ``t``, ``df``, ``p_val``, ``baseline_coef``, ``pooled_baseline_sd``,
        ``smd`` (``diff / pooled_baseline_sd``), ``smd_ci_low``, ``smd_ci_high``.
    unadjusted : DataFrame
        Same comparisons on follow-up scores alone (Welch): ``mean_arm``,
        ``mean_reference``, ``diff``, ``se``, ``ci_low``, ``ci_high``, ``t``, ``df``, ``p_val``.
    within : DataFrame
        Per score and arm: ``n``, ``mean_baseline``, ``mean_follow_up``,
        ``mean_change``, ``sd_change``, ``ci_low``, ``ci_high``, ``t``, ``df``,
        ``p_val``, ``d_z``, ``d_z_ci_low``, ``d_z_ci_high``.
    missing : DataFrame
        Per score and arm: ``n_randomised`` (ids with a baseline row),
        ``n_baseline`` (with a baseline score), ``n_follow_up``, ``n_complete``,
        ``n_missing_follow_up``, ``percent_missing_follow_up``.
    """

    ancova: pd.DataFrame
    unadjusted: pd.DataFrame
    within: pd.DataFrame
    missing: pd.DataFrame
    reference: str
    arms: tuple[str, ...]
    instrument: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    _title = "Trial analysis: ANCOVA of follow-up on baseline and arm"

    @property
    def summary(self) -> pd.DataFrame:
        """ANCOVA and unadjusted comparisons side by side, one row per score and arm."""
        a = self.ancova[["score", "arm", "reference", "n_arm", "n_reference", "diff", "ci_low",
                         "ci_high", "p_val", "smd"]].rename(columns={
                             "diff": "adj_diff", "ci_low": "adj_ci_low", "ci_high": "adj_ci_high",
                             "p_val": "adj_p_val"})
        u = self.unadjusted[["score", "arm", "diff", "ci_low", "ci_high", "p_val"]].rename(columns={
            "diff": "unadj_diff", "ci_low": "unadj_ci_low", "ci_high": "unadj_ci_high",
            "p_val": "unadj_p_val"})
        return a.merge(u, on=["score", "arm"], how="left")

    def _notes(self) -> list[str]:
        o = self.options
        notes = [
            f"ANCOVA: OLS of the follow-up score (time {o.get('follow_up')}) on the baseline score "
            f"(time {o.get('baseline')}) and arm (reference arm: {self.reference}); "
            "adjusted difference = arm - reference "
            "with its 95% CI; adjusted means at the mean baseline of the analysed sample.",
            "smd = adjusted difference / pooled within-arm SD of baseline scores of the two arms "
            "compared (complete cases); its CI is the CI of the difference divided by the same SD.",
            "Unadjusted: Welch's t-test of follow-up scores, same participants.",
            "Within arm: paired change follow-up - baseline; d_z = mean change / SD of change, "
            "95% CI by inverting the noncentral t distribution.",
            "Missing data: complete-case analysis; participants without a baseline or a follow-up "
            "score are left out of that score's analyses (counted per arm in the missing table).",
        ]
        for row in self.missing.itertuples(index=False):
            if row.n_missing_follow_up:
                notes.append(f"{row.score}, arm {row.arm}: {row.n_missing_follow_up} of "
                             f"{row.n_baseline} with a baseline score have no follow-up score "
                             f"({row.percent_missing_follow_up:.1f}%).")
        dirs = o.get("higher_is", {})
        for s, d in dirs.items():
            if d in ("better", "worse"):
                notes.append(f"{s}: higher is {d}, so a {'negative' if d == 'worse' else 'positive'}"
                             " difference favours the arm over the reference.")
        return notes

    def to_table(self, fmt: str = "simple", decimals: int = 3) -> str:
        from compassion_scales._format import render_table

        return "\n".join([
            render_table(self.summary, fmt=fmt, decimals=decimals), "",
            "Within-arm change", render_table(self.within, fmt=fmt, decimals=decimals), "",
            "Follow-up completeness", render_table(self.missing, fmt=fmt, decimals=decimals)])

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        return {"summary": to_jsonable(self.summary), "ancova": to_jsonable(self.ancova),
                "unadjusted": to_jsonable(self.unadjusted), "within": to_jsonable(self.within),
                "missing": to_jsonable(self.missing), "reference": self.reference,
                "instrument": self.instrument, "notes": self._notes()}


def dz_confidence_interval(t_stat: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval for Cohen's d_z from a paired t statistic (noncentral t inversion).

    Finds the noncentrality parameters whose distributions put ``t_stat`` at the
    upper and lower ``(1 - level) / 2`` tails and divides them by ``sqrt(n)``.

    Examples
    --------
    >>> lo, hi = dz_confidence_interval(3.0, 20)
    >>> round(lo, 3), round(hi, 3)
    (0.177, 1.15)
    """
    from scipy import optimize, stats

    df = n - 1
    if n < 2 or not np.isfinite(t_stat):
        return float("nan"), float("nan")
    alpha = 1 - level

    def solve(target: float) -> float:
        def f(ncp: float) -> float:
            return float(stats.nct.cdf(t_stat, df, ncp)) - target

        # cdf(t; ncp) falls as ncp rises: step outwards from t until the sign changes
        step = 1.0
        lo, hi = t_stat - step, t_stat + step
        for _ in range(60):
            flo, fhi = f(lo), f(hi)
            if not (np.isfinite(flo) and np.isfinite(fhi)):
                return float("nan")
            if flo >= 0 >= fhi:
                return float(optimize.brentq(f, lo, hi, xtol=1e-12))
            step *= 2
            if flo < 0:
                lo -= step
            if fhi > 0:
                hi += step
        return float("nan")

    ncp_low = solve(1 - alpha / 2)
    ncp_high = solve(alpha / 2)
    return float(ncp_low / np.sqrt(n)), float(ncp_high / np.sqrt(n))


def _scores_long(data: pd.DataFrame, instrument: Any, id_col: str, arm: str, time: str,
                 scores: Sequence[str] | None, options: Any) -> tuple[pd.DataFrame, list[str], Any]:
    """Long table of id, arm, time and score columns (scored once through the input layer)."""
    from compassion_scales._inputs import as_key, check_role_columns, scored_data

    check_role_columns(data, {"id": id_col, "arm": arm, "time": time})
    got = scored_data(data, instrument, scores, id_cols=[id_col, time], options=options,
                      reserved={"id": id_col, "arm": arm, "time": time})
    if got.skipped:
        import warnings

        from compassion_scales.errors import SkippedScoreWarning

        for note in got.notes():
            warnings.warn(note, SkippedScoreWarning, stacklevel=3)
    out = pd.DataFrame({id_col: as_key(got.frame[id_col]).to_numpy(),
                        arm: got.frame[arm].to_numpy(), time: got.frame[time].to_numpy()})
    for s in got.scores:
        out[s] = pd.to_numeric(got.frame[s], errors="coerce").astype(float).to_numpy()
    return out, list(got.scores), got.instrument


@renamed_arguments(pairs={"occasions": ("baseline", "follow_up")})
def trial(data: pd.DataFrame, instrument: InstrumentLike | None = None, *, arm: str, time: str,
          occasions: tuple[Any, Any], id: str, scores: Sequence[str] | None = None,
          reference: Any = None, higher_is: str | Mapping[str, str] | None = None,
          on_invalid: str = "error", column_map: Mapping[str, str] | None = None,
          patterns: Mapping[str, str] | Sequence[str] | str | None = None,
          prorate: float | None = None) -> TrialResult:
    """ANCOVA, unadjusted and within-arm analyses of a two- or more-arm trial.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per participant and time point, with an id, an arm and a
        time column plus the items of ``instrument`` (or score columns).
    instrument : str, path or Instrument, optional
        Instrument whose items are scored; without it ``scores`` names score columns.
    arm, time, id : str
        Column names.
    occasions : (baseline, follow-up)
        Values of ``time`` marking the baseline and follow-up rows.
    scores : list of str, optional
        Scores to analyse (default: all of the instrument's).
    reference : optional
        The reference (control) arm; default the first arm in R's factor() order
        (:func:`compassion_scales.stats.groups.group_levels`).
    higher_is : str or dict, optional
        Direction per score, only used for the notes (default: the instrument's).
    on_invalid, column_map, patterns, prorate
        How raw answers are matched, validated and scored (see :func:`compassion_scales.score`).

    Returns
    -------
    TrialResult

    Notes
    -----
    Model per score: ``follow_up ~ baseline + C(arm, Treatment(reference))`` fitted
    by OLS on complete cases (both scores present). Each non-reference arm's
    coefficient is its baseline-adjusted difference from the reference arm (the
    same as R's ``lm(post ~ pre + arm)``). The standardised effect is the adjusted
    difference divided by the pooled within-arm SD of baseline scores of the two
    arms compared.

    ``baseline=`` / ``follow_up=`` (0.1 names) still work until 1.0, with a
    ``FutureWarning``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"pid": [1, 2, 3, 4, 5, 6] * 2,
    ...                   "arm": ["cft", "cft", "cft", "wait", "wait", "wait"] * 2,
    ...                   "t": [0] * 6 + [1] * 6,
    ...                   "fear": [30, 25, 28, 29, 27, 31, 18, 20, 19, 28, 26, 27.0]})
    >>> res = trial(d, arm="arm", time="t", occasions=(0, 1), id="pid",
    ...             scores=["fear"], reference="wait")
    >>> float(round(res.ancova.loc[0, "diff"], 3))
    -8.194
    """
    from compassion_scales._inputs import InputOptions

    baseline, follow_up = _check_occasions(occasions, time)
    long, score_ids, inst = _scores_long(data, instrument, id, arm, time, scores,
                                         InputOptions.of(column_map, patterns, on_invalid, prorate))
    base, fu = _occasion_tables(long, time, id, (baseline, follow_up))
    arm_of, extra = _arm_of(base, fu, arm, id)
    arms = group_levels(arm_of)  # R's factor() order: the default reference is R's first level
    ref = _reference_arm(arms, reference, arm)
    wide = _wide(arm_of, base, fu, id, score_ids)
    tables: dict[str, list[dict[str, Any]]] = {"ancova": [], "unadjusted": [], "within": [], "missing": []}
    for s in score_ids:
        for key, rows in _score_analyses(s, wide, arms, ref).items():
            tables[key] += rows
    return TrialResult(
        ancova=_frame(tables["ancova"]), unadjusted=_frame(tables["unadjusted"]),
        within=_frame(tables["within"]), missing=_frame(tables["missing"]), reference=ref,
        arms=tuple(arms), instrument=inst.id if inst is not None else None,
        options={"baseline": baseline, "follow_up": follow_up,
                 "higher_is": _directions(inst, score_ids, higher_is),
                 "follow_up_only_ids": [str(x) for x in extra]})


# --------------------------------------------------------------------------- trial() steps


def _check_occasions(occasions: Any, time: str) -> tuple[Any, Any]:
    from compassion_scales.occasions import check_distinct_occasions

    if occasions is None or len(occasions) != 2 or any(o is None for o in occasions):
        raise AnalysisError("Give the baseline and follow-up values of the time column: "
                            "occasions=(baseline, follow_up) (--occasions BASELINE FOLLOW_UP).")
    baseline, follow_up = occasions
    check_distinct_occasions((baseline, follow_up), time, what="Baseline and follow-up")
    return baseline, follow_up


def _occasion_tables(long: pd.DataFrame, time: str, id: str, occasions: tuple[Any, Any]
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline and follow-up rows, one per participant; ids that differ between them only
    by leading zeros are refused (:func:`compassion_scales._inputs.check_padded_ids`)."""
    from compassion_scales._inputs import check_padded_ids, occasion_rows

    base = occasion_rows(long, time, occasions[0], role="--occasions, baseline")
    fu = occasion_rows(long, time, occasions[1], role="--occasions, follow-up")
    for where, df in (("baseline", base), ("follow-up", fu)):
        dup = df[id][df[id].duplicated()]
        if len(dup):
            raise AnalysisError(f"More than one {where} row for id(s) "
                                + ", ".join(map(str, pd.unique(dup)[:10]))
                                + f" in column {id!r}; keep one row per participant and time.")
    base_ids, fu_ids = pd.Index(base[id].dropna()), pd.Index(fu[id].dropna())
    check_padded_ids([str(x) for x in base_ids.difference(fu_ids)],
                     [str(x) for x in fu_ids.difference(base_ids)], id)
    return base, fu


def _arm_of(base: pd.DataFrame, fu: pd.DataFrame, arm: str, id: str) -> tuple[pd.Series, pd.Index]:
    """Each participant's arm (from baseline) and the ids found at follow-up only."""
    if base[arm].isna().any():
        raise AnalysisError(f"{int(base[arm].isna().sum())} baseline row(s) have no arm in column "
                            f"{arm!r}; every participant needs an arm.")
    arm_of = base.set_index(id)[arm].astype("string")
    fu_arm = fu.set_index(id)[arm].astype("string")
    common = fu_arm.index.intersection(arm_of.index)
    clash = common[(fu_arm.loc[common].notna() & (fu_arm.loc[common] != arm_of.loc[common])).to_numpy()]
    if len(clash):
        raise AnalysisError(f"Participant(s) {', '.join(map(str, clash[:10]))} have a different arm at "
                            "baseline and follow-up; fix the arm column.")
    return arm_of, fu_arm.index.difference(arm_of.index)


def _reference_arm(arms: list[str], reference: Any, arm: str) -> str:
    if len(arms) < 2:
        raise AnalysisError(f"The arm column {arm!r} has fewer than two arms at baseline "
                            f"({', '.join(arms) or 'none'}).")
    ref = str(reference) if reference is not None else arms[0]
    if ref not in arms:
        raise AnalysisError(f"Reference arm {reference!r} is not among the arms: {', '.join(arms)}.")
    return ref


def _directions(inst: Any, score_ids: list[str], higher_is: str | Mapping[str, str] | None
                ) -> dict[str, Any]:
    if inst is not None and higher_is is None:
        return {s: inst.score(s).higher_is for s in score_ids}
    if isinstance(higher_is, Mapping):
        return dict(higher_is)
    return {s: higher_is for s in score_ids}


def _wide(arm_of: pd.Series, base: pd.DataFrame, fu: pd.DataFrame, id: str, score_ids: list[str]
          ) -> pd.DataFrame:
    """One row per participant: id, arm, ``score__base`` and ``score__fu``."""
    wide = pd.DataFrame({id: arm_of.index, "arm": arm_of.to_numpy()})
    for s in score_ids:
        wide = wide.merge(base[[id, s]].rename(columns={s: f"{s}__base"}), on=id, how="left")
        wide = wide.merge(fu[[id, s]].rename(columns={s: f"{s}__fu"}), on=id, how="left")
    return wide


def _missing_counts(s: str, wide: pd.DataFrame, arms: list[str], b: np.ndarray, f: np.ndarray
                    ) -> list[dict[str, Any]]:
    complete = ~np.isnan(b) & ~np.isnan(f)
    rows = []
    for a in arms:
        in_arm = (wide["arm"] == a).to_numpy(dtype=bool)
        n_b = int((in_arm & ~np.isnan(b)).sum())
        n_f = int((in_arm & ~np.isnan(f)).sum())
        n_c = int((in_arm & complete).sum())
        rows.append({"score": s, "arm": a, "n_randomised": int(in_arm.sum()),
                     "n_baseline": n_b, "n_follow_up": n_f, "n_complete": n_c,
                     "n_missing_follow_up": n_b - n_c,
                     "percent_missing_follow_up": 100.0 * (n_b - n_c) / n_b if n_b else np.nan})
    return rows


def _score_analyses(s: str, wide: pd.DataFrame, arms: list[str], ref: str
                    ) -> dict[str, list[dict[str, Any]]]:
    """ANCOVA, Welch and within-arm rows of one score, and its missing-data counts."""
    import warnings

    b = wide[f"{s}__base"].to_numpy(dtype=float)
    f = wide[f"{s}__fu"].to_numpy(dtype=float)
    complete = ~np.isnan(b) & ~np.isnan(f)
    cc = wide.loc[complete, ["arm", f"{s}__base", f"{s}__fu"]]
    cc.columns = ["arm", "base", "fu"]
    if (cc["arm"] == ref).sum() < 2:
        raise AnalysisError(f"{s}: fewer than 2 complete cases in the reference arm {ref!r}.")
    others = [a for a in arms if a != ref]
    n_drop = int((~complete & ~np.isnan(b)).sum())
    if n_drop:
        warnings.warn(f"{s}: {n_drop} participant(s) with a baseline score have no follow-up "
                      "score and are left out (complete-case analysis).",
                      MissingDataWarning, stacklevel=4)
    return {"ancova": _ancova(s, cc, ref, others), "unadjusted": [_welch(s, cc, a, ref) for a in others],
            "within": [_within(s, cc, a) for a in arms],
            "missing": _missing_counts(s, wide, arms, b, f)}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in ("score", "arm", "reference"):
        if col in df.columns:
            df[col] = df[col].astype("string")
    return df


def _pooled_sd(x: pd.Series, groups: pd.Series) -> float:
    num, den = 0.0, 0
    for _, v in x.groupby(groups):
        if len(v) > 1:
            num += float(v.var(ddof=1)) * (len(v) - 1)
            den += len(v) - 1
    return float(np.sqrt(num / den)) if den else float("nan")


def _ancova(s: str, cc: pd.DataFrame, ref: str, others: list[str]) -> list[dict[str, Any]]:
    from compassion_scales.stats.ols import ols

    X = pd.DataFrame({"const": 1.0, "base": cc["base"].to_numpy(dtype=float)})
    for a in others:
        X[f"arm_{a}"] = (cc["arm"] == a).to_numpy(dtype=float)
    y = cc["fu"].to_numpy(dtype=float)
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise AnalysisError(f"{s}: the ANCOVA cannot be fitted (an arm has no complete cases or "
                            "the baseline score does not vary).")
    fit = ols(y, X.to_numpy())
    ci = fit.conf_int
    mean_base = float(cc["base"].mean())
    rows = []
    ref_mean = fit.params[0] + fit.params[1] * mean_base
    for j, a in enumerate(others, start=2):
        pair = cc[cc["arm"].isin([ref, a])]
        psd = _pooled_sd(pair["base"], pair["arm"])
        diff = float(fit.params[j])
        rows.append({
            "score": s, "arm": a, "reference": ref,
            "n_arm": int((cc["arm"] == a).sum()), "n_reference": int((cc["arm"] == ref).sum()),
            "adj_mean_arm": float(ref_mean + diff), "adj_mean_reference": float(ref_mean),
            "diff": diff, "se": float(fit.bse[j]), "ci_low": float(ci[j, 0]),
            "ci_high": float(ci[j, 1]), "t": float(fit.tvalues[j]), "df": float(fit.df_resid),
            "p_val": float(fit.pvalues[j]), "baseline_coef": float(fit.params[1]),
            "pooled_baseline_sd": psd, "smd": diff / psd,
            "smd_ci_low": float(ci[j, 0]) / psd, "smd_ci_high": float(ci[j, 1]) / psd,
            "n_obs": int(fit.nobs), "r_squared": float(fit.rsquared),
        })
    return rows


def _welch(s: str, cc: pd.DataFrame, a: str, ref: str) -> dict[str, Any]:
    from compassion_scales.stats.distributions import t as t_dist

    x = cc.loc[cc["arm"] == a, "fu"].to_numpy(dtype=float)
    y = cc.loc[cc["arm"] == ref, "fu"].to_numpy(dtype=float)
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = float(np.sqrt(vx + vy))
    df = float((vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1)))
    diff = float(x.mean() - y.mean())
    t = diff / se
    q = float(t_dist.ppf(0.975, df))
    return {"score": s, "arm": a, "reference": ref, "n_arm": len(x), "n_reference": len(y),
            "mean_arm": float(x.mean()), "mean_reference": float(y.mean()), "diff": diff,
            "se": se, "ci_low": diff - q * se, "ci_high": diff + q * se, "t": t, "df": df,
            "p_val": float(2 * t_dist.sf(abs(t), df))}


def _within(s: str, cc: pd.DataFrame, a: str) -> dict[str, Any]:
    from compassion_scales.stats.distributions import t as t_dist

    g = cc[cc["arm"] == a]
    d = (g["fu"] - g["base"]).to_numpy(dtype=float)
    n = len(d)
    row: dict[str, Any] = {"score": s, "arm": a, "n": n,
                           "mean_baseline": float(g["base"].mean()) if n else np.nan,
                           "mean_follow_up": float(g["fu"].mean()) if n else np.nan,
                           "mean_change": float(d.mean()) if n else np.nan}
    if n < 2:
        row.update(sd_change=np.nan, ci_low=np.nan, ci_high=np.nan, t=np.nan, df=np.nan,
                   p_val=np.nan, d_z=np.nan, d_z_ci_low=np.nan, d_z_ci_high=np.nan)
        return row
    sd = float(d.std(ddof=1))
    se = sd / np.sqrt(n)
    q = float(t_dist.ppf(0.975, n - 1))
    t = row["mean_change"] / se if se > 0 else np.nan
    lo, hi = dz_confidence_interval(t, n) if np.isfinite(t) else (np.nan, np.nan)
    row.update(sd_change=sd, ci_low=row["mean_change"] - q * se, ci_high=row["mean_change"] + q * se,
               t=t, df=float(n - 1), p_val=float(2 * t_dist.sf(abs(t), n - 1)) if np.isfinite(t) else np.nan,
               d_z=row["mean_change"] / sd if sd > 0 else np.nan, d_z_ci_low=lo, d_z_ci_high=hi)
    return row
