"""Occasions of measurement: their time order, and one long table split into two occasions.

:func:`time_order` is the one rule for the order of a time column's values, used by
:func:`~compassion_scales.flows`, :func:`~compassion_scales.report` and
:func:`~compassion_scales.retest`. :func:`two_occasions` is shared by
:func:`~compassion_scales.change` and :func:`~compassion_scales.retest` (and the 0.1 call
style of both, where the second table came second, before the instrument).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._format import column_hint
from compassion_scales.errors import AnalysisError

__all__ = ["select_occasion", "two_occasions", "second_table_positional", "check_distinct_occasions",
           "time_order"]


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
                            + ", ".join(map(str, df.columns[:30])) + "." + column_hint(df.columns, col))
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


def time_order(values: pd.Series, *, time: str, occasions: Sequence[Any] | None = None,
               how: str | None = None) -> list[Any]:
    """The occasions of the time column ``values``, in time order (missing values are none).

    With ``occasions`` (every occasion to analyse, in time order): the values of the data in
    that order, compared as text (:func:`~compassion_scales._inputs.as_key`: ``1``, ``1.0``
    and ``"1"`` are one occasion). An occasion not in the data is an error; data at an
    occasion not listed are left out (the caller drops those rows), as ``change`` and
    ``retest`` keep only the occasions they are given.

    Without ``occasions`` the column must carry its own order: numbers (also numbers read
    as text, as :func:`compassion_scales.read_responses` reads a CSV) by value; dates
    (date columns, or ISO 8601 text such as ``2026-01-05``) by date; a categorical column
    (e.g. SPSS value labels) in its category order. Text labels (``pre``/``mid``/``post``,
    ``T1-baseline``) are an error naming the labels and the option that orders them:
    alphabetical order (R's ``factor()``) would put ``mid`` before ``post`` before ``pre``.
    ``how`` says in that message how to give the order (default: ``occasions=[...]`` /
    ``--occasions`` once per label, in time order).

    Examples
    --------
    >>> time_order(pd.Series(["10", "2", None, "2"]), time="wave")
    ['2', '10']
    >>> time_order(pd.Series(["post", "pre", "mid"]), time="wave", occasions=["pre", "mid", "post"])
    ['pre', 'mid', 'post']
    >>> time_order(pd.Series(["post", "pre"]), time="wave")
    Traceback (most recent call last):
    ...
    compassion_scales.errors.AnalysisError: The time column 'wave' holds the text labels 'post', 'pre', which cannot be put in time order by themselves (alphabetical order is not time order); say which comes first: list every occasion in time order with occasions=[...] / --occasions FIRST NEXT ... (e.g. --occasions post pre).
    """
    present = [v for v in pd.unique(values) if not pd.isna(v)]
    if occasions is not None:
        return _listed_order(values, present, time, occasions)
    order = _natural_order(values, present)
    if order is None:
        shown = ", ".join(map(repr, present[:10])) + (", ..." if len(present) > 10 else "")
        how = how or ("list every occasion in time order with occasions=[...] / --occasions FIRST "
                      "NEXT ... (e.g. --occasions " + " ".join(_cli_word(v) for v in present[:4]) + ")")
        raise AnalysisError(
            f"The time column {time!r} holds the text labels {shown}, which cannot be put in time "
            f"order by themselves (alphabetical order is not time order); say which comes first: {how}.")
    return order


def _cli_word(value: Any) -> str:
    """A label as typed on a command line (quoted when it holds a space)."""
    text = str(value)
    return f"'{text}'" if any(c.isspace() for c in text) or not text else text


def _natural_order(values: pd.Series, present: list[Any]) -> list[Any] | None:
    """Numbers, dates and categories in their own order; ``None`` for text labels."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if c in set(present)]
    if pd.api.types.is_bool_dtype(values.dtype) or not present:
        return sorted(present)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return sorted(present)
    key = pd.Series(present, dtype=object)
    numbers = pd.to_numeric(key.astype(str).str.strip(), errors="coerce")
    if numbers.notna().all():
        return [present[i] for i in np.argsort(numbers.to_numpy(float), kind="stable")]
    if all(isinstance(v, (dt.date, pd.Timestamp)) for v in present):
        dates = pd.to_datetime(key)
    elif key.astype(str).str.strip().str.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?").all():
        dates = pd.to_datetime(key.astype(str).str.strip(), format="ISO8601", errors="coerce")
    else:
        return None
    if dates.isna().any():
        return None
    return [present[i] for i in np.argsort(dates.to_numpy(), kind="stable")]


def _listed_order(values: pd.Series, present: list[Any], time: str, occasions: Sequence[Any]
                  ) -> list[Any]:
    """The data's values in the order of ``occasions``; unknown or repeated occasions refused."""
    from compassion_scales._inputs import as_key

    if isinstance(occasions, (str, bytes)) or not len(occasions):
        raise AnalysisError("occasions: give a list of the time column's values in time order "
                            f"(occasions=[...] / --occasions FIRST NEXT ...), not {occasions!r}.")
    wanted = list(as_key(pd.Series(list(occasions), dtype=object)))
    twice = sorted({str(o) for o, k in zip(occasions, wanted, strict=True) if wanted.count(k) > 1})
    if twice:
        raise AnalysisError(f"occasions names {', '.join(twice)} more than once; list each occasion of "
                            f"{time!r} once, in time order.")
    keys = list(as_key(pd.Series(present, dtype=object)))
    absent = [o for o, k in zip(occasions, wanted, strict=True) if k not in keys]
    if absent:
        found = ", ".join(map(str, present[:20])) + (", ..." if len(present) > 20 else "")
        raise AnalysisError(f"No rows have {time} = " + ", ".join(map(repr, absent))
                            + f" (occasions); the values of {time!r} are: {found}.")
    rank = {k: i for i, k in enumerate(wanted)}
    return [present[i] for i in sorted((i for i, k in enumerate(keys) if k in rank),
                                        key=lambda i: rank[keys[i]])]


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
