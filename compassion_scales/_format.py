"""Rendering of DataFrames as text tables, CSV and JSON (shared by the library and the CLI).

Rounding happens here, at rendering time only; returned DataFrames are never rounded.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TABLE_STYLES", "DOCUMENT_SUFFIXES", "render_table", "to_jsonable", "dumps_json", "frame_records"]

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


def render_table(df: pd.DataFrame, fmt: str = "simple", decimals: int = 3,
                 index: bool = False, missing: str = "") -> str:
    """Render ``df`` through tabulate.

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
    from tabulate import tabulate

    floatfmt = f".{decimals}f"
    shown = [_shown_column(df.iloc[:, j], decimals) for j in range(df.shape[1])]
    # text columns stay text (an item numbered "2.10" must not print as 2.100)
    offset = 1 if index else 0
    text_cols = [j + offset for j, (_, numeric) in enumerate(shown) if not numeric]
    rows = [list(r) for r in zip(*(cells for cells, _ in shown), strict=True)] if shown else \
        [[] for _ in range(len(df))]
    headers = [str(c) for c in df.columns]
    if index:
        rows = [[i, *r] for i, r in zip(df.index, rows, strict=True)]
        headers = [str(df.index.name or ""), *headers]
    return tabulate(rows, headers=headers, tablefmt=fmt, floatfmt=floatfmt, missingval=missing,
                    disable_numparse=text_cols or False)


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
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
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
