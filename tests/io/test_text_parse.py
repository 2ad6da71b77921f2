"""Answers decided a block at a time equal the column-by-column path: text parsed from arrow
buffers equals pyarrow's cast; numeric blocks equal :func:`_fast_numeric` column by column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from compassion_scales.instrument import load_instrument
from compassion_scales.scoring import (
    _fast_numeric,
    _numeric_block,
    _short_whole_numbers,
    _text_block,
    prepare_responses,
)

cell = st.one_of(st.none(), st.just(""), st.integers(0, 10).map(str), st.integers(0, 99).map(str),
                 st.sampled_from(["4.0", "x", "-1", "1.5", " 3", "05"]))


def cast(values: list[str | None]) -> np.ndarray | None:
    arr = pa.array([None if v == "" else v for v in values], pa.large_string())
    try:
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None


@given(st.lists(cell, min_size=1, max_size=30), st.integers(0, 3))
def test_buffer_parse_equals_the_cast_or_declines(values: list[str | None], cut: int) -> None:
    arr = pa.array(["9"] * cut + values, pa.large_string()).slice(cut)  # a non-zero offset too
    got = _short_whole_numbers(arr)
    if got is None:
        return  # declined: the caller casts
    expected = cast(values)
    assert expected is not None, values
    np.testing.assert_array_equal(got, expected)


def test_mixed_one_and_two_digits_are_read_not_declined() -> None:
    got = _short_whole_numbers(pa.array(["10", "3", None, "", "0", "07"], pa.large_string()))
    assert got is not None
    np.testing.assert_array_equal(got, [10, 3, np.nan, np.nan, 0, 7])


@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 5).map(str), st.just("7"), st.just("x")),
                         min_size=3, max_size=3), min_size=1, max_size=20))
def test_block_equals_column_by_column(rows: list[list[str | None]]) -> None:
    inst = load_instrument("fcs")
    rs = inst.response_sets[inst.item("fcs_self_1").response_set]
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype="str")
    block = _text_block([(c, frame[c], rs) for c in frame.columns])
    for c in frame.columns:
        one = _fast_numeric(frame[c], rs)
        if c in block:
            assert one is not None
            np.testing.assert_array_equal(block[c], one)
            assert not block[c].flags.writeable
        else:  # this column declined (a cell that is not a digit, or out of range), or fewer
            # than two columns were decided (then the block leaves every column to the caller)
            assert one is None or block == {}
    # columns of digits and blanks are parsed; of those, the ones in range are decided
    parsed = [c for c in frame.columns if "x" not in frame[c].tolist()]
    decided = {c for c in frame.columns if _fast_numeric(frame[c], rs) is not None}
    assert set(block) == (decided if len(parsed) >= 2 else set())


chunk_cell = st.one_of(st.none(), st.just(""), st.integers(0, 4).map(str),
                       st.sampled_from(["4.0", "3.0", "10", "x"]))


@given(st.lists(st.lists(chunk_cell, min_size=3, max_size=3), min_size=2, max_size=20),
       st.integers(1, 19))
def test_chunked_columns_equal_column_by_column(rows: list[list[str | None]], cut: int) -> None:
    """Columns made of several arrow chunks (as the CSV reader gives for a large file), each
    chunk parsed into its part of the column's row: the same values as column by column."""
    inst = load_instrument("fcs")
    rs = inst.response_sets[inst.item("fcs_self_1").response_set]
    cut = min(cut, len(rows) - 1)
    frame = pd.DataFrame({
        c: pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(
            [pa.array([r[j] for r in rows[:cut]], pa.large_string()),
             pa.array([r[j] for r in rows[cut:]], pa.large_string())])))
        for j, c in enumerate(["a", "b", "c"])})
    block = _text_block([(c, frame[c], rs) for c in frame.columns])
    decided = {c: _fast_numeric(frame[c], rs) for c in frame.columns}
    for c, values in block.items():
        assert decided[c] is not None
        np.testing.assert_array_equal(values, decided[c])


def test_prepared_values_are_the_same_with_and_without_the_block(monkeypatch) -> None:
    from testkit import EXAMPLES

    import compassion_scales.scoring as scoring
    from compassion_scales.io import read_responses

    data = read_responses(EXAMPLES / "responses.csv")
    fast = prepare_responses(data, "ceas")
    monkeypatch.setattr(scoring, "_text_block", lambda items: {})
    slow = prepare_responses(data, "ceas")
    assert fast.item_ids == slow.item_ids and len(fast.item_ids) > 20
    np.testing.assert_array_equal(fast.values, slow.values)


numeric_cell = st.one_of(st.just(np.nan), st.integers(-1, 6).map(float), st.sampled_from([2.5, np.inf, -0.0]))


@given(st.lists(st.lists(numeric_cell, min_size=4, max_size=4), min_size=1, max_size=15),
       st.sampled_from(["float64", "int64", "mixed"]))
def test_numeric_block_equals_column_by_column(rows: list[list[float]], kind: str) -> None:
    inst = load_instrument("fcs")
    rs = inst.response_sets[inst.item("fcs_self_1").response_set]
    frame = pd.DataFrame(rows, columns=["a", "b", "c", "d"])
    if kind != "float64":
        ints = frame.fillna(0).replace([np.inf, 2.5], 1).astype("int64")
        frame = ints if kind == "int64" else frame.assign(a=ints["a"], c=ints["c"])
    block = _numeric_block(frame, [(c, c, rs) for c in frame.columns])
    for c in frame.columns:
        one = _fast_numeric(frame[c], rs)
        if c in block:
            assert one is not None, c
            np.testing.assert_array_equal(block[c], one)
            assert block[c].dtype == np.float64 and not block[c].flags.writeable
        else:
            assert one is None, c


def test_prepared_values_are_the_same_without_the_numeric_block(monkeypatch) -> None:
    import compassion_scales.scoring as scoring

    rng = np.random.default_rng(3)
    inst = load_instrument("ceas")
    data = pd.DataFrame(rng.integers(1, 11, (40, len(inst.item_ids))).astype(float), columns=list(inst.item_ids))
    data.iloc[::7, 3] = np.nan
    fast = prepare_responses(data, inst)
    monkeypatch.setattr(scoring, "_numeric_block", lambda data, items: {})
    slow = prepare_responses(data, inst)
    assert fast.item_ids == slow.item_ids and len(fast.item_ids) > 20
    np.testing.assert_array_equal(fast.values, slow.values)
