"""Careless-responding and coding-direction screening that uses what the instrument knows.

:func:`screen` computes the indices of :mod:`compassion_scales.stats.careless` with the
instrument's printed item order, subscales, reverse keys, fillers, response range and
declared attention-check items, flags each respondent against stated thresholds and
summarises how many were flagged by which index. :func:`exclude_flagged` drops the
people flagged by at least N indices and lists who and why. :func:`coding_direction`
looks for data coded in the opposite direction to the instrument file.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._format import column_hint
from compassion_scales.errors import AnalysisError, CodingDirectionWarning
from compassion_scales.idkeys import blank_as_missing, row_keys, shown_ids
from compassion_scales.instrument import Instrument, InstrumentLike, load_instrument
from compassion_scales.results import ResultMixin
from compassion_scales.stats import careless

__all__ = ["screen", "ScreenResult", "exclude_flagged", "exclusion_notes", "coding_direction",
           "screen_columns", "add_screen_columns", "DEFAULT_THRESHOLDS", "INDICES"]

#: Default flag thresholds (override any of them with ``thresholds={name: value}``;
#: ``None`` switches a flag off). See docs/screening.md for the sources.
DEFAULT_THRESHOLDS: dict[str, float | None] = {
    # longest run of identical answers >= this share of the items answered
    "longstring": 0.5,
    # |robust z| of IRV (median / 1.4826 MAD of the sample) above this, either tail
    "irv_z": 3.5,
    # successive-difference ratio in printed order above this (seesaw answers; random = 2),
    # raised for short scales to 2 + 3 SD of the ratio for k answers in random order
    "alternation": 3.0,
    # even-odd index (careless sign, = -r_SB) above this; needs >= evenodd_min_subscales and
    # a sample median consistency (-index) of at least evenodd_min_median
    "evenodd": 0.0,
    "evenodd_min_subscales": 4,
    "evenodd_min_median": 0.5,
    # within-person correlation of psychometric synonyms below this
    "psychsyn": -0.4,
    # critical sample correlation that makes two items synonyms (antonyms: below -critval)
    "psychsyn_critval": 0.60,
    # fewest answered pairs for a synonym/antonym flag (careless computes from 3)
    "psychsyn_min_pairs": 10,
    # within-person correlation of psychometric antonyms above this
    "psychant": 0.4,
    # keyed-antonym disagreement (share of the response range) at or above this
    "keyed_antonym": 0.5,
    # Mahalanobis D2 chi-square p-value below this (robust D2 unless robust=False)
    "mahalanobis_p": 0.001,
    # person-total correlation below this, when the sample's median person-total r is at
    # least person_total_min_median (otherwise the item means hardly differ: no flag)
    "person_total": 0.0,
    "person_total_min_median": 0.2,
    # attention-check / infrequency items failed: at least this many
    "attention": 1,
    # seconds per item below this (needs duration=COL)
    "duration": 2.0,
}

#: Index name -> (value column, human description of the flag rule).
INDICES: dict[str, str] = {
    "longstring": "longest run of identical answers >= {longstring:g} x items answered",
    "irv": "IRV robust |z| > {irv_z:g}",
    "alternation": "successive-difference ratio > max({alternation:g}, 2 + 3 SD for k items)",
    "evenodd": "even-odd index > {evenodd:g} (>= {evenodd_min_subscales:g} subscales, "
               "sample median consistency >= {evenodd_min_median:g})",
    "psychsyn": "psychometric synonyms r < {psychsyn:g} (pairs r > {psychsyn_critval:g}, "
                ">= {psychsyn_min_pairs:g} pairs)",
    "psychant": "psychometric antonyms r > {psychant:g} (pairs r < -{psychsyn_critval:g}, "
                ">= {psychsyn_min_pairs:g} pairs)",
    "keyed_antonym": "keyed-antonym disagreement >= {keyed_antonym:g} of the range",
    "mahalanobis": "Mahalanobis D2 p < {mahalanobis_p:g}",
    "mahalanobis_robust": "robust Mahalanobis D2 p < {mahalanobis_p:g}",
    "person_total": "person-total r < {person_total:g} (sample median r >= {person_total_min_median:g})",
    "attention": "attention/infrequency items failed >= {attention:g}",
    "duration": "seconds per item < {duration:g}",
}


# --------------------------------------------------------------------------- input


def _item_matrix(data: pd.DataFrame, inst: Instrument, *, on_invalid: str,
                 column_map: Mapping[str, str] | None,
                 patterns: Mapping[str, str] | Sequence[str] | str | None,
                 reverse_coded: bool) -> pd.DataFrame:
    """Validated item values (scored values, not reversed, NaN = missing), all items present.

    The one place screening reads responses (swap for the shared input layer at merge).
    """
    from compassion_scales.scoring import prepare_responses

    prep = prepare_responses(data, inst, column_map=column_map, patterns=patterns,
                             on_invalid=on_invalid, reverse_coded=reverse_coded)
    return prep.frame()


def _leaf_scores(inst: Instrument, present: set[str], mixed: bool = False
                 ) -> list[tuple[str, list[str]]]:
    """Non-overlapping item-based scores (present items, printed order), smallest first.

    Taking the smallest scores first picks subscales over a total that lists the same items.
    ``mixed=True`` keeps only keyed scores with both reverse- and forward-keyed items present
    (for SCS, whose subscales are one-directional, that is the item-mean total).
    """
    order = {i: k for k, i in enumerate(inst.item_ids)}
    cands = []
    for pos, s in enumerate(inst.scores):
        its = [i for i in s.items if i in present]
        if not its:
            continue
        if mixed:
            rev = [inst.item(i).reverse for i in its]
            if s.keying != "keyed" or all(rev) or not any(rev):
                continue
        cands.append((len(its), pos, s.id, sorted(its, key=order.__getitem__)))
    out: list[tuple[int, str, list[str]]] = []
    used: set[str] = set()
    for _, pos, sid, its in sorted(cands):
        if used & set(its):
            continue
        used |= set(its)
        out.append((pos, sid, its))
    return [(sid, its) for _, sid, its in sorted(out)]


def _ranges(columns: Sequence[str], inst: Instrument) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scored minimum, maximum and reverse flag of each column's item."""
    items = {i.id: i for i in inst.items}
    sets = [inst.response_sets[items[c].response_set] for c in columns]
    return (np.array([r.score_min for r in sets], dtype=float),
            np.array([r.score_max for r in sets], dtype=float),
            np.array([items[c].reverse for c in columns], dtype=bool))


def _keyed_values(values: pd.DataFrame, inst: Instrument) -> pd.DataFrame:
    lo, hi, rev = _ranges(list(values.columns), inst)
    X = values.to_numpy(dtype=float)
    return pd.DataFrame(np.where(rev, lo + hi - X, X), index=values.index, columns=values.columns)


def _unit(values: pd.DataFrame, inst: Instrument) -> pd.DataFrame:
    """Values rescaled to 0-1 on each item's scored range."""
    lo, hi, _ = _ranges(list(values.columns), inst)
    return pd.DataFrame((values.to_numpy(dtype=float) - lo) / (hi - lo), index=values.index,
                        columns=values.columns)


# --------------------------------------------------------------------------- coding direction


def coding_direction(data: pd.DataFrame, instrument: InstrumentLike, *,
                     min_r: float = 0.1, warn: bool = True, on_invalid: str = "error",
                     column_map: Mapping[str, str] | None = None,
                     patterns: Mapping[str, str] | Sequence[str] | str | None = None
                     ) -> pd.DataFrame:
    """Look for data coded in the opposite direction to the instrument file.

    Parameters
    ----------
    data : DataFrame
        Raw responses, one row per respondent.
    instrument : str or Instrument
    min_r : float
        Size of a correlation counted as clearly positive or negative.
    warn : bool
        Emit a :class:`~compassion_scales.errors.CodingDirectionWarning` when there is
        evidence (the default).
    on_invalid, column_map, patterns
        As in :func:`compassion_scales.scoring.prepare_responses`.

    Returns
    -------
    DataFrame
        One row per check: ``check`` (``reverse_items``, ``attention_checks``,
        ``norms``), ``scope``, ``items``, ``statistic``, ``value``, ``opposite``
        (True = evidence of opposite coding) and ``detail``.

    Notes
    -----
    Two kinds of evidence are used:

    * **Reverse-keyed items against their own subscale.** After the file's reversal,
      each reverse-keyed item should correlate positively with the forward-keyed items
      of its subscale. When the reverse-keyed items correlate *negatively* after the
      reversal (and therefore positively before it) in most subscales, the export has
      them in the other direction from the rest: already reversed, or coded on an
      opposite scale. This pattern is what partly reversed exports produce.
    * **Anchors for a whole-scale reversal.** Flipping *every* item (``min + max - x``)
      leaves every correlation unchanged, so it cannot be seen in correlations. It is
      seen against anchors the file declares: attention-check / infrequency items
      (most of the sample "fails" them and would pass them flipped), and published
      norms (the sample mean lies far from the norm mean but close to its mirror image).
      Without such anchors a whole-scale reversal cannot be detected from the data.

    Nothing is ever flipped: the warning names the evidence and the fix.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(300, 1))
    >>> raw = np.clip(np.round(2.5 + f + rng.normal(scale=.7, size=(300, 7))), 1, 5)
    >>> cols = [f"cbi_w{i}" for i in range(1, 8)]
    >>> ok = pd.DataFrame(raw, columns=cols)
    >>> ok["cbi_w7"] = 6 - ok["cbi_w7"]           # as the form is answered: item 7 runs the other way
    >>> coding_direction(ok, "cbi")["opposite"].any()
    np.False_
    >>> pre = ok.assign(cbi_w7=6 - ok["cbi_w7"])   # an export that already reversed item 7
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     ev = coding_direction(pre, "cbi")
    >>> bool(ev["opposite"].any()), w[0].category.__name__
    (True, 'CodingDirectionWarning')
    """
    inst = load_instrument(instrument)
    values = _item_matrix(data, inst, on_invalid=on_invalid, column_map=column_map,
                          patterns=patterns, reverse_coded=False)
    return _coding_evidence(values, inst, min_r=min_r, warn=warn)


def _coding_evidence(values: pd.DataFrame, inst: Instrument, *, min_r: float = 0.1,
                     warn: bool = True) -> pd.DataFrame:
    """:func:`coding_direction` on prepared item values (scored values, not reversed)."""
    present = set(values.columns)
    rows, n_opposite, n_rev_total = _reverse_item_evidence(values, inst, present, min_r)
    partial = n_rev_total > 0 and n_opposite > n_rev_total / 2
    # anchors for a whole-scale reversal
    rows_a, flips = _attention_evidence(values, inst, present)
    rows += rows_a
    normed = [s for s in inst.scores if s.norms]
    if normed:
        rows_n, flips_n = _norm_evidence(values, inst, normed)
        rows += rows_n
        flips += flips_n
    whole = bool(flips) and all(r["opposite"] for r in rows if r["check"] in ("attention_checks", "norms"))
    table = pd.DataFrame(rows, columns=["check", "scope", "items", "statistic", "value", "opposite", "detail"])
    if warn:
        _warn_coding(inst, rows, partial=partial, whole=whole, flips=flips)
    return table


def _reverse_item_evidence(values: pd.DataFrame, inst: Instrument, present: set[str],
                           min_r: float) -> tuple[list[dict[str, Any]], int, int]:
    """Each reverse-keyed item against its scale's forward items, after the file's reversal;
    also the number that correlate negatively and the number of reverse-keyed items."""
    rows: list[dict[str, Any]] = []
    n_opposite = n_rev_total = 0
    for sid, its in _leaf_scores(inst, present, mixed=True):
        rev = [i for i in its if inst.item(i).reverse]
        fwd = [i for i in its if not inst.item(i).reverse]
        keyed = _keyed_values(values[its], inst)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rest = np.nanmean(keyed[fwd].to_numpy(dtype=float), axis=1)
        for i in rev:
            r = _pair_r(keyed[i].to_numpy(dtype=float), rest)
            opp = bool(r < -min_r)
            n_rev_total += 1
            n_opposite += opp
            rows.append({"check": "reverse_items", "scope": sid, "items": i,
                         "statistic": "r_with_forward_items_after_reversal", "value": r,
                         "opposite": opp,
                         "detail": f"r = {r:.2f} after the file's reversal, {-r:.2f} before it"})
    return rows, n_opposite, n_rev_total


def _attention_evidence(values: pd.DataFrame, inst: Instrument,
                        present: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Attention-check pass rates as coded and as if the scale were flipped."""
    rows: list[dict[str, Any]] = []
    flips: list[str] = []
    for ac in inst.attention_checks:
        if ac.item not in present:
            continue
        x = values[ac.item]
        rs = inst.response_sets[inst.item(ac.item).response_set]
        ok_vals = _score_values(rs, ac.expected)
        flip_vals = _score_values(rs, [rs.min + rs.max - c for c in ac.expected])
        answered = x.notna()
        n = int(answered.sum())
        if n < 10:
            continue
        p_as_is = float(x[answered].isin(ok_vals).mean())
        p_flipped = float(x[answered].isin(flip_vals).mean())
        opp = p_as_is < 0.5 and p_flipped - p_as_is >= 0.5
        if opp:
            flips.append(f"{ac.item}: {p_as_is:.0%} pass as coded, {p_flipped:.0%} would pass flipped")
        rows.append({"check": "attention_checks", "scope": ac.item, "items": ac.item,
                     "statistic": "pass_rate_as_coded", "value": p_as_is, "opposite": opp,
                     "detail": f"{p_as_is:.0%} pass as coded, {p_flipped:.0%} would pass if the "
                               "scale were flipped"})
    return rows, flips


def _warn_coding(inst: Instrument, rows: list[dict[str, Any]], *, partial: bool, whole: bool,
                 flips: list[str]) -> None:
    """The two coding-direction warnings: some reverse items, or the whole scale."""
    if partial:
        shown = ", ".join(f"{r['items']} (r = {r['value']:.2f})" for r in rows
                          if r["check"] == "reverse_items" and r["opposite"])
        warnings.warn(
            f"{inst.id}: the reverse-keyed item(s) {shown} correlate negatively with the other "
            "items of their scale after the file's reversal (positively before it): the data seem "
            "to have them in the other direction from the rest (already reversed in the export, or "
            "coded on an opposite scale). Recode those items back (min + max - answer) before "
            "scoring; --reverse-coded flips every item and does not fix this. Nothing was flipped.",
            CodingDirectionWarning, stacklevel=4)
    if whole:
        warnings.warn(
            f"{inst.id}: the data look coded in the opposite direction to the instrument file "
            f"({'; '.join(flips)}). If your file codes the answers the other way round (e.g. "
            "1 = strongly disagree where the form has 1 = strongly agree), rerun with "
            "--reverse-coded (library: reverse_coded=True). Nothing was flipped.",
            CodingDirectionWarning, stacklevel=4)


def _pair_r(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r over the rows where both are present (NaN with < 3 rows or no variance)."""
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3:
        return math.nan
    a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else math.nan


def _score_values(rs: Any, codes: Sequence[float]) -> list[float]:
    if not rs.recodes:
        return [float(c) for c in codes]
    lookup = {o.code: o.score for o in rs.options}
    return [lookup[c] for c in codes if c in lookup]


def _norm_evidence(values: pd.DataFrame, inst: Instrument, normed: list[Any]
                   ) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    flips: list[str] = []
    keyed = _keyed_values(values, inst)
    for s in normed:
        its = [i for i in inst.score_items(s.id) if i in values.columns]
        if not its or len(its) < len(inst.score_items(s.id)) or not s.items:
            continue
        block = keyed[its].to_numpy(dtype=float)
        answered = (~np.isnan(block)).sum(axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(block, axis=1)
        means[answered < s.missing.min_answered] = np.nan
        # a sum is compared on the sum scale (prorated: mean x items)
        vals = means * len(its) if s.aggregation == "sum" else means
        m = float(np.nanmean(vals)) if np.isfinite(vals).any() else math.nan
        if math.isnan(m):
            continue
        lo, hi = inst.score_range(s.id)
        mirror = lo + hi - m
        z0 = min(abs(m - float(n["mean"])) / float(n["sd"]) for n in s.norms)
        z1 = min(abs(mirror - float(n["mean"])) / float(n["sd"]) for n in s.norms)
        opp = z0 > 1.0 and z1 <= z0 - 1.0
        if opp:
            flips.append(f"{s.id}: sample mean {m:.3g} is {z0:.1f} norm SD from the nearest norm, "
                         f"its mirror image {mirror:.3g} only {z1:.1f}")
        rows.append({"check": "norms", "scope": s.id, "items": ", ".join(its),
                     "statistic": "norm_sd_distance_as_coded", "value": z0, "opposite": opp,
                     "detail": f"mean {m:.3g}: {z0:.1f} SD from the norm as coded, {z1:.1f} SD flipped"})
    return rows, flips


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class ScreenResult(ResultMixin):
    """Careless-responding screen of one instrument.

    Attributes
    ----------
    table : DataFrame
        One row per input row, in input order: identifier columns, ``row`` (row number
        in the file), each index, ``flag_<index>`` columns (True/False, missing when the
        index could not be computed), ``n_flags`` and ``flagged_by``.
    thresholds : dict
        The thresholds used (defaults merged with the user's).
    coding : DataFrame
        Coding-direction evidence (see :func:`coding_direction`).
    instrument : str
    items : list of str
        Items screened (scored items in printed order; fillers excluded).
    messages : tuple of str
        Indices not computed and why, options used.
    """

    table: pd.DataFrame
    thresholds: dict[str, Any]
    coding: pd.DataFrame
    instrument: str
    items: list[str]
    id_columns: list[str] = field(default_factory=list)
    messages: tuple[str, ...] = ()
    _title = "Careless-responding screen"

    @property
    def flag_columns(self) -> list[str]:
        """The ``flag_<index>`` columns of indices that were computed."""
        return [c for c in self.table.columns if c.startswith("flag_")]

    def flagged(self, n_agree: int = 2) -> pd.Series:
        """True for rows flagged by at least ``n_agree`` indices."""
        return self.table["n_flags"] >= n_agree

    def unreachable(self, n_agree: int) -> str | None:
        """A sentence when ``n_agree`` is more than the indices that could flag here (nobody
        can then be flagged: ``--n-agree``/``--exclude-flagged`` would do nothing), else None."""
        k = len(self.flag_columns)
        if int(n_agree) <= k:
            return None
        return (f"{int(n_agree)} agreeing indices asked for, but only {k} "
                f"{'index' if k == 1 else 'indices'} can flag a respondent of {self.instrument} here "
                f"({', '.join(c[len('flag_'):] for c in self.flag_columns)}), so nobody can be "
                "counted as flagged.")

    @property
    def summary(self) -> pd.DataFrame:
        """Counts per index, then by any index and by two or more."""
        n = len(self.table)
        rows = []
        for c in self.flag_columns:
            name = c[len("flag_"):]
            col = self.table[c]
            n_flag = int((col == True).sum())  # noqa: E712 - nullable booleans
            rows.append({"index": name, "rule": INDICES[name].format(**_fmt_thr(self.thresholds)),
                         "n_computed": int(col.notna().sum()), "n_flagged": n_flag,
                         "pct_flagged": 100.0 * n_flag / n if n else math.nan})
        for k, label in ((1, "any index"), (2, "2 or more indices")):
            n_flag = int((self.table["n_flags"] >= k).sum())
            rows.append({"index": label, "rule": f"flagged by >= {k}", "n_computed": n,
                         "n_flagged": n_flag, "pct_flagged": 100.0 * n_flag / n if n else math.nan})
        return pd.DataFrame(rows, columns=["index", "rule", "n_computed", "n_flagged", "pct_flagged"])

    def _notes(self) -> list[str]:
        notes = [f"Instrument {self.instrument}: {len(self.items)} scored items in printed order "
                 f"(fillers excluded), {len(self.table)} rows."]
        notes += list(self.messages)
        if len(self.coding) and self.coding["opposite"].any():
            notes.append("Coding direction: evidence of opposite coding: "
                         + "; ".join(self.coding.loc[self.coding["opposite"], "detail"]) + ".")
        return notes

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        return to_jsonable({"instrument": self.instrument, "thresholds": self.thresholds,
                            "summary": self.summary, "respondents": self.table,
                            "coding_direction": self.coding, "notes": self._notes()})


def _fmt_thr(thr: Mapping[str, Any]) -> dict[str, float]:
    return {k: (float("nan") if v is None else float(v)) for k, v in thr.items()}


# --------------------------------------------------------------------------- screen


def _one_blas_thread() -> Any:
    """Single-threaded BLAS: on (n x items) products threads only add overhead, which is
    large on busy machines (np.cov of 15000 x 38 took 1.5 s threaded, 0.05 s on one thread)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _robust_z(x: np.ndarray) -> np.ndarray:
    med = np.nanmedian(x)
    mad = 1.4826 * np.nanmedian(np.abs(x - med))
    if not np.isfinite(mad) or mad == 0:
        sd = np.nanstd(x, ddof=1)
        mad = sd if np.isfinite(sd) and sd > 0 else math.nan
    return (x - med) / mad


@renamed_arguments(id_cols="id")
def screen(data: pd.DataFrame, instrument: InstrumentLike, *,
           id: Sequence[str] | str | None = None, duration: str | None = None,
           thresholds: Mapping[str, float | None] | None = None,
           on_invalid: str = "error", column_map: Mapping[str, str] | None = None,
           patterns: Mapping[str, str] | Sequence[str] | str | None = None,
           reverse_coded: bool = False, check_coding: bool = True,
           robust: bool = True) -> ScreenResult:
    """Screen responses for careless answering with the instrument's own structure.

    Parameters
    ----------
    data : DataFrame
        Raw responses, one row per respondent.
    instrument : str or Instrument
        Instrument id, path or object. Its printed item order (long-string, IRV),
        subscales (even-odd), reverse-keyed items (keyed-antonym index), fillers
        (excluded) and declared ``attention_checks`` are used.
    id : str or list of str, optional
        Identifier column(s), the person, copied to the per-respondent table (``id_cols``
        is its old name).
    duration : str, optional
        Column with the completion time in seconds; flags fewer than
        ``thresholds["duration"]`` seconds per item presented.
    thresholds : mapping, optional
        Overrides of :data:`DEFAULT_THRESHOLDS` (``None`` switches a flag off).
    on_invalid, column_map, patterns, reverse_coded
        As in :func:`compassion_scales.scoring.prepare_responses`.
    check_coding : bool
        Run :func:`coding_direction` (warns on evidence of opposite coding).
    robust : bool
        Flag Mahalanobis D² from a robust centre and covariance
        (:func:`~compassion_scales.stats.careless.robust_mahalanobis`), which careless
        respondents sharing a pattern cannot mask (default). The classical D²
        (``careless::mahad``) is always reported too.

    Returns
    -------
    ScreenResult

    Raises
    ------
    AnalysisError
        Unknown threshold names, a missing duration column, fewer than 3 rows or items.

    Warns
    -----
    CodingDirectionWarning
        The data look coded in the opposite direction to the file (see
        :func:`coding_direction`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(200, 3))
    >>> cols = {}
    >>> for j, (sec, k) in enumerate([("oth", 10), ("from", 13), ("self", 15)]):
    ...     for i in range(1, k + 1):
    ...         cols[f"fcs_{sec}_{i}"] = np.clip(np.round(1.5 + f[:, j] + rng.normal(size=200)), 0, 4)
    >>> df = pd.DataFrame(cols)
    >>> df.iloc[0] = 4                                  # a straight-liner
    >>> res = screen(df, "fcs")
    >>> res.table.loc[0, ["longstring", "flag_longstring", "flagged_by"]].tolist()
    [np.float64(38.0), np.True_, 'longstring, irv']
    >>> res.summary.set_index("index").loc["longstring", "n_flagged"]
    np.int64(1)
    """
    with _one_blas_thread(), warnings.catch_warnings():
        # numpy's notices for rows or items without answers (all-NaN slices): such rows are
        # reported as not computed, so the notices say nothing more
        for msg in ("All-NaN slice", "Mean of empty slice", "Degrees of freedom <= 0",
                    "invalid value encountered", "divide by zero encountered"):
            warnings.filterwarnings("ignore", message=msg, category=RuntimeWarning)
        return _screen(data, instrument, id_cols=id, duration=duration, thresholds=thresholds,
                       on_invalid=on_invalid, column_map=column_map, patterns=patterns,
                       reverse_coded=reverse_coded, check_coding=check_coding, robust=robust)


def _screen(data: pd.DataFrame, instrument: InstrumentLike, *, id_cols: Sequence[str] | str | None,
            duration: str | None, thresholds: Mapping[str, float | None] | None, on_invalid: str,
            column_map: Mapping[str, str] | None,
            patterns: Mapping[str, str] | Sequence[str] | str | None,
            reverse_coded: bool, check_coding: bool, robust: bool) -> ScreenResult:
    inst = load_instrument(instrument)
    thr = _thresholds(thresholds)
    ids = [id_cols] if isinstance(id_cols, str) else list(id_cols or [])
    missing_ids = [c for c in ids + ([duration] if duration else []) if c not in data.columns]
    if missing_ids:
        raise AnalysisError(f"Column(s) {', '.join(missing_ids)} are not in the data "
                            f"(columns: {', '.join(map(str, data.columns[:12]))}"
                            f"{', ...' if len(data.columns) > 12 else ''})."
                            + column_hint(data.columns, missing_ids[0]))
    if duration:
        from compassion_scales._inputs import require_numeric

        require_numeric(data, [duration], what="duration column")
    values = _item_matrix(data, inst, on_invalid=on_invalid, column_map=column_map,
                          patterns=patterns, reverse_coded=reverse_coded)
    items = [i for i in inst.item_ids if i in values.columns and inst.item(i).scored]
    if len(items) < 3:
        raise AnalysisError(f"{inst.id}: screening needs at least 3 scored items in the data "
                            f"({len(items)} found).")
    if len(values) < 3:
        raise AnalysisError(f"{inst.id}: screening needs at least 3 rows ({len(values)} given).")
    if not values[items].notna().to_numpy().any():
        raise AnalysisError(f"{inst.id}: none of the {len(values)} rows has an answer to the "
                            f"{len(items)} scored items, so there is nothing to screen; check the "
                            "item columns and the missing-value codes.")
    first_row = int(data.attrs.get("first_row", 2))
    out = data[ids].copy() if ids else pd.DataFrame(index=data.index)
    out["row"] = np.arange(first_row, first_row + len(data))
    run = _Screening(inst=inst, thr=thr, items=items, values=values, out=out)
    run.string_indices()
    run.evenodd()
    run.synonyms()
    run.keyed_antonym()
    run.mahalanobis(robust)
    run.person_total()
    run.attention()
    if duration:
        run.duration(data[duration])
    run.combine_flags()
    coding = (_coding_evidence(values, inst) if check_coding
              else pd.DataFrame(columns=["check", "scope", "items", "statistic", "value", "opposite", "detail"]))
    messages = run.messages
    repeats = _repeated_ids_note(data, ids, out["row"].to_numpy())
    if repeats:
        messages.append(repeats)
    if reverse_coded:
        messages.append("Answers were flipped on input (reverse_coded): code -> min + max - code.")
    messages.append("Thresholds: " + ", ".join(f"{k}={v}" for k, v in thr.items()) + ".")
    return ScreenResult(table=out.reset_index(drop=True), thresholds=thr, coding=coding,
                        instrument=inst.id, items=items, id_columns=ids, messages=tuple(messages))


def _repeated_ids_note(data: pd.DataFrame, ids: list[str], rows: np.ndarray) -> str | None:
    """A note naming identifiers given to more than one row (duplicate submissions are common
    in raw exports, which is where screening runs; each row is still screened on its own)."""
    if not ids:
        return None
    keys = row_keys(blank_as_missing(data[ids].astype("string")))
    dup = keys.duplicated(keep=False).to_numpy() & keys.notna().to_numpy()
    if not dup.any():
        return None
    shown = shown_ids(data[ids])
    groups = pd.Series(rows[dup], index=shown.to_numpy()[dup]).groupby(level=0, sort=False).agg(
        lambda r: ", ".join(map(str, r)))
    listed = "; ".join(f"{k} (rows {r})" for k, r in groups.head(5).items())
    more = f"; and {len(groups) - 5} more" if len(groups) > 5 else ""
    return (f"Identifiers on more than one row ({', '.join(ids)}): {listed}{more}. Duplicate "
            "submissions? Each row was screened on its own; nothing was removed.")


#: Threshold name -> (lowest, highest, lowest allowed?, highest allowed?, whole number?, what
#: it is). A value outside would flag everyone or no one without a word (``longstring=-1``).
_THRESHOLD_RANGES: dict[str, tuple[float, float, bool, bool, bool, str]] = {
    "longstring": (0, 1, False, True, False, "a share of the items answered, above 0 and at most 1"),
    "irv_z": (0, np.inf, False, False, False, "a robust z above 0"),
    "alternation": (0, np.inf, False, False, False, "a ratio above 0"),
    "evenodd": (-1, np.inf, True, False, False, "an even-odd index of -1 or more"),
    "evenodd_min_subscales": (2, np.inf, True, False, True, "a whole number of subscales, 2 or more"),
    "evenodd_min_median": (-1, 1, True, True, False, "a correlation from -1 to 1"),
    "psychsyn": (-1, 1, True, True, False, "a correlation from -1 to 1"),
    "psychsyn_critval": (0, 1, False, False, False, "a correlation above 0 and below 1"),
    "psychsyn_min_pairs": (3, np.inf, True, False, True, "a whole number of pairs, 3 or more"),
    "psychant": (-1, 1, True, True, False, "a correlation from -1 to 1"),
    "keyed_antonym": (0, 1, False, True, False, "a share of the response range, above 0 and at most 1"),
    "mahalanobis_p": (0, 1, False, False, False, "a p-value above 0 and below 1"),
    "person_total": (-1, 1, True, True, False, "a correlation from -1 to 1"),
    "person_total_min_median": (-1, 1, True, True, False, "a correlation from -1 to 1"),
    "attention": (1, np.inf, True, False, True, "a whole number of failed checks, 1 or more"),
    "duration": (0, np.inf, False, False, False, "seconds per item, above 0"),
}


def _thresholds(thresholds: Mapping[str, float | None] | None) -> dict[str, Any]:
    """:data:`DEFAULT_THRESHOLDS` with the user's overrides (unknown names and values outside
    a threshold's range refused)."""
    thr: dict[str, Any] = dict(DEFAULT_THRESHOLDS)
    for k, v in (thresholds or {}).items():
        if k not in thr:
            raise AnalysisError(f"Unknown screening threshold {k!r}; known: {', '.join(thr)}.")
        if v is not None:
            _check_threshold(k, v)
        thr[k] = v
    return thr


def _check_threshold(name: str, value: Any) -> None:
    lo, hi, lo_ok, hi_ok, whole, what = _THRESHOLD_RANGES[name]
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    inside = (np.isfinite(x) and (x > lo or (lo_ok and x == lo)) and (x < hi or (hi_ok and x == hi))
              and (not whole or x == int(x)))
    if not inside:
        raise AnalysisError(f"Screening threshold {name}={value} is out of range: it must be {what}.")


class _Screening:
    """One screening run: each index adds its columns to ``out`` and, with a threshold,
    its flag (missing where the index could not be computed); notes go to ``messages``."""

    def __init__(self, *, inst: Instrument, thr: dict[str, Any], items: list[str],
                 values: pd.DataFrame, out: pd.DataFrame) -> None:
        self.inst, self.thr, self.items, self.values, self.out = inst, thr, items, values, out
        self.raw = values[items]
        self.X = self.raw.to_numpy(dtype=float)
        self.keyed = _keyed_values(self.raw, inst)
        self.n_answered = (~np.isnan(self.X)).sum(axis=1)
        out["n_answered"] = self.n_answered
        self.flags: dict[str, Any] = {}
        self.messages: list[str] = []

    def flag(self, name: str, cond: np.ndarray, computed: np.ndarray) -> None:
        arr = pd.array(np.where(computed, cond, False), dtype="boolean")
        arr[~computed] = pd.NA
        self.flags[name] = arr

    def string_indices(self) -> None:
        """Long-string, IRV and alternation on raw answers, in printed order."""
        thr, out, n_answered = self.thr, self.out, self.n_answered
        ls_max, ls_avg = careless.longstring(self.X)
        out["longstring"] = ls_max
        out["avgstring"] = ls_avg
        if thr["longstring"] is not None:
            self.flag("longstring", ls_max >= np.ceil(thr["longstring"] * n_answered), n_answered >= 2)
        v_irv = careless.irv(self.X)
        out["irv"] = v_irv
        if thr["irv_z"] is not None:
            z = _robust_z(v_irv)
            self.flag("irv", np.abs(z) > thr["irv_z"], np.isfinite(z))
        alt = careless.alternation(self.X)
        out["alternation"] = alt
        if thr["alternation"] is not None:
            k_ans = n_answered.astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                sd_k = np.sqrt(4 * (k_ans - 2) / (k_ans ** 2 - 1))
            cut = np.maximum(thr["alternation"], 2 + 3 * sd_k)
            self.flag("alternation", alt > cut, np.isfinite(alt) & (n_answered >= 3))

    def evenodd(self) -> None:
        """Even-odd consistency on keyed answers, over the instrument's subscales."""
        thr = self.thr
        leaves = _leaf_scores(self.inst, set(self.items))
        groups = [[self.items.index(i) for i in its] for _, its in leaves if len(its) >= 2]
        if len(groups) < 2:
            self.messages.append("Even-odd index not computed: the instrument has fewer than 2 "
                                 "subscales in the data.")
            return
        eo, n_pairs = careless.evenodd(self.keyed.to_numpy(dtype=float), groups)
        self.out["evenodd"] = eo
        self.out["evenodd_pairs"] = n_pairs
        min_sub = int(thr["evenodd_min_subscales"] or 2)
        if thr["evenodd"] is None:
            return
        med = -float(np.nanmedian(eo)) if np.isfinite(eo).any() else math.nan
        need = thr["evenodd_min_median"]
        if len(groups) >= min_sub and (need is None or med >= need):
            self.flag("evenodd", eo > thr["evenodd"], np.isfinite(eo) & (n_pairs >= min_sub))
        elif len(groups) >= min_sub:
            self.messages.append(f"Even-odd index not flagged: attentive respondents are not "
                                 f"consistent across these subscales either (sample median "
                                 f"consistency {med:.2f}, below {need:g}).")
        else:
            self.messages.append(f"Even-odd index not flagged: {len(groups)} subscales (at least "
                                 f"{min_sub} are needed for a stable within-person correlation).")

    def synonyms(self) -> None:
        """Psychometric synonyms and antonyms on raw answers, pairs from this sample."""
        thr = self.thr
        crit = float(thr["psychsyn_critval"] if thr["psychsyn_critval"] is not None else 0.6)
        R = self.raw.corr().to_numpy()
        for name, anto in (("psychsyn", False), ("psychant", True)):
            sc, npair, pairs = careless.psychsyn(self.X, crit, anto=anto, R=R)
            if len(pairs) == 0:
                self.messages.append(
                    f"{'Antonyms' if anto else 'Synonyms'} not computed: no item pair "
                    f"correlates {'below -' if anto else 'above '}{crit:g} in this sample.")
                continue
            self.out[name] = sc
            self.out[f"{name}_pairs"] = npair
            if thr[name] is not None:
                cond = sc > thr[name] if anto else sc < thr[name]
                need = int(thr["psychsyn_min_pairs"] or 3)
                self.flag(name, cond, np.isfinite(sc) & (npair >= need))

    def keyed_antonym(self) -> None:
        """Reverse-keyed vs forward-keyed items of the same subscale."""
        unit = _unit(self.keyed, self.inst)
        diffs = []
        for _sid, its in _leaf_scores(self.inst, set(self.items), mixed=True):
            rev = [i for i in its if self.inst.item(i).reverse]
            fwd = [i for i in its if not self.inst.item(i).reverse]
            diffs.append((unit[rev].mean(axis=1) - unit[fwd].mean(axis=1)).abs().to_numpy())
        if not diffs:
            self.messages.append("Keyed-antonym index not computed: no subscale has both "
                                 "reverse-keyed and forward-keyed items.")
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ka = np.nanmean(np.column_stack(diffs), axis=1)
        self.out["keyed_antonym"] = ka
        if self.thr["keyed_antonym"] is not None:
            self.flag("keyed_antonym", ka >= self.thr["keyed_antonym"], np.isfinite(ka))

    def mahalanobis(self, robust: bool) -> None:
        """Mahalanobis D² (classical always; robust for the flag when rows allow)."""
        X, n_items, out = self.X, len(self.items), self.out
        if len(X) <= n_items + 1:
            self.messages.append(f"Mahalanobis D2 not computed: needs more rows ({len(X)}) than "
                                 "items + 1.")
            return
        try:
            d2, p = careless.mahalanobis(X)
        except np.linalg.LinAlgError:
            d2 = p = np.full(len(X), np.nan)
            self.messages.append("Mahalanobis D2 not computed: the item covariance matrix is singular.")
        out["mahalanobis_d2"] = d2
        out["mahalanobis_p"] = p
        use_robust = robust and len(X) >= 5 * n_items
        if robust and not use_robust:
            self.messages.append(f"Mahalanobis flags use the classical D2: the robust estimate needs "
                                 f"at least 5 rows per item ({5 * n_items}; {len(X)} given).")
        if use_robust:
            try:
                d2, p = careless.robust_mahalanobis(X)
            except np.linalg.LinAlgError:  # pragma: no cover - pinv rarely fails
                d2 = p = np.full(len(X), np.nan)
            out["mahalanobis_robust_d2"] = d2
            out["mahalanobis_robust_p"] = p
        if self.thr["mahalanobis_p"] is not None:
            self.flag("mahalanobis_robust" if use_robust else "mahalanobis",
                      p < self.thr["mahalanobis_p"], np.isfinite(p) & (self.n_answered > 0))

    def person_total(self) -> None:
        """Person-total correlation (flagged only when the item means differ enough)."""
        pt = careless.person_total(self.X)
        self.out["person_total"] = pt
        if self.thr["person_total"] is None:
            return
        med = float(np.nanmedian(pt)) if np.isfinite(pt).any() else math.nan
        need = self.thr["person_total_min_median"]
        if need is None or med >= need:
            self.flag("person_total", pt < self.thr["person_total"], np.isfinite(pt))
        else:
            self.messages.append(f"Person-total correlation not flagged: the items' sample means "
                                 f"hardly differ, so attentive people do not follow them either "
                                 f"(median r = {med:.2f}, below {need:g}).")

    def attention(self) -> None:
        """The instrument's declared attention checks."""
        inst, values = self.inst, self.values
        checks = [ac for ac in inst.attention_checks if ac.item in values.columns]
        if not checks:
            if inst.attention_checks:
                self.messages.append("Attention checks declared in the instrument file are not "
                                     "in the data.")
            return
        failed = np.zeros(len(values))
        seen = np.zeros(len(values))
        for ac in checks:
            rs = inst.response_sets[inst.item(ac.item).response_set]
            x = values[ac.item]
            ans = x.notna().to_numpy()
            seen += ans
            failed += ans & ~x.isin(_score_values(rs, ac.expected)).to_numpy()
        self.out["attention_failed"] = failed
        self.out["attention_answered"] = seen
        if self.thr["attention"] is not None:
            self.flag("attention", failed >= self.thr["attention"], seen > 0)

    def duration(self, seconds: pd.Series) -> None:
        """Seconds per item presented."""
        secs = pd.to_numeric(seconds, errors="coerce").to_numpy(dtype=float)
        spi = secs / self.values.shape[1]
        self.out["seconds_per_item"] = spi
        if self.thr["duration"] is not None:
            self.flag("duration", spi < self.thr["duration"], np.isfinite(spi))

    def combine_flags(self) -> None:
        """The ``flag_*`` columns, ``n_flags`` and ``flagged_by``."""
        out = self.out
        for name, arr in self.flags.items():
            out[f"flag_{name}"] = arr
        flag_frame = out[[f"flag_{n}" for n in self.flags]]
        out["n_flags"] = flag_frame.fillna(False).astype(int).sum(axis=1).astype(int)
        names = np.array(list(self.flags))
        mat = flag_frame.fillna(False).to_numpy(dtype=bool)
        out["flagged_by"] = [", ".join(names[m]) for m in mat] if len(names) else ""


@renamed_arguments(positional=("n_agree",))
def exclude_flagged(data: pd.DataFrame, instrument: InstrumentLike, *, n_agree: int = 2,
                    result: ScreenResult | None = None, **screen_options: Any
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the rows flagged by at least ``n_agree`` screening indices; say who and why.

    Parameters
    ----------
    data : DataFrame
    instrument : str or Instrument
    n_agree : int
        Number of indices that must agree (>= 1); keyword-only (giving it by position
        still works, with a ``FutureWarning``).
    result : ScreenResult, optional
        A screen already run on ``data`` (otherwise :func:`screen` is called with
        ``screen_options``).

    Returns
    -------
    (kept, excluded) : tuple of DataFrame
        ``kept`` = the rows of ``data`` not excluded (index and order kept);
        ``excluded`` = one row per excluded respondent: identifier columns, ``row``,
        ``n_flags`` and ``flagged_by``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(200, 1))
    >>> means = np.linspace(0.8, 2.6, 15)
    >>> df = pd.DataFrame(np.clip(np.round(means + f + rng.normal(size=(200, 15))), 0, 4),
    ...                   columns=[f"fcs_self_{i}" for i in range(1, 16)])
    >>> df.iloc[5] = [0, 4] * 7 + [0]                  # alternating answers
    >>> df.iloc[9] = 2                                 # the middle answer throughout
    >>> kept, excluded = exclude_flagged(df, "fcs", n_agree=2)
    >>> excluded.to_dict("records")[:2]
    [{'row': 7, 'n_flags': 4, 'flagged_by': 'irv, alternation, mahalanobis_robust, person_total'}, {'row': 11, 'n_flags': 2, 'flagged_by': 'longstring, irv'}]
    >>> len(kept), len(excluded)   # two genuine floor/ceiling answerers look like straight-lining too
    (196, 4)
    """
    if int(n_agree) < 1:
        raise AnalysisError(f"n_agree must be at least 1, not {n_agree}.")
    res = result if result is not None else screen(data, instrument, **screen_options)
    if (why := res.unreachable(int(n_agree))) is not None:
        warnings.warn(why, RuntimeWarning, stacklevel=2)
    drop = res.flagged(int(n_agree)).to_numpy()
    cols = res.id_columns + ["row", "n_flags", "flagged_by"]
    excluded = res.table.loc[drop, cols].reset_index(drop=True)
    return data.loc[~drop], excluded


def exclusion_notes(excluded: pd.DataFrame, n_agree: int, n_rows: int) -> list[str]:
    """Plain-language lines saying who :func:`exclude_flagged` dropped and why (for the CLI).

    Examples
    --------
    >>> ex = pd.DataFrame({"pid": ["p7"], "row": [9], "n_flags": [3],
    ...                    "flagged_by": ["irv, alternation, mahalanobis_robust"]})
    >>> exclusion_notes(ex, 2, 120)
    ['Excluded 1 of 120 rows flagged by >= 2 careless-responding indices:', '  row 9 (pid p7): irv, alternation, mahalanobis_robust']
    """
    lines = [f"Excluded {len(excluded)} of {n_rows} rows flagged by >= {n_agree} careless-responding "
             f"indices{':' if len(excluded) else '.'}"]
    ids = [c for c in excluded.columns if c not in ("row", "n_flags", "flagged_by")]
    for rec in excluded.to_dict("records"):
        who = ", ".join(f"{c} {rec[c]}" for c in ids)
        lines.append(f"  row {rec['row']}{f' ({who})' if who else ''}: {rec['flagged_by']}")
    return lines


def screen_columns(data: pd.DataFrame, instruments: Sequence[str | Instrument], **screen_options: Any
                   ) -> pd.DataFrame:
    """Flag columns for scored output: ``scr_<instrument>_<index>``, ``_n_flags``, ``_flagged_by``.

    One :func:`screen` per instrument; the frame has ``data``'s index and row order.
    Flags are 1/0 (missing where an index could not be computed), so they survive
    SPSS/Stata/CSV output.
    """
    frames = []
    for instrument in instruments:
        inst = load_instrument(instrument)
        res = screen(data, inst, **screen_options)
        tab = res.table
        cols = {f"scr_{inst.id}_{c[len('flag_'):]}": tab[c].astype("Int64") for c in res.flag_columns}
        cols[f"scr_{inst.id}_n_flags"] = tab["n_flags"]
        cols[f"scr_{inst.id}_flagged_by"] = tab["flagged_by"]
        frames.append(pd.DataFrame(cols).set_axis(data.index))
    return pd.concat(frames, axis=1) if frames else pd.DataFrame(index=data.index)


def add_screen_columns(result: Any, data: pd.DataFrame, **screen_options: Any) -> Any:
    """A copy of a :class:`~compassion_scales.scoring.ScoreResult` with screening flag columns.

    The columns of :func:`screen_columns` for each scored instrument are appended to
    ``result.scores`` (``cscore score --screen``).
    """
    import dataclasses

    extra = screen_columns(data, list(result.instruments), **screen_options)
    clash = [c for c in extra.columns if c in result.scores.columns]
    if clash:
        raise AnalysisError(f"The data already have column(s) {', '.join(clash)}, which screening "
                            "would create. Rename or drop them first.")
    return dataclasses.replace(result, scores=pd.concat([result.scores, extra], axis=1))
