"""The fast text renderer of ``Table.to_text`` writes tabulate's bytes (issue #16)."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from compassion_scales import _format
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
    fast = _format.plain_table(rows, headers, align, fmt)
    assert fast is not None
    assert fast == tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True, colalign=align)


@pytest.mark.parametrize("cell", ["é", "名前", "a\tb", "a\nb", "\x1b[31mred\x1b[0m", None, 1.5])
def test_other_cells_go_to_tabulate(cell: object) -> None:
    assert _format.plain_table([["x", cell]], ["a", "b"], ["left", "right"], "simple") is None
    t = Table("T", pd.DataFrame({"a": ["x"], "b": [cell]}), numeric=[False, True])
    assert t.to_text() == "T\n" + tabulate([["x", cell]], headers=["a", "b"], tablefmt="simple",
                                           disable_numparse=True, colalign=["left", "right"])


def test_other_styles_and_empty_tables_go_to_tabulate() -> None:
    assert _format.plain_table([["x"]], ["a"], ["left"], "github") is None
    assert _format.plain_table([], ["a"], ["left"], "simple") is None
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


def _tabulate_render(df: pd.DataFrame, fmt: str, decimals: int) -> str:
    """``render_table`` as it was: every table through tabulate."""
    shown = [_format._shown_column(df.iloc[:, j], decimals) for j in range(df.shape[1])]
    text_cols = [j for j, (_, numeric) in enumerate(shown) if not numeric]
    rows = [list(r) for r in zip(*(cells for cells, _ in shown), strict=True)] if shown else \
        [[] for _ in range(len(df))]
    return tabulate(rows, headers=[str(c) for c in df.columns], tablefmt=fmt,
                    floatfmt=f".{decimals}f", missingval="", disable_numparse=text_cols or False)


SUMMARY_FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32),
                           st.sampled_from([0.0, -0.0, 0.0004, -0.0005, 2.675, 1e21, float("nan")]))
WORDS = st.one_of(st.none(), CELL, st.sampled_from(["fcs_self", "all 15 items required", "é"]))


@st.composite
def summary_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 5))
    kinds = draw(st.lists(st.sampled_from(["int", "float", "nan", "text", "string", "bool",
                                           "Int64", "mixed"]), min_size=1, max_size=5))
    cols: dict[str, pd.Series] = {}
    for j, kind in enumerate(kinds):
        name = draw(st.sampled_from(["score", "n", "mean", "sd", "rule", "x", "é"])) + str(j)
        if kind == "int":
            s = pd.Series(draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n)))
        elif kind == "float":
            s = pd.Series(draw(st.lists(SUMMARY_FLOATS, min_size=n, max_size=n)), dtype=float)
        elif kind == "nan":
            s = pd.Series([float("nan")] * n)
        elif kind in ("text", "string"):
            s = pd.Series(draw(st.lists(WORDS, min_size=n, max_size=n)),
                          dtype=object if kind == "text" else "string")
        elif kind == "bool":
            s = pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        elif kind == "Int64":
            s = pd.Series(draw(st.lists(st.one_of(st.none(), st.integers(0, 99)), min_size=n,
                                        max_size=n)), dtype="Int64")
        else:
            s = pd.Series(draw(st.lists(st.one_of(st.none(), st.integers(0, 9), SUMMARY_FLOATS,
                                                  CELL), min_size=n, max_size=n)), dtype=object)
        cols[name] = s
    return pd.DataFrame(cols)


@settings(max_examples=150)  # 5,000 examples passed once (the session's note); 150 per run
@given(summary_frames(), st.sampled_from(["simple", "plain", "github"]), st.integers(0, 4))
def test_render_table_writes_what_tabulate_wrote(df: pd.DataFrame, fmt: str, decimals: int) -> None:
    assert _format.render_table(df, fmt=fmt, decimals=decimals) == _tabulate_render(df, fmt, decimals)


def test_render_table_of_a_score_summary_needs_no_tabulate() -> None:
    df = pd.DataFrame({"score": ["fcs_self", "fcs_others"], "n_rows": [10, 10],
                       "mean": [29.98512, float("nan")], "rule": ["all 15 items required", None]})
    shown = [_format._shown_column(df.iloc[:, j], 3) for j in range(df.shape[1])]
    assert _format._fast_table(shown, list(df.columns), "simple", 3) == _tabulate_render(df, "simple", 3)
