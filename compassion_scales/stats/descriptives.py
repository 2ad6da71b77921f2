"""Descriptive statistics of the columns of a float matrix, NaN skipped, as pandas computes them."""

from __future__ import annotations

import numpy as np


def column_descriptives(values: np.ndarray) -> dict[str, np.ndarray]:
    """Count, mean, SD (n - 1), min and max of each column of an (n x k) float array.

    Missing values (NaN) are skipped. The arithmetic is pandas' own (``Series.mean`` and
    ``Series.std`` without bottleneck: a sum with the missing cells set to 0, divided by the
    count; the SD from the squared deviations about that mean), so the results are bit for
    bit those of ``frame.mean()``/``frame.std()`` column by column, in one call.

    Examples
    --------
    >>> d = column_descriptives(np.array([[1.0, np.nan], [2.0, np.nan], [4.0, 3.0]]))
    >>> d["count"].tolist(), d["mean"].tolist()
    ([3, 1], [2.3333333333333335, 3.0])
    >>> bool(np.isnan(d["sd"][1]))  # one value: no SD
    True
    """
    n, k = values.shape
    out = {name: np.full(k, np.nan) for name in ("mean", "sd", "min", "max")}
    count = np.zeros(k, dtype=np.int64)
    for j in range(k):  # a few score columns; each reduction is over n rows
        v = np.ascontiguousarray(values[:, j])
        mask = np.isnan(v)
        c = n - int(np.count_nonzero(mask))
        count[j] = c
        if c == 0:
            continue
        filled = np.where(mask, 0.0, v)
        mean = filled.sum(dtype=np.float64) / c
        out["mean"][j] = mean
        out["min"][j] = np.fmin.reduce(v)
        out["max"][j] = np.fmax.reduce(v)
        if c > 1:
            sqr = (mean - filled) ** 2
            sqr[mask] = 0.0
            out["sd"][j] = np.sqrt(sqr.sum(dtype=np.float64) / (c - 1))
    return {"count": count, **out}
