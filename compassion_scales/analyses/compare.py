"""Group comparisons for any score: Welch tests, rank tests and effect sizes with CIs.

:func:`compare` compares every score of an instrument (or any numeric columns) across
the levels of one grouping column. Two groups: Welch's t-test and the Mann-Whitney U
test with Hedges' g and the default-prior JZS Bayes factor (as R BayesFactor and JASP).
More groups: Welch's one-way ANOVA, the classic one-way F test and the Kruskal-Wallis
test, with eta squared and omega squared, and pairwise Welch tests. P values are
corrected for the number of scores compared (Holm by default). Groups are reported in
the order of :func:`group_levels`.

The kernels (Hedges' correction, noncentral-t and noncentral-F confidence intervals,
Welch's tests, p-value corrections, the JZS Bayes factor) are in
:mod:`compassion_scales.stats.group_tests`, shared with :mod:`compassion_scales.analyses.flows`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._format import column_hint, name_columns
from compassion_scales.errors import AnalysisError, MissingDataWarning, PsychometricWarning
from compassion_scales.results import ResultMixin
from compassion_scales.stats.group_tests import (
    CORRECTIONS,
    adjust_p,
    eta_sq_ci,
    hedges_g_independent,
    jzs_bf10,
    t_ci,
    welch_anova,
    welch_t,
)
from compassion_scales.stats.groups import group_levels

if TYPE_CHECKING:
    from compassion_scales.instrument import InstrumentLike

__all__ = ["compare", "ComparisonResult"]

def resolve_scores(data: pd.DataFrame, instrument: Any, wanted: Sequence[str] | None,
                   id_cols: Sequence[str], *, options: Any = None,
                   reserved: Mapping[str, str | None] | None = None
                   ) -> tuple[pd.DataFrame, Any, list[str], str]:
    """Return (frame with score columns, Instrument or None, score ids, how they were obtained).

    Thin wrapper over :func:`compassion_scales._inputs.scored_data` (the shared input
    layer); scores whose items are absent are skipped with a :class:`SkippedScoreWarning`.
    """
    import warnings

    from compassion_scales._inputs import scored_data
    from compassion_scales.errors import SkippedScoreWarning

    got = scored_data(data, instrument, wanted, id_cols=id_cols, options=options, reserved=reserved)
    for note in got.notes():
        warnings.warn(note, SkippedScoreWarning, stacklevel=3)
    return got.frame, got.instrument, got.scores, got.how


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class ComparisonResult(ResultMixin):
    """Group comparison of one or more scores.

    Attributes
    ----------
    tests : DataFrame
        One row per score (the ``summary``): ``score``, ``n``, ``n_groups``, ``test``,
        ``statistic``, ``df1``, ``df2``, ``p_val``, ``p_adj``; the rank test
        (``np_test``, ``np_statistic``, ``np_p_val``, ``np_p_adj``); effect sizes:
        two groups ``mean_diff``, ``d``, ``g``, ``g_ci_low``, ``g_ci_high``, ``rank_biserial``
        and the default-prior JZS Bayes factor ``bf10``; more groups
        ``f_classic``, ``f_df1``, ``f_df2``, ``f_p_val``, ``eta_sq``, ``omega_sq``,
        ``eta_sq_ci_low``, ``eta_sq_ci_high``.
    descriptives : DataFrame
        ``score``, ``group``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``, ``median``.
    group : str
    levels : list
        Group levels, in the order used (the first minus the second for two groups).
    correction : str
    n_missing : dict
        Score -> rows left out because the score or the group was missing.
    posthoc : DataFrame
        Three or more groups: pairwise Welch t-tests per score (``score``, ``group_1``,
        ``group_2``, ``n_1``, ``n_2``, ``mean_diff``, ``t``, ``df``, ``p_val``, ``p_adj``,
        ``g``, ``g_ci_low``, ``g_ci_high``), ``p_adj`` corrected across the pairs of each score
        with the same ``correction`` (R ``pairwise.t.test(pool.sd = FALSE)``). Empty for two
        groups.
    """

    tests: pd.DataFrame
    descriptives: pd.DataFrame
    group: str
    levels: list[Any]
    correction: str
    level: float
    source: str
    n_missing: dict[str, int] = field(default_factory=dict)
    posthoc: pd.DataFrame = field(default_factory=pd.DataFrame)

    _title = "Group comparison"

    @property
    def summary(self) -> pd.DataFrame:
        return self.tests

    def header(self) -> dict[str, Any]:
        """The grouping column, its groups in the order used, the correction and the level."""
        return {"group": self.group, "groups": [str(x) for x in self.levels],
                "correction": self.correction, "level": self.level}

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        """The tests, the descriptives per group and (three or more groups) the pairs."""
        out = [(self.title, self.tests), ("Group descriptives", self.descriptives)]
        if len(self.posthoc):
            out.append(("Pairwise comparisons", self.posthoc))
        return out

    def _no_variation(self) -> list[str]:
        """Scores whose test is undefined because they do not vary within (some) groups."""
        if not len(self.tests) or "statistic" not in self.tests:
            return []
        flat = self.descriptives[self.descriptives["sd"] == 0]
        out = []
        for s, stat in zip(self.tests["score"], self.tests["statistic"], strict=True):
            groups = [str(g) for g in flat.loc[flat["score"] == s, "group"]]
            if pd.isna(stat) and groups:
                every = len(groups) == len(self.levels)
                out.append(f"{s} (no variation within {'every group' if every else 'group ' + ', '.join(groups)})")
        return out

    def _notes(self) -> list[str]:
        k = len(self.levels)
        pct = f"{self.level * 100:g}%"
        notes = [f"Groups: {self.group} = " + ", ".join(map(str, self.levels)) + f"; scores {self.source}."]
        if k == 2:
            notes.append("Two groups: Welch's t-test (no equal-variance assumption) and the Mann-Whitney U "
                         "test (normal approximation with continuity correction, as R's wilcox.test(exact = "
                         "FALSE)). Differences are first group minus second "
                         f"({self.levels[0]} - {self.levels[1]}).")
            notes.append(f"d = mean difference / pooled SD (n1 + n2 - 2 df; psych::cohen.d's 'hedges.g'); "
                         f"g = J(n1 + n2 - 2) * d, Hedges' exact small-sample correction; {pct} CI of g = J "
                         "times the noncentral-t CI of d. rank_biserial = 2U/(n1 n2) - 1.")
            notes.append("bf10: default-prior JZS Bayes factor for a difference in means against "
                         "none (Cauchy prior on the standardised effect, scale sqrt(2)/2 = 0.707; "
                         "Student t; R BayesFactor::ttestBF and JASP's default); above 1 favours a "
                         "difference, below 1 no difference. Not adjusted for multiple scores.")
        else:
            notes.append("More than two groups: Welch's one-way ANOVA (R oneway.test(var.equal = FALSE)), the "
                         "classic one-way F test and Kruskal-Wallis (tie-corrected).")
            notes.append(f"eta_sq = SS_between / SS_total; omega_sq = (SS_between - df_between MS_within) / "
                         f"(SS_total + MS_within); {pct} CI for the population proportion of variance "
                         "(the same parameter for eta and omega squared) by noncentral-F inversion "
                         "(Steiger 2004).")
        notes.append(f"Multiple comparisons: p_adj and np_p_adj are {self.correction}-adjusted across the "
                     f"{len(self.tests)} score(s) compared.")
        if len(self.posthoc):
            notes.append(f"Post hoc: pairwise Welch t-tests between the {k} groups, p_adj "
                         f"{self.correction}-adjusted across the {k * (k - 1) // 2} pairs of each score "
                         "(R pairwise.t.test(pool.sd = FALSE)); g as for two groups.")
        flat = self._no_variation()
        if flat:
            notes.append("No test for " + "; ".join(flat) + ": everyone in such a group has the same "
                         "value, so Welch's test (which weights each group by 1 / its variance) and the "
                         "other statistics that divide by a variance are undefined (left empty).")
        dropped = {s: n for s, n in self.n_missing.items() if n}
        if dropped:
            notes.append("Missing data: each score uses the rows where it and the group are present; left out: "
                         + ", ".join(f"{s} {n}" for s, n in dropped.items()) + ".")
        else:
            notes.append("Missing data: none among the scores and the group.")
        return notes

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        return to_jsonable({"summary": self.tests, "descriptives": self.descriptives,
                            "posthoc": self.posthoc, "group": self.group, "levels": [str(x) for x in self.levels],
                            "correction": self.correction, "level": self.level, "notes": self.notes()})


# --------------------------------------------------------------------------- main


def _check_arguments(data: pd.DataFrame, group: str | None, correction: str, level: float) -> str:
    if correction not in CORRECTIONS:
        raise AnalysisError(f"Unknown correction {correction!r}; use one of: {', '.join(CORRECTIONS)}.")
    if not 0 < level < 1:
        raise AnalysisError(f"The confidence level must be between 0 and 1, not {level}.")
    if group is None:
        raise AnalysisError("Name the grouping column (group=...).")
    if group not in data.columns:
        raise AnalysisError(f"Grouping column {group!r} is not in the data; columns are: "
                            + name_columns(data.columns) + "." + column_hint(data.columns, group))
    return group


def _check_group_sizes(sid: str, group: str, levels: Sequence[Any],
                       samples: Sequence[np.ndarray]) -> None:
    """Every group needs two values of the score for any test."""
    small = [str(lv) for lv, x in zip(levels, samples, strict=True) if x.size < 2]
    if not small:
        return
    if not any(x.size for x in samples):
        raise AnalysisError(f"Score {sid!r} has no values in any group of {group!r} (it is missing "
                            "in every row with a group): check its item columns and the missing-data "
                            "rule, or choose the other scores (--score; scores= in Python).")
    if len(small) == len(levels):
        raise AnalysisError(f"Every one of the {len(levels)} groups of {group!r} has fewer than two "
                            "people, so no test can be run: is it an identifier rather than a "
                            "grouping column? Name the column that holds the groups.")
    if len(small) > 10:
        small = small[:10] + [f"... ({len(small) - 10} more)"]
    raise AnalysisError(f"Score {sid!r}: group(s) {', '.join(small)} of {group!r} have fewer than two "
                        "values, so no test can be run. Merge or drop the small groups.")


def _samples(values: pd.Series, groups: pd.Series, levels: Sequence[Any]
             ) -> tuple[list[np.ndarray], int]:
    """The score's values in each group (rows with the score and the group), and rows left out."""
    y = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(y) & groups.notna().to_numpy()
    gv, yv = groups.to_numpy()[ok], y[ok]
    return [yv[gv == lv] for lv in levels], int((~ok).sum())


def _descriptives(sid: str, levels: Sequence[Any], samples: Sequence[np.ndarray],
                  level: float) -> list[dict[str, Any]]:
    rows = []
    for lv, x in zip(levels, samples, strict=True):
        m, sd, lo, hi = t_ci(x, level)
        rows.append({"score": sid, "group": lv, "n": int(x.size), "mean": m, "sd": sd,
                     "ci_low": lo, "ci_high": hi,
                     "median": float(np.median(x)) if x.size else np.nan})
    return rows


def _two_group_row(x1: np.ndarray, x2: np.ndarray, level: float) -> dict[str, Any]:
    """Welch t, Mann-Whitney U, d / Hedges' g with CI, rank-biserial r and the JZS BF10."""
    from scipy import stats

    t, df, p = welch_t(x1, x2)
    u = stats.mannwhitneyu(x1, x2, alternative="two-sided", use_continuity=True,
                           method="asymptotic")
    es = hedges_g_independent(x1, x2, level)
    student_t = es["d"] / math.sqrt(1 / x1.size + 1 / x2.size)
    return {"test": "welch_t", "statistic": t, "df1": df, "df2": np.nan, "p_val": p,
            "np_test": "mann_whitney_u", "np_statistic": float(u.statistic),
            "np_p_val": float(u.pvalue), "mean_diff": float(x1.mean() - x2.mean()), **es,
            "rank_biserial": float(2 * u.statistic / (x1.size * x2.size) - 1),
            "bf10": jzs_bf10(student_t, x1.size, x2.size)}


def _k_group_row(samples: Sequence[np.ndarray], level: float) -> dict[str, Any]:
    """Welch ANOVA, classic F, Kruskal-Wallis, eta and omega squared with eta's CI."""
    from scipy import stats

    k = len(samples)
    f, df1, df2, p = welch_anova(list(samples))
    with np.errstate(invalid="ignore", divide="ignore"):  # all values tied: H is undefined (NaN)
        kw = stats.kruskal(*samples)
    pooled = np.concatenate(samples)
    grand = pooled.mean()
    ssb = float(sum(x.size * (x.mean() - grand) ** 2 for x in samples))
    ssw = float(sum(((x - x.mean()) ** 2).sum() for x in samples))
    dfb, dfw = k - 1, pooled.size - k
    msw = ssw / dfw
    f_c = (ssb / dfb) / msw if msw > 0 else np.nan
    lo, hi = eta_sq_ci(f_c, dfb, dfw, level)
    return {"test": "welch_anova", "statistic": f, "df1": df1, "df2": df2, "p_val": p,
            "np_test": "kruskal_wallis", "np_statistic": float(kw.statistic),
            "np_p_val": float(kw.pvalue),
            "f_classic": f_c, "f_df1": float(dfb), "f_df2": float(dfw),
            "f_p_val": float(stats.f.sf(f_c, dfb, dfw)),
            "eta_sq": ssb / (ssb + ssw) if ssb + ssw > 0 else np.nan,
            "omega_sq": (ssb - dfb * msw) / (ssb + ssw + msw) if ssb + ssw > 0 else np.nan,
            "eta_sq_ci_low": lo, "eta_sq_ci_high": hi}


def _adjusted(tests: pd.DataFrame, correction: str) -> pd.DataFrame:
    """Insert ``p_adj`` and ``np_p_adj`` (corrected across the scores) after their p values."""
    tests.insert(tests.columns.get_loc("p_val") + 1, "p_adj", adjust_p(tests["p_val"], correction))
    tests.insert(tests.columns.get_loc("np_p_val") + 1, "np_p_adj",
                 adjust_p(tests["np_p_val"], correction))
    return tests


def _warn_missing(missing: Mapping[str, int]) -> None:
    if any(missing.values()):
        import warnings

        warnings.warn("Rows with a missing score or group were left out: "
                      + ", ".join(f"{s}: {n}" for s, n in missing.items() if n) + ".",
                      MissingDataWarning, stacklevel=4)


@renamed_arguments(positional=("group",), id_cols="id")
def compare(data: pd.DataFrame, instrument: InstrumentLike | None = None, *,
            group: str | None = None, scores: Sequence[str] | None = None,
            correction: str = "holm", level: float = 0.95,
            id: Sequence[str] | str | None = None,
            column_map: Mapping[str, str] | None = None,
            patterns: Mapping[str, str] | Sequence[str] | str | None = None,
            on_invalid: str = "error", prorate: float | None = None) -> ComparisonResult:
    """Compare scores across the groups of one column.

    Parameters
    ----------
    data : DataFrame
        Raw item responses (scored with :func:`compassion_scales.score`) or a table that
        already holds the score columns.
    instrument : str, path, Instrument or None
        Instrument id, file or object. ``None``: compare the numeric columns named in ``scores``.
    group : str
        The grouping column (two or more distinct values). Group order: a categorical
        column's category order, otherwise R's ``factor()`` order (see :func:`group_levels`);
        with two groups differences are the first group minus the second.
    scores : list of str, optional
        Which scores (columns) to compare; default every score of the instrument.
    correction : {"holm", "bonferroni", "fdr_bh", "none"}
        Correction across the scores compared.
    level : float
        Confidence level of the intervals.
    id : str or list of str, optional
        The person's identifier column(s), passed to scoring.
    column_map, patterns, on_invalid, prorate
        How raw answers are matched, validated and scored (see :func:`compassion_scales.score`).

    Returns
    -------
    ComparisonResult

    Raises
    ------
    AnalysisError
        Unknown columns, fewer than two groups, or a group with fewer than two values.

    Notes
    -----
    Two groups: Welch's t-test (R ``t.test``), Mann-Whitney U (R ``wilcox.test(exact =
    FALSE, correct = TRUE)``), d with pooled SD (``psych::cohen.d``'s ``hedges.g``),
    Hedges' g = J·d with J the exact correction (Hedges 1981), and the default-prior JZS
    Bayes factor ``bf10`` (Cauchy scale r = 0.707, R ``BayesFactor::ttestBF`` and JASP's
    default; see :func:`jzs_bf10`). More groups: Welch's ANOVA (R ``oneway.test``), the
    classic F test (``aov``), Kruskal-Wallis (``kruskal.test``), η² = SS_b/SS_t,
    ω² = (SS_b − df_b·MS_w)/(SS_t + MS_w), with a noncentral-F CI.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4,
    ...                    "x": [1.0, 2, 3, 4, 3, 4, 5, 6]})
    >>> res = compare(df, group="arm", scores=["x"])
    >>> round(float(res.tests.loc[0, "statistic"]), 3)
    -2.191
    """
    group = _check_arguments(data, group, correction, level)
    ids = [id] if isinstance(id, str) else list(id or [])
    from compassion_scales._inputs import InputOptions

    frame, _inst, score_ids, source = resolve_scores(
        data, instrument, scores, ids,
        options=InputOptions.of(column_map, patterns, on_invalid, prorate), reserved={"group": group})
    levels = group_levels(frame[group])
    if len(levels) < 2:
        raise AnalysisError(f"Column {group!r} has {len(levels)} group(s); at least two are needed to compare.")
    rows, desc, missing, pairs = [], [], {}, []
    for sid in score_ids:
        samples, missing[sid] = _samples(frame[sid], frame[group], levels)
        desc += _descriptives(sid, levels, samples, level)
        _check_group_sizes(sid, group, levels, samples)
        row: dict[str, Any] = {"score": sid, "n": int(sum(x.size for x in samples)),
                               "n_groups": len(levels)}
        if len(levels) == 2:
            row.update(_two_group_row(samples[0], samples[1], level))
        else:
            row.update(_k_group_row(samples, level))
            pairs.append(pairwise_welch(sid, levels, samples, correction, level))
        rows.append(row)
    _warn_missing(missing)
    result = ComparisonResult(tests=_adjusted(pd.DataFrame(rows), correction),
                            descriptives=pd.DataFrame(desc), group=group,
                            levels=levels, correction=correction, level=level, source=source,
                            n_missing=missing,
                            posthoc=pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame())
    flat = result._no_variation()
    if flat:
        import warnings

        warnings.warn(f"No test for {'; '.join(flat)}.",
                      PsychometricWarning, stacklevel=3)
    return result


def pairwise_welch(score: str, levels: Sequence[Any], samples: Sequence[np.ndarray],
                   correction: str = "holm", level: float = 0.95) -> pd.DataFrame:
    """Welch t-tests between every pair of groups, p corrected across the pairs.

    The same p values as R ``pairwise.t.test(y, g, pool.sd = FALSE, p.adjust.method = ...)``
    (each pair by ``t.test(var.equal = FALSE)``).

    Examples
    --------
    >>> xs = [np.array([1.0, 2, 3, 4]), np.array([3.0, 4, 5, 6]), np.array([2.0, 3, 3, 5])]
    >>> pairwise_welch("x", ["a", "b", "c"], xs)[["group_1", "group_2"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    out = []
    for i in range(len(levels)):
        for j in range(i + 1, len(levels)):
            x, y = samples[i], samples[j]
            t, df, p = welch_t(x, y)
            out.append({"score": score, "group_1": levels[i], "group_2": levels[j],
                        "n_1": int(x.size), "n_2": int(y.size),
                        "mean_diff": float(x.mean() - y.mean()), "t": t, "df": df, "p_val": p,
                        **{k: v for k, v in hedges_g_independent(x, y, level).items() if k != "d"}})
    frame = pd.DataFrame(out)
    frame.insert(frame.columns.get_loc("p_val") + 1, "p_adj", adjust_p(frame["p_val"], correction))
    return frame
