"""Band (interpretation category) columns from an instrument file's bands and cut-offs.

Each score with ``interpretation`` bands (``label``, ``min``, ``max``) gets a text column
``<score>_band``; a score with only a ``cutoffs`` entry gets two categories (at/over the
cut-off, or not). Scores with neither get no column. The source of every band set is
returned so that provenance files can record it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BandSet", "band_sets", "add_bands"]


@dataclass(frozen=True)
class BandSet:
    """The categories of one score: ordered labels with their lower bounds."""

    score: str
    column: str
    name: str
    labels: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    status: str
    source: str
    instrument: str

    def assign(self, values: pd.Series) -> pd.Series:
        """The band label of each value (missing outside the bands or for missing scores).

        A value belongs to the last band whose lower bound it reaches, so prorated
        non-integer sums between two bands' printed ranges (22.5 between 10-22 and 23-41)
        fall in the lower one.
        """
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        lower = np.asarray(self.lower, dtype=float)
        idx = np.searchsorted(lower, x, side="right") - 1
        ok = ~np.isnan(x) & (idx >= 0) & (x <= self.upper[-1])
        labels = np.asarray(self.labels, dtype=object)
        out = np.where(ok, labels[np.clip(idx, 0, len(labels) - 1)], None)
        return pd.Series(out, index=values.index, dtype=object, name=self.column)

    def codes(self) -> dict[int, str]:
        """Value labels ``{1: first label, 2: second, ...}`` for SPSS/Stata."""
        return {i + 1: lab for i, lab in enumerate(self.labels)}


def _band_set(inst: Any, score: Any) -> BandSet | None:
    for interp in score.interpretation:
        bands = sorted(interp["bands"], key=lambda b: float(b["min"]))
        return BandSet(score=score.id, column=f"{score.id}_band", name=str(interp["name"]),
                       labels=tuple(str(b["label"]) for b in bands),
                       lower=tuple(float(b["min"]) for b in bands),
                       upper=tuple(float(b["max"]) for b in bands),
                       status=str(interp.get("status", "")), source=str(interp.get("source", "")),
                       instrument=f"{inst.id} {inst.version}")
    for cut in score.cutoffs:
        v = float(cut["value"])
        label = str(cut["label"])
        if cut["direction"] == "at_or_above":
            labels, lower = (f"below cut-off (< {v:g})", label), (-np.inf, v)
        else:
            labels, lower = (label, f"above cut-off (> {v:g})"), (-np.inf, np.nextafter(v, np.inf))
        return BandSet(score=score.id, column=f"{score.id}_band", name=f"cut-off {v:g}",
                       labels=labels, lower=lower, upper=(v, np.inf),
                       status=str(cut.get("status", "")), source=str(cut.get("source", "")),
                       instrument=f"{inst.id} {inst.version}")
    return None


def band_sets(instruments: Sequence[Any] | Any) -> list[BandSet]:
    """Every score's band set in the instrument(s) (ids or loaded instruments).

    Examples
    --------
    >>> [b.column for b in band_sets("proqol5")]
    ['proqol_cs_band', 'proqol_bo_band', 'proqol_sts_band']
    """
    from compassion_scales.instrument import load_instrument

    items: list[Any] = list(instruments) if isinstance(instruments, (list, tuple)) else [instruments]
    out = []
    for ref in items:
        inst = load_instrument(ref) if isinstance(ref, str) else ref
        for s in inst.scores:
            b = _band_set(inst, s)
            if b is not None:
                out.append(b)
    return out


def add_bands(scores: pd.DataFrame, instruments: Sequence[Any] | Any) -> tuple[pd.DataFrame, list[BandSet]]:
    """``scores`` with a ``<score>_band`` column after each banded score present.

    Returns the new table and the band sets used (for labels and provenance).

    Examples
    --------
    >>> df = pd.DataFrame({"proqol_cs": [20.0, 22.5, 45.0, None]})
    >>> out, used = add_bands(df, "proqol5")
    >>> out["proqol_cs_band"].tolist()
    ['low', 'low', 'high', None]
    """
    out = scores.copy()
    used = []
    for b in band_sets(instruments):
        if b.score not in out.columns:
            continue
        out.insert(out.columns.get_loc(b.score) + 1, b.column, b.assign(out[b.score]))
        used.append(b)
    return out, used
