"""Two occasions of measurement: one long table split by its time column, or two tables.

Shared by :func:`~compassion_scales.change` and :func:`~compassion_scales.retest` (and
the 0.1 call style of both, where the second table came second, before the instrument).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from compassion_scales.errors import AnalysisError

__all__ = ["select_occasion", "two_occasions", "second_table_positional", "check_distinct_occasions"]


def select_occasion(df: pd.DataFrame, col: str, value: Any) -> pd.DataFrame:
    """Rows of ``df`` whose time column ``col`` equals ``value`` (numbers compared as numbers).

    Examples
    --------
    >>> long = pd.DataFrame({"t": ["1", "2", "1.0"], "x": [1, 2, 3]})
    >>> select_occasion(long, "t", 1)["x"].tolist()
    [1, 3]
    """
    if col not in df.columns:
        raise AnalysisError(f"The time column {col!r} is not in the data; columns are: "
                            + ", ".join(map(str, df.columns[:30])) + ".")
    from compassion_scales._inputs import as_key, subset_rows

    mask = as_key(df[col]) == as_key(pd.Series([value])).iloc[0]
    return subset_rows(df, mask.fillna(False).to_numpy(dtype=bool))


def check_distinct_occasions(occasions: tuple[Any, Any], time: str | None,
                             what: str = "The two occasions") -> None:
    """Refuse two occasions that are the same value of the time column (``1`` and ``1.0`` too).

    Examples
    --------
    >>> check_distinct_occasions((1, "2"), "t")
    >>> check_distinct_occasions((1, "1.0"), "t")
    Traceback (most recent call last):
    ...
    compassion_scales.errors.AnalysisError: The two occasions are the same time (t = 1); give two different occasions (--occasions FIRST SECOND).
    """
    from compassion_scales._inputs import as_key

    first, second = (as_key(pd.Series([o])).iloc[0] for o in occasions)
    if first == second:
        raise AnalysisError(f"{what} are the same time ({time or 'time'} = {occasions[0]!r}); give "
                            "two different occasions (--occasions FIRST SECOND).")


def two_occasions(data: pd.DataFrame, second_data: pd.DataFrame | None = None, *,
                  time: str | None = None, occasions: tuple[Any, Any] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables of the first and second occasion: two tables, or one long table split.

    Examples
    --------
    >>> long = pd.DataFrame({"id": [1, 1, 2, 2], "t": [1, 2, 1, 2], "x": [5, 6, 7, 8]})
    >>> first, second = two_occasions(long, time="t", occasions=(1, 2))
    >>> first["x"].tolist(), second["x"].tolist()
    ([5, 7], [6, 8])
    """
    if second_data is not None:
        return data, second_data
    if time is None or occasions is None or any(o is None for o in occasions):
        raise AnalysisError("Give either two tables (before and after) or one long table with "
                            "time=... and occasions=(first, second).")
    check_distinct_occasions(occasions, time)
    out = []
    for value in occasions:
        part = select_occasion(data, time, value)
        if part.empty:
            raise AnalysisError(f"No rows have {time} = {value!r}; values present: "
                                + ", ".join(map(str, pd.unique(data[time].dropna())[:20])) + ".")
        out.append(part)
    return out[0], out[1]


Adapter = Callable[[tuple[Any, ...], dict[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]


def second_table_positional(func_name: str, old_name: str) -> Adapter:
    """An ``adapt=`` hook for :func:`compassion_scales._compat.renamed_arguments`.

    The 0.1 call ``f(first_df, second_df, instrument)`` (a table, or ``None`` followed by
    more arguments, in second place) becomes ``f(first_df, instrument,
    second_data=second_df)``, with a :class:`FutureWarning`. ``old_name`` is the 0.1
    keyword of the second table (``post_data``, ``time2``).

    Examples
    --------
    >>> hook = second_table_positional("change", "post_data")
    >>> a, b = pd.DataFrame(), pd.DataFrame({"x": [1]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     args, kwargs = hook((a, b, "fcs"), {})
    >>> args[1], list(kwargs)
    ('fcs', ['second_data'])
    """
    def adapt(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        second = args[1] if len(args) >= 2 else None
        if not (isinstance(second, pd.DataFrame) or (second is None and len(args) > 2)):
            return args, kwargs
        if "second_data" in kwargs or old_name in kwargs:
            raise TypeError(f"{func_name}(): give the second table once (second_data=...)")
        warnings.warn(f"{func_name}(): give the second occasion's table by name (second_data=...); "
                      "passing it in second place will stop working in version 1.0.",
                      FutureWarning, stacklevel=3)
        if second is not None:
            kwargs["second_data"] = second
        return (args[0], *args[2:]), kwargs

    return adapt
