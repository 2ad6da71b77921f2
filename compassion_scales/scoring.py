"""Scoring responses with an instrument definition.

The pipeline, all vectorised over respondents (no Python loops over rows):

1. **Match columns to items**: an explicit map (``column_map``), patterns for numbered
   exports (``patterns``, e.g. ``{"fcs_self": "Q12_{n}"}``), then item ids (exact, then
   case and surrounding spaces ignored) and declared aliases.
2. **Convert answers**: text labels and synonyms become codes (case- and space-insensitive),
   declared missing codes and blanks become missing, and every other bad cell (out of
   range, not a number, unknown label, not a whole number) is collected. By default any bad
   cell is an error listing all of them; ``on_invalid="missing"`` turns them into missing
   values and reports where.
3. **Recode and reverse**: options may recode codes into scored values (e.g. CBI's 0-100);
   reverse-keyed items are scored as ``min + max - value`` on the scored range. Filler
   items never count.
4. **Aggregate** per score (``sum``, ``mean``, ``mean_of_scores``, ``sum_of_scores``) with
   the score's missing-data rule: below the minimum number answered the score is missing;
   a sum is prorated (``mean of answered items x number of items``) only when the instrument
   declares it (or ``prorate=`` asks for it). A respondent with no answers gets a missing
   score, never 0.

Every input row comes out once, in order, with its identifier columns; a per-row,
per-score ledger records items answered, the rule applied and the outcome.

Steps 2-4 have two implementations of one contract: the numpy code here, column by column
(the reference, and what every call below 1.5e8 rows x items uses, so that small data never
import numba), and a compiled single pass for big data,
:mod:`compassion_scales.stats.score_kernel`, which gives the same results bit for bit and
leaves to the numpy code whatever it does not take as it is (invalid cells among them).
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._format import column_hint
from compassion_scales.arrow_text import is_plain_text, null_mask, text_bytes, text_offsets
from compassion_scales.errors import (
    Reason,
    ResponseValidationError,
    ScoringError,
    UnverifiedKeyWarning,
)
from compassion_scales.idkeys import (
    blank_as_missing,
    file_row_numbers,
    no_identifier,
    row_keys,
    shown_ids,
    surely_unique,
)
from compassion_scales.instrument import (
    Instrument,
    InstrumentLike,
    Item,
    MissingRule,
    Score,
    load_instrument,
    normalise_label,
)
from compassion_scales.results import ResultMixin
from compassion_scales.stats.descriptives import column_descriptives

__all__ = [
    "score",
    "ScoreResult",
    "PreparedResponses",
    "prepare_responses",
    "item_scores",
    "keyed_item_frame",
    "detect_instruments",
    "check_examples",
    "check_options",
    "STATUS_CODES",
]

#: Outcome of a score for one respondent (the ``status`` column of the ledger).
STATUS_CODES = ("complete", "prorated", "mean_of_answered", "too_few_answered", "no_answers")
_COMPLETE, _PRORATED, _MEAN_ANSWERED, _TOO_FEW, _NONE = range(5)
_STATUS_DTYPE = pd.CategoricalDtype(list(STATUS_CODES))

_FAIL_COLUMNS = ["row", "column", "item", "value", "reason", "message"]


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# --------------------------------------------------------------------------- columns


def _parse_patterns(patterns: Mapping[str, str] | Sequence[str] | str | None
                    ) -> list[tuple[str | None, str]]:
    if patterns is None:
        return []
    if isinstance(patterns, str):
        patterns = [patterns]
    if isinstance(patterns, Mapping):
        return [(k, v) for k, v in patterns.items()]
    out: list[tuple[str | None, str]] = []
    for p in patterns:
        if "=" in p:
            target, tmpl = p.split("=", 1)
            out.append((target.strip(), tmpl.strip()))
        else:
            out.append((None, p.strip()))
    return out


_PLACEHOLDER = re.compile(r"\{n(?P<off>[+-]\d+)?(?::(?P<spec>[^{}]*))?\}")


def _pattern_renderer(tmpl: str) -> Any:
    """A function item number -> column name for a ``--pattern`` template.

    ``{n}`` is the item number printed on the form, ``{n:02d}`` zero-pads it (any Python
    format spec), ``{n+15}`` / ``{n-2}`` offsets it (exports that number on from an
    earlier block). Non-numeric item numbers are only used with a plain ``{n}``.
    """
    found = list(_PLACEHOLDER.finditer(tmpl))
    if not found:
        raise ScoringError(f"Pattern {tmpl!r} must contain {{n}} (the item number), e.g. Q12_{{n}} "
                           "or Q{n:02d}.")
    leftover = _PLACEHOLDER.sub("", tmpl)
    if "{" in leftover or "}" in leftover:
        raise ScoringError(f"Pattern {tmpl!r}: use {{n}}, {{n:02d}} or {{n+K}} for the item number; "
                           "other braces are not understood.")

    def render(number: str) -> str | None:
        def one(m: re.Match[str]) -> str:
            off, spec = m.group("off"), m.group("spec")
            if not off and not spec:
                return number
            try:
                n = int(number) + (int(off) if off else 0)
                return format(n, spec or "")
            except (ValueError, TypeError):
                raise _NoNumber() from None

        try:
            return _PLACEHOLDER.sub(one, tmpl)
        except _NoNumber:
            return None

    return render


class _NoNumber(Exception):
    pass


def check_options(instruments: Sequence[Instrument], *,
                  column_map: Mapping[str, str] | None = None,
                  patterns: Mapping[str, str] | Sequence[str] | str | None = None) -> None:
    """Every ``--map`` target is an item and every ``--pattern`` section/score exists.

    Raises
    ------
    ScoringError
        Naming the unknown item, section or score and what is available.
    """
    names = ", ".join(i.id for i in instruments)
    items = {i for inst in instruments for i in inst.item_ids}
    targets: dict[str, str] = {}
    for src, item in (column_map or {}).items():
        if item not in items:
            raise ScoringError(f"--map: column {src!r} is mapped to {item!r}, which is not an item of "
                               f"{names} (items are named like {instruments[0].item_ids[0]}; see "
                               "'cscore instruments show ID').")
        if item in targets:
            raise ScoringError(f"--map: columns {targets[item]!r} and {src!r} are both mapped to item "
                               f"{item!r}; map one column to each item.")
        targets[item] = src
    known: set[str] = set()
    for inst in instruments:
        known |= {i.section for i in inst.items if i.section} | set(inst.score_ids)
    for target, tmpl in _parse_patterns(patterns):
        _pattern_renderer(tmpl)
        if target is not None and target not in known:
            raise ScoringError(f"--pattern {target}={tmpl}: {names} has no section or score "
                               f"{target!r}; use one of: {', '.join(sorted(known))}.")


def _resolve_columns(columns: Sequence[str], inst: Instrument,
                     column_map: Mapping[str, str] | None,
                     patterns: Mapping[str, str] | Sequence[str] | str | None,
                     source: str | None) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Return item id -> data column, and failure records for unknown/ambiguous columns.

    Four steps, each adding to the mapping the earlier ones left open: the explicit map,
    the patterns, item ids (ignoring case and surrounding spaces) and aliases; then columns that look like
    items of this instrument but are none are reported.
    """
    cols = list(columns)
    fails: list[dict[str, Any]] = []
    mapping: dict[str, str] = {}
    _map_explicitly(cols, inst, column_map, mapping, fails)
    _map_by_pattern(cols, inst, patterns, mapping, fails)
    _map_by_name(cols, inst, mapping, fails)
    _flag_lookalikes(cols, inst, mapping, fails)
    return mapping, fails


def _map_explicitly(cols: Sequence[str], inst: Instrument, column_map: Mapping[str, str] | None,
                    mapping: dict[str, str], fails: list[dict[str, Any]]) -> None:
    """Step 1, the explicit map: source column -> item id."""
    colset = set(cols)
    item_ids = set(inst.item_ids)
    targets: dict[str, str] = {}
    for src, item in (column_map or {}).items():
        if item not in item_ids:
            continue  # maps for other instruments are allowed (unknown targets: check_options)
        if item in targets:
            fails.append(dict(row=1, column=f"{targets[item]}, {src}", item=item, value=None,
                              reason=Reason.AMBIGUOUS_COLUMN.value,
                              message=f"row 1, columns {targets[item]} and {src}: the --map file sends "
                                      f"both to item {item}; map one column to each item"))
            continue
        targets[item] = src
        if src not in colset:
            fails.append(dict(row=1, column=src, item=item, value=None, reason=Reason.UNKNOWN_COLUMN.value,
                              message=f"row 1, column {src}: the --map file names this column but the "
                                      "data have no such column"))
            continue
        mapping[item] = src


def _pattern_members(inst: Instrument, target: str | None) -> list[Item] | None:
    """The items a pattern applies to (``None``: the target belongs to another instrument)."""
    if target is None:
        return list(inst.items)
    sec_items = [i for i in inst.items if i.section == target]
    if sec_items:
        return sec_items
    if target in inst.score_ids:
        members = [inst.item(i) for i in inst.score_items(target)]
        # fillers printed in the same block
        sections = {m.section for m in members if m.section}
        return [i for i in inst.items if i.section in sections] or members
    return None  # a pattern for another instrument (unknown targets: check_options)


def _map_by_pattern(cols: Sequence[str], inst: Instrument,
                    patterns: Mapping[str, str] | Sequence[str] | str | None,
                    mapping: dict[str, str], fails: list[dict[str, Any]]) -> None:
    """Step 2, patterns, e.g. "Q12_{n}" / "Q12_{n:02d}" / "Q{n+15}" for one score/section."""
    colset = set(cols)
    for target, tmpl in _parse_patterns(patterns):
        render = _pattern_renderer(tmpl)
        members = _pattern_members(inst, target)
        if members is None:
            continue
        numbers = [m.number for m in members]
        if target is None and len(set(numbers)) != len(numbers):
            raise ScoringError(
                f"Pattern {tmpl!r} is ambiguous for {inst.id}: item numbers repeat across its "
                "sections. Name the section or score: --pattern SECTION=" + tmpl)
        for m in members:
            col = render(m.number)
            if col is None or col not in colset or m.id in mapping:
                continue
            if col in mapping.values():
                other = next(k for k, v in mapping.items() if v == col)
                fails.append(dict(row=1, column=col, item=m.id, value=None,
                                  reason=Reason.AMBIGUOUS_COLUMN.value,
                                  message=f"row 1, column {col}: matched to both item {other} and "
                                          f"item {m.id} (by --map/--pattern); name the section "
                                          "of each pattern"))
                continue
            mapping[m.id] = col


def _map_by_name(cols: Sequence[str], inst: Instrument,
                 mapping: dict[str, str], fails: list[dict[str, Any]]) -> None:
    """Step 3, item ids, then ids and aliases ignoring case and surrounding spaces."""
    colset = set(cols)
    lower: dict[str, list[str]] = {}
    for c in cols:
        lower.setdefault(str(c).strip().casefold(), []).append(c)
    used = set(mapping.values())
    for it in inst.items:
        if it.id in mapping:
            continue
        if it.id in colset and it.id not in used:
            mapping[it.id] = it.id
            used.add(it.id)
            continue
        cands = [c for c in lower.get(it.id.casefold(), []) if c not in used]
        for alias in it.aliases:
            cands += [c for c in lower.get(alias.casefold(), []) if c not in used and c not in cands]
        if len(cands) == 1:
            mapping[it.id] = cands[0]
            used.add(cands[0])
        elif len(cands) > 1:
            fails.append(dict(row=1, column=", ".join(cands), item=it.id, value=None,
                              reason=Reason.AMBIGUOUS_COLUMN.value,
                              message=f"row 1, columns {', '.join(cands)}: more than one column "
                                      f"could be item {it.id}; rename one or use --map"))


def _flag_lookalikes(cols: Sequence[str], inst: Instrument,
                     mapping: dict[str, str], fails: list[dict[str, Any]]) -> None:
    """Step 4, columns that look like items of this instrument but are not."""
    stems = {re.sub(r"\d+$", "", i).casefold() for i in inst.item_ids}
    stems = {s for s in stems if len(s) >= 3}
    used = set(mapping.values())
    by_fold = {i.casefold(): i for i in inst.item_ids}
    for it in inst.items:
        for alias in it.aliases:
            by_fold.setdefault(alias.casefold(), it.id)
    for c in cols:
        if c in used:
            continue
        low = str(c).strip().casefold()
        twin = by_fold.get(low)
        if twin is not None and twin in mapping:
            fails.append(dict(row=1, column=f"{mapping[twin]}, {c}", item=twin, value=None,
                              reason=Reason.AMBIGUOUS_COLUMN.value,
                              message=f"row 1, columns {mapping[twin]} and {c}: more than one column "
                                      f"could be item {twin} (names differ only in case or "
                                      "surrounding spaces, or are aliases); rename or drop one, "
                                      "or use --map"))
            continue
        stem = next((s for s in stems if low.startswith(s) and low[len(s):].isdigit()), None)
        if stem is not None:
            fails.append(dict(row=1, column=c, item=None, value=None,
                              reason=Reason.UNKNOWN_COLUMN.value,
                              message=f"row 1, column {c}: looks like an item of {inst.id} but "
                                      f"{inst.id} has no such item (its items are "
                                      f"{_item_range(inst, stem)}); rename it or use --map"))


def _item_range(inst: Instrument, stem: str) -> str:
    ids = [i for i in inst.item_ids if re.sub(r"\d+$", "", i).casefold() == stem]
    return f"{ids[0]}..{ids[-1]}" if len(ids) > 1 else ", ".join(ids)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class PreparedResponses:
    """Validated item values of one instrument, before reversing.

    Attributes
    ----------
    columns : tuple of ndarray
        One read-only array per item present (``values`` stacks them), scored values (after label conversion, missing codes and recoding), NaN = missing,
        columns in ``item_ids`` order.
    item_ids : list of str
        Items present in the data (fillers included).
    column_map : dict
        Item id -> data column it was read from.
    failures : DataFrame
        Invalid cells (turned into missing when ``on_invalid="missing"``), with
        columns ``row``, ``column``, ``item``, ``value``, ``reason``, ``message``.
    missing_items : list of str
        Items of the instrument with no column in the data.
    """

    columns: tuple[np.ndarray, ...]
    item_ids: list[str]
    column_map: dict[str, str]
    failures: pd.DataFrame
    missing_items: list[str]
    index: pd.Index

    @property
    def values(self) -> np.ndarray:
        """All item values as one 2-D array (n_rows x n_items)."""
        if not self.columns:
            return np.empty((len(self.index), 0))
        return np.column_stack(self.columns)

    def frame(self) -> pd.DataFrame:
        """The values as a DataFrame (index as the input, columns = item ids)."""
        return pd.DataFrame(self.values, index=self.index, columns=self.item_ids)


def _short_whole_numbers(chunk: Any, out: np.ndarray | None = None) -> np.ndarray | None:
    """Parse one arrow string chunk of small whole numbers with numpy, reading its buffers.

    Handles the cells survey exports write for Likert answers: one digit (``4``), two
    digits (``12``), one or two digits mixed (a 0-10 scale), or, when every non-empty cell
    has that form, a digit and ``.0`` (``4.0``); empty/null cells are NaN. The characters
    lie back to back in the arrow data buffer, so they are read without Python objects.
    Returns None for anything else (the caller then uses pyarrow's cast). Exact. The values
    go to ``out`` (float64, the chunk's length) when given.
    """
    n = len(chunk)
    offs = text_offsets(chunk)
    if offs is None:
        return None
    lens = np.diff(offs)
    x = np.empty(n) if out is None else out
    x.fill(np.nan)
    filled = lens != 0
    if not filled.any():
        return x
    width = int(lens.max())
    if width > 3:
        return None
    data = text_bytes(chunk, offs)
    if np.count_nonzero(lens == width) == np.count_nonzero(filled):
        values = _same_width_digits(data, width)
    elif width == 2:
        values = _one_or_two_digits(data, (offs[:-1] - offs[0])[filled], lens[filled] == 2)
    else:
        return None
    if values is None:
        return None
    x[filled] = values
    nulls = null_mask(chunk)
    if nulls is not None:  # null cells (empty ones are NaN already)
        x[nulls] = np.nan
    return x


def _same_width_digits(data: np.ndarray, width: int) -> np.ndarray | None:
    """Cells of ``width`` characters back to back: ``d``, ``dd`` or ``d.0``; None otherwise."""
    m = data.reshape(-1, width) - np.uint8(48)  # uint8: non-digits wrap above 9
    if width == 1:
        return None if m[:, 0].max() > 9 else m[:, 0]
    if width == 2:
        return None if m.max() > 9 else m[:, 0].astype(np.int16) * 10 + m[:, 1]
    if m[:, 0].max() > 9 or (m[:, 1] != np.uint8(254)).any() or m[:, 2].any():  # "d.0"
        return None
    return m[:, 0]


def _one_or_two_digits(data: np.ndarray, start: np.ndarray, two: np.ndarray) -> np.ndarray | None:
    """Cells of one or two digits mixed (a 0-10 scale), starting at ``start`` in ``data``."""
    first = data[start] - np.uint8(48)
    second = data[start[two] + 1] - np.uint8(48)
    if first.max() > 9 or (len(second) and second.max() > 9):
        return None
    values = first.astype(np.int16)
    values[two] = values[two] * 10 + second
    return values


def _parsed_in_blocks(data: pd.DataFrame, present: Sequence[str], mapping: Mapping[str, str],
                      sets: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, pd.Series]]:
    """Clean items decided a block at a time (numeric columns, then text columns), and the
    columns of the other items (converted one by one by the caller)."""
    plain = [i for i in present if not sets[i].recodes]
    parsed = _numeric_block(data, [(i, mapping[i], sets[i]) for i in plain])
    series = {i: data[mapping[i]] for i in present if i not in parsed}
    parsed.update(_text_block([(i, series[i], sets[i]) for i in plain if i in series]))
    return parsed, series


def _numeric_block(data: pd.DataFrame, items: Sequence[tuple[str, str, Any]]) -> dict[str, np.ndarray]:
    """Clean numeric item columns decided together: item id -> float64 (read-only view).

    The columns with a numpy integer or float dtype are taken as one float64 matrix, and
    each column's range (and, for float columns of integer sets, wholeness) is checked by
    one reduction over the matrix: the checks of :func:`_fast_numeric` without a pandas
    Series per column. Columns that fail a check are left out (the caller converts them one
    by one and reports their cells). Exact: the values are those :func:`_fast_numeric` gives.
    """
    if len(data) == 0 or len(items) < 2 or not data.columns.is_unique:
        return {}
    dtypes = dict(zip(data.columns, data.dtypes, strict=True))
    picked = [(i, c, rs) for i, c, rs in items
              if isinstance(dtypes[c], np.dtype) and dtypes[c].kind in "fiu"]
    if len(picked) < 2:
        return {}
    # one row per item, contiguous (the transpose of a column-major matrix)
    block = np.asfortranarray(data[[c for _, c, _ in picked]].to_numpy(dtype=np.float64)).T
    whole = np.array([rs.integer and dtypes[c].kind == "f" for _, c, rs in picked])
    return _clean_rows(block, [(i, rs) for i, _, rs in picked], whole)


def _clean_rows(block: np.ndarray, items: Sequence[tuple[str, Any]],
                check_whole: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Item id -> its row of ``block`` (read-only view) for the rows within their response
    set's range (and whole where ``check_whole``), or all missing; one reduction per check."""
    lo, hi = np.fmin.reduce(block, axis=1), np.fmax.reduce(block, axis=1)
    mins = np.array([rs.min for _, rs in items], dtype=float)
    maxs = np.array([rs.max for _, rs in items], dtype=float)
    with np.errstate(invalid="ignore"):
        ok = np.isnan(lo) | ((lo >= mins) & (hi <= maxs))
        if check_whole is not None:
            _check_whole_rows(block, ok & check_whole & ~np.isnan(lo), ok)
    out: dict[str, np.ndarray] = {}
    for j in np.flatnonzero(ok):
        view = block[j].view()
        view.flags.writeable = False
        out[items[int(j)][0]] = view
    return out


def _check_whole_rows(block: np.ndarray, rows: np.ndarray, ok: np.ndarray) -> None:
    """Set ``ok[j]`` False for each of ``rows`` (a mask over the rows of ``block``) holding a
    value with a fraction. One row at a time through one buffer: ``block - floor(block)``
    made two temporaries the size of the block (600 MB of fresh memory at 10⁶ rows x 38
    float items, 0.8 s). Blank cells (NaN) are skipped, as ``fmax`` skips them."""
    if not rows.any():
        return
    buf = np.empty(block.shape[1])
    for j in np.flatnonzero(rows):
        np.floor(block[j], out=buf)
        np.subtract(block[j], buf, out=buf)
        if np.fmax.reduce(buf) != 0:
            ok[j] = False


def _text_block(items: Sequence[tuple[str, pd.Series, Any]]) -> dict[str, np.ndarray]:
    """Clean text item columns parsed together: item id -> float64 (read-only view).

    ``items`` holds (item id, column, response set) of items without recodes. Each text
    column (arrow strings, as the input layer reads them) is parsed by
    :func:`_short_whole_numbers` straight into its row of one block (its temporaries are
    one column long: joining the columns first cost a copy of the text and block-sized
    temporaries, fresh memory that a virtual machine pays dearly for), then each column's
    range is checked with one reduction over the block: the per-column work of
    :func:`_fast_numeric` (two dozen small numpy calls per item) is done once per
    instrument. Columns this does not decide (other cells, out-of-range values, non-text
    dtypes) are left out; the caller scores them one by one. Exact: the values are those
    :func:`_fast_numeric` gives.
    """
    picked = [(i, c, rs) for i, c, rs in items
              if isinstance(c.dtype, pd.StringDtype) and c.dtype.storage == "pyarrow"]
    n = len(picked[0][1]) if picked else 0
    if len(picked) < 2 or n == 0:
        return {}
    block = np.empty((len(picked), n))  # one row per item, contiguous
    done = [j for j, (_, column, _) in enumerate(picked) if _parse_into(column, block[j])]
    if len(done) < 2:
        return {}
    if len(done) < len(picked):  # the others go to the per-column path
        block = block[done]
        picked = [picked[j] for j in done]
    # whole numbers by construction
    return _clean_rows(block, [(i, rs) for i, _, rs in picked])


def _parse_into(column: pd.Series, out: np.ndarray) -> bool:
    """Parse an arrow text column of short whole numbers into ``out``, chunk by chunk;
    False (``out`` undefined) when a chunk has other cells."""
    import pyarrow as pa

    try:
        chunks = pa.chunked_array(pa.array(column.array)).chunks
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # pragma: no cover - defensive
        return False
    start = 0
    for chunk in chunks:
        if not is_plain_text(chunk):
            return False  # pragma: no cover - the dtype check admits text columns only
        if _short_whole_numbers(chunk, out[start:start + len(chunk)]) is None:
            return False
        start += len(chunk)
    return start == len(out)


def _arrow_floats(series: pd.Series) -> tuple[np.ndarray, bool] | None:
    """Text column -> (float64, known whole), or None when any cell is not a plain number.

    Short whole numbers are parsed straight from the arrow buffers (known whole); other
    columns go through one pyarrow cast. Empty cells are missing; ``nan``/``inf`` texts and
    anything the cast refuses send the column to the per-cell path (which reports them).
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover
        return None
    try:
        arr = pa.array(series.array) if hasattr(series.array, "__arrow_array__") else pa.array(
            series.to_numpy(dtype=object), from_pandas=True)
        if not is_plain_text(arr):
            return None
        chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
        values = np.empty(len(arr))  # each chunk parses into its part: no concatenation
        bounds = np.cumsum([0] + [len(c) for c in chunks])
        if chunks and all(_short_whole_numbers(c, values[a:b]) is not None
                          for c, a, b in zip(chunks, bounds[:-1], bounds[1:], strict=True)):
            return values, True
        floats = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return None
    if pc.any(pc.is_nan(floats)).as_py():  # the text "nan": not an answer
        return None
    return floats.to_numpy(zero_copy_only=False).astype(np.float64, copy=False), False


def _fast_numeric(series: pd.Series, rs: Any) -> np.ndarray | None:
    """A clean column as float64 (a read-only view when possible), else None.

    Clean means: numbers (a numeric dtype, or text that is only plain numbers and empty
    cells, cast in one pyarrow call), every value within min-max and (for integer sets)
    whole. Two or three reductions decide it, so valid data (the usual case) skip the
    per-cell masks of :func:`_convert_column`. Booleans are never clean.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    plain = isinstance(dtype, np.dtype) and dtype.kind in "fiu"
    known_whole = isinstance(dtype, np.dtype) and dtype.kind in "iu"
    if pd.api.types.is_numeric_dtype(dtype):
        src = series.to_numpy() if plain else series.to_numpy(dtype="float64", na_value=np.nan)
    elif pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        # text missing codes ("NA", "refused") make the cast fail: the per-cell path matches them
        cast = _arrow_floats(series)
        if cast is None:
            return None
        src, known_whole = cast
    else:
        return None
    if src.dtype != np.float64:
        src = src.astype(np.float64)
    if len(src) == 0:
        return src
    lo = np.fmin.reduce(src)  # fmin/fmax ignore NaN
    hi = np.fmax.reduce(src)
    if not np.isnan(lo):
        if lo < rs.min or hi > rs.max:
            return None
        if rs.integer and not known_whole:
            frac = np.floor(src)
            np.subtract(src, frac, out=frac)  # >= 0, NaN where missing
            if np.fmax.reduce(frac) != 0:
                return None
    view = src.view()
    view.flags.writeable = False
    return view


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
#: LimeSurvey's answer codes of an array question (A1, A2, ... or A001, ...), in an "Answer codes" export
_ANSWER_CODE = re.compile(r"A\d{1,3}")
_TRUE_FALSE = {"true", "false"}
#: a label written with its code, as choice texts and value labels often are: "1 = Never",
#: "1 - Never", "1. Never", "(1) Never", "Never (1)", "Never = 1"
_NUMBERED_LABEL = (re.compile(r"\(?([+-]?\d+)(?:\s*(?:\)|=|:|\.|-|\u2013|\u2014)\s*|\s+)(.+)"),
                   re.compile(r"(.+?)\s*(?:\(([+-]?\d+)\)|(?:=|:|-|\u2013|\u2014)\s*([+-]?\d+))"))


def numbered_label(text: str, lookup: Mapping[str, float]) -> tuple[float, float] | None:
    """``(number written, the label's code)`` of a label written with a number ("1 = Never"),
    or None when ``text`` is not a known label with a number.

    Examples
    --------
    >>> numbered_label("1 = Never", {"never": 1.0}), numbered_label("Never (0)", {"never": 1.0})
    ((1.0, 1.0), (0.0, 1.0))
    >>> numbered_label("5 or more", {"never": 1.0}) is None
    True
    """
    head, tail = _NUMBERED_LABEL[0].fullmatch(text), _NUMBERED_LABEL[1].fullmatch(text)
    for number, label in ((head.group(1), head.group(2)) if head else (None, None),
                          (tail.group(2) or tail.group(3), tail.group(1)) if tail else (None, None)):
        if number is not None and label is not None and normalise_label(label) in lookup:
            return float(number), lookup[normalise_label(label)]
    return None


def _bool_failure(series: pd.Series, rs: Any, item_id: str, column: str,
                  first_row: int) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """A true/false column named as an item: one failure for the column, all cells missing."""
    notna = series.notna().to_numpy()
    pos = int(np.flatnonzero(notna)[0]) if notna.any() else 0
    row = pos + first_row
    value = str(series.iloc[pos]) if notna.any() else None
    rng = f"{_fmt(rs.min)}-{_fmt(rs.max)}"
    msg = (f"row {row}, column {column}: the column holds true/false values, not answers "
           f"({rng}); check that the right column is mapped to item {item_id}")
    return (np.full(len(series), np.nan),
            [dict(row=row, column=column, item=item_id, value=value,
                  reason=Reason.NOT_A_RESPONSE.value, message=msg)])


def _convert_column(series: pd.Series, rs: Any, item_id: str, column: str,
                    first_row: int) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Convert one column of answers to float codes, collecting invalid cells.

    Text cells are classified once per distinct value (a Likert column has a handful):
    blank or a declared missing code -> missing; a plain number -> that number; a
    response label or synonym (case, spacing, typographic quotes/dashes and Unicode form
    ignored) -> its code; anything else is invalid. ``NA``, ``NULL``, ``nan``... are
    invalid unless the instrument declares them as missing codes. A true/false column is
    refused as a whole (reason ``not_a_response``).
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return _bool_failure(series, rs, item_id, column, first_row)
    lookup = rs.label_lookup()
    if pd.api.types.is_numeric_dtype(series.dtype):
        x = series.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        bad_text = np.zeros(len(x), dtype=bool)
        raw_text: Any = None
    else:
        classified = _classify_text(series, rs, lookup)
        if classified is None:
            return _bool_failure(series, rs, item_id, column, first_row)
        x, bad_text, raw_text = classified
    for code in (float(m) for m in rs.missing_codes
                 if isinstance(m, (int, float)) and not isinstance(m, bool)):
        x[x == code] = np.nan
    out_range, not_whole = _range_problems(x, rs)
    bad = bad_text | out_range | not_whole
    fails: list[dict[str, Any]] = []
    for pos in np.flatnonzero(bad):  # only the invalid cells
        shown = series.iloc[pos] if raw_text is None else raw_text[pos]
        if bad_text[pos]:
            reason, msg = _text_problem(shown, rs, lookup)
        elif not_whole[pos]:
            reason = Reason.NOT_A_WHOLE_NUMBER
            msg = f"{_fmt(float(x[pos]))} is not a whole number (answers must be {_range_text(rs)})"
        else:
            reason = Reason.OUT_OF_RANGE
            msg = f"{_fmt(float(x[pos]))} is outside the response range {_range_text(rs)}"
        row = int(pos) + first_row
        fails.append(dict(row=row, column=column, item=item_id,
                          value=None if shown is None or shown is pd.NA else str(shown),
                          reason=reason.value, message=f"row {row}, column {column}: {msg}"))
    x[bad] = np.nan
    return x, fails


def _classify_text(series: pd.Series, rs: Any, lookup: Mapping[str, float]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Codes, invalid-text mask and stripped text of a text column, classified once per
    distinct value; ``None`` when every value is true/false (not answers)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text_missing = {normalise_label(str(m)) for m in rs.missing_codes}
    k = len(uniques)
    u_val = np.full(k + 1, np.nan)  # last slot: truly missing cells
    u_bad = np.zeros(k + 1, dtype=bool)
    u_text = np.empty(k + 1, dtype=object)
    u_text[k] = None
    n_bool = 0
    for j, raw in enumerate(uniques):  # loop over distinct values, not respondents
        t = str(raw).strip()
        u_text[j] = t
        if isinstance(raw, (bool, np.bool_)):
            n_bool += 1
            u_bad[j] = True
            continue
        if isinstance(raw, (int, float, np.number)):
            u_val[j] = float(raw)
            continue
        norm = normalise_label(t)
        if t == "" or norm in text_missing:
            continue
        if _NUMBER.fullmatch(t):
            u_val[j] = float(t)
        elif norm in lookup:
            u_val[j] = lookup[norm]
        elif (pair := numbered_label(t, lookup)) is not None and pair[0] == pair[1]:
            u_val[j] = pair[1]  # "1 = Never" where Never is 1
        else:
            u_bad[j] = True
            if norm in _TRUE_FALSE:
                n_bool += 1
    if k and n_bool == k:
        return None
    idx = np.where(codes < 0, k, codes)
    return u_val[idx], u_bad[idx], u_text[idx]


def _range_problems(x: np.ndarray, rs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Masks of codes outside the range (or not an option's code) and of non-whole codes."""
    finite = ~np.isnan(x)
    out_range = finite & ((x < rs.min) | (x > rs.max))
    not_whole = finite & ~out_range & (x != np.floor(x)) if rs.integer else np.zeros(len(x), bool)
    if rs.options and rs.recodes:
        opt_codes = np.array([o.code for o in rs.options])
        not_code = finite & ~out_range & ~not_whole & ~np.isin(x, opt_codes)
        out_range = out_range | not_code
    return out_range, not_whole


def _range_text(rs: Any) -> str:
    return f"{_fmt(rs.min)}-{_fmt(rs.max)}"


def _text_problem(shown: Any, rs: Any, lookup: Mapping[str, float]) -> tuple[Reason, str]:
    """Reason and message for a text answer that is neither a number nor a label."""
    hint = ""
    if isinstance(shown, str) and _DECIMAL_COMMA.fullmatch(shown):
        hint = (" - it looks like a decimal comma; cscore reads '.' as the decimal "
                "mark (answers are whole numbers on this scale)")
    elif isinstance(shown, str) and _ANSWER_CODE.fullmatch(shown.strip()):
        hint = (" - it looks like a LimeSurvey answer code; export the responses with 'Full "
                "answers' (the answer texts), or recode the codes to the instrument's numbers")
    elif isinstance(shown, str) and (pair := numbered_label(shown.strip(), lookup)) is not None:
        hint = (f" - the label's number, {_fmt(pair[0])}, is not the instrument's code for it "
                f"({_fmt(pair[1])}): the file numbers the answers otherwise; recode them")
    if lookup:
        labels = ", ".join(o.label for o in rs.options if o.label)
        return (Reason.UNKNOWN_LABEL,
                f"{shown!r} is not a number nor a response label of this item (labels: {labels}){hint}")
    return Reason.NON_NUMERIC, f"{shown!r} is not a number (answers must be {_range_text(rs)}){hint}"


def _unlabelled_failure(column: str, item_id: str, codes: Sequence[Any],
                        labels: Mapping[Any, Any]) -> dict[str, Any]:
    """--value-labels on a column whose codes are only partly labelled: refuse the column."""
    shown = ", ".join(_fmt(c) if isinstance(c, (int, float)) else str(c) for c in codes[:10])
    have = ", ".join(f"{_fmt(k) if isinstance(k, (int, float)) else k} = {v}" for k, v in list(labels.items())[:8])
    return dict(row=1, column=column, item=item_id, value=shown, reason=Reason.UNLABELLED_CODE.value,
                message=f"row 1, column {column}: code(s) {shown} have no value label (labels: {have}); "
                        "--value-labels needs a label for every code in an item column. Add the "
                        "labels in SPSS/Stata, or leave out --value-labels to score the codes")


def _label_code_mismatches(data: pd.DataFrame, present: Sequence[str], mapping: Mapping[str, str],
                           sets: Mapping[str, Any], reverse_coded: bool) -> list[dict[str, Any]]:
    """Item columns of codes whose value labels (SPSS/Stata) give a code the meaning of
    another code of the instrument: 1 labelled 'Always' where the instrument's 'Always' is 5.

    Scored as codes, such a column would silently mean something else (a reversed or
    shifted coding); one failure per column, naming the first codes that disagree.
    """
    labels_of = {} if data.attrs.get("value_labels_applied") else data.attrs.get("value_labels") or {}
    out: list[dict[str, Any]] = []
    if not labels_of:  # no SPSS/Stata value labels: nothing to compare
        return out
    for item_id in present:
        column = mapping[item_id]
        labels = labels_of.get(column) or {}
        if not labels or not pd.api.types.is_numeric_dtype(data[column].dtype):
            continue  # no labels, or the labels themselves were read (--value-labels)
        rs = sets[item_id]
        lookup = rs.label_lookup()
        wrong = []
        for code, label in labels.items():
            meant = lookup.get(normalise_label(str(label)))
            if meant is None and (pair := numbered_label(str(label).strip(), lookup)) is not None:
                meant = pair[1]  # "0 = Never"
            if meant is None or not isinstance(code, (int, float)):
                continue
            meant = rs.min + rs.max - meant if reverse_coded else meant
            if float(code) != float(meant):
                wrong.append(f"{_fmt(float(code))} = {label!r} in the file, {_fmt(meant)} in the instrument")
        if wrong:
            out.append(dict(row=1, column=column, item=item_id, value=None,
                            reason=Reason.LABEL_CODE_MISMATCH.value,
                            message=f"row 1, column {column}: the file's value labels give its codes "
                                    f"other meanings than the instrument's ({'; '.join(wrong[:3])}); "
                                    "scored as codes the answers would mean something else. Use "
                                    "--value-labels to score the labels, or recode the column"))
    return out


def _recode(x: np.ndarray, rs: Any) -> np.ndarray:
    if not rs.recodes:
        return x
    out = np.full_like(x, np.nan)
    for o in rs.options:
        out[x == o.code] = o.score
    return out


def _require_frame(data: Any) -> pd.DataFrame:
    """The responses as a DataFrame, or a clear error for other containers."""
    if isinstance(data, pd.DataFrame) and isinstance(data.columns, pd.MultiIndex):
        raise ScoringError(
            f"The responses' columns have {data.columns.nlevels} levels (a pandas MultiIndex, e.g. "
            f"{data.columns[0]!r}); answers are matched to items by one column name. Flatten them "
            "first, e.g. data.columns = [c[-1] for c in data.columns].")
    if isinstance(data, pd.DataFrame):
        return data
    kind = type(data).__name__
    if isinstance(data, (np.ndarray, list, tuple, dict, pd.Series)):
        raise ScoringError(
            f"The responses must be a pandas DataFrame whose columns are named after the items "
            f"(e.g. fcs_self_1), not a {kind}: answers are matched to items by column name. Wrap "
            "it first, e.g. pd.DataFrame(array, columns=[...item ids...]), or read a file with "
            "compassion_scales.read_responses(path).")
    raise ScoringError(f"The responses must be a pandas DataFrame, not a {kind}.")


def prepare_responses(data: pd.DataFrame, instrument: InstrumentLike, *,
                      column_map: Mapping[str, str] | None = None,
                      patterns: Mapping[str, str] | Sequence[str] | str | None = None,
                      on_invalid: str = "error", source: str | None = None,
                      first_row: int | None = None, reverse_coded: bool = False) -> PreparedResponses:
    """Match columns to items and convert answers to validated scored values.

    Parameters
    ----------
    data : DataFrame
        Raw responses, one row per respondent.
    instrument : str or Instrument
        Instrument id, path or object.
    column_map : mapping, optional
        Data column -> item id, for exports whose column names differ.
    patterns : str, sequence or mapping, optional
        Templates for numbered exports: ``"Q12_{n}"`` or ``{"for_self": "Q12_{n}"}``
        (``{n}`` = the item number printed on the form; key = section or score id).
    on_invalid : {"error", "missing"}
        Raise one :class:`ResponseValidationError` listing every invalid cell
        (default), or turn invalid cells into missing values and report them.
    source : str, optional
        File name used in messages (default ``data.attrs["source"]``).
    first_row : int, optional
        Row number of the first data row in the file (default ``data.attrs["first_row"]``
        or 2, i.e. header = row 1).
    reverse_coded : bool
        The data use the whole response scale in the opposite direction to the
        instrument file (e.g. 1 = strongly disagree where the file has 1 = strongly
        agree): every valid code becomes ``min + max - code`` of its response set before
        recoding and reverse keying. Text labels are matched to their own codes and are
        flipped too, so use it only for numerically coded data.
        See :func:`compassion_scales.analyses.screen.coding_direction`.

    Returns
    -------
    PreparedResponses
    """
    data = _require_frame(data)
    if on_invalid not in ("error", "missing"):
        raise ScoringError(f"on_invalid must be 'error' or 'missing', not {on_invalid!r}.")
    inst = load_instrument(instrument)
    src = source if source is not None else data.attrs.get("source")
    start = first_row if first_row is not None else int(data.attrs.get("first_row", 2))
    mapping, fails = _resolve_columns([str(c) for c in data.columns], inst, column_map, patterns, src)
    _check_repeated_items(data, mapping.values(), src)
    present = [i for i in inst.item_ids if i in mapping]
    # column-major, so each item's answers are contiguous (fast column writes and sums)
    columns: list[np.ndarray] = []
    unlabelled = data.attrs.get("unlabelled_codes") or {}
    sets = {i: inst.response_sets[inst.item(i).response_set] for i in present}
    parsed, series = _parsed_in_blocks(data, present, mapping, sets)
    mismatched = _label_code_mismatches(data, present, mapping, sets, reverse_coded)
    fails.extend(mismatched)  # the whole column: its cells' problems follow from it
    refused = {f["column"] for f in mismatched}
    for item_id in present:
        rs = sets[item_id]
        if mapping[item_id] in unlabelled:
            fails.append(_unlabelled_failure(mapping[item_id], item_id, unlabelled[mapping[item_id]],
                                             data.attrs.get("value_labels", {}).get(mapping[item_id], {})))
        clean = parsed.get(item_id)
        if clean is None and not rs.recodes:
            clean = _fast_numeric(series[item_id], rs)
        if clean is None:
            x, f = _convert_column(series[item_id], rs, item_id, mapping[item_id], start)
            fails.extend(f if mapping[item_id] not in refused else [])
            if reverse_coded:
                x = (rs.min + rs.max) - x
            clean = _recode(x, rs)
        elif reverse_coded:
            clean = (rs.min + rs.max) - clean
        columns.append(clean)
    failures = _renumber_rows(pd.DataFrame(fails, columns=_FAIL_COLUMNS), data, start)
    structural = failures["reason"].isin([Reason.UNKNOWN_COLUMN.value, Reason.AMBIGUOUS_COLUMN.value,
                                          Reason.UNLABELLED_CODE.value, Reason.LABEL_CODE_MISMATCH.value])
    if len(failures) and (on_invalid == "error" or structural.any()):
        to_raise = failures if on_invalid == "error" else failures[structural]
        raise ResponseValidationError(ResponseValidationError.summary_message(to_raise, on_invalid == "error"),
                                      failure_cases=to_raise.reset_index(drop=True), source=src)
    missing_items = [i for i in inst.item_ids if i not in mapping]
    return PreparedResponses(columns=tuple(columns), item_ids=present, column_map=mapping,
                             failures=failures, missing_items=missing_items, index=data.index)


_ROW_REF = re.compile(r"\brow (\d+)\b")


def _renumber_rows(failures: pd.DataFrame, data: pd.DataFrame, start: int) -> pd.DataFrame:
    """Row numbers as in the file when ``data`` is a subset of it (one occasion of long data).

    ``data.attrs["row_numbers"]`` (set by the input layer when it splits long data) holds
    each row's number in the file; failures and their messages are renumbered with it.
    """
    numbers = data.attrs.get("row_numbers")
    if numbers is None or len(failures) == 0 or len(numbers) != len(data):
        return failures
    numbers = np.asarray(numbers)

    def file_row(k: int) -> int:
        pos = k - start
        return int(numbers[pos]) if 0 <= pos < len(numbers) else k

    out = failures.copy()
    out["row"] = [file_row(int(r)) if r is not None and not pd.isna(r) else r for r in out["row"]]
    out["message"] = [_ROW_REF.sub(lambda m: f"row {file_row(int(m.group(1)))}", str(msg))
                      for msg in out["message"]]
    return out


# --------------------------------------------------------------------------- aggregation


def _keyed(values: np.ndarray, item_ids: list[str], inst: Instrument) -> np.ndarray:
    """Apply reverse keys (min + max - x on the scored range) to a copy of ``values``."""
    out = np.array(values, order="F", copy=True)
    for j, col in _keyed_columns([values[:, k] for k in range(values.shape[1])], item_ids, inst).items():
        out[:, j] = col
    return out


def _keyed_columns(columns: Sequence[np.ndarray], item_ids: list[str],
                   inst: Instrument) -> dict[int, np.ndarray]:
    """Reversed copies of the reverse-keyed columns only (position -> column)."""
    out: dict[int, np.ndarray] = {}
    for j, item_id in enumerate(item_ids):
        it = inst.item(item_id)
        if it.reverse:
            rs = inst.response_sets[it.response_set]
            out[j] = (rs.score_min + rs.score_max) - columns[j]
    return out


def _aggregate_items(sub: np.ndarray | Sequence[np.ndarray], agg: str, rule: MissingRule
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score a block of item values (2-D array or list of columns).

    Returns (score, n_answered, status code). Vectorised over respondents; the only
    loop is over the (few) item columns, accumulating in place.
    """
    cols = [sub[:, j] for j in range(sub.shape[1])] if isinstance(sub, np.ndarray) else list(sub)
    n_items = len(cols)
    n = len(cols[0])
    answered = np.zeros(n, dtype=np.int32)
    total = np.zeros(n, dtype="float64")
    for c in cols:
        ok = c == c  # not NaN
        answered += ok
        np.add(total, c, out=total, where=ok)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / answered
    complete = answered == n_items
    enough = answered >= rule.min_answered
    status = np.full(n, _TOO_FEW, dtype=np.int8)
    status[answered == 0] = _NONE
    if agg == "sum":
        result = np.where(complete, total, np.nan)
        if rule.prorate:
            partial = enough & ~complete & (answered > 0)
            result = np.where(partial, mean * n_items, result)
            status[partial] = _PRORATED
    else:  # mean
        partial = enough & ~complete & (answered > 0)
        result = np.where(complete | partial, mean, np.nan)
        status[partial] = _MEAN_ANSWERED
    status[complete] = _COMPLETE
    result = np.where(answered == 0, np.nan, result)
    return result, answered, status


def _override_rule(s: Score, n: int, prorate: float | None) -> MissingRule:
    """The rule in force: the instrument's, or the caller's ``prorate`` proportion."""
    if prorate is None:
        return s.missing
    need = max(1, math.ceil(prorate * n - 1e-9))
    return MissingRule(min_answered=need, prorate=s.aggregation == "sum",
                       source=f"user option prorate={prorate:g}", status="user")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, repr=False)
class ScoreResult(ResultMixin):
    """Scores for every input row, with the missing-data ledger.

    Attributes
    ----------
    scores : DataFrame
        Identifier/passthrough columns then one column per score, same index and row
        order as the input.
    answered : DataFrame
        Items (or component scores) answered, per row and score.
    status : DataFrame
        Outcome per row and score: one of :data:`STATUS_CODES`.
    invalid : DataFrame
        Invalid cells turned into missing values (``on_invalid="missing"``); empty otherwise.
    instruments : tuple of Instrument
    rules : DataFrame
        One row per score: instrument, score, aggregation, n_items, rule, rule source.
    column_map : dict
        Item id -> the data column it was read from.
    unused_columns : list of str
        Input columns that were neither items nor kept as identifiers.
    not_scored : dict
        Score id -> reason, for scores of the instrument(s) whose items are absent.
    row_numbers : ndarray or None
        Each row's number in the file it came from (header = row 1), as error messages and
        the ``--errors`` file give it; ``None``: the first row is row 2.
    """

    scores: pd.DataFrame
    answered: pd.DataFrame
    status: pd.DataFrame
    invalid: pd.DataFrame
    instruments: tuple[Instrument, ...]
    rules: pd.DataFrame
    column_map: dict[str, str]
    id_columns: list[str]
    unused_columns: list[str]
    not_scored: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    row_numbers: np.ndarray | None = field(default=None, repr=False, compare=False)

    _title = "Scores"

    @property
    def score_columns(self) -> list[str]:
        return list(self.answered.columns)

    @property
    def ledger(self) -> pd.DataFrame:
        """Long table: one row per input row and score.

        Columns: ``row`` (the row's number in the file, header = row 1: the same number error
        messages and the ``--errors`` file give), the identifier columns, ``score``,
        ``n_items``, ``n_answered``, ``status``, ``rule`` and ``value``.
        """
        n = len(self.scores)
        k = len(self.score_columns)
        if k == 0:
            return pd.DataFrame(columns=["row", "score", "n_items", "n_answered", "status", "rule", "value"])
        rules = self.rules.set_index("score")
        rows = self.row_numbers if self.row_numbers is not None else np.arange(2, n + 2)
        out: dict[str, Any] = {"row": np.repeat(np.asarray(rows, dtype=np.int64), k)}
        for c in self.id_columns:
            out[c] = np.repeat(self.scores[c].to_numpy(), k)
        out["score"] = np.tile(np.array(self.score_columns, dtype=object), n)
        out["n_items"] = np.tile(rules.loc[self.score_columns, "n_items"].to_numpy(), n)
        out["n_answered"] = self.answered.to_numpy().reshape(-1)
        out["status"] = self.status.to_numpy().reshape(-1)
        out["rule"] = np.tile(rules.loc[self.score_columns, "rule"].to_numpy(), n)
        out["value"] = self.scores[self.score_columns].to_numpy(dtype=float).reshape(-1)
        return pd.DataFrame(out)

    @cached_property
    def _counts(self) -> dict[str, np.ndarray]:
        """Per score (in rules order): status counts and the descriptives of the values."""
        sids = list(self.rules["score"])
        codes = ("complete", "prorated", "mean_of_answered", "too_few_answered", "no_answers")
        frame = self.status[sids]
        if sids and all(frame[s].dtype == _STATUS_DTYPE for s in sids):
            # tally the categories' integer codes (-1 = missing) instead of comparing strings:
            # 100,000 rows x 3 scores, 22 -> 1 ms
            k = len(_STATUS_DTYPE.categories)
            tally = np.stack([np.bincount(frame[s].cat.codes.to_numpy() + 1, minlength=k + 1)[1:]
                              for s in sids], axis=1).astype(np.int64)
            counts = {code: tally[j] for j, code in enumerate(_STATUS_DTYPE.categories) if code in codes}
        else:
            status = frame.to_numpy(dtype=object)
            counts = {code: (status == code).sum(axis=0) for code in codes}
        counts.update(column_descriptives(self.scores[sids].to_numpy(dtype=float)))
        return counts

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per score: counts by outcome and descriptive statistics."""
        c = self._counts
        r = self.rules
        return pd.DataFrame({
            "instrument": r["instrument"].to_numpy(dtype=object),
            "score": r["score"].to_numpy(dtype=object),
            "n_rows": len(self.scores),
            "n_scored": c["count"],
            "n_complete": c["complete"],
            "n_prorated": c["prorated"] + c["mean_of_answered"],
            "n_missing": len(self.scores) - c["count"],
            "mean": c["mean"], "sd": c["sd"], "min": c["min"], "max": c["max"],
            "possible_min": r["possible_min"].to_numpy(),
            "possible_max": r["possible_max"].to_numpy(),
            "rule": r["rule"].to_numpy(dtype=object),
        })

    def missing_report(self) -> list[str]:
        """One line per score with missing values: how many, and why (from the ledger).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({f"fcs_self_{i}": [1, None] for i in range(1, 16)})
        >>> score(df, "fcs").missing_report()
        ['fcs_self: 1 of 2 missing (1 with no answers); see --ledger for each row.']
        """
        lines = []
        n = len(self.scores)
        c = self._counts
        for j, (sid, rule) in enumerate(zip(self.rules["score"], self.rules["rule"], strict=True)):
            n_missing = n - int(c["count"][j])
            if not n_missing:
                continue
            too_few, none = int(c["too_few_answered"][j]), int(c["no_answers"][j])
            parts = []
            if too_few:
                parts.append(f"{too_few} answered fewer items than the rule requires ({rule})")
            if none:
                parts.append(f"{none} with no answers")
            other = n_missing - too_few - none
            if other > 0:
                parts.append(f"{other} because a component score is missing")
            hint = "see --ledger for each row"
            if too_few and self.options.get("prorate") is None:
                hint += ", or --prorate P to score people who skipped items"
            lines.append(f"{sid}: {n_missing} of {n} missing ({'; '.join(parts)}); {hint}.")
        return lines

    def _notes(self) -> list[str]:
        notes = []
        for inst in self.instruments:
            notes.append(f"Instrument: {inst.id} {inst.version} ({inst.name}).")
        n_invalid = len(self.invalid)
        if n_invalid:
            notes.append(f"{n_invalid} invalid answer(s) were treated as missing "
                         "(--on-invalid missing); see the invalid table / provenance for where.")
        for sid, why in self.not_scored.items():
            notes.append(f"Not scored: {sid} ({why}).")
        if self.unused_columns:
            notes.append(f"Columns not used: {name_briefly(self.unused_columns)}.")
        if self.options.get("prorate") is not None:
            notes.append(f"Missing-data rule overridden by the user: prorate={self.options['prorate']}.")
        if self.options.get("reverse_coded"):
            notes.append("Answers were flipped on input (--reverse-coded): each code became "
                         "min + max - code of its response scale.")
        return notes

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: scores, summary, rules, invalid cells, ledger counts and notes."""
        from compassion_scales._format import to_jsonable

        return to_jsonable({
            "instruments": [{"id": i.id, "version": i.version, "sha256": i.sha256} for i in self.instruments],
            "scores": self.scores,
            "summary": self.summary,
            "rules": self.rules,
            "invalid": self.invalid,
            "not_scored": self.not_scored,
            "unused_columns": self.unused_columns,
            "notes": self._notes(),
        })


class _KernelScorer:
    """The scores of one instrument, all computed by the compiled kernel in one pass.

    Answers the same calls as :class:`_ItemScorer` (its reference implementation) with the
    same arrays, bit for bit.
    """

    def __init__(self, results: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self.results = results

    def __call__(self, s: Score, force_keyed: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.results[s.id]

    def of_scores(self, s: Score, inst: Instrument, rule: MissingRule
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.results[s.id]


def _fused_scorer(data: pd.DataFrame, inst: Instrument, column_map: Mapping[str, str] | None,
                  patterns: Mapping[str, str] | Sequence[str] | str | None, prorate: Any,
                  reverse_coded: bool) -> tuple[PreparedResponses, _KernelScorer] | None:
    """Every score of ``inst`` in one compiled pass, or None for the numpy path.

    For numeric columns (numpy dtypes, not booleans) without column problems. None when a
    cell is invalid (the numpy path then lists the cells, or turns them into missing values
    with ``on_invalid="missing"``) or the instrument needs what the kernel leaves out (a
    missing code inside the response range, codes that are not whole numbers in a recoded
    set, scores of scores of scores, scores whose item orders conflict over fractional
    values).
    """
    from compassion_scales.stats import score_kernel

    mapping, fails = _resolve_columns([str(c) for c in data.columns], inst, column_map, patterns, None)
    present = [i for i in inst.item_ids if i in mapping]
    if fails or not present:
        return None
    unlabelled = data.attrs.get("unlabelled_codes") or {}
    if any(mapping[i] in unlabelled for i in present):
        return None
    sets = {i: inst.response_sets[inst.item(i).response_set] for i in present}
    if _label_code_mismatches(data, present, mapping, sets, reverse_coded):
        return None  # the numpy path reports them
    items = _kernel_items(inst, present, reverse_coded)
    wanted = _kernel_scores(inst, present, prorate)
    block = _item_block(data, [mapping[i] for i in present], [sets[i] for i in present])
    if items is None or wanted is None or block is None:
        return None
    X, column = block
    spec, out = wanted
    try:
        scored = score_kernel.score_block(X, items._replace(column=column), spec)
    except ImportError:  # numba installed but not importable (e.g. a numpy it does not support)
        return None
    if scored is None or scored[3]:
        return None
    values, answered, status, _ = scored
    results = {sid: (values[j], answered[j], status[j]) for j, sid in enumerate(out)}
    prep = PreparedResponses(columns=(), item_ids=present, column_map=mapping,
                             failures=pd.DataFrame(columns=_FAIL_COLUMNS),
                             missing_items=[i for i in inst.item_ids if i not in mapping],
                             index=data.index)
    return prep, _KernelScorer(results)


def _kernel_scores(inst: Instrument, present: list[str], prorate: Any) -> Any:
    """The kernel's per-score arrays and the ids of the scores in its first rows: every score
    whose items are all present, in the instrument's order, then the keyed versions of
    components that scores of scores add. None for what the kernel leaves out."""
    from compassion_scales.stats.score_kernel import ScoreSpec

    have = set(present)
    pos = {item_id: j for j, item_id in enumerate(present)}
    out = [s for s in inst.scores if all(i in have for i in inst.score_items(s.id))]
    rows = {(s.id, s.keying == "keyed" and not s.components): j for j, s in enumerate(out)}
    for c in (c for s in out for c in s.components):
        rows.setdefault((c, True), len(rows))
    specs: list[Any] = [None] * len(rows)  # (members, keyed, mean, rule, of scores) per row
    for (sid, keyed), j in rows.items():
        s = inst.score(sid)
        if s.components:
            if any(inst.score(c).components for c in s.components):
                return None
            rule = _override_rule(s, len(s.components), None)
            specs[j] = ([rows[(c, True)] for c in s.components], False,
                        s.aggregation == "mean_of_scores", MissingRule(min_answered=rule.min_answered,
                                                                      prorate=False), True)
        elif not s.items or s.aggregation not in ("sum", "mean"):
            return None
        else:
            specs[j] = ([pos[i] for i in s.items], keyed, s.aggregation == "mean",
                        _override_rule(s, len(s.items), prorate), False)
    spec = ScoreSpec(ptr=np.cumsum([0] + [len(m) for m, *_ in specs]).astype(np.int64),
                     item=np.array([i for m, *_ in specs for i in m], dtype=np.int64),
                     keyed=np.array([k for _, k, *_ in specs], dtype=bool),
                     mean=np.array([x[2] for x in specs], dtype=bool),
                     min_answered=np.array([x[3].min_answered for x in specs], dtype=np.int64),
                     prorate=np.array([bool(x[3].prorate) for x in specs], dtype=bool),
                     of_scores=np.array([x[4] for x in specs], dtype=bool))
    return spec, [s.id for s in out]


def _kernel_items(inst: Instrument, present: list[str], reverse_coded: bool) -> Any:
    """The kernel's per-item arrays (block columns filled in later), or None if it cannot
    read them exactly as :func:`prepare_responses` does."""
    from compassion_scales.stats.score_kernel import ItemSpec

    cols: dict[str, list[Any]] = {k: [] for k in ("lo", "hi", "whole", "flip", "key")}
    miss: list[list[float]] = []
    tables: list[list[float]] = []
    for item_id in present:
        it = inst.item(item_id)
        rs = inst.response_sets[it.response_set]
        numeric = [float(m) for m in rs.missing_codes
                   if isinstance(m, (int, float)) and not isinstance(m, bool)]
        table = _recode_table(rs)
        if any(rs.min <= m <= rs.max for m in numeric) or table is None:
            return None  # the fast numpy path keeps such codes as answers, the slow one not
        miss.append(numeric)
        tables.append(table)
        cols["lo"].append(float(rs.min))
        cols["hi"].append(float(rs.max))
        cols["whole"].append(bool(rs.integer))
        cols["flip"].append(float(rs.min + rs.max) if reverse_coded else np.nan)
        cols["key"].append(float(rs.score_min + rs.score_max) if it.reverse else np.nan)
    flat = np.array([v for t in tables for v in t], dtype=np.float64)
    return ItemSpec(column=np.zeros(0, dtype=np.int64),
                    **{k: np.array(v, dtype=bool if k == "whole" else np.float64) for k, v in cols.items()},
                    miss_ptr=np.cumsum([0] + [len(m) for m in miss]).astype(np.int64),
                    miss=np.array([v for m in miss for v in m], dtype=np.float64),
                    table_ptr=np.cumsum([0] + [len(t) for t in tables]).astype(np.int64),
                    is_code=~np.isinf(flat), table=np.where(np.isinf(flat), np.nan, flat))


def _recode_table(rs: Any) -> list[float] | None:
    """Scored value of each code ``min..max`` of a recoded set (``inf``: not an option's code;
    the last option with a code wins, as in :func:`_recode`); [] when the set does not
    recode; None when the kernel cannot use a table (codes not whole numbers)."""
    if not rs.recodes:
        return []
    lo, hi = float(rs.min), float(rs.max)
    if not (rs.integer and lo.is_integer() and hi.is_integer() and hi - lo < 10_000):
        return None
    table = [math.inf] * (int(hi - lo) + 1)
    for o in rs.options:
        code = float(o.code)
        if lo <= code <= hi and code.is_integer():  # other codes never match a valid answer
            table[int(code - lo)] = np.nan if o.score is None else float(o.score)
    return table


def _item_block(data: pd.DataFrame, columns: list[str], sets: list[Any]
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """The item columns as one float64 (rows x columns) array and each item's column in it.

    Columns of one float64 block of the frame (the usual case in memory) are read in place:
    the array is that block, found through the columns' common numpy base. Other numeric
    columns, and text columns (a CSV read as text: see :func:`_text_codes`), are copied into
    a new array. None for anything else (booleans, nullable types go to the numpy path).
    """
    arrays = []
    for c, rs in zip(columns, sets, strict=True):
        col = data[c]
        dtype = col.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "fiu":
            arrays.append(col.to_numpy())
        elif not pd.api.types.is_bool_dtype(dtype) and (
                pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)):
            parsed = _text_codes(col, rs)
            if parsed is None:
                return None
            arrays.append(parsed)
        else:
            return None
    found = _common_base(arrays)
    if found is not None:
        return found
    X = np.empty((len(data), len(arrays)), order="F")
    for j, a in enumerate(arrays):
        X[:, j] = a
    return X, np.arange(len(arrays), dtype=np.int64)


def _text_codes(col: pd.Series, rs: Any) -> np.ndarray | None:
    """A text column's codes as the numpy path reads them, or None if a cell is no answer.

    Plain numbers and empty cells are cast in one pyarrow call, as ``_fast_numeric`` does;
    otherwise each distinct text is classified as ``_convert_column`` does (labels, text
    missing codes, numbers). None when a cell is neither (the numpy path reports it).
    """
    parsed = _arrow_floats(col)
    if parsed is not None:
        return parsed[0]
    classified = _classify_text(col, rs, rs.label_lookup())
    if classified is None or classified[1].any():
        return None
    return classified[0]


def _common_base(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The 2-D float64 array all ``arrays`` are columns of, and their column positions."""
    base = arrays[0].base
    if not isinstance(base, np.ndarray) or base.ndim != 2 or base.dtype != np.float64:
        return None
    n = len(arrays[0])
    start = base.__array_interface__["data"][0]
    step = base.strides[1]
    idx = []
    for a in arrays:
        offset = a.__array_interface__["data"][0] - start
        if (a.base is not base or a.dtype != np.float64 or a.shape != (n,) or base.shape[0] != n
                or a.strides != base.strides[:1] or step <= 0 or offset % step):
            return None
        j = offset // step
        if not 0 <= j < base.shape[1]:
            return None
        idx.append(j)
    return base, np.array(idx, dtype=np.int64)


def _score_instrument(data: pd.DataFrame, inst: Instrument, *, column_map, patterns, on_invalid,
                      prorate, source, first_row, require_all: bool, reverse_coded: bool = False,
                      compiled: bool = False
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray],
                                 list[dict[str, Any]], PreparedResponses, dict[str, str]]:
    fused = _fused_scorer(data, inst, column_map, patterns, prorate, reverse_coded) if compiled else None
    if fused is None:  # the reference path: small data, or something the kernel leaves to it
        prep = prepare_responses(data, inst, column_map=column_map, patterns=patterns,
                                 on_invalid=on_invalid, source=source, first_row=first_row,
                                 reverse_coded=reverse_coded)
        item_score: _ItemScorer | _KernelScorer = _ItemScorer(prep, inst, prorate)
    else:
        prep, item_score = fused
    present = set(prep.item_ids)
    values: dict[str, np.ndarray] = {}
    answered: dict[str, np.ndarray] = {}
    status: dict[str, np.ndarray] = {}
    rules: list[dict[str, Any]] = []
    not_scored: dict[str, str] = {}
    missing_fails: list[dict[str, Any]] = []
    for s in inst.scores:
        if not _can_score(s, inst, present, require_all, not_scored, missing_fails):
            continue
        n = len(s.components) if s.components else len(s.items)
        rule = _override_rule(s, n, prorate if not s.components else None)
        if s.components:
            v, a, st = item_score.of_scores(s, inst, rule)
        else:
            v, a, st = item_score(s)
        values[s.id], answered[s.id], status[s.id] = v, a, st
        lo, hi = inst.score_range(s.id)
        rules.append({"instrument": inst.id, "score": s.id, "aggregation": s.aggregation,
                      "n_items": n, "rule": rule.describe(n, s.aggregation),
                      "rule_source": rule.source or "", "possible_min": lo, "possible_max": hi})
    if missing_fails:
        dedup = pd.DataFrame(missing_fails, columns=_FAIL_COLUMNS).drop_duplicates(subset=["item"])
        raise ResponseValidationError(
            f"{inst.id}: {len(dedup)} item column(s) missing for scores that have some items in "
            "the data.", failure_cases=dedup.reset_index(drop=True), source=source)
    return values, answered, status, rules, prep, not_scored


class _ItemScorer:
    """Scores built from items (keyed or raw), each computed once per scoring run."""

    def __init__(self, prep: PreparedResponses, inst: Instrument, prorate: Any) -> None:
        self.prep = prep
        self.prorate = prorate
        self.col_of = {item: j for j, item in enumerate(prep.item_ids)}
        self.reversed_cols = _keyed_columns(prep.columns, prep.item_ids, inst)
        self.cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def __call__(self, s: Score, force_keyed: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cache_key = s.id + ("#k" if force_keyed else "")
        if cache_key in self.cache:
            return self.cache[cache_key]
        use_keys = s.keying == "keyed" or force_keyed
        cols = [self.reversed_cols[self.col_of[i]]
                if (use_keys and self.col_of[i] in self.reversed_cols)
                else self.prep.columns[self.col_of[i]] for i in s.items]
        rule = _override_rule(s, len(s.items), self.prorate)
        res = _aggregate_items(cols, s.aggregation, rule)
        self.cache[cache_key] = res
        return res

    def of_scores(self, s: Score, inst: Instrument, rule: MissingRule
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A score of scores: its components (keyed), added as items are."""
        comp = [self(inst.score(c), force_keyed=True)[0] for c in s.components]
        agg = "mean" if s.aggregation == "mean_of_scores" else "sum"
        comp_rule = MissingRule(min_answered=rule.min_answered, prorate=False)
        return _aggregate_items(comp, agg, comp_rule)  # a sum needs every component


def _can_score(s: Score, inst: Instrument, present: set[str], require_all: bool,
               not_scored: dict[str, str], missing_fails: list[dict[str, Any]]) -> bool:
    """Whether the data hold what score ``s`` needs; records why not (or the missing items)."""
    if s.components:
        skipped = [c for c in s.components if c in not_scored]
        if skipped:
            not_scored[s.id] = f"component score(s) {', '.join(skipped)} not in the data"
            return False
    needed = inst.score_items(s.id)
    absent = [i for i in needed if i not in present]
    if not absent:
        return True
    if len(absent) == len(needed) and not require_all:
        not_scored[s.id] = "none of its items are in the data"
        return False
    for i in absent:
        missing_fails.append(dict(
            row=1, column=None, item=i, value=None, reason=Reason.MISSING_ITEM.value,
            message=f"row 1: no column for item {i} (needed by score {s.id}); "
                    "add the column (empty if unanswered) or map it with --map/--pattern"))
    return False


#: column names a note shows before counting the rest
NAMES_SHOWN = 12


def name_briefly(columns: Sequence[Any], shown: int = NAMES_SHOWN) -> str:
    """The first ``shown`` names and a count of the rest (a wide export has thousands).

    Examples
    --------
    >>> name_briefly(["a", "b", "c"], shown=2)
    'a, b and 1 more (3 columns)'
    """
    names = ", ".join(map(str, columns[:shown]))
    return f"{names} and {len(columns) - shown} more ({len(columns)} columns)" if len(columns) > shown else names


def _check_ids(data: pd.DataFrame, id_cols: Sequence[str], first_row: int) -> list[dict[str, Any]]:
    fails: list[dict[str, Any]] = []
    for c in id_cols:
        if c not in data.columns:
            fails.append(dict(row=1, column=c, item=None, value=None, reason=Reason.UNKNOWN_COLUMN.value,
                              message=f"row 1, column {c}: the identifier column is not in the data "
                                      f"(columns: {', '.join(map(str, data.columns[:12]))}"
                                      f"{', ...' if len(data.columns) > 12 else ''})"
                                      + ("." + column_hint(data.columns, c).rstrip(".")
                                         if column_hint(data.columns, c) else "")))
    if fails or not id_cols:
        return fails
    ids = blank_as_missing(data[list(id_cols)])  # a cell of only spaces is empty, as in change/retest
    miss = no_identifier(ids)  # several columns: partly empty is an identifier (row_keys)
    for pos in np.flatnonzero(miss)[:1000]:
        col = next(c for c in id_cols if pd.isna(ids[c].iloc[pos]))
        fails.append(dict(row=int(pos) + first_row, column=col, item=None, value=None,
                          reason=Reason.MISSING_ID.value,
                          message=f"row {int(pos) + first_row}, column {col}: the identifier is empty"))
    if len(id_cols) == 1 and surely_unique(ids[id_cols[0]]):  # the usual case, ~6x faster
        return fails
    dup = (ids[id_cols[0]].duplicated(keep="first") if len(id_cols) == 1
           else ids.duplicated(keep="first")).to_numpy() & ~miss
    if dup.any():
        firsts = ids.reset_index(drop=True)
        keyed = row_keys(firsts.astype("string"))
        uniq = keyed[~keyed.duplicated(keep="first").to_numpy()].dropna()
        first_at = pd.Series(uniq.index.to_numpy(), index=uniq.to_numpy()).reindex(keyed.to_numpy()).to_numpy()
        shown_all = shown_ids(ids)
        for pos in np.flatnonzero(dup)[:1000]:
            shown = shown_all.iloc[pos]
            fails.append(dict(row=int(pos) + first_row, column=", ".join(id_cols), item=None, value=shown,
                              reason=Reason.DUPLICATE_ID.value,
                              message=f"row {int(pos) + first_row}, column {', '.join(id_cols)}: "
                                      f"identifier {shown} already used in row {int(first_at[pos]) + first_row}"))
    return fails


@renamed_arguments(id_cols="id")
def score(data: pd.DataFrame, instrument: InstrumentLike | Sequence[InstrumentLike] | None = None,
          *, id: Sequence[str] | str | None = None, on_invalid: str = "error",
          column_map: Mapping[str, str] | None = None,
          patterns: Mapping[str, str] | Sequence[str] | str | None = None,
          prorate: float | None = None, keep: str = "all", source: str | None = None,
          first_row: int | None = None, reverse_coded: bool = False) -> ScoreResult:
    """Score responses with one or more instruments.

    Parameters
    ----------
    data : DataFrame
        Raw responses, one row per respondent (or per respondent x time point).
    instrument : str, Instrument, list of them, or None
        Instrument id(s), path(s) to user files, or objects. ``None`` detects the
        shipped instruments whose items are present (see :func:`detect_instruments`).
    id : str or list of str, optional
        Identifier column(s), the person (``id_cols`` is its old name). They must exist and
        be unique together (e.g. ``["pid", "time"]`` for long data); otherwise an error lists
        the rows. A row needs an identifier: with several columns, some may be empty (an
        empty part counts as a value; a REDCap export's base row has an empty
        ``redcap_repeat_instance``), not all (see :func:`compassion_scales.idkeys.row_keys`).
    on_invalid : {"error", "missing"}
        What to do with invalid answers (see :func:`prepare_responses`).
    column_map, patterns
        Column matching for exports with other names (see :func:`prepare_responses`).
    prorate : float in (0, 1], optional
        Override every item-based score's missing-data rule: score when at least this
        proportion of items is answered (sums prorated). ``None`` uses each
        instrument's declared rule.
    keep : {"all", "ids"}
        Keep all non-item columns (default) or only the ``id`` columns in the output.
    source, first_row
        File name and first data row number for messages (default from ``data.attrs``).
    reverse_coded : bool
        Flip every item's whole response scale on input (see :func:`prepare_responses`).

    Returns
    -------
    ScoreResult
        For a Dask DataFrame ``data`` (install the ``dask`` extra): a lazy Dask DataFrame of
        the scores instead, each partition scored by this function (see
        :mod:`compassion_scales.dask_engine`); computed, it equals ``score(data.compute(),
        ...).scores``.

    Raises
    ------
    ResponseValidationError
        Invalid answers (with ``on_invalid="error"``), unknown or ambiguous columns,
        missing item columns, empty or duplicate identifiers; every problem is listed.
    ScoringError
        No instrument's items are in the data.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"pid": ["a", "b"],
    ...                    **{f"fcs_self_{i}": [1, 4] for i in range(1, 16)}})
    >>> res = score(df, "fcs", id="pid")
    >>> res.scores
      pid  fcs_self
    0   a      15.0
    1   b      60.0
    """
    if type(data).__module__.startswith("dask"):  # a partitioned dataset (#16)
        from compassion_scales.dask_engine import score_partitions

        return score_partitions(data, score, instrument, id=id, on_invalid=on_invalid,
                                column_map=column_map, patterns=patterns, prorate=prorate,
                                keep=keep, source=source, first_row=first_row,
                                reverse_coded=reverse_coded)
    data = _require_frame(data)
    if prorate is not None and not (0 < float(prorate) <= 1):
        raise ScoringError(f"prorate must be a proportion in (0, 1], not {prorate}.")
    if keep not in ("all", "ids"):
        raise ScoringError("keep must be 'all' or 'ids'.")
    src = source if source is not None else data.attrs.get("source")
    start = first_row if first_row is not None else int(data.attrs.get("first_row", 2))
    ids = [id] if isinstance(id, str) else list(id or [])
    _check_table(data, src)
    id_fails = _check_ids(data, ids, start)
    instruments = _instruments_to_score(data, instrument, column_map, patterns, src)
    check_options(instruments, column_map=column_map, patterns=patterns)
    parts = _ScoredParts()
    compiled = _use_kernel(len(data), instruments)
    if id_fails:
        parts.errors.append(_renumber_rows(pd.DataFrame(id_fails, columns=_FAIL_COLUMNS), data, start))
    for inst in instruments:
        parts.add(inst, data, column_map=column_map, patterns=patterns, on_invalid=on_invalid,
                  prorate=prorate, source=src, first_row=start, reverse_coded=reverse_coded,
                  compiled=compiled)
    parts.raise_problems(instruments, on_invalid, src, data.columns)
    out, unused = _output_frame(data, parts, ids if keep == "ids" else None, src)
    _warn_unverified(instruments, parts.values)
    return ScoreResult(
        scores=out, answered=_columns_frame(parts.answered, data.index),
        status=pd.DataFrame({k: pd.Categorical.from_codes(v, dtype=_STATUS_DTYPE, validate=False)
                             for k, v in parts.status.items()}, index=data.index, copy=False),
        invalid=(pd.concat(parts.invalid_frames, ignore_index=True) if parts.invalid_frames
                 else pd.DataFrame(columns=_FAIL_COLUMNS)),
        instruments=tuple(instruments), rules=pd.DataFrame(parts.rules),
        column_map=parts.column_map, id_columns=ids, unused_columns=unused,
        not_scored=parts.not_scored, row_numbers=file_row_numbers(data, start),
        options={"on_invalid": on_invalid, "prorate": prorate, "id": ids,
                 "column_map": dict(column_map or {}), "patterns": patterns,
                 **({"reverse_coded": True} if reverse_coded else {})})


def _use_kernel(n_rows: int, instruments: Sequence[Instrument]) -> bool:
    """Whether this call scores with the compiled kernel: rows x items of the instruments
    reach :func:`compassion_scales.stats.score_kernel.worth_compiling`'s threshold (numba is
    imported only then; smaller data use the numpy path, the same numbers)."""
    from compassion_scales.stats.score_kernel import worth_compiling

    return worth_compiling(n_rows * sum(len(i.item_ids) for i in instruments))


def _check_table(data: pd.DataFrame, src: str | None) -> None:
    """The table has rows and no repeated column names."""
    if len(data) == 0:
        raise ScoringError(f"{src or 'data'}: there are no rows to score.")
    if data.columns.duplicated().any():
        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise ScoringError(f"{src or 'data'}: column name(s) {', '.join(dup)} appear more than once.")


def _check_repeated_items(data: pd.DataFrame, used: Iterable[str], src: str | None) -> None:
    """An item's column named twice (``pd.concat`` of two exports' columns) is refused in words:
    ``data[name]`` is then a table, not a column, and every analysis that prepares the items
    (reliability, efa, screen...) stopped with an AttributeError."""
    names = data.columns[data.columns.duplicated()]
    dup = sorted({str(c) for c in names} & set(used))
    if dup:
        raise ScoringError(f"{src or 'data'}: column name(s) {', '.join(dup)} appear more than once; "
                           "keep one column per item.")


def _instruments_to_score(data: pd.DataFrame, instrument: Any,
                          column_map: Mapping[str, str] | None,
                          patterns: Mapping[str, str] | Sequence[str] | str | None,
                          src: str | None) -> list[Instrument]:
    """The instruments named, or those whose items the columns hold."""
    if instrument is not None:
        seq: list[Any] = list(instrument) if isinstance(instrument, (list, tuple)) else [instrument]
        return [load_instrument(i) for i in seq]
    found = detect_instruments(data.columns, column_map=column_map, patterns=patterns)
    if not found:
        raise ScoringError(
            f"{src or 'data'}: no instrument's items were found among the columns. Name the "
            "instrument with -i ID (see 'cscore instruments list') and map columns with --map "
            "or --pattern.")
    return [load_instrument(i) for i in found]


@dataclass
class _ScoredParts:
    """What scoring each instrument in turn has gathered."""

    values: dict[str, np.ndarray] = field(default_factory=dict)
    answered: dict[str, np.ndarray] = field(default_factory=dict)
    status: dict[str, np.ndarray] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    invalid_frames: list[pd.DataFrame] = field(default_factory=list)
    column_map: dict[str, str] = field(default_factory=dict)
    not_scored: dict[str, str] = field(default_factory=dict)
    errors: list[pd.DataFrame] = field(default_factory=list)

    def add(self, inst: Instrument, data: pd.DataFrame, **options: Any) -> None:
        """Score one instrument; keep its failure cases to report them all together."""
        try:
            v, a, st, r, prep, ns = _score_instrument(data, inst, require_all=False, **options)
        except ResponseValidationError as exc:
            self.errors.append(exc.failure_cases)
            return
        for sid in v:
            if sid in self.values:
                raise ScoringError(f"Two instruments produce the same output column {sid!r}.")
        self.values.update(v)
        self.answered.update(a)
        self.status.update(st)
        self.rules.extend(r)
        self.not_scored.update({f"{inst.id}:{k}": why for k, why in ns.items()})
        if len(prep.failures):
            self.invalid_frames.append(prep.failures)
        self.column_map.update(prep.column_map)

    def raise_problems(self, instruments: Sequence[Instrument], on_invalid: str,
                       src: str | None, columns: Sequence[Any] = ()) -> None:
        """Every failure case in one error; an error too when nothing could be scored."""
        if self.errors:
            failures = pd.concat(self.errors, ignore_index=True)
            failures = failures.sort_values(["row"], kind="stable").reset_index(drop=True)
            raise ResponseValidationError(ResponseValidationError.summary_message(
                failures, on_invalid == "error", columns=columns),
                                          failure_cases=failures, source=src)
        if not self.values:
            names = ", ".join(i.id for i in instruments)
            raise ScoringError(
                f"{src or 'data'}: none of the items of {names} are in the data. Check the column "
                f"names (items are named like {instruments[0].item_ids[0]}), or map them with --map "
                "or --pattern.")


def _output_frame(data: pd.DataFrame, parts: _ScoredParts, kept_ids: list[str] | None,
                  src: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Kept columns (the ids, or every non-item column) then the scores; unused columns."""
    item_columns = set(parts.column_map.values())
    kept = kept_ids if kept_ids is not None else [c for c in data.columns if c not in item_columns]
    # columns that look like items of an instrument but were not recognised were errors above;
    unused = [str(c) for c in data.columns if c not in item_columns and c not in kept]
    out = _kept_columns(data, kept)
    scores_df = _columns_frame(parts.values, data.index)
    clash = [c for c in scores_df.columns if c in out.columns]
    if clash:
        raise ScoringError(f"{src or 'data'}: the data already have column(s) {', '.join(clash)}, "
                           "which scoring would create. Rename or drop them first.")
    return pd.concat([out, scores_df], axis=1), unused


def _kept_columns(data: pd.DataFrame, kept: list[Any]) -> pd.DataFrame:
    """The columns ``kept`` of ``data``, in that order, the caller's own frame to change.

    With copy-on-write (pandas 3, or 2.x with the option on) the columns are dropped rather
    than selected: pandas then shares each column with ``data`` until one of the two is
    changed. Selecting copied every kept column twice (a wide survey scored for one
    instrument, 10⁶ rows x 221 other columns: 1.1-5 s, against 3 ms). Without it they are
    copied, so that changing the result never changes ``data``.
    """
    if not kept:
        return pd.DataFrame(index=data.index)
    keep = set(kept)
    in_order = [c for c in data.columns if c in keep] == list(kept)
    if not (in_order and _copy_on_write()):  # identifiers asked for in another order
        return data[kept].copy()
    return data.drop(columns=[c for c in data.columns if c not in keep])


def _copy_on_write() -> bool:
    """pandas copies a column shared by two frames when one of them changes it."""
    return int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


def _columns_frame(columns: Mapping[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(columns, index=index)``, without copying: runs of columns that are the
    consecutive rows of one 2-D array (the compiled kernel's results) become one block of the
    frame as they are, other columns a block each (the arrays are the scorer's own, never
    changed afterwards; consolidating 10⁶ rows x 3 scores cost 8-70 ms). Same frame, same
    dtypes."""
    runs: list[tuple[list[str], list[np.ndarray]]] = []
    for name, a in columns.items():
        prev = runs[-1][1][-1] if runs else None
        if prev is not None and (_next_row(prev, a) or (_base_row(prev) is None and _base_row(a) is None)):
            runs[-1][0].append(name)
            runs[-1][1].append(a)
        else:
            runs.append(([name], [a]))
    if all(len(names) == 1 for names, _ in runs):  # each array its own block, not copied
        return pd.DataFrame(dict(columns), index=index, copy=False)
    frames = []
    for names, arrays in runs:
        first = _base_row(arrays[0])
        if first is not None:
            block = cast(np.ndarray, arrays[0].base)[first:first + len(arrays)]
            frames.append(pd.DataFrame(block.T, index=index, columns=names, copy=False))
        else:
            frames.append(pd.DataFrame(dict(zip(names, arrays, strict=True)), index=index, copy=False))
    return pd.concat(frames, axis=1) if len(frames) > 1 else frames[0]


def _base_row(a: np.ndarray) -> int | None:
    """Which row ``a`` is of its C-contiguous 2-D base array (None: not such a row)."""
    base = a.base
    if not (isinstance(base, np.ndarray) and base.ndim == 2 and base.flags.c_contiguous
            and a.dtype == base.dtype and a.shape == base.shape[1:] and a.flags.c_contiguous):
        return None
    offset = a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    row, rest = divmod(offset, base.strides[0]) if base.strides[0] else (0, 1)
    return row if rest == 0 and 0 <= row < base.shape[0] else None


def _next_row(a: np.ndarray, b: np.ndarray) -> bool:
    """``b`` is the row after ``a`` of the same C-contiguous 2-D array."""
    row = _base_row(a)
    return row is not None and b.base is a.base and _base_row(b) == row + 1


def _warn_unverified(instruments: Sequence[Instrument], values: Mapping[str, Any]) -> None:
    unverified = [s.id for inst in instruments for s in inst.scores
                  if s.status == "unverified" and s.id in values]
    if unverified:
        warnings.warn(
            "score(s) " + ", ".join(unverified) + " use a key that the "
            "instrument file marks as not verified against its published source; check "
            "'cscore instruments show ID' before relying on them.", UnverifiedKeyWarning, stacklevel=4)


def item_scores(data: pd.DataFrame, instrument: InstrumentLike, score_id: str | None = None, *,
                keyed: bool = True, on_invalid: str = "error",
                column_map: Mapping[str, str] | None = None,
                patterns: Mapping[str, str] | Sequence[str] | str | None = None,
                reverse_coded: bool = False) -> pd.DataFrame:
    """Validated item values for one score's items (or all scored items).

    Values are recoded as declared and, with ``keyed=True``, reverse-keyed items are
    reversed (``min + max - x``) when the score uses keyed items. Fillers are excluded.
    Missing answers are NaN. Use this to feed reliability and factor analyses.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({f"fcs_oth_{i}": [0, 4, 2] for i in range(1, 11)})
    >>> item_scores(df, "fcs", "fcs_others").shape
    (3, 10)
    """
    inst = load_instrument(instrument)
    prep = prepare_responses(data, inst, column_map=column_map, patterns=patterns,
                             on_invalid=on_invalid, reverse_coded=reverse_coded)
    return keyed_item_frame(prep, inst, score_id, keyed=keyed)


def keyed_item_frame(prep: PreparedResponses, inst: Instrument, score_id: str | None = None, *,
                     keyed: bool = True) -> pd.DataFrame:
    """Item values of one score (all scored items when None) from validated responses.

    Reverse-keyed items are reversed when ``keyed`` and the score uses keyed items;
    fillers are excluded; NaN = missing. Nothing is validated again.
    """
    if score_id is None:
        wanted = [i.id for i in inst.items if i.scored and i.id in prep.item_ids]
        do_key = keyed
    else:
        s = inst.score(score_id)
        wanted = inst.score_items(score_id)
        do_key = keyed and (s.keying == "keyed" or bool(s.components))
    absent = [i for i in wanted if i not in prep.item_ids]
    if absent:
        raise ScoringError(f"{inst.id}: item column(s) {', '.join(absent)} are not in the data.")
    if not wanted:
        raise ScoringError(f"{inst.id}: none of its scored items are in the data.")
    idx = [prep.item_ids.index(i) for i in wanted]
    cols = [prep.columns[j] for j in idx]
    if do_key:
        flipped = _keyed_columns(cols, wanted, inst)
        cols = [flipped.get(k, c) for k, c in enumerate(cols)]
    return pd.DataFrame(np.column_stack(cols), index=prep.index, columns=wanted)


def detect_instruments(columns: Sequence[str], *, column_map: Mapping[str, str] | None = None,
                       patterns: Mapping[str, str] | Sequence[str] | str | None = None) -> list[str]:
    """Ids of shipped instruments with at least one complete score's items among ``columns``.

    Variants (files with ``base_instrument``) are only reported when their base is not
    also a match with more items present.
    """
    def frozen(value: Any) -> Any:
        if isinstance(value, Mapping):
            return ("map", tuple(sorted((str(k), str(v)) for k, v in value.items())))
        return value if value is None or isinstance(value, str) else ("seq", tuple(map(str, value)))

    from compassion_scales.instrument import shipped_ids

    return list(_detect_cached(tuple(str(c) for c in columns), frozen(column_map), frozen(patterns),
                               tuple(shipped_ids())))


@functools.lru_cache(maxsize=64)
def _detect_cached(cols: tuple[str, ...], column_map: Any, patterns: Any,
                   shipped: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`detect_instruments` on hashable arguments. The shipped files are part of the
    key (a shipped file is read once per process anyway), so the same header with the same
    options gives the answer of the first call."""
    from compassion_scales.instrument import iter_shipped

    def thawed(value: Any) -> Any:
        if isinstance(value, tuple):
            return dict(value[1]) if value[0] == "map" else list(value[1])
        return value

    cmap, pats = thawed(column_map), thawed(patterns)
    found: list[tuple[str, int, str | None]] = []
    for inst in iter_shipped():
        if inst.licence.get("proprietary"):
            continue
        try:
            mapping, _ = _resolve_columns(list(cols), inst, cmap, pats, None)
        except ScoringError:
            continue
        present = set(mapping)
        ok = any(all(i in present for i in inst.score_items(s.id)) for s in inst.scores)
        if ok:
            found.append((inst.id, len(present), inst.raw.get("base_instrument")))
    # prefer the instrument that explains the most columns among base/variant families
    ids = {f[0]: f for f in found}
    keep = []
    for iid, n, base in found:
        if base and base in ids and ids[base][1] >= n:
            continue
        variants = [f for f in found if f[2] == iid and f[1] > n]
        if variants:
            continue
        keep.append(iid)
    return tuple(keep)


def check_examples(instrument: InstrumentLike) -> list[str]:
    """Score an instrument's golden examples; return a list of mismatches (empty = all pass)."""
    inst = load_instrument(instrument)
    problems: list[str] = []
    for k, ex in enumerate(inst.examples, start=1):
        row = {i: np.nan for i in inst.item_ids}
        for key, val in ex["responses"].items():
            if key not in row:
                problems.append(f"example {k} ({ex['description']}): unknown item {key!r}")
                continue
            row[key] = np.nan if val is None else val
        frame = pd.DataFrame([row])
        if any(isinstance(v, str) for v in row.values()):
            frame = frame.astype(object)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnverifiedKeyWarning)
                res = score(frame, inst, source=f"{inst.id} example {k}")
        except Exception as exc:  # noqa: BLE001 - report, don't crash the validator
            problems.append(f"example {k} ({ex['description']}): scoring failed: {exc}")
            continue
        for sid, expected in ex["expected"].items():
            if sid not in res.scores.columns:
                problems.append(f"example {k} ({ex['description']}): no score {sid!r}")
                continue
            got = float(res.scores[sid].iloc[0])
            if expected is None:
                if not math.isnan(got):
                    problems.append(f"example {k} ({ex['description']}): {sid} expected missing, got {got:g}")
            elif math.isnan(got) or not math.isclose(got, float(expected), rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"example {k} ({ex['description']}): {sid} expected {expected:g}, got {got:g}")
    return problems
