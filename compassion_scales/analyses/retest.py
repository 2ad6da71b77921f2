"""Test-retest reliability: the six Shrout-Fleiss intraclass correlations and Pearson's r.

:func:`icc` matches ``psych::ICC(x, lmer = FALSE)`` (point estimates, F tests and
confidence intervals, unrounded); :func:`retest` joins two time points (two files
joined on an id, or one long file with a time column), scores them with an
instrument if one is given, and reports ICCs and Pearson's r per score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._format import column_hint
from compassion_scales._typing import InstrumentLike, as_instrument
from compassion_scales.errors import AnalysisError
from compassion_scales.occasions import (
    check_distinct_occasions,
    second_table_positional,
    time_order,
)
from compassion_scales.results import ResultMixin

__all__ = ["icc", "retest", "RetestResult"]

@renamed_arguments(ci="level")
def icc(data: pd.DataFrame | np.ndarray, *, level: float = 0.95) -> pd.DataFrame:
    """The six Shrout & Fleiss (1979) intraclass correlations with F tests and intervals.

    Parameters
    ----------
    data : DataFrame
        Wide data: one row per person (target), one column per rater or occasion.
        Rows with any missing value are left out (listwise; the count is in
        ``.attrs["n_dropped"]``).
    level : float
        Confidence level (called ``ci`` before 0.2; the old name works until 1.0).

    Returns
    -------
    DataFrame
        One row per form (``ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k``) with ``type,
        description, icc, f, df1, df2, p_val, ci_low, ci_high``, plus
        ``n_obs`` and ``n_raters``.

    Notes
    -----
    Two-way ANOVA mean squares for targets (MSB), raters (MSJ), residual (MSE) and
    within targets (MSW). ICC1 = (MSB - MSW)/(MSB + (k-1)MSW); ICC2 = (MSB - MSE)/
    (MSB + (k-1)MSE + k(MSJ - MSE)/n); ICC3 = (MSB - MSE)/(MSB + (k-1)MSE); the
    average-measure forms are the Spearman-Brown step-ups. Intervals as in
    ``psych::ICC`` (F-based; Satterthwaite degrees of freedom for ICC2/ICC2k); the
    kernel is :func:`compassion_scales.stats.icc.icc_table`.
    For test-retest agreement, ICC2 (absolute agreement, "ICC(A,1)") is the usual
    choice (Koo & Li, 2016).

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing
    rater reliability. Psychological Bulletin, 86, 420-428.

    Examples
    --------
    >>> import pandas as pd
    >>> sf = pd.DataFrame({"J1": [9, 6, 8, 7, 10, 6], "J2": [2, 1, 4, 1, 5, 2],
    ...                    "J3": [5, 3, 6, 2, 6, 4], "J4": [8, 2, 8, 6, 9, 7]})
    >>> res = icc(sf)            # R: psych::ICC(sf, lmer = FALSE)
    >>> res.set_index("type")["icc"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    from compassion_scales.stats.icc import icc_table, mean_squares

    if not (isinstance(level, (float, int)) and 0 < level < 1):
        raise AnalysisError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}.")
    frame = pd.DataFrame(data)
    try:
        X = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise AnalysisError("ICCs need numbers in every rater/occasion column; some contain "
                            "text. Check the columns.") from None
    keep = ~np.isnan(X).any(axis=1)
    X = X[keep]
    n, k = X.shape
    if k < 2:
        raise AnalysisError("ICCs need at least two raters or occasions (columns).")
    if n < 3:
        raise AnalysisError(f"ICCs need at least 3 people with complete data; only {n} have.")
    ms = mean_squares(X)
    if ms.mse <= 0 and ms.msw <= 0:
        raise AnalysisError("Every person has identical values on all occasions; ICCs are undefined.")
    out = icc_table(X, level)
    out.attrs["n_dropped"] = int((~keep).sum())
    return out


# ====================================================================== retest
@dataclass(frozen=True, repr=False)
class RetestResult(ResultMixin):
    """Result of :func:`retest`.

    Attributes
    ----------
    table : DataFrame
        One row per score (also ``summary``): ``score, n_pairs, mean_t1, mean_t2,
        sd_t1, sd_t2, mean_diff, pearson_r, r_ci_low, r_ci_high, icc2, icc2_ci_low,
        icc2_ci_high, icc3, icc3_ci_low, icc3_ci_high``.
    icc : DataFrame
        All six ICC forms per score (columns of :func:`icc` plus ``score``).
    n_time1, n_time2, n_matched : int
        People at each time point and matched by id.
    """

    table: pd.DataFrame
    icc: pd.DataFrame
    id_cols: tuple[str, ...]
    n_time1: int
    n_time2: int
    n_matched: int
    level: float
    instrument: str | None = None
    messages: tuple[str, ...] = field(default_factory=tuple)

    _title = "Test-retest reliability"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    def _notes(self) -> list[str]:
        pct = f"{self.level:.0%}"
        lines = [
            f"Joined on {', '.join(self.id_cols)}: {self.n_time1} people at time 1, "
            f"{self.n_time2} at time 2, {self.n_matched} matched; n_pairs = matched people "
            "with the score at both times (listwise).",
            f"icc2: ICC(2,1) absolute agreement, two-way random, single measure; icc3: ICC(3,1) "
            f"consistency, two-way mixed (Shrout & Fleiss 1979; psych::ICC); {pct} F-based "
            "intervals. All six forms are in the .icc table (--format json).",
            f"pearson_r: Pearson correlation of time 1 with time 2; {pct} interval by Fisher's z.",
        ]
        if self.instrument:
            lines.append(f"Scores computed with instrument {self.instrument!r} at each time point.")
        lines.extend(self.messages)
        return lines

    @property
    def ci(self) -> float:
        """The confidence level (0.1 name of :attr:`level`)."""
        return self.level

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        out = super().to_dict()
        out["icc"] = to_jsonable(self.icc)
        return out


def _pearson_ci(r: float, n: int, level: float) -> tuple[float, float]:
    from compassion_scales.stats.distributions import norm

    if n < 4 or not np.isfinite(r) or abs(r) >= 1:
        return np.nan, np.nan
    z = np.arctanh(r)
    h = norm.ppf(1 - (1 - level) / 2) / np.sqrt(n - 3)
    return float(np.tanh(z - h)), float(np.tanh(z + h))


def _time_mask(col: pd.Series, value: Any) -> pd.Series:
    """Rows whose time equals ``value``, compared as keys (``"1"`` == 1.0; see ``_inputs.as_key``)."""
    from compassion_scales._inputs import as_key

    return (as_key(col) == as_key(pd.Series([value])).iloc[0]).fillna(False).astype(bool)


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


@renamed_arguments(time1="data", time2="second_data", times="occasions", columns="scores", ci="level",
                   adapt=second_table_positional("retest", "time2"))
def retest(data: pd.DataFrame, instrument: InstrumentLike | None = None, *,
           second_data: pd.DataFrame | None = None, id: str | Sequence[str] = "id",
           time: str | None = None, occasions: tuple[Any, Any] | None = None,
           scores: Sequence[str] | None = None, level: float = 0.95,
           column_map: Mapping[str, str] | None = None,
           patterns: Mapping[str, str] | Sequence[str] | str | None = None,
           on_invalid: str = "error", prorate: float | None = None) -> RetestResult:
    """Test-retest reliability of scores measured twice.

    Parameters
    ----------
    data : DataFrame
        Responses (or scores) at the first time point; or, with ``time``, one long
        table holding both.
    instrument : str, path or Instrument, optional
        Score each time point with this instrument first; every score is analysed.
    second_data : DataFrame, optional
        Responses (or scores) at the second time point, joined on ``id``.
    id : str or list of str
        Identifier column(s) present at both times (unique within a time point).
    time : str, optional
        Time column of a long table.
    occasions : (first, second), optional
        The two values of ``time`` to compare (default: the two values present, sorted).
    scores : list of str, optional
        With an instrument: the scores to analyse (default: every score whose items are
        present). Without: the score columns to analyse (default: every numeric column
        present at both times except ids and time).
    level : float
        Confidence level.
    column_map, patterns, on_invalid, prorate
        How raw answers are matched, validated and scored (see :func:`compassion_scales.score`).

    Returns
    -------
    RetestResult

    Notes
    -----
    The 0.1 names still work until 1.0, with a ``FutureWarning``: ``retest(t1, t2, ...)``
    and ``time1``/``time2`` (now ``data``/``second_data``), ``times`` (``occasions``),
    ``columns`` (``scores``) and ``ci`` (``level``).

    Examples
    --------
    >>> import pandas as pd
    >>> t1 = pd.DataFrame({"id": [1, 2, 3, 4, 5], "total": [10, 14, 9, 20, 15]})
    >>> t2 = pd.DataFrame({"id": [5, 4, 3, 2, 1], "total": [16, 19, 10, 13, 11]})
    >>> res = retest(t1, second_data=t2, id="id")
    >>> res.summary[["pearson_r", "icc2"]].round(3).to_numpy().tolist()
    [[0.978, 0.97]]
    """
    ids = _as_list(id)
    if not ids:
        raise AnalysisError("Give the id column that links the two time points (id=...).")
    t1, t2, messages = _retest_tables(data, second_data, time, occasions)
    _check_retest_ids(t1, t2, ids)
    s1, s2, cols, inst_id, notes = _retest_scores(t1, t2, instrument, scores, ids,
                                                  {"column_map": column_map, "patterns": patterns,
                                                   "on_invalid": on_invalid, "prorate": prorate})
    a1, a2, n_match = _join_occasions(s1, s2, cols, ids)
    messages += notes
    n1, n2 = len(a1), len(a2)
    if n_match < max(n1, n2):
        messages.append(f"{n1 - n_match} people at time 1 and {n2 - n_match} at time 2 have no match "
                        "and were left out.")
    rows, iccs = [], []
    for c in cols:
        got = _retest_score(c, a1[c], a2[c], level)
        if got is None:
            messages.append(f"Score {c!r} skipped: fewer than 3 people have it at both times.")
            continue
        rows.append(got[0])
        iccs.append(got[1])
    if not rows:
        raise AnalysisError("No score had at least 3 people measured at both times.")
    return RetestResult(table=pd.DataFrame(rows), icc=pd.concat(iccs, ignore_index=True),
                        id_cols=tuple(ids), n_time1=n1, n_time2=n2, n_matched=n_match, level=level,
                        instrument=inst_id, messages=tuple(messages))


# ---------------------------------------------------------------------- retest() steps


def _two_values(data: pd.DataFrame, time: str, occasions: tuple[Any, Any] | None) -> tuple[Any, Any]:
    """The two occasions to compare: given, or the two values of ``time`` present, in time
    order (:func:`~compassion_scales.occasions.time_order`: text labels need ``occasions``)."""
    if occasions is not None:
        check_distinct_occasions(occasions, time)
        return occasions[0], occasions[1]
    present = [v for v in pd.unique(data[time]) if not pd.isna(v)]
    if len(present) != 2:
        raise AnalysisError(
            f"The time column {time!r} has {len(present)} different values "
            f"({', '.join(map(str, present[:6]))}); say which two to compare "
            "(occasions=(first, second) / --occasions FIRST SECOND).")
    first, second = time_order(data[time], time=time,
                               how="occasions=(first, second) / --occasions FIRST SECOND")
    return first, second


def _retest_tables(data: pd.DataFrame, second_data: pd.DataFrame | None, time: str | None,
                   occasions: tuple[Any, Any] | None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The tables at time 1 and time 2 (without the time column), and a note on the split."""
    if second_data is not None:
        if time is None:
            return data, second_data, []
        return (data.drop(columns=[time], errors="ignore"),
                second_data.drop(columns=[time], errors="ignore"), [])
    if time is None:
        raise AnalysisError("Give a second file (time 2) or, for one long file, the time "
                            "column (time=... / --time COL).")
    if time not in data.columns:
        raise AnalysisError(f"The time column {time!r} is not in the data." + column_hint(data.columns, time))
    from compassion_scales._inputs import subset_rows

    a, b = _two_values(data, time, occasions)
    t1 = subset_rows(data, _time_mask(data[time], a)).drop(columns=time)
    t2 = subset_rows(data, _time_mask(data[time], b)).drop(columns=time)
    if t1.empty or t2.empty:
        present = [v for v in pd.unique(data[time]) if not pd.isna(v)]
        raise AnalysisError(f"No rows with {time} = {a if t1.empty else b!r}; the values "
                            f"present are {', '.join(map(str, present))}.")
    return t1, t2, [f"Long format: time 1 = rows with {time} = {a}, time 2 = {time} = {b}."]


def _check_retest_ids(t1: pd.DataFrame, t2: pd.DataFrame, ids: list[str]) -> None:
    from compassion_scales._inputs import check_unique_ids

    for label, frame in (("time 1", t1), ("time 2", t2)):
        absent = [c for c in ids if c not in frame.columns]
        if absent:
            raise AnalysisError(f"The id column(s) {', '.join(absent)} are missing at {label}. "
                                "Give the column that identifies people (--id COL).")
        check_unique_ids(frame, ids, where=label)
        dup = frame.duplicated(subset=ids, keep=False)
        if dup.any():
            ex = frame.loc[dup, ids].drop_duplicates().head(3).astype(str).agg("/".join, axis=1)
            raise AnalysisError(f"Duplicate ids at {label}: {', '.join(ex)} appear more than once. "
                                "Each person must have one row per time point.")


def _score_columns(s1: pd.DataFrame, s2: pd.DataFrame, scores: Sequence[str] | None,
                   ids: list[str]) -> list[str]:
    """Without an instrument: the named score columns, or every numeric one present twice."""
    if scores is None:
        return [c for c in s1.columns if c in s2.columns and c not in ids
                and pd.api.types.is_numeric_dtype(s1[c]) and pd.api.types.is_numeric_dtype(s2[c])]
    cols = list(scores)
    absent = [c for c in cols if c not in s1.columns or c not in s2.columns]
    if absent:
        raise AnalysisError(f"Score column(s) {', '.join(absent)} are not present at both "
                            "time points.")
    return cols


def _retest_scores(t1: pd.DataFrame, t2: pd.DataFrame, instrument: InstrumentLike | None,
                   scores: Sequence[str] | None, ids: list[str], opts: Mapping[str, Any]
                   ) -> tuple[pd.DataFrame, pd.DataFrame, list[str], str | None, list[str]]:
    """(scores at time 1, at time 2, score columns, instrument id, notes)."""
    from compassion_scales._inputs import numeric_columns

    if instrument is not None:
        import warnings

        from compassion_scales._inputs import InputOptions, scored_data
        from compassion_scales.errors import SkippedScoreWarning

        options = InputOptions.of(opts["column_map"], opts["patterns"], opts["on_invalid"],
                                  opts["prorate"])
        inst = as_instrument(instrument)
        # scores=[...] chooses among the instrument's scores (it was ignored with an instrument)
        wanted = ([scores] if isinstance(scores, str) else list(scores)) if scores else None
        g1 = scored_data(t1, inst, wanted, id_cols=ids, options=options)
        g2 = scored_data(t2, inst, wanted, id_cols=ids, options=options)
        for note in g1.notes():
            warnings.warn(note, SkippedScoreWarning, stacklevel=4)
        cols = [c for c in g1.scores if c in g2.scores]
        return (g1.frame, g2.frame, cols, g1.instrument.id if g1.instrument is not None else None,
                list(g1.notes()))
    from compassion_scales.io import infer_numeric_columns

    # text holding numbers (read_responses reads text) counts as numbers; ids stay text
    s1 = infer_numeric_columns(t1, keep=ids)
    s2 = infer_numeric_columns(t2, keep=ids)
    cols = _score_columns(s1, s2, scores, ids)
    s1 = numeric_columns(s1, cols, what="score column")
    s2 = numeric_columns(s2, cols, what="score column")
    return s1, s2, cols, None, []


def _join_occasions(s1: pd.DataFrame, s2: pd.DataFrame, cols: list[str], ids: list[str]
                    ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The score columns at both times, indexed by the joined id key; the number matched."""
    from compassion_scales._inputs import as_key, check_padded_ids

    if not cols:
        raise AnalysisError("No score column is present at both time points. Name them with "
                            "scores=... (--score) or score the data with an instrument (-i ID).")

    def key(frame: pd.DataFrame) -> pd.Series:
        parts = [as_key(frame[c]).fillna("").astype(str) for c in ids]
        out = parts[0]
        for p in parts[1:]:
            out = out + "\x1f" + p
        return out

    a1 = s1[cols].set_axis(key(s1).to_numpy())
    a2 = s2[cols].set_axis(key(s2).to_numpy())
    check_padded_ids(list(a1.index.difference(a2.index)), list(a2.index.difference(a1.index)),
                     "/".join(ids))
    n_match = len(a1.index.intersection(a2.index))
    if n_match < 3:
        raise AnalysisError(f"Only {n_match} people appear at both time points (joined on "
                            f"{', '.join(ids)}); test-retest needs at least 3. Check the ids.")
    return a1, a2, n_match


def _retest_score(c: str, first: pd.Series, second: pd.Series, level: float
                  ) -> tuple[dict[str, Any], pd.DataFrame] | None:
    """The summary row and ICC table of one score (None: fewer than 3 complete pairs)."""
    common = first.index.intersection(second.index)
    try:
        x = pd.to_numeric(first.loc[common]).to_numpy(dtype=float, na_value=np.nan)
        y = pd.to_numeric(second.loc[common]).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise AnalysisError(f"Column {c!r} is not numeric; give score columns.") from None
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3:
        return None
    x, y = x[ok], y[ok]
    tab = icc(pd.DataFrame({"t1": x, "t2": y}), level=level)
    tab.insert(0, "score", c)
    r = float(np.corrcoef(x, y)[0, 1])
    rlo, rhi = _pearson_ci(r, int(ok.sum()), level)
    t = tab.set_index("type")
    row = {"score": c, "n_pairs": int(ok.sum()), "mean_t1": float(x.mean()), "mean_t2": float(y.mean()),
           "sd_t1": float(x.std(ddof=1)), "sd_t2": float(y.std(ddof=1)),
           "mean_diff": float((y - x).mean()), "pearson_r": r, "r_ci_low": rlo, "r_ci_high": rhi}
    for form in ("ICC2", "ICC3"):
        name = form.lower()
        row.update({name: t.loc[form, "icc"], f"{name}_ci_low": t.loc[form, "ci_low"],
                    f"{name}_ci_high": t.loc[form, "ci_high"]})
    return row, tab
