"""Column descriptives equal pandas' Series.count/mean/std/min/max bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from compassion_scales.stats.descriptives import column_descriptives

cells = st.one_of(st.just(np.nan), st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 10).map(float))


@given(arrays(np.float64, st.tuples(st.integers(0, 40), st.integers(1, 4)), elements=cells))
def test_equals_pandas_column_by_column(values: np.ndarray) -> None:
    got = column_descriptives(values)
    frame = pd.DataFrame(values)
    for j in frame.columns:
        v = frame[j]
        n = int(v.notna().sum())
        assert got["count"][j] == n
        expected = {"mean": v.mean(), "sd": v.std(), "min": v.min(), "max": v.max()}
        for name, value in expected.items():
            if name == "sd" and n < 2 or n == 0:
                assert np.isnan(got[name][j]), (name, got[name][j])
            else:
                assert got[name][j] == value, (name, got[name][j], value)


def test_score_summary_is_the_per_column_pandas_summary() -> None:
    from testkit import EXAMPLES

    from compassion_scales.io import read_responses
    from compassion_scales.scoring import score

    res = score(read_responses(EXAMPLES / "responses.csv"), id=["pid", "time"])
    summary = res.summary.set_index("score")
    assert len(summary) >= 10
    for sid in summary.index:
        v = res.scores[sid]
        assert summary.loc[sid, "n_scored"] == v.notna().sum()
        assert summary.loc[sid, "n_missing"] == v.isna().sum()
        assert summary.loc[sid, "mean"] == v.mean() and summary.loc[sid, "sd"] == v.std()
        assert summary.loc[sid, "min"] == v.min() and summary.loc[sid, "max"] == v.max()
        assert summary.loc[sid, "n_complete"] == (res.status[sid] == "complete").sum()
