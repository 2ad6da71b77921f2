"""The order in which groups are reported: one rule for every analysis with a ``group``."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["group_levels"]


def group_levels(values: pd.Series) -> list[Any]:
    """The groups present in ``values``, in report order.

    A categorical column keeps its category order (only categories present); other
    values are sorted, as text when they do not sort among themselves (mixed types).
    Missing values are not a group. Used by ``reliability``, ``compare`` and ``flows``.

    Examples
    --------
    >>> group_levels(pd.Series(["b", "a", None, "b"]))
    ['a', 'b']
    >>> group_levels(pd.Series(pd.Categorical(["lo", "hi"], categories=["lo", "mid", "hi"])))
    ['lo', 'hi']
    >>> group_levels(pd.Series([2, "a", 1], dtype=object))
    [1, 2, 'a']
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    levels = list(pd.unique(values.dropna()))
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=str)
