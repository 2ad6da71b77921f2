"""Test-retest reliability: the six Shrout-Fleiss intraclass correlations and Pearson's r.

:func:`icc` matches ``psych::ICC(x, lmer = FALSE)`` (point estimates, F tests and
confidence intervals, unrounded); :func:`retest` joins two time points (two files
joined on an id, or one long file with a time column), scores them with an
instrument if one is given, and reports ICCs and Pearson's r per score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError
from compassion_scales.results import ResultMixin

if TYPE_CHECKING:  # pragma: no cover
    from compassion_scales.instrument import Instrument

__all__ = ["icc", "retest", "RetestResult"]

_TYPES = [
    ("ICC1", "single rater, absolute agreement, one-way random"),
    ("ICC2", "single rater, absolute agreement, two-way random"),
    ("ICC3", "single rater, consistency, two-way mixed"),
    ("ICC1k", "mean of k raters, absolute agreement, one-way random"),
    ("ICC2k", "mean of k raters, absolute agreement, two-way random"),
    ("ICC3k", "mean of k raters, consistency, two-way mixed"),
]


def icc(data: pd.DataFrame | np.ndarray, *, ci: float = 0.95) -> pd.DataFrame:
    """The six Shrout & Fleiss (1979) intraclass correlations with F tests and intervals.

    Parameters
    ----------
    data : DataFrame
        Wide data: one row per person (target), one column per rater or occasion.
        Rows with any missing value are left out (listwise; the count is in
        ``.attrs["n_dropped"]``).
    ci : float
        Confidence level.

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
    ``psych::ICC`` (F-based; Satterthwaite degrees of freedom for ICC2/ICC2k).
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
    from scipy.stats import f as fdist

    if not (isinstance(ci, (float, int)) and 0 < ci < 1):
        raise AnalysisError(f"ci must be a level between 0 and 1 (e.g. 0.95), not {ci!r}.")
    frame = pd.DataFrame(data)
    try:
        X = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise AnalysisError("ICCs need numbers in every rater/occasion column; some contain "
                            "text. Check the columns.") from None
    keep = ~np.isnan(X).any(axis=1)
    n_dropped = int((~keep).sum())
    X = X[keep]
    n, k = X.shape
    if k < 2:
        raise AnalysisError("ICCs need at least two raters or occasions (columns).")
    if n < 3:
        raise AnalysisError(f"ICCs need at least 3 people with complete data; only {n} have.")
    gm = X.mean()
    ssb = k * np.sum((X.mean(axis=1) - gm) ** 2)
    ssj = n * np.sum((X.mean(axis=0) - gm) ** 2)
    sse = np.sum((X - gm) ** 2) - ssb - ssj
    dfb, dfj, dfe = n - 1, k - 1, (n - 1) * (k - 1)
    MSB, MSJ, MSE = ssb / dfb, ssj / dfj, sse / dfe
    MSW = (ssj + sse) / (dfj + dfe)
    if MSE <= 0 and MSW <= 0:
        raise AnalysisError("Every person has identical values on all occasions; ICCs are undefined.")
    icc1 = (MSB - MSW) / (MSB + (k - 1) * MSW)
    icc2 = (MSB - MSE) / (MSB + (k - 1) * MSE + k * (MSJ - MSE) / n)
    icc3 = (MSB - MSE) / (MSB + (k - 1) * MSE)
    icc1k = (MSB - MSW) / MSB
    icc2k = (MSB - MSE) / (MSB + (MSJ - MSE) / n)
    icc3k = (MSB - MSE) / MSB
    F11, df11n, df11d = MSB / MSW, n - 1, n * (k - 1)
    F21, df21n, df21d = MSB / MSE, n - 1, (n - 1) * (k - 1)
    p11 = fdist.sf(F11, df11n, df11d)
    p21 = fdist.sf(F21, df21n, df21d)
    q = 1 - (1 - ci) / 2
    F1L = F11 / fdist.ppf(q, df11n, df11d)
    F1U = F11 * fdist.ppf(q, df11d, df11n)
    F3L = F21 / fdist.ppf(q, df21n, df21d)
    F3U = F21 * fdist.ppf(q, df21d, df21n)
    lo = {"ICC1": (F1L - 1) / (F1L + k - 1), "ICC3": (F3L - 1) / (F3L + k - 1),
          "ICC1k": 1 - 1 / F1L, "ICC3k": 1 - 1 / F3L}
    hi = {"ICC1": (F1U - 1) / (F1U + k - 1), "ICC3": (F3U - 1) / (F3U + k - 1),
          "ICC1k": 1 - 1 / F1U, "ICC3k": 1 - 1 / F3U}
    Fj = MSJ / MSE
    vn = (k - 1) * (n - 1) * (k * icc2 * Fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * Fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    FU = fdist.ppf(q, n - 1, v)
    FL = fdist.ppf(q, v, n - 1)
    L2 = n * (MSB - FU * MSE) / (FU * (k * MSJ + (k * n - k - n) * MSE) + n * MSB)
    U2 = n * (FL * MSB - MSE) / (k * MSJ + (k * n - k - n) * MSE + n * FL * MSB)
    lo["ICC2"], hi["ICC2"] = L2, U2
    lo["ICC2k"], hi["ICC2k"] = L2 * k / (1 + L2 * (k - 1)), U2 * k / (1 + U2 * (k - 1))
    values = {"ICC1": icc1, "ICC2": icc2, "ICC3": icc3, "ICC1k": icc1k, "ICC2k": icc2k,
              "ICC3k": icc3k}
    fs = {"ICC1": (F11, df11n, df11d, p11), "ICC1k": (F11, df11n, df11d, p11)}
    rows = []
    for t, desc in _TYPES:
        F, d1, d2, p = fs.get(t, (F21, df21n, df21d, p21))
        rows.append({"type": t, "description": desc, "icc": float(values[t]), "f": float(F),
                     "df1": float(d1), "df2": float(d2), "p_val": float(p),
                     "ci_low": float(lo[t]), "ci_high": float(hi[t]), "n_obs": n, "n_raters": k})
    out = pd.DataFrame(rows)
    out.attrs["n_dropped"] = n_dropped
    out.attrs["mean_squares"] = {"MSB": MSB, "MSJ": MSJ, "MSE": MSE, "MSW": MSW}
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
    ci: float
    instrument: str | None = None
    messages: tuple[str, ...] = field(default_factory=tuple)

    _title = "Test-retest reliability"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    def _notes(self) -> list[str]:
        pct = f"{self.ci:.0%}"
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

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        out = super().to_dict()
        out["icc"] = to_jsonable(self.icc)
        return out


def _pearson_ci(r: float, n: int, ci: float) -> tuple[float, float]:
    from scipy.stats import norm

    if n < 4 or not np.isfinite(r) or abs(r) >= 1:
        return np.nan, np.nan
    z = np.arctanh(r)
    h = norm.ppf(1 - (1 - ci) / 2) / np.sqrt(n - 3)
    return float(np.tanh(z - h)), float(np.tanh(z + h))


def _time_mask(col: pd.Series, value: Any) -> pd.Series:
    """Rows whose time equals ``value``, compared as keys (``"1"`` == 1.0; see ``_inputs.as_key``)."""
    from compassion_scales._inputs import as_key

    return (as_key(col) == as_key(pd.Series([value])).iloc[0]).fillna(False).astype(bool)


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def retest(time1: pd.DataFrame, time2: pd.DataFrame | None = None,
           instrument: str | Instrument | None = None, *, id: str | Sequence[str] = "id",
           time: str | None = None, times: tuple[Any, Any] | None = None,
           columns: Sequence[str] | None = None, ci: float = 0.95,
           column_map: Mapping[str, str] | None = None,
           patterns: Mapping[str, str] | Sequence[str] | str | None = None,
           on_invalid: str = "error", prorate: float | None = None) -> RetestResult:
    """Test-retest reliability of scores measured twice.

    Parameters
    ----------
    time1, time2 : DataFrame
        Responses (or scores) at the two time points, joined on ``id``. Give only
        ``time1`` plus ``time`` for one long table with a time column.
    instrument : str or Instrument, optional
        Score each time point with this instrument first; every score is analysed.
    id : str or list of str
        Identifier column(s) present at both times (unique within a time point).
    time : str, optional
        Time column of a long table.
    times : (first, second), optional
        The two values of ``time`` to compare (default: the two values present, sorted).
    columns : list of str, optional
        Without an instrument: the score columns to analyse (default: every numeric
        column present at both times except ids and time).
    ci : float
        Confidence level.
    column_map, patterns, on_invalid, prorate
        How raw answers are matched, validated and scored (see :func:`compassion_scales.score`).

    Returns
    -------
    RetestResult

    Examples
    --------
    >>> import pandas as pd
    >>> t1 = pd.DataFrame({"id": [1, 2, 3, 4, 5], "total": [10, 14, 9, 20, 15]})
    >>> t2 = pd.DataFrame({"id": [5, 4, 3, 2, 1], "total": [16, 19, 10, 13, 11]})
    >>> res = retest(t1, t2, id="id")
    >>> res.summary[["pearson_r", "icc2"]].round(3).to_numpy().tolist()
    [[0.978, 0.97]]
    """
    ids = _as_list(id)
    if not ids:
        raise AnalysisError("Give the id column that links the two time points (id=...).")
    messages: list[str] = []
    if time2 is None:
        if time is None:
            raise AnalysisError("Give a second file (time 2) or, for one long file, the time "
                                "column (time=... / --time COL).")
        if time not in time1.columns:
            raise AnalysisError(f"The time column {time!r} is not in the data.")
        present = [v for v in pd.unique(time1[time]) if not pd.isna(v)]
        if times is None:
            if len(present) != 2:
                raise AnalysisError(
                    f"The time column {time!r} has {len(present)} different values "
                    f"({', '.join(map(str, present[:6]))}); say which two to compare "
                    "(times=(first, second) / --times A B).")
            try:
                times = tuple(sorted(present))  # type: ignore[assignment]
            except TypeError:
                times = tuple(present)  # type: ignore[assignment]
        assert times is not None
        a, b = times
        from compassion_scales._inputs import subset_rows

        t1 = subset_rows(time1, _time_mask(time1[time], a)).drop(columns=time)
        t2 = subset_rows(time1, _time_mask(time1[time], b)).drop(columns=time)
        if t1.empty or t2.empty:
            raise AnalysisError(f"No rows with {time} = {a if t1.empty else b!r}; the values "
                                f"present are {', '.join(map(str, present))}.")
        messages.append(f"Long format: time 1 = rows with {time} = {a}, time 2 = {time} = {b}.")
    else:
        t1, t2 = time1, time2
        if time is not None:
            t1 = t1.drop(columns=[time], errors="ignore")
            t2 = t2.drop(columns=[time], errors="ignore")
    for label, frame in (("time 1", t1), ("time 2", t2)):
        absent = [c for c in ids if c not in frame.columns]
        if absent:
            raise AnalysisError(f"The id column(s) {', '.join(absent)} are missing at {label}. "
                                "Give the column that identifies people (--id COL).")
        from compassion_scales._inputs import check_unique_ids

        check_unique_ids(frame, ids, where=label)
        dup = frame.duplicated(subset=ids, keep=False)
        if dup.any():
            ex = frame.loc[dup, ids].drop_duplicates().head(3).astype(str).agg("/".join, axis=1)
            raise AnalysisError(f"Duplicate ids at {label}: {', '.join(ex)} appear more than once. "
                                "Each person must have one row per time point.")
    inst_id = None
    if instrument is not None:
        from compassion_scales._inputs import InputOptions, scored_data

        opts = InputOptions.of(column_map, patterns, on_invalid, prorate)
        g1 = scored_data(t1, instrument, None, id_cols=ids, options=opts)
        g2 = scored_data(t2, instrument, None, id_cols=ids, options=opts)
        inst_id = g1.instrument.id if g1.instrument is not None else None
        s1, s2 = g1.frame, g2.frame
        cols = [c for c in g1.scores if c in g2.scores]
        messages += g1.notes()
        if g1.notes():
            import warnings

            from compassion_scales.errors import SkippedScoreWarning

            for note in g1.notes():
                warnings.warn(note, SkippedScoreWarning, stacklevel=2)
    else:
        from compassion_scales.io import infer_numeric_columns

        # text holding numbers (read_responses reads text) counts as numbers; ids stay text
        s1 = infer_numeric_columns(t1, keep=ids)
        s2 = infer_numeric_columns(t2, keep=ids)
        if columns is None:
            cols = [c for c in s1.columns if c in s2.columns and c not in ids
                    and pd.api.types.is_numeric_dtype(s1[c]) and pd.api.types.is_numeric_dtype(s2[c])]
        else:
            cols = list(columns)
            absent = [c for c in cols if c not in s1.columns or c not in s2.columns]
            if absent:
                raise AnalysisError(f"Score column(s) {', '.join(absent)} are not present at both "
                                    "time points.")
    if instrument is None:
        from compassion_scales._inputs import numeric_columns

        s1 = numeric_columns(s1, list(cols), what="score column")
        s2 = numeric_columns(s2, list(cols), what="score column")
    if not cols:
        raise AnalysisError("No score column is present at both time points. Name them with "
                            "columns=... or score the data with an instrument (-i ID).")
    from compassion_scales._inputs import as_key

    def _key(frame: pd.DataFrame) -> pd.Series:
        parts = [as_key(frame[c]).fillna("").astype(str) for c in ids]
        out = parts[0]
        for p in parts[1:]:
            out = out + "\x1f" + p
        return out

    key1, key2 = _key(s1), _key(s2)
    a1 = s1[cols].set_axis(key1.to_numpy())
    a2 = s2[cols].set_axis(key2.to_numpy())
    common = a1.index.intersection(a2.index)
    n1, n2, nm = len(a1), len(a2), len(common)
    if nm < 3:
        raise AnalysisError(f"Only {nm} people appear at both time points (joined on "
                            f"{', '.join(ids)}); test-retest needs at least 3. Check the ids.")
    if nm < max(n1, n2):
        messages.append(f"{n1 - nm} people at time 1 and {n2 - nm} at time 2 have no match and "
                        "were left out.")
    rows, iccs = [], []
    for c in cols:
        try:
            x = pd.to_numeric(a1.loc[common, c]).to_numpy(dtype=float, na_value=np.nan)
            y = pd.to_numeric(a2.loc[common, c]).to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise AnalysisError(f"Column {c!r} is not numeric; give score columns.") from None
        ok = ~(np.isnan(x) | np.isnan(y))
        if ok.sum() < 3:
            messages.append(f"Score {c!r} skipped: fewer than 3 people have it at both times.")
            continue
        tab = icc(pd.DataFrame({"t1": x[ok], "t2": y[ok]}), ci=ci)
        tab.insert(0, "score", c)
        iccs.append(tab)
        r = float(np.corrcoef(x[ok], y[ok])[0, 1])
        rlo, rhi = _pearson_ci(r, int(ok.sum()), ci)
        t = tab.set_index("type")
        rows.append({
            "score": c, "n_pairs": int(ok.sum()),
            "mean_t1": float(x[ok].mean()), "mean_t2": float(y[ok].mean()),
            "sd_t1": float(x[ok].std(ddof=1)), "sd_t2": float(y[ok].std(ddof=1)),
            "mean_diff": float((y[ok] - x[ok]).mean()),
            "pearson_r": r, "r_ci_low": rlo, "r_ci_high": rhi,
            "icc2": t.loc["ICC2", "icc"], "icc2_ci_low": t.loc["ICC2", "ci_low"],
            "icc2_ci_high": t.loc["ICC2", "ci_high"],
            "icc3": t.loc["ICC3", "icc"], "icc3_ci_low": t.loc["ICC3", "ci_low"],
            "icc3_ci_high": t.loc["ICC3", "ci_high"],
        })
    if not rows:
        raise AnalysisError("No score had at least 3 people measured at both times.")
    return RetestResult(table=pd.DataFrame(rows), icc=pd.concat(iccs, ignore_index=True),
                        id_cols=tuple(ids), n_time1=n1, n_time2=n2, n_matched=nm, ci=ci,
                        instrument=inst_id, messages=tuple(messages))
