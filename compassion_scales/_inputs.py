"""The one input layer: from a table of raw answers to what an analysis needs.

Every analysis verb (``reliability``, ``efa``, ``cfa``, ``invariance``, ``flows``,
``compare``, ``change``, ``trial``, ``retest``) goes through these functions, so that

- answers are matched to items and validated **once per call**, with the same options
  everywhere (``column_map``, ``patterns``, ``on_invalid``, ``prorate``);
- a file holding only some of an instrument's scales works everywhere: scores whose items
  are all absent are skipped and said so, a score with only some of its items present is
  an error naming the missing items;
- long data (one row per person and occasion) are split by occasion and people paired
  across occasions one way, in the library and the CLI alike: identifiers and occasions
  are compared as text (``007`` is not ``7``), numbers written ``1`` and ``1.0`` are equal;
- columns with a role (group, arm, time, person) are checked to exist and not to be items.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._format import column_hint
from compassion_scales.errors import AnalysisError
from compassion_scales.idkeys import (  # file_row_numbers: re-exported for the analyses
    blank_as_missing,
    file_row_numbers,
    no_identifier,
    row_keys,
    shown_ids,
)
from compassion_scales.instrument import Instrument, InstrumentLike, load_instrument

__all__ = [
    "InputOptions",
    "ItemSet",
    "ScoredData",
    "item_set",
    "scored_data",
    "check_role_columns",
    "check_group_labels",
    "require_one_row_per_person",
    "as_key",
    "occasion_rows",
    "pair_people",
    "check_padded_ids",
    "check_padded_people",
]


@dataclass(frozen=True)
class InputOptions:
    """How raw answers become item values; the same options for every verb.

    Attributes
    ----------
    column_map : mapping, optional
        Data column -> item id (``--map``).
    patterns : str, sequence or mapping, optional
        Numbered export columns, e.g. ``"for_self=Q12_{n}"`` (``--pattern``).
    on_invalid : {"error", "missing"}
        Invalid answers stop with a list of every bad cell, or become missing.
    prorate : float, optional
        Override the missing-data rules of sums and means (``--prorate``).
    """

    column_map: Mapping[str, str] | None = None
    patterns: Mapping[str, str] | Sequence[str] | str | None = None
    on_invalid: str = "error"
    prorate: float | None = None

    @classmethod
    def of(cls, column_map: Mapping[str, str] | None = None,
           patterns: Mapping[str, str] | Sequence[str] | str | None = None,
           on_invalid: str = "error", prorate: float | None = None) -> InputOptions:
        if on_invalid not in ("error", "missing"):
            raise AnalysisError(f"on_invalid must be 'error' or 'missing', not {on_invalid!r}.")
        if prorate is not None and not (0 < float(prorate) <= 1):
            raise AnalysisError(f"prorate must be a proportion in (0, 1], not {prorate}.")
        return cls(column_map=dict(column_map) if column_map else None, patterns=patterns,
                   on_invalid=on_invalid, prorate=prorate)

    def scoring_kwargs(self) -> dict[str, Any]:
        return {"column_map": self.column_map, "patterns": self.patterns,
                "on_invalid": self.on_invalid, "prorate": self.prorate}


def _inst(instrument: InstrumentLike) -> Instrument:
    return instrument if isinstance(instrument, Instrument) else load_instrument(instrument)


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    raise AnalysisError("The responses must be a table (a pandas DataFrame with one column per "
                        f"item), not {type(data).__name__}. Read a file with "
                        "compassion_scales.read_responses(path).")


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class ItemSet:
    """Validated item values of one instrument for the scores present in the data.

    Built once per analysis call by :func:`item_set`; ``items(score)`` hands out the
    (keyed) item matrix of any score present without validating again.
    """

    instrument: Instrument
    prepared: Any  # scoring.PreparedResponses
    scores: tuple[str, ...]
    skipped: Mapping[str, str] = field(default_factory=dict)

    @property
    def index(self) -> pd.Index:
        return self.prepared.index

    @property
    def column_map(self) -> dict[str, str]:
        return dict(self.prepared.column_map)

    def items(self, score: str | None = None, *, keyed: bool = True) -> pd.DataFrame:
        """Item values of ``score`` (all scored items present when None), reverse-keyed
        as the instrument declares when ``keyed``; fillers excluded; NaN = missing."""
        from compassion_scales.scoring import keyed_item_frame

        return keyed_item_frame(self.prepared, self.instrument, score, keyed=keyed)

    def notes(self) -> list[str]:
        if not self.skipped:
            return []
        return [f"{self.instrument.id}: score(s) " + ", ".join(self.skipped)
                + " skipped: their items are not in the data."]


def _chosen_scores(inst: Instrument, scores: Sequence[str] | None) -> list[str] | None:
    """``scores`` as a list of the instrument's score ids (one text is one score, not its
    letters), or None for every score; an id the instrument lacks is an error."""
    if scores is None:
        return None
    chosen = [scores] if isinstance(scores, str) else list(scores)
    unknown = [s for s in chosen if s not in inst.score_ids]
    if unknown:
        raise AnalysisError(f"Instrument {inst.id!r} has no score(s) " + ", ".join(unknown)
                            + "; its scores are: " + ", ".join(inst.score_ids) + ".")
    return chosen


def item_set(data: pd.DataFrame, instrument: InstrumentLike, *,
             scores: Sequence[str] | None = None, min_items: int = 1,
             options: InputOptions | None = None, reserved: Mapping[str, str | None] | None = None
             ) -> ItemSet:
    """Match and validate the instrument's items once; decide which scores can be analysed.

    Parameters
    ----------
    data : DataFrame
        Raw answers.
    instrument : str or Instrument
    scores : list of str, optional
        Only these scores (each must be present). Default: every item-based score whose
        items are all in the data; scores whose items are all absent are skipped.
    min_items : int
        Scores with fewer items are left out (reliability needs two).
    options : InputOptions, optional
    reserved : mapping, optional
        Role -> column (e.g. ``{"group": "arm"}``): a role column may not be an item.

    Raises
    ------
    AnalysisError
        Unknown score names, a requested score without its items, role columns that are
        items, or no analysable score at all.
    ResponseValidationError
        Invalid answers, unknown or ambiguous columns, a score with only some items.
    """
    from compassion_scales.errors import Reason, ResponseValidationError
    from compassion_scales.scoring import check_options, prepare_responses

    frame = _as_frame(data)
    inst = _inst(instrument)
    opts = options or InputOptions()
    scores = _chosen_scores(inst, scores)
    check_options([inst], column_map=opts.column_map, patterns=opts.patterns)
    prep = prepare_responses(frame, inst, column_map=opts.column_map, patterns=opts.patterns,
                             on_invalid=opts.on_invalid)
    check_role_columns(frame, reserved or {}, item_columns=prep.column_map.values())
    present = set(prep.item_ids)
    wanted = list(scores) if scores is not None else list(inst.score_ids)
    kept: list[str] = []
    skipped: dict[str, str] = {}
    missing_rows: list[dict[str, Any]] = []
    for sid in wanted:
        needed = inst.score_items(sid)
        absent = [i for i in needed if i not in present]
        if len(absent) == len(needed):
            if scores is not None:
                raise AnalysisError(f"Score {sid!r} of {inst.id!r} cannot be analysed: none of its "
                                    f"items ({needed[0]}..{needed[-1]}) are in the data. Check the "
                                    "column names, or map them with --map/--pattern.")
            skipped[sid] = "none of its items are in the data"
            continue
        if absent:
            for i in absent:
                missing_rows.append(dict(
                    row=1, column=None, item=i, value=None, reason=Reason.MISSING_ITEM.value,
                    message=f"row 1: no column for item {i} (needed by score {sid}); add the column "
                            "(empty if unanswered) or map it with --map/--pattern"))
            continue
        if len(needed) < min_items:
            continue
        kept.append(sid)
    if missing_rows:
        fails = pd.DataFrame(missing_rows).drop_duplicates(subset=["item"]).reset_index(drop=True)
        for c in ("row", "column", "item", "value", "reason", "message"):
            if c not in fails.columns:
                fails[c] = None
        raise ResponseValidationError(
            f"{inst.id}: {len(fails)} item column(s) missing for scores that have some items in "
            "the data.", failure_cases=fails[["row", "column", "item", "value", "reason", "message"]],
            source=frame.attrs.get("source"))
    if not kept:
        if not present:
            raise AnalysisError(
                f"None of the items of {inst.id!r} are in the data (items are named like "
                f"{inst.item_ids[0]}). Check the column names, or map them with --map or --pattern.")
        raise AnalysisError(f"Instrument {inst.id!r}: no score with {min_items} or more items is "
                            "complete in the data.")
    return ItemSet(instrument=inst, prepared=prep, scores=tuple(kept), skipped=skipped)


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class ScoredData:
    """A table holding score columns, with where they came from.

    Attributes
    ----------
    frame : DataFrame
        The input's non-item columns and the score columns, one row per input row.
    instrument : Instrument or None
    scores : list of str
        Score columns available (in the instrument's order).
    how : str
        ``"scored from item responses ..."``, ``"score columns already in the data"`` or
        ``"columns given by the user"``.
    skipped : dict
        Score -> why it was not computed (its items are absent).
    """

    frame: pd.DataFrame
    instrument: Instrument | None
    scores: list[str]
    how: str
    skipped: Mapping[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        if not self.skipped or self.instrument is None:
            return []
        return [f"{self.instrument.id}: score(s) " + ", ".join(self.skipped)
                + " skipped: their items are not in the data."]


def _has_items(data: pd.DataFrame, inst: Instrument, options: InputOptions) -> bool:
    cols = {str(c) for c in data.columns}
    if any(i in cols for i in inst.item_ids):
        return True
    if options.column_map and any(v in inst.item_ids and k in cols
                                  for k, v in options.column_map.items()):
        return True
    return bool(options.patterns)


def _warn_prorate_unused(opts: InputOptions, inst: Instrument) -> None:
    """``prorate`` changes how items become scores: with score columns taken as they are it
    cannot apply, which is said rather than ignored without a word."""
    if opts.prorate is not None:
        warnings.warn(f"prorate={opts.prorate:g} (--prorate) not applied: the {inst.id} scores were "
                      "taken from score columns already in the data, not computed from items.",
                      RuntimeWarning, stacklevel=4)


def scored_data(data: pd.DataFrame, instrument: InstrumentLike | None,
                wanted: Sequence[str] | None = None, *, id_cols: Sequence[str] = (),
                options: InputOptions | None = None,
                reserved: Mapping[str, str | None] | None = None) -> ScoredData:
    """Score columns for an analysis: computed from items, or taken from the data.

    Already-scored data (every wanted score is a column and no item is present) are used
    as they are; raw answers are scored once with :func:`compassion_scales.score`
    (with ``options``). Without an instrument, ``wanted`` names the columns.
    """
    frame = _as_frame(data)
    opts = options or InputOptions()
    if isinstance(wanted, str):  # one score named as text, not its letters
        wanted = [wanted]
    if instrument is None:
        if not wanted:
            raise AnalysisError("Name the score columns to analyse (scores=[...], --score) or "
                                "give an instrument (-i).")
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise AnalysisError("Column(s) not in the data: " + ", ".join(map(str, missing))
                                + ". Check the spelling against the file's header."
                                + column_hint(frame.columns, missing[0]))
        check_role_columns(frame, reserved or {})
        frame = numeric_columns(frame, list(wanted), what="score column")
        return ScoredData(frame, None, list(wanted), "columns given by the user")
    inst = _inst(instrument)
    ids = list(wanted) if wanted else list(inst.score_ids)
    unknown = [s for s in ids if s not in inst.score_ids]
    if unknown:
        raise AnalysisError(f"Instrument {inst.id!r} has no score(s) " + ", ".join(unknown)
                            + "; its scores are: " + ", ".join(inst.score_ids) + ".")
    has_items = _has_items(frame, inst, opts)
    present = [s for s in ids if s in frame.columns]
    if present and len(present) == len(ids):
        check_role_columns(frame, reserved or {})
        frame = numeric_columns(frame, present, what="score column")
        check_score_range(frame, inst, present)
        _warn_prorate_unused(opts, inst)
        return ScoredData(frame, inst, present, "score columns already in the data")
    if present and not has_items:
        if wanted and len(present) < len(ids):
            missing = [s for s in ids if s not in present]
            raise AnalysisError("Score column(s) " + ", ".join(missing) + " are not in the data, and "
                                f"the data hold no item of {inst.id!r} to compute them from.")
        check_role_columns(frame, reserved or {})
        frame = numeric_columns(frame, present, what="score column")
        check_score_range(frame, inst, present)
        _warn_prorate_unused(opts, inst)
        return ScoredData(frame, inst, present, "score columns already in the data")
    from compassion_scales.scoring import score

    res = score(frame, inst, id=list(id_cols) or None, keep="all", **opts.scoring_kwargs())
    check_role_columns(frame, reserved or {}, item_columns=res.column_map.values())
    got = [s for s in ids if s in res.scores.columns]
    not_scored = {k.split(":", 1)[1]: v for k, v in res.not_scored.items()}
    if wanted:
        lost = [s for s in ids if s not in got]
        if lost:
            raise AnalysisError(f"Score(s) {', '.join(lost)} of {inst.id!r} could not be computed: "
                                + "; ".join(f"{s}: {not_scored.get(s, 'items not in the data')}"
                                            for s in lost) + ".")
    if not got:
        raise AnalysisError(f"None of the scores of {inst.id!r} could be computed from the data.")
    skipped = {s: not_scored[s] for s in ids if s in not_scored}
    return ScoredData(res.scores, inst, got, f"scored from item responses with instrument {inst.id!r}",
                      skipped)


# --------------------------------------------------------------------------- dates

_DATE_FORMATS = (("%d/%m/%Y", "day/month/year"), ("%m/%d/%Y", "month/day/year"),
                 ("%d.%m.%Y", "day.month.year"), ("%d-%m-%Y", "day-month-year"))


def parse_dates(data: pd.DataFrame, column: str) -> pd.Series:
    """A date column as datetimes, read the one way its text allows, or one clear error.

    Dates already stored as dates (Excel, SPSS, Stata, Parquet) are used as they are. Text
    is read as ISO 8601 (``2026-01-05``, with or without a time); failing that, as
    day/month/year or month/day/year (``/``, ``.`` or ``-``) when exactly one of them reads
    every cell. Text both orders read (every day 12 or less), text no format reads, and
    impossible dates are refused, naming the file, row and column: a wrong order would
    silently change every interval. Empty cells are missing.

    Examples
    --------
    >>> df = pd.DataFrame({"d": ["2026-01-05", "2026-01-19", None]})
    >>> parse_dates(df, "d").dt.day.tolist()
    [5.0, 19.0, nan]
    """
    s = data[column]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    text = s.astype("string").str.strip()
    text = text.where(text != "")
    filled = text.notna().to_numpy()
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if not (iso.isna().to_numpy() & filled).any():
        return iso
    fits = [(pd.to_datetime(text, format=f, errors="coerce"), name) for f, name in _DATE_FORMATS]
    full = [(d, name) for d, name in fits if not (d.isna().to_numpy() & filled).any()]
    source = data.attrs.get("source")
    where = f"{source}: " if source else ""
    if len(full) == 1:
        return full[0][0]
    rows = file_row_numbers(data)
    if len(full) > 1:
        raise AnalysisError(f"{where}column {column}: dates such as {text[filled].iloc[0]!r} read as "
                            f"{full[0][1]} or {full[1][1]}, and no day is above 12 to tell which; "
                            "write them as year-month-day (2026-01-05).")
    best = min(fits + [(iso, "ISO")], key=lambda f: int((f[0].isna().to_numpy() & filled).sum()))[0]
    pos = int(np.flatnonzero(best.isna().to_numpy() & filled)[0])
    raise AnalysisError(f"{where}row {int(rows[pos])}, column {column}: {text.iloc[pos]!r} is not a "
                        "date; write dates as year-month-day (2026-01-05) or leave the cell empty.")


# --------------------------------------------------------------------------- numbers


def check_score_range(data: pd.DataFrame, inst: Instrument, scores: Sequence[str]) -> None:
    """Score columns taken from the data must lie within the instrument's possible range.

    A total of 999 on a 0-60 scale (a typo, or a missing-value code such as 999 or -9 that was
    not removed) is never analysed as a score: the first cells are listed with the file's
    row numbers.

    Raises
    ------
    AnalysisError
    """
    lines: list[str] = []
    n_bad = 0
    for sid in scores:
        lo, hi = inst.score_range(sid)
        x = data[sid].to_numpy(dtype=float, na_value=np.nan)
        tol = 1e-9 * max(1.0, abs(lo), abs(hi))
        bad = (x < lo - tol) | (x > hi + tol)
        if bad.any():
            n_bad += _list_cells(lines, data, sid, bad, x, "{value:g} is outside the possible "
                                 f"range of {sid} ({lo:g}-{hi:g})")
    if n_bad:
        more = f" (and {n_bad - len(lines)} more)" if n_bad > len(lines) else ""
        raise AnalysisError("\n".join(lines) + f"\n{n_bad} score value(s) outside the possible range"
                            f"{more}; correct them, or leave missing-value codes (such as 999 or "
                            "-9) empty.")



def _list_cells(lines: list[str], data: pd.DataFrame, column: str, bad: np.ndarray,
                values: Sequence[Any], message: str) -> int:
    """Add ``FILE: row R, column C: <message>`` for the first bad cells (five lines in all,
    with the file's row numbers; ``{value}`` in ``message`` is the cell) to ``lines``;
    return how many cells are bad."""
    source = data.attrs.get("source")
    rows = file_row_numbers(data)
    for pos in np.flatnonzero(bad)[: max(0, 5 - len(lines))]:
        lines.append(f"{source + ': ' if source else ''}row {int(rows[pos])}, column {column}: "
                     + message.format(value=values[pos]))
    return int(bad.sum())


def require_numeric(data: pd.DataFrame, columns: Sequence[str], *, what: str = "column") -> None:
    """Columns taken as numbers (no instrument to convert them) must hold numbers.

    Text that is not a number (``x``, ``NULL``, ``n/a``) is never turned into a missing value
    silently: the first cells are listed with the file's row numbers. Empty cells are missing.

    Raises
    ------
    AnalysisError
    """
    source = data.attrs.get("source")
    lines: list[str] = []
    n_bad = 0
    for col in columns:
        if col not in data.columns:
            continue
        s = data[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            raise AnalysisError(f"{source + ': ' if source else ''}column {col}: holds true/false "
                                f"values, not numbers; a {what} must be numeric.")
        if pd.api.types.is_numeric_dtype(s.dtype):
            continue
        text = s.astype("string").str.strip()
        conv = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = (conv.isna() & text.notna() & (text != "")).to_numpy()
        if bad.any():
            n_bad += _list_cells(lines, data, col, bad, text.to_numpy(dtype=object),
                                 "{value!r} is not a number")
    if n_bad:
        more = f" (and {n_bad - len(lines)} more)" if n_bad > len(lines) else ""
        if any(re.search(r": '(NA|NaN|nan|NULL|null|None|<NA>|#N/A|N/A|\.)' is not", ln) for ln in lines):
            more += (" -- if these mark missing values, leave the cells empty instead (R: "
                     'write.csv(..., na = ""); SPSS/Stata exports leave them empty)')
        raise AnalysisError("\n".join(lines) + f"\n{n_bad} text cell(s) in {what}s, which must hold "
                            f"numbers{more}; recode them, leave them empty for missing, or score the answers "
                            "with an instrument (-i).")


def numeric_columns(data: pd.DataFrame, columns: Sequence[str] | None = None, *,
                    what: str = "column") -> pd.DataFrame:
    """``data`` with ``columns`` as numbers: text holding numbers (as :func:`read_responses`
    returns every column) is converted; any other text is an error (:func:`require_numeric`).

    Empty cells become missing. Other columns are untouched; ``attrs`` are kept.
    """
    cols = [c for c in (columns if columns is not None else data.columns) if c in data.columns]
    require_numeric(data, cols, what=what)
    todo = [c for c in cols if not pd.api.types.is_numeric_dtype(data[c].dtype)]
    if not todo:
        return data
    out = data.copy()
    for c in todo:
        text = out[c].astype("string").str.strip()
        out[c] = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    out.attrs = dict(data.attrs)
    return out


# --------------------------------------------------------------------------- roles


def check_role_columns(data: pd.DataFrame, roles: Mapping[str, str | None], *,
                       item_columns: Any = ()) -> None:
    """Every named role column exists and is not an item column.

    ``roles`` maps an option name as the user typed it (``"--group"``) to a column.
    """
    items = {str(c) for c in item_columns}
    cols = [str(c) for c in data.columns]
    for role, col in roles.items():
        if col is None:
            continue
        if col not in cols:
            shown = ", ".join(cols[:15]) + (", ..." if len(cols) > 15 else "")
            raise AnalysisError(f"The {role} column {col!r} is not in the data; columns are: "
                                f"{shown}." + column_hint(cols, col))
        if cols.count(col) > 1:  # data[col] would be a table: refused here, not as an AttributeError
            raise AnalysisError(f"The {role} column {col!r} appears {cols.count(col)} times in the "
                                "data; keep one column of that name.")
        if col in items:
            raise AnalysisError(f"The {role} column {col!r} is an item of the instrument, not a "
                                f"{role.lstrip('-')} column; name the column that holds the "
                                f"{role.lstrip('-')}.")
        if role.lstrip("-") in ("group", "arm"):
            check_group_labels(data, col)


def check_group_labels(data: pd.DataFrame, column: str) -> None:
    """Refuse group labels that differ only by capitals or surrounding spaces (``CFT`` and
    ``cft ``): they would be analysed as separate groups that look alike in every table."""
    values = data[column]
    if pd.api.types.is_numeric_dtype(values.dtype) or isinstance(values.dtype, pd.CategoricalDtype):
        return
    _check_group_types(data, column)
    text = pd.Series(values.to_numpy(dtype=object)).dropna().astype(str)  # index = position
    firsts = text[~text.duplicated()]
    folded = firsts.str.strip().str.casefold()
    clash = folded[folded.duplicated(keep=False)]
    if clash.empty:
        return
    same = firsts[folded == clash.iloc[0]]
    source = data.attrs.get("source")
    rows = file_row_numbers(data)
    pos = {label: int(rows[i]) for i, label in same.items()}
    shown = " and ".join(f"{label!r} (row {row})" for label, row in pos.items())
    raise AnalysisError(f"{source + ': ' if source else ''}column {column}: the groups {shown} "
                        "differ only by capitals or spaces, so they would be analysed as "
                        "separate groups; write each group the same way in every row.")


def _check_group_types(data: pd.DataFrame, column: str) -> None:
    """Refuse groups that read the same but are stored as a number and as text (``1`` and
    ``"1"`` in one object column, from appending two exports): some analyses compared them as
    two groups and others as one."""
    raw = pd.Series(pd.unique(data[column].dropna().to_numpy(dtype=object)), dtype=object)
    keys = as_key(raw.astype(str))
    same = keys.duplicated(keep=False).to_numpy()
    if not same.any():
        return
    pair = raw[same & (keys == keys[same].iloc[0]).to_numpy()]
    shown = " and ".join(f"{v!r} ({'text' if isinstance(v, str) else 'a number'})" for v in pair)
    source = data.attrs.get("source")
    raise AnalysisError(f"{source + ': ' if source else ''}column {column}: the groups {shown} read the "
                        "same but are stored differently, so they would be analysed as separate groups "
                        "in some tables and as one in others; write each group the same way in every row.")


_TIME_NAMES = re.compile(r"^(time|t|wave|session|visit|occasion|timepoint|time_point|phase|"
                         r"assessment|week|month|pre_?post|round)\d*$", re.IGNORECASE)


def _time_candidates(data: pd.DataFrame, id_cols: Sequence[str]) -> list[str]:
    out = []
    for c in data.columns:
        if c in id_cols:
            continue
        if _TIME_NAMES.match(str(c)):
            out.append(str(c))
    return out


def require_one_row_per_person(data: pd.DataFrame, id_cols: Sequence[str] | str | None, *,
                               source: str | None = None) -> None:
    """One row per person: otherwise one message naming ``--time`` (never one line per row)."""
    ids = [id_cols] if isinstance(id_cols, str) else list(id_cols or [])
    if not ids:
        return
    missing = [c for c in ids if c not in data.columns]
    if missing:
        raise AnalysisError(f"The identifier column {missing[0]!r} is not in the data; columns are: "
                            + ", ".join(map(str, data.columns[:15])) + "."
                            + column_hint(data.columns, missing[0]))
    # as everywhere (idkeys.row_keys): an identifier of several columns may be partly empty
    dup = data.duplicated(subset=ids, keep=False) & ~no_identifier(data[ids])
    if not dup.any():
        return
    n_people = int(data.loc[dup, ids].drop_duplicates().shape[0])
    per = int(data.loc[dup].groupby(ids, dropna=False).size().max())
    cands = _time_candidates(data, ids)
    hint = (f"name the time column with --time (e.g. --time {cands[0]})" if cands
            else "name the column that tells the occasions apart with --time")
    where = f"{source}: " if source else ""
    raise AnalysisError(
        f"{where}{n_people} {'person has' if n_people == 1 else 'people have'} more than one row "
        f"(up to {per}) with the same "
        f"{' / '.join(ids)}: the data look long (one row per person and occasion). This analysis "
        f"needs one row per person: {hint}, or keep one row per person.")


# --------------------------------------------------------------------------- occasions


def check_unique_ids(data: pd.DataFrame, id_cols: Sequence[str], *, where: str = "") -> None:
    """Identifiers present and unique, or one error naming file, rows and column.

    Raises
    ------
    AnalysisError
        ``FILE: row 7, column pid: identifier P002 already used in row 5`` (first five),
        then what to do.
    """
    ids = list(id_cols)
    source = data.attrs.get("source")
    prefix = f"{source}: " if source else ""
    rows = file_row_numbers(data)
    cols = ", ".join(ids)
    keys = blank_as_missing(data[ids].astype("string"))  # a cell of only spaces is empty
    empty = no_identifier(keys)  # several columns: partly empty is an identifier (row_keys)
    if empty.any():
        pos = np.flatnonzero(empty)
        lines = [f"{prefix}row {int(rows[p])}, column {cols}: the identifier is empty" for p in pos[:5]]
        raise AnalysisError("\n".join(lines) + f"\n{len(pos)} row(s){' of the ' + where + ' data' if where else ''}"
                            " have no identifier; every row needs one to pair the occasions.")
    joined = row_keys(keys)
    dup = joined.duplicated(keep="first").to_numpy()
    if dup.any():
        # position of each key's first row, without a loop over people
        first = pd.Series(np.arange(len(joined)), index=joined.to_numpy()).groupby(level=0).first()
        pos = np.flatnonzero(dup)
        shown = shown_ids(keys)
        lines = [f"{prefix}row {int(rows[p])}, column {cols}: identifier {shown.iloc[p]} already "
                 f"used in row {int(rows[first[joined.iloc[p]]])}" for p in pos[:5]]
        raise AnalysisError("\n".join(lines) + f"\n{len(pos)} repeated identifier(s)"
                            f"{' in the ' + where + ' data' if where else ''}; keep one row per "
                            "person and occasion.")


class RowNumbers(tuple):  # type: ignore[type-arg]
    """Row numbers in the file (immutable), kept in a frame's ``attrs``.

    A tuple, not an array: pandas compares attrs with ``==`` when it combines frames. pandas
    also deep-copies a frame's attrs into every frame or column derived from it; a deep copy
    of a plain tuple of n numbers walks all n (60 ms per column access at 100,000 rows), so
    this immutable tuple is shared instead of copied.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> RowNumbers:
        return self


def subset_rows(data: pd.DataFrame, mask: Any) -> pd.DataFrame:
    """``data[mask]`` that remembers each row's number in the file, for messages."""
    mask = np.asarray(mask, dtype=bool)
    numbers = file_row_numbers(data)[mask]
    out = data.loc[mask]
    out.attrs = {**data.attrs, "row_numbers": RowNumbers(numbers.tolist())}
    return out


def as_key(values: pd.Series | Sequence[Any] | Any) -> pd.Series:
    """Identifiers or occasions as comparable text.

    Text is stripped; numbers are written without a trailing ``.0`` (``1``, ``1.0`` and
    ``"1"`` are the same key); leading zeros in text are kept (``"007"`` is not ``7``).
    Missing values stay missing.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(
        list(values) if isinstance(values, (list, tuple, np.ndarray, pd.Index)) else [values])
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("string")
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = s.astype("float64")
        out = pd.Series(pd.NA, index=s.index, dtype="string")
        ok = num.notna().to_numpy()
        whole = ok & (np.mod(num.to_numpy(), 1) == 0) & (np.abs(num.to_numpy()) < 2**53)
        out[whole] = num[whole].astype("int64").astype(str).to_numpy()
        frac = ok & ~whole
        out[frac] = num[frac].map(repr).to_numpy()
        return out
    text = s.astype("string").str.strip()
    # numbers written as text: "1.0" == "1"; text with leading zeros stays text. Only decimals
    # are rewritten ("1.0" -> "1", "2.50" -> "2.5"); whole numbers written as text stay as
    # they are, so long ids keep every digit. Only those cells are parsed (parsing every id
    # took 0.3 s per 100,000 rows).
    plain = text.str.fullmatch(r"[+-]?(0|[1-9]\d{0,14})\.\d+").fillna(False).to_numpy(dtype=bool)
    if plain.any():
        parsed = pd.to_numeric(text[plain], errors="coerce")
        ok = parsed.notna().to_numpy()
        if ok.any():
            text = text.copy()
            text.iloc[np.flatnonzero(plain)[ok]] = as_key(parsed[ok].astype("float64")).to_numpy()
    return text.where(text != "", pd.NA)


def occasion_rows(data: pd.DataFrame, time: str, occasion: Any, *, role: str = "--from") -> pd.DataFrame:
    """The rows of long data at one occasion (matched as text, see :func:`as_key`)."""
    if time not in data.columns:
        raise AnalysisError(f"The time column {time!r} is not in the data; columns are: "
                            + ", ".join(map(str, data.columns[:15])) + "." + column_hint(data.columns, time))
    keys = as_key(data[time])
    want = as_key(pd.Series([occasion])).iloc[0]
    mask = (keys == want).fillna(False).to_numpy()
    if not mask.any():
        levels = [str(v) for v in pd.unique(keys.dropna())][:20]
        raise AnalysisError(f"No rows have {time} = {occasion!r} ({role}); the values of {time!r} "
                            f"are: {', '.join(levels)}.")
    return subset_rows(data, mask)


def pair_people(pre: pd.DataFrame, post: pd.DataFrame, id_col: str) -> tuple[np.ndarray, np.ndarray,
                                                                           list[str], list[str]]:
    """Pair the rows of two occasions on one identifier compared as text.

    Returns (positions in ``pre``, positions in ``post``, ids only in pre, ids only in post),
    pairs in the order of ``pre``.
    """
    for name, frame in (("first", pre), ("second", post)):
        if id_col not in frame.columns:
            raise AnalysisError(f"The identifier column {id_col!r} is not in the {name} occasion's "
                                "data.")
    a = as_key(pre[id_col]).reset_index(drop=True)
    b = as_key(post[id_col]).reset_index(drop=True)
    for name, k in (("first", a), ("second", b)):
        d = k[k.duplicated(keep=False) & k.notna()]
        if len(d):
            raise AnalysisError(f"Identifier {id_col!r} repeats within the {name} occasion "
                                f"(e.g. {d.iloc[0]!r}); each person needs one row per occasion.")
    pos_b = pd.Series(np.arange(len(b)), index=b.fillna("\x00missing").to_numpy())
    keys_a = a.fillna("\x00missing").to_numpy()
    hit = np.isin(keys_a, pos_b.index) & a.notna().to_numpy()
    ia = np.flatnonzero(hit)
    ib = pos_b.loc[keys_a[hit]].to_numpy() if hit.any() else np.array([], dtype=int)
    only_a = [str(x) for x in a[~hit & a.notna().to_numpy()]]
    matched_b = np.zeros(len(b), dtype=bool)
    matched_b[ib] = True
    only_b = [str(x) for x in b[~matched_b & b.notna().to_numpy()]]
    check_padded_ids(only_a, only_b, id_col)
    return ia, np.asarray(ib, dtype=int), only_a, only_b


def check_padded_people(data: pd.DataFrame, id: str, rows: np.ndarray, *, where: str = "",
                        noun: str = "person", plural: str = "people",
                        consequence: str = "one person's occasions would be analysed as two people"
                        ) -> None:
    """Refuse ids in one long table that differ only by leading zeros (``001`` and ``1``), as
    :func:`check_padded_ids` does between two occasions: rows merged from a file that stored
    the ids as numbers would split one person's occasions into two people, each analysed on
    their own with exit 0. ``rows``: each row's number in its file.

    Examples
    --------
    >>> data = pd.DataFrame({"pid": ["007", "007", "7"], "time": ["pre", "post", "post"]})
    >>> check_padded_people(data, "pid", np.array([2, 3, 4]))
    Traceback (most recent call last):
    ...
    compassion_scales.errors.AnalysisError: column pid: the person ids '007' (row 2) and '7' (row 4) ...
    """
    keys = as_key(data[id])
    spellings = pd.Series(pd.unique(keys.dropna()), dtype="string")
    bare = spellings.str.replace(r"^0+(?=\d)", "", regex=True)
    clash = bare.duplicated(keep=False).to_numpy()
    if not clash.any():
        return
    first = bare[clash].iloc[0]
    shown = [str(k) for k in spellings[clash & (bare == first).to_numpy()]]
    at = [int(rows[np.flatnonzero((keys == k).fillna(False).to_numpy())[0]]) for k in shown]
    n = int(bare[clash].nunique())
    spelt = " and ".join(f"{k!r} (row {r})" for k, r in zip(shown, at, strict=True))
    raise AnalysisError(
        f"{where}column {id}: the {noun} ids {spelt} differ only by leading zeros ({n} "
        f"{noun if n == 1 else plural} written so), so {consequence}: part of the file probably "
        f"stores the ids as numbers (Excel drops leading zeros). Write each {noun}'s id the same "
        "way in every row.")


def check_padded_ids(only_first: Sequence[str], only_second: Sequence[str], id_label: str) -> None:
    """Refuse ids that match between two occasions only without their leading zeros (``007``
    and ``7``): one file probably stored the ids as numbers, and pairing as text (``007`` is
    not ``7``) would leave those people out of the analysis with exit 0 (it was a warning:
    a third of a sample could go unpaired while the numbers looked fine).

    The keys are :func:`as_key` text; parts of a joined key are separated by ``\\x1f``.
    """
    def unpad(key: str) -> str:
        return re.sub(r"(^|\x1f)0+(?=\d)", r"\1", key)

    second = {unpad(k): k for k in only_second}
    pairs = [(k, second[unpad(k)]) for k in only_first if unpad(k) in second]
    if not pairs:
        return
    first, other = (p.replace("\x1f", "/") for p in pairs[0])
    n = len(pairs)
    raise AnalysisError(
        f"{n} {id_label} value{'s differ' if n != 1 else ' differs'} between the two occasions only "
        f"by leading zeros (e.g. {first!r} before and {other!r} after), so "
        f"{'those people' if n != 1 else 'that person'} cannot be paired: one file probably stores "
        "the ids as numbers (Excel drops leading zeros). Write the ids the same way in both files.")
