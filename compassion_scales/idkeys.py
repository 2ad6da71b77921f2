"""One text key per row from one or more identifier columns (shared by scoring, the input
layer and streaming)."""

from __future__ import annotations

import pandas as pd

#: joins the parts of a key (a control character no identifier holds)
KEY_SEPARATOR = "\x1f"


def join_columns(text: pd.DataFrame, sep: str = KEY_SEPARATOR) -> pd.Series:
    """The text columns of ``text`` joined row by row with ``sep``, in one vectorised call.

    A row with a missing part has a missing key. One column is returned as it is.

    Examples
    --------
    >>> frame = pd.DataFrame({"pid": ["P1", "P2", None], "time": ["1", "2", "1"]}, dtype="string")
    >>> join_columns(frame, sep="/").tolist()
    ['P1/1', 'P2/2', <NA>]
    """
    first = text.iloc[:, 0]
    if text.shape[1] == 1:
        return first
    return first.str.cat([text.iloc[:, j] for j in range(1, text.shape[1])], sep=sep)
