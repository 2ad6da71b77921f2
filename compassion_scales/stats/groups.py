"""The order in which groups are reported: one rule for every analysis with a ``group``."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["group_levels"]


def group_levels(values: pd.Series) -> list[Any]:
    """The groups present in ``values``, in report order.

    A categorical column keeps its category order (only categories present). Other values
    are sorted as R's ``factor()`` sorts them, so that "first group minus second" is the
    difference R's ``t.test(y ~ g)`` reports: numbers (also numbers read as text, as
    :func:`compassion_scales.read_responses` reads every column) by value, so ``"2"`` comes
    before ``"10"``; text alphabetically ignoring case first, lower case before upper case on
    a tie (R's collation: ``control`` before ``Treatment``), then by the exact text; mixed
    types as text. Missing values are not a group. Used by ``reliability``, ``compare`` and
    ``flows``.

    Examples
    --------
    >>> group_levels(pd.Series(["b", "a", None, "b"]))
    ['a', 'b']
    >>> group_levels(pd.Series(pd.Categorical(["lo", "hi"], categories=["lo", "mid", "hi"])))
    ['lo', 'hi']
    >>> group_levels(pd.Series([2, "a", 1], dtype=object))
    [1, 2, 'a']
    >>> group_levels(pd.Series(["Treatment", "control", "10", "2"]))
    ['2', '10', 'control', 'Treatment']
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    levels = list(pd.unique(values.dropna()))
    return sorted(levels, key=_r_order)


def _r_order(value: Any) -> tuple[Any, ...]:
    """Sort key: numbers (or text that is a number) by value before text; text by R's
    collation (case-insensitive, then lower case first), then exactly."""
    if not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
        if number is not None and number == number:  # NaN is not a number to sort by
            return (0, number, "", "", str(value))
    return (1, 0.0, *_collation_key(str(value)))


#: ASCII punctuation and symbols in the order of the Unicode collation algorithm's root
#: table (what R's ``sort`` uses through ICU): all of them before digits, digits before letters
_PUNCTUATION = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


def _collation_key(text: str) -> tuple[Any, ...]:
    """Unicode-collation-like key: letters ignoring accents and case, then accents, then
    case (lower first), then the exact text."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", text)
    base = "".join(c for c in nfd if not unicodedata.combining(c))
    primary = tuple((0, _PUNCTUATION.index(c)) if c in _PUNCTUATION else
                    (1, ord(c)) if c.isdigit() else (2, ord(c)) for c in base.casefold())
    accents = tuple(int(unicodedata.combining(c) > 0) for c in nfd)
    return (primary, accents, base.swapcase(), text)
