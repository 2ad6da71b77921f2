"""Property-based tests (hypothesis) for scoring invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from testkit import DATA

from compassion_scales.instrument import load_instrument
from compassion_scales.scoring import _keyed, score

TOY = str(DATA / "toy_scale.yaml")
FCS_SELF = [f"fcs_self_{i}" for i in range(1, 16)]
SETTINGS = settings()  # the profile of tests/conftest.py: 60 examples (dev), 150 (ci)

answers = st.one_of(st.none(), st.integers(0, 4))
rows = st.lists(st.lists(answers, min_size=15, max_size=15), min_size=1, max_size=25)


def frame(data: list[list[int | None]]) -> pd.DataFrame:
    df = pd.DataFrame(data, columns=FCS_SELF, dtype="float64")
    df.insert(0, "pid", [f"id{i}" for i in range(len(df))])
    return df


@SETTINGS
@given(rows, st.sampled_from([None, 0.5, 0.8, 1.0]))
def test_rows_order_ids_and_range(data: list[list[int | None]], prorate: float | None) -> None:
    df = frame(data)
    res = score(df, "fcs", id_cols="pid", prorate=prorate)
    assert len(res.scores) == len(df)
    assert list(res.scores["pid"]) == list(df["pid"])
    s = res.scores["fcs_self"].dropna()
    assert ((s >= 0) & (s <= 60)).all()
    answered = df[FCS_SELF].notna().sum(axis=1)
    # complete rows equal the plain sum; all-missing rows are missing, never 0
    complete = answered == 15
    assert np.allclose(res.scores.loc[complete, "fcs_self"], df.loc[complete, FCS_SELF].sum(axis=1))
    assert res.scores.loc[answered == 0, "fcs_self"].isna().all()
    if prorate is None:
        assert res.scores.loc[~complete, "fcs_self"].isna().all()


@SETTINGS
@given(rows, st.randoms(use_true_random=False))
def test_shuffling_columns_changes_nothing(data: list[list[int | None]], rnd) -> None:
    df = frame(data)
    cols = list(df.columns)
    rnd.shuffle(cols)
    a = score(df, "fcs", id_cols="pid", prorate=0.8).scores
    b = score(df[cols], "fcs", id_cols="pid", prorate=0.8).scores
    pd.testing.assert_frame_equal(a, b)


@SETTINGS
@given(st.lists(st.lists(st.integers(1, 5), min_size=3, max_size=3), min_size=1, max_size=20))
def test_reversing_twice_is_identity(data: list[list[int]]) -> None:
    inst = load_instrument(TOY)
    values = np.array(data, dtype=float)
    ids = ["toy_1", "toy_2", "toy_3"]
    once = _keyed(values, ids, inst)
    twice = _keyed(once, ids, inst)
    assert np.array_equal(twice, values)
    assert np.array_equal(once[:, 1], 6 - values[:, 1])


@SETTINGS
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=2, max_size=2),
                min_size=1, max_size=20))
def test_mean_score_between_item_min_and_max(data: list[list[int | None]]) -> None:
    df = pd.DataFrame(data, columns=["toy_5", "toy_6"], dtype="float64")
    res = score(df, TOY)
    b = res.scores["toy_b"]
    lo = df.min(axis=1)
    hi = df.max(axis=1)
    ok = b.notna()
    assert ((b[ok] >= lo[ok]) & (b[ok] <= hi[ok])).all()


@SETTINGS
@given(rows)
def test_row_permutation_commutes(data: list[list[int | None]]) -> None:
    df = frame(data)
    perm = np.random.default_rng(len(data)).permutation(len(df))
    a = score(df, "fcs", id_cols="pid", prorate=0.8).scores.iloc[perm]
    b = score(df.iloc[perm], "fcs", id_cols="pid", prorate=0.8).scores
    pd.testing.assert_frame_equal(a, b)
