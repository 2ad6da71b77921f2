"""Rendering of DataFrames as text tables, CSV and JSON (shared by the library and the CLI).

Rounding happens here, at rendering time only; returned DataFrames are never rounded.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TABLE_STYLES", "DOCUMENT_SUFFIXES", "render_table", "to_jsonable", "dumps_json", "frame_records",
           "column_hint", "name_columns"]

#: tabulate styles offered by ``--fmt``.
TABLE_STYLES = ("simple", "plain", "github", "grid", "pipe", "latex", "latex_booktabs", "html", "rst")

#: Output files written as documents (all tables of a command) rather than data
#: (``reporting.tables.write_tables``); kept here so that checking an output path does not
#: import the reporting layer (#16).
DOCUMENT_SUFFIXES = (".docx", ".tex", ".html", ".htm", ".md")


def _shown_column(series: pd.Series, decimals: int) -> tuple[list[Any], bool]:
    """One column as tabulate cells (None = missing; floats rounded) and whether it is numeric."""
    if series.dtype == object:
        # object columns holding only numbers and missing values are shown as numbers
        nonnull = series.dropna()
        if len(nonnull) and all(isinstance(v, (int, float, np.integer, np.floating))
                                and not isinstance(v, bool) for v in nonnull):
            series = pd.to_numeric(series)
    if pd.api.types.is_float_dtype(series):
        series = series.round(decimals)
    # object cells keep each column's own type (integers are not shown as 1.0)
    cells = series.to_numpy(dtype=object, copy=True)
    missing = series.isna().to_numpy()
    if missing.any():
        cells[missing] = None
    return cells.tolist(), pd.api.types.is_numeric_dtype(series)


def plain_table(rows: list[list[Any]], headers: list[str], align: list[str], fmt: str
                 ) -> str | None:
    """tabulate's ``simple`` or ``plain`` text of a table of printable ASCII strings, byte for
    byte, without tabulate's per-cell type detection (about 20x faster: a 90,000-row ``change``
    table took 6.5 s in tabulate). None for anything else, which tabulate renders.

    As tabulate with ``disable_numparse=True`` and ``colalign``: cells are stripped, a
    column is as wide as its widest cell and at least its header plus 2, cells and headers
    are padded to the column's alignment, columns are joined by two spaces, lines are
    right-stripped, and ``simple`` puts a line of dashes under the header.
    ``tests/reporting/test_tables_text.py`` compares both on random tables.
    """
    if fmt not in ("simple", "plain") or not rows or not headers or len(align) != len(headers):
        return None
    if any(a not in ("left", "right") for a in align) or any(len(r) != len(headers) for r in rows):
        return None
    columns = list(zip(*rows, strict=True))
    try:
        text = " ".join([*headers, *(" ".join(col) for col in columns)])
    except TypeError:  # a cell that is not text
        return None
    if not (text.isascii() and text.isprintable()):  # wide, control or escape characters
        return None
    shown, names, dashes = [], [], []
    for name, col, a in zip(headers, columns, align, strict=True):
        cells = [c.strip() for c in col]
        width = max(len(name) + 2, max(map(len, cells)))
        right = a == "right"
        shown.append([c.rjust(width) for c in cells] if right else [c.ljust(width) for c in cells])
        names.append(name.rjust(width) if right else name.ljust(width))
        dashes.append("-" * width)
    lines = ["  ".join(names).rstrip()]
    if fmt == "simple":
        lines.append("  ".join(dashes).rstrip())
    lines.extend("  ".join(r).rstrip() for r in zip(*shown, strict=True))
    return "\n".join(lines)


def render_table(df: pd.DataFrame, fmt: str = "simple", decimals: int = 3,
                 index: bool = False, missing: str = "") -> str:
    """Render ``df`` as tabulate does (``simple`` and ``plain`` tables of plain cells are
    written without it, byte for byte the same).

    Parameters
    ----------
    df : DataFrame
        The table to render.
    fmt : str
        A tabulate style, e.g. ``"simple"``, ``"github"``, ``"latex"``, ``"html"``.
    decimals : int
        Decimals shown for floating-point columns.
    index : bool
        Whether to show the index.
    missing : str
        Text shown for missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> print(render_table(pd.DataFrame({"score": ["a"], "value": [1.23456]}), decimals=2))
    score      value
    -------  -------
    a           1.23
    """
    shown = [_shown_column(df.iloc[:, j], decimals) for j in range(df.shape[1])]
    headers = [str(c) for c in df.columns]
    if not index and not missing:
        fast = _fast_table(shown, headers, fmt, decimals)
        if fast is not None:
            return fast
    from tabulate import tabulate

    # text columns stay text (an item numbered "2.10" must not print as 2.100)
    offset = 1 if index else 0
    text_cols = [j + offset for j, (_, numeric) in enumerate(shown) if not numeric]
    rows = [list(r) for r in zip(*(cells for cells, _ in shown), strict=True)] if shown else \
        [[] for _ in range(len(df))]
    if index:
        rows = [[i, *r] for i, r in zip(df.index, rows, strict=True)]
        headers = [str(df.index.name or ""), *headers]
    return tabulate(rows, headers=headers, tablefmt=fmt, floatfmt=f".{decimals}f",
                    missingval=missing, disable_numparse=text_cols or False)


def _fast_table(shown: list[tuple[list[Any], bool]], headers: list[str], fmt: str,
                decimals: int) -> str | None:
    """What :func:`render_table` gets from tabulate (no index, missing shown as ""), written
    by :func:`plain_table`; None when a cell is not a str, an int or a finite float (a bool,
    a date, infinity: tabulate types or aligns those its own way) or not printable ASCII.

    As tabulate does: a numeric column of ints is written ``str(v)``, one with a float
    ``format(v, ".{decimals}f")`` (its ints too), both right-aligned (tabulate's ``decimal``
    alignment is the same here: every number has the same decimals, and a missing cell,
    padded by it, never sets the width); a text column, or one with no value, left-aligned.
    """
    columns, align = [], []
    for cells, numeric in shown:
        kinds = {type(v) for v in cells} - {type(None)}
        if numeric and kinds and kinds <= {int, float}:
            if float in kinds:
                if not all(v is None or math.isfinite(v) for v in cells):
                    return None
                columns.append(["" if v is None else format(float(v), f".{decimals}f") for v in cells])
            else:
                columns.append(["" if v is None else str(v) for v in cells])
            align.append("right")
        elif kinds <= {str} and not (numeric and kinds):
            columns.append(["" if v is None else v for v in cells])
            align.append("left")
        else:
            return None
    rows = [list(r) for r in zip(*columns, strict=True)]
    return plain_table(rows, headers, align, fmt)


#: exact types to_jsonable returns unchanged (subclasses such as numpy.str_ take the long way)
_PLAIN = frozenset({str, int, bool})


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers into plain JSON-able Python objects.

    NaN and infinities become ``None``.
    """
    if value is None or type(value) in _PLAIN:  # most cells: returned as they are, no checks
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return frame_records(value)
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.date, dt.time)):  # SPSS/Stata dates and times
        return value.isoformat()
    if isinstance(value, decimal.Decimal):  # Parquet decimals: their digits, as CSV output writes them
        return str(value)
    if hasattr(value, "value") and hasattr(value, "name") and type(value).__module__ != "builtins":
        # Enum members
        return to_jsonable(value.value)
    return value


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows of ``df`` as a list of JSON-able dicts (index dropped)."""
    cols = [str(c) for c in df.columns]
    out: list[dict[str, Any]] = []
    for row in df.itertuples(index=False, name=None):
        out.append({c: to_jsonable(v) for c, v in zip(cols, row, strict=True)})
    return out


def dumps_json(obj: Any, indent: int | None = 2) -> str:
    """Serialise ``obj`` (dicts, lists, DataFrames, numpy scalars) to JSON text."""
    return json.dumps(to_jsonable(obj), indent=indent, ensure_ascii=False, allow_nan=False)


def column_hint(columns: Any, name: Any) -> str:
    """A sentence naming a column that differs from ``name`` only by surrounding spaces or
    case (``" group "`` for ``"group"``), or ``""``: appended to "column not in the data".

    Item columns are matched ignoring both; role columns (group, id, time...) are taken as
    named, so the near miss is pointed out instead.

    Examples
    --------
    >>> column_hint([" pid ", "time"], "pid")
    " The column ' pid ' differs from 'pid' only by surrounding spaces or case: give the name as it is written, or strip the names (data.columns = data.columns.str.strip())."
    >>> column_hint(["pid"], "group")
    ''
    """
    want = str(name).strip().casefold()
    near = [c for c in columns if isinstance(c, str) and c != name and c.strip().casefold() == want]
    if not near:
        return ""
    return (f" The column {near[0]!r} differs from {str(name)!r} only by surrounding spaces or case: "
            "give the name as it is written, or strip the names (data.columns = data.columns.str.strip()).")


def name_columns(columns: Any, shown: int = 15) -> str:
    """The first ``shown`` column names and a count of the rest: a wide export has thousands.

    Examples
    --------
    >>> name_columns(["a", "b", "c"], shown=2)
    'a, b and 1 more'
    """
    names = [str(c) for c in columns]
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
