"""Score a Dask DataFrame (a partitioned dataset) partition by partition (#16).

``compassion_scales.score(ddf, ...)`` on a Dask DataFrame comes here. Every partition is
scored by the same function as the in-memory path (:func:`compassion_scales.scoring.score`,
passed in as ``score_fn`` so that this module does not import the scoring module back), through
``map_partitions`` with an explicit ``meta`` taken from scoring the first non-empty partition. The
result is a lazy Dask DataFrame of scores with the partitions' index, rows in input order and
the identifier (and other kept) columns; once computed, it equals the in-memory scores of the
concatenated data.

Before anything is scored, one pass over the data (the identifier columns only, where the
reader can select columns) counts the rows of each partition, so that row numbers in error
messages count over the whole dataset (header = row 1), and checks that identifiers are unique
across partitions (a Dask group-by count; only repeated identifiers come back to the client).

Dask is an optional extra (``pip install 'compassion-scales[dask]'``) and is imported only
here, inside functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import Reason, ResponseValidationError, ScoringError

__all__ = ["score_partitions", "is_dask_frame"]


def is_dask_frame(data: Any) -> bool:
    """True when ``data`` is a Dask DataFrame (checked without importing Dask).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask_frame(pd.DataFrame({"a": [1]}))
    False
    """
    return type(data).__module__.startswith("dask") and hasattr(data, "map_partitions")


def score_partitions(ddf: Any, score_fn: Callable[..., Any], instrument: Any = None, *,
                     id: Sequence[str] | str | None = None, first_row: int | None = None,
                     **options: Any) -> Any:
    """Score every partition of a Dask DataFrame with ``score_fn``; return a Dask DataFrame.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Raw responses, one row per respondent, in any number of partitions.
    score_fn : callable
        The in-memory scoring function, :func:`compassion_scales.scoring.score`.
    instrument
        As for :func:`compassion_scales.scoring.score`; ``None`` detects the instruments
        once, from the first non-empty partition, and scores every partition with them.
    id : str or list of str, optional
        Identifier column(s): unique together across all partitions, each row with at
        least one filled (as for :func:`compassion_scales.scoring.score`).
    first_row : int, optional
        Row number of the first data row in messages (default: the frame's
        ``attrs["first_row"]`` as set by the file readers, else 2: header = row 1).
    **options
        ``on_invalid``, ``column_map``, ``patterns``, ``prorate``, ``keep``,
        ``reverse_coded``: as for :func:`compassion_scales.scoring.score`.

    Returns
    -------
    dask.dataframe.DataFrame
        The scores (the ``scores`` table of the in-memory result), lazy.

    Raises
    ------
    ResponseValidationError
        Repeated identifiers across partitions (checked before scoring); invalid answers
        in a partition (raised when the result is computed).
    """
    import dask

    ids = [id] if isinstance(id, str) else list(id or [])
    if first_row is None:
        first_row = int(getattr(getattr(ddf, "_meta", None), "attrs", {}).get("first_row", 2))
    missing = [c for c in ids if c not in ddf.columns]
    if missing:
        raise ScoringError(f"the identifier column(s) {', '.join(missing)} are not in the data "
                           f"(columns: {', '.join(map(str, list(ddf.columns)[:12]))}).")
    # the lengths of the very partitions that are scored (an opaque function, so the reader
    # cannot drop columns and regroup partitions as it may for ``ddf[ids]``)
    lengths_job = ddf.map_partitions(_length, meta=(None, "int64"))
    keys = ddf[ids]
    if ids:
        # rows with no identifier at all are reported by each partition's scoring; a partly
        # empty identifier of several columns is a key (empty counts as a value: row_keys)
        keys = keys[~keys.isna().all(axis=1)]
        counts = keys.assign(__n=1).groupby(ids, dropna=False)["__n"].sum(
            split_out=max(1, ddf.npartitions), shuffle_method="tasks")
        lengths, repeated = dask.compute(lengths_job, counts[counts > 1])
    else:
        (lengths,), repeated = dask.compute(lengths_job), None
    starts = first_row + np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))[:-1]])
    if repeated is not None and len(repeated):
        _raise_repeated(ddf, ids, repeated, starts)
    filled = [i for i, n in enumerate(lengths) if n]
    if not filled:
        raise ScoringError(f"{options.get('source') or 'data'}: there are no rows to score.")
    first = ddf.partitions[filled[0]].compute()
    head = score_fn(first, instrument, id=ids, first_row=int(starts[filled[0]]), **options)
    instruments = list(head.instruments)
    meta = head.scores.iloc[:0]

    def one(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
        number = partition_info["number"] if partition_info else 0
        if len(part) == 0:
            return meta.copy()
        return score_fn(part, instruments, id=ids, first_row=int(starts[number]),
                        **options).scores

    return ddf.map_partitions(one, meta=meta, enforce_metadata=False, align_dataframes=False)


def _length(part: pd.DataFrame) -> int:
    return len(part)


def _raise_repeated(ddf: Any, ids: list[str], repeated: pd.Series, starts: np.ndarray) -> None:
    """Find the rows of repeated identifiers (a second pass) and raise one error listing them."""
    from compassion_scales.errors import repeat_hint
    from compassion_scales.idkeys import row_keys, shown_ids

    wanted = row_keys(repeated.index.to_frame(index=False).astype("string")).dropna().unique()

    def rows(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
        start = int(starts[partition_info["number"] if partition_info else 0])
        keys = row_keys(part[ids].astype("string"))
        pos = np.flatnonzero(keys.isin(wanted).to_numpy())
        return pd.DataFrame({"row": start + pos, "key": keys.iloc[pos].to_numpy(dtype=object),
                             "shown": shown_ids(part[ids].iloc[pos]).to_numpy(dtype=object)})

    found = ddf.map_partitions(rows, meta={"row": "int64", "key": "object", "shown": "object"}).compute()
    found = found.sort_values("row", kind="stable").reset_index(drop=True)
    first_seen = found.groupby("key", sort=False)["row"].transform("min")
    later = found[found["row"] != first_seen].head(1000)
    column = ", ".join(ids)
    cases = [dict(row=int(r), column=column, item=None, value=str(k), reason=Reason.DUPLICATE_ID.value,
                  message=f"row {int(r)}, column {column}: identifier {k} already used in row {int(f)}")
             for r, k, f in zip(later["row"], later["shown"], first_seen[later.index], strict=True)]
    failures = pd.DataFrame(cases, columns=["row", "column", "item", "value", "reason", "message"])
    n = len(failures)
    raise ResponseValidationError(
        f"{n} repeated identifier{'s' if n != 1 else ''} across the partitions "
        f"(first: {cases[0]['message']}).{repeat_hint(ids, list(ddf.columns))}", failure_cases=failures)
