"""Hypothesis properties of reading and writing (issue #10).

* Non-item columns round-trip: a CSV read by cscore, scored and written in every output
  format gives back exactly the text that went in (SPSS and Stata pad strings with spaces,
  so there trailing spaces are the one thing not kept; JSON keeps text as JSON strings).
* Row order and count: any input that scores comes out with one row per input row, in order.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testkit import DATA

from compassion_scales.io import read_responses, write_outputs
from compassion_scales.scoring import score

TOY = str(DATA / "toy_scale.yaml")
ITEMS = ["toy_1", "toy_2", "toy_3", "toy_5", "toy_6"]

# printable text, no control characters (Excel cannot hold them), never empty (empty = missing)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
               min_size=1, max_size=12)
NUMBERISH = st.sampled_from(["00001", "02100", "12345678901234567890", "1.10", "1e5", "-0", "0x1F",
                             "NULL", "None", "nan", "<NA>", "#N/A", "NA", "TRUE", "=1+1", " 7 ", "+3",
                             "1,5", "2024-01-02", "\u00e9t\u00e9", "\U0001F600"])
CELL = st.one_of(TEXT, NUMBERISH)


def csv_text(rows: list[list[str | None]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode("utf-8")


def read_back(path: Path) -> pd.DataFrame:
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return pd.DataFrame(data)
    return read_responses(path)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(CELL, CELL, st.lists(st.integers(1, 5), min_size=5, max_size=5)),
                min_size=1, max_size=6))
def test_non_item_columns_round_trip_every_format(rows: list[tuple[str, str, list[int]]]) -> None:
    table = [["pid", "note", *ITEMS]] + [[a, b, *map(str, items)] for a, b, items in rows]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "in.csv"
        src.write_bytes(csv_text(table))
        data = read_responses(src)
        assert data["pid"].tolist() == [a for a, _, _ in rows]
        assert data["note"].tolist() == [b for _, b, _ in rows]
        res = score(data, TOY)
        outs = [folder / f"out{s}" for s in (".csv", ".tsv", ".xlsx", ".parquet", ".sav", ".dta", ".json")]
        write_outputs([(res.scores, o) for o in outs], inputs=[src])
        for out in outs:
            back = read_back(out)
            for col, k in (("pid", 0), ("note", 1)):
                got = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                       for v in back[col].astype(object).tolist()]
                want = [r[k] for r in rows]
                if out.suffix in (".sav", ".dta"):  # fixed-width strings: trailing spaces dropped
                    want = [w.rstrip() or None for w in want]
                    got = [None if g is None else (g.rstrip() or None) for g in got]
                assert got == want, (out.suffix, col, got, want)
            expected = res.scores["toy_a"].to_numpy(dtype=float)
            np.testing.assert_allclose(pd.to_numeric(back["toy_a"]).to_numpy(dtype=float), expected)


ANSWER = st.one_of(st.integers(1, 5).map(str), st.sampled_from(["", "NULL", "7", "x", "Often", "2.5", " 3"]))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(ANSWER, min_size=5, max_size=5), min_size=1, max_size=25))
def test_rows_come_out_once_in_order(answers: list[list[str]]) -> None:
    table = [["pid", *ITEMS]] + [[f"{k:05d}", *a] for k, a in enumerate(answers)]
    data = read_responses(io.BytesIO(csv_text(table)))
    assert len(data) == len(answers)
    res = score(data, TOY, id_cols="pid", on_invalid="missing")
    assert res.scores["pid"].tolist() == [f"{k:05d}" for k in range(len(answers))]
    assert len(res.ledger) == len(answers) * len(res.score_columns)


FLOATS = st.one_of(st.integers(-20, 20).map(float), st.sampled_from(
    [np.nan, -0.0, 0.5, -2.25, 1e9 - 1, 1e9, -1e9, 1e10, 123456789.0, 123456789012.0,
     -98765432109876.0, 2.0 ** 53 - 2, 2.0 ** 53, 1e300, np.inf, -np.inf]))


def _whole_as_digits(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each float column (not float32) whose values are all whole, none ``-0.0``
    and all below 2**53 in size (missing values aside) as integers: how such columns are written."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == "float32":
            continue
        v = out[col].dropna().to_numpy(dtype=float)
        if (np.isfinite(v).all() and (v == np.round(v)).all() and (np.abs(v) < 2.0 ** 53).all()
                and not np.signbit(v[v == 0]).any()):
            out[col] = out[col].astype("Int64")
    return out


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # 1e300 as float32
@settings(deadline=None)
@given(st.lists(st.lists(FLOATS, min_size=3, max_size=3), min_size=1, max_size=12),
       st.sampled_from(["float64", "float32", "Float64", "double[pyarrow]"]))
def test_whole_float_columns_written_as_pyarrow_writes_them(rows: list[list[float]], dtype: str) -> None:
    """Whole-number float columns are written as integers: the file is the one pyarrow writes
    from the floats themselves, except that whole numbers from 10^10 to 2^53 keep their digits
    where pyarrow writes exponents (NaN as missing; ``-0.0``, values from 2^53, infinities and
    fractions keep the float writing, and float32 columns are left to pyarrow)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from compassion_scales import io as cio

    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    frame["b"] = frame["b"].round()  # more whole columns
    frame = frame.astype(dtype)
    with tempfile.TemporaryDirectory() as tmp:
        ours = Path(tmp) / "ours.csv"
        cio._write_delimited(frame, ours, ",")
        ref = io.BytesIO()
        opts = pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="none",
                                  quoting_header="none")
        pacsv.write_csv(pa.Table.from_pandas(_whole_as_digits(frame), preserve_index=False), ref,
                        write_options=opts)
        assert ours.read_bytes() == ref.getvalue()
