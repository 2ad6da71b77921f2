"""``surely_unique``: a fast "no identifier repeats" that never says so wrongly (#16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from compassion_scales.errors import ResponseValidationError
from compassion_scales.idkeys import PACKED_BYTES, surely_unique
from compassion_scales.instrument import load_instrument
from compassion_scales.scoring import score

# short texts over a small alphabet (repeats are likely), with lengths around word edges
TEXT = st.text(alphabet="ab1\u00e9 ", min_size=0, max_size=20)


def arrow_text(values: list[str | None], cut: int | None = None, large: bool = False) -> pd.Series:
    typ = pa.large_string() if large else pa.string()
    if cut is None:
        arr = pa.chunked_array([pa.array(values, typ)])
    else:
        arr = pa.chunked_array([pa.array(values[:cut], typ), pa.array(values[cut:], typ)])
    return pd.Series(pd.arrays.ArrowStringArray(arr))


@given(st.lists(st.one_of(st.none(), TEXT), max_size=40), st.integers(0, 40), st.booleans())
@example(["a", "a\u0000"], 0, False)
@example(["ab", "ab "], 1, False)
@example(["", None, ""], 0, False)
@example(["12345678", "123456789", "12345678"], 2, True)
def test_never_unique_when_a_text_repeats(values: list[str | None], cut: int, large: bool) -> None:
    s = arrow_text(values, min(cut, len(values)), large)
    present = [v for v in values if v is not None]
    truly = len(set(present)) == len(present)
    got = surely_unique(s)
    if not truly:
        assert got is False
    elif "\u0000" not in "".join(present) and all(len(v.encode()) <= PACKED_BYTES for v in present):
        assert got is True  # short texts without NUL: always decided


@given(st.lists(st.one_of(st.integers(-3, 6), st.sampled_from([0.5, -0.0, 0.0, np.nan, np.inf])),
                max_size=30), st.sampled_from(["int64", "uint8", "float64", "float32"]),
       st.booleans())
@example([0.0, -0.0], "float64", False)
@example([np.nan, np.nan, 1.0], "float64", False)
@example([1, 2, 3, 3], "int64", True)
def test_numbers_never_unique_when_one_repeats(values: list[float], dtype: str, rising: bool) -> None:
    """Integer and float ids: a repeat (``-0.0`` is ``0.0``; NaN is missing) is always seen,
    sorted or not; pandas' ``duplicated`` is the reference."""
    a = np.array(values, dtype=np.float64)
    if dtype[0] in "iu":
        a = np.abs(np.nan_to_num(a, nan=1.0, posinf=9.0)).astype(dtype)
    a = np.sort(a) if rising else a
    s = pd.Series(a.astype(dtype))
    truly = not s[s.notna()].duplicated().any()
    assert surely_unique(s) is bool(truly)


def test_sliced_arrays_and_other_dtypes() -> None:
    arr = pa.array(["x", "p1", "p2", "p1", "y"]).slice(1, 2)  # offset into shared buffers
    assert surely_unique(pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr]))))
    assert not surely_unique(pd.Series(["p1", "p2"], dtype=object))  # cannot tell: pandas checks
    assert not surely_unique(pd.Series([True, False]))  # booleans: pandas checks
    assert not surely_unique(pd.Series(pd.array([1, 2], dtype="Int64")))  # nullable: pandas
    view = pa.chunked_array([pa.array(["p1", "p2"], pa.string_view())])  # other buffers
    assert not surely_unique(pd.Series(pd.arrays.ArrowExtensionArray(view)))
    long = ["x" * (PACKED_BYTES + 1) + str(i) for i in range(3)]
    assert not surely_unique(arrow_text(long))  # too long to pack: pandas checks


def test_many_ids_with_and_without_a_repeat() -> None:
    ids = [f"R_{i:015d}" for i in range(50_000)]  # Qualtrics-like, 17 bytes: three words
    assert surely_unique(arrow_text(ids))
    ids[40_000] = ids[123]
    assert not surely_unique(arrow_text(ids))


@pytest.mark.parametrize("dup_at", [None, 7])
def test_scoring_still_reports_repeated_ids(dup_at: int | None) -> None:
    inst = load_instrument("fcs")
    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.integers(0, 5, (12, len(inst.item_ids))).astype(str),
                        columns=list(inst.item_ids)).astype("string[pyarrow]")
    data.insert(0, "pid", pd.Series([f"p{i}" for i in range(12)], dtype="string[pyarrow]"))
    if dup_at is None:
        assert len(score(data, inst, id="pid").scores) == 12
        return
    data.loc[dup_at, "pid"] = "p2"
    with pytest.raises(ResponseValidationError) as info:
        score(data, inst, id="pid")
    assert info.value.failure_cases["message"].tolist() == [
        "row 9, column pid: identifier p2 already used in row 4"]


HASHED = st.one_of(st.text(alphabet="ab1\u00e9\u0000 ", max_size=12),
                   st.text(alphabet="ab", min_size=28, max_size=40))  # around the packed limit


@given(st.lists(HASHED, min_size=1, max_size=40), st.lists(st.integers(0, 40), max_size=3),
       st.booleans())
@example(["a" * 32, "a" * 33, "b"], [1], False)
@example(["ab", "ab\u0000"], [1], True)
def test_equal_texts_hash_alike_in_any_batch(texts: list[str], cuts: list[int], large: bool) -> None:
    """Streaming compares hashes of separate batches: a text's hash must not depend on the
    other texts of its batch (their lengths, chunks) or on the arrow offset width."""
    from compassion_scales.idkeys import text_hashes

    bounds = sorted({0, len(texts), *(min(c, len(texts)) for c in cuts)})
    got: dict[str, set[int]] = {}
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        batch = arrow_text(texts[a:b], (b - a) // 2, large)
        for t, h in zip(texts[a:b], text_hashes(batch).tolist(), strict=True):
            got.setdefault(t, set()).add(h)
    alone = {t: int(text_hashes(arrow_text([t]))[0]) for t in got}
    assert all(hs == {alone[t]} for t, hs in got.items())


def test_hashes_of_other_dtypes_and_spread() -> None:
    from pandas.util import hash_array

    from compassion_scales.idkeys import text_hashes

    obj = pd.Series(["p1", "p2"], dtype=object)
    np.testing.assert_array_equal(text_hashes(obj), hash_array(obj.to_numpy(), categorize=False))
    ids = arrow_text([f"p{i}" for i in range(4096)])
    h = text_hashes(ids)
    assert len(set(h.tolist())) == 4096
    top = np.bincount((h >> np.uint64(58)).astype(np.intp), minlength=64)  # streaming's buckets
    assert top.min() > 20  # short ids spread over the buckets, not all in one
