"""The fast text renderer of ``Table.to_text`` writes tabulate's bytes (issue #16)."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from compassion_scales.reporting import tables
from compassion_scales.reporting.tables import Table

# printable ASCII with the characters that matter to the layout: spaces (stripped), digits,
# signs and words such as True/False or "nan" that tabulate would otherwise type-detect
CELL = st.one_of(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8),
                 st.sampled_from(["", " ", "  x ", "True", "False", "nan", "1", "-2.50", "< .001",
                                  "1e5", ".90", "None"]))


@st.composite
def frames(draw: st.DrawFn) -> tuple[list[str], list[list[str]], list[str]]:
    k = draw(st.integers(1, 5))
    headers = draw(st.lists(CELL, min_size=k, max_size=k))
    rows = draw(st.lists(st.lists(CELL, min_size=k, max_size=k), min_size=1, max_size=6))
    align = draw(st.lists(st.sampled_from(["left", "right"]), min_size=k, max_size=k))
    return headers, rows, align


@settings(max_examples=300)
@given(frames(), st.sampled_from(["simple", "plain"]))
def test_same_bytes_as_tabulate(table: tuple[list[str], list[list[str]], list[str]], fmt: str) -> None:
    headers, rows, align = table
    fast = tables._plain_table(rows, headers, align, fmt)
    assert fast is not None
    assert fast == tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True, colalign=align)


@pytest.mark.parametrize("cell", ["é", "名前", "a\tb", "a\nb", "\x1b[31mred\x1b[0m", None, 1.5])
def test_other_cells_go_to_tabulate(cell: object) -> None:
    assert tables._plain_table([["x", cell]], ["a", "b"], ["left", "right"], "simple") is None
    t = Table("T", pd.DataFrame({"a": ["x"], "b": [cell]}), numeric=[False, True])
    assert t.to_text() == "T\n" + tabulate([["x", cell]], headers=["a", "b"], tablefmt="simple",
                                           disable_numparse=True, colalign=["left", "right"])


def test_other_styles_and_empty_tables_go_to_tabulate() -> None:
    assert tables._plain_table([["x"]], ["a"], ["left"], "github") is None
    assert tables._plain_table([], ["a"], ["left"], "simple") is None
    t = Table("T", pd.DataFrame({"a": pd.Series([], dtype=object)}), numeric=[False])
    assert t.to_text() == "T\n" + tabulate([], headers=["a"], tablefmt="simple", disable_numparse=True,
                                           colalign=["left"])


FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    [0.0, -0.0, 0.0004, -0.0004, 0.005, -0.005, 0.9995, 1.0, 136.0, 114.41, 2.675, -1e-12]))


@settings(max_examples=200)
@example([0.0, -0.0], "text", None)  # factorize merges them; str() does not
@example([-0.0, float("nan"), 0.0], "number", None)
@given(st.lists(FLOATS, min_size=1, max_size=30),
       st.sampled_from(["number", "bounded", "bounded3", "count", "p", "text"]),
       st.sampled_from([None, 0, 1, 3]))
def test_apa_columns_formatted_once_per_value_match_cell_by_cell(values: list[float], kind: str,
                                                                 decimals: int | None) -> None:
    from compassion_scales.reporting import apa

    def one(v: object) -> str:
        return apa._fmt_text(v) if kind == "text" else apa.fmt_number(v, kind, decimals)

    for series in (pd.Series(values, dtype="float64"),
                   pd.Series([int(v) if v == v and abs(v) < 1e15 else 0 for v in values], dtype="int64"),
                   pd.Series([None if v != v else f"{v!r}" for v in values], dtype="str")):
        assert apa._per_distinct(series, one) == [one(v) for v in series]
