"""APA formatting rules (p boundaries, leading zeros, rounding) and the table renderers."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from compassion_scales.cli import main
from compassion_scales.reporting.apa import apa_frame, column_kind, fmt_number, fmt_p, sort_loadings
from compassion_scales.reporting.tables import (
    make_table,
    tables_to_html,
    tables_to_latex,
    write_tables,
)


@pytest.mark.parametrize(("p", "text"), [
    (0.0, "< .001"), (0.000999, "< .001"), (0.001, ".001"), (0.0014, ".001"), (0.0015, ".002"),
    (0.0234, ".023"), (0.04999, ".050"), (0.05, ".050"), (0.5, ".500"), (0.999, ".999"),
    (0.9991, "> .999"), (1.0, "> .999"), (float("nan"), ""), (None, ""),
])
def test_p_boundaries(p, text):
    assert fmt_p(p) == text


@pytest.mark.parametrize(("x", "kind", "text"), [
    (0.8953, "bounded", ".90"), (-0.1234, "bounded", "-.12"), (0.005, "bounded", ".01"),
    (0.004, "bounded", ".004"), (-0.0004, "bounded", ".000"), (1.0, "bounded", "1.00"),
    (-1.0, "bounded", "-1.00"), (0.0, "bounded", ".00"), (-0.001, "number", "-0.001"),
    (0.0191, "bounded3", ".019"), (0.00001, "bounded3", ".0000"),
    (136.0, "count", "136"), (136, "count", "136"), (114.407, "count", "114.41"),
    (12.345, "number", "12.35"), (12.344, "number", "12.34"), (-0.0, "number", "0.00"),
    (2.675, "number", "2.67"),  # binary floating point: 2.675 is 2.67499999...
    (1234567.891, "number", "1234567.89"), (True, "number", "yes"),
])
def test_numbers_leading_zero_and_rounding(x, kind, text):
    assert fmt_number(x, kind) == text


def test_decimals_override():
    assert fmt_number(0.89531, "bounded", 3) == ".895"
    assert fmt_number(3.14159, "number", 4) == "3.1416"
    assert fmt_number(12.0, "count", 3) == "12"


@pytest.mark.parametrize(("name", "kind"), [
    ("p_val", "p"), ("p_adj", "p"), ("np_p_val", "p"), ("f_p_val", "p"), ("p_diff", "p"),
    ("rmsea_p_close", "p"), ("alpha", "bounded"), ("std_alpha", "bounded"), ("omega_total", "bounded"),
    ("omega_h", "bounded"), ("cfi", "bounded"), ("tli", "bounded"), ("rmsea", "bounded3"),
    ("srmr", "bounded3"), ("r", "bounded"), ("r_drop", "bounded"), ("average_r", "bounded"),
    ("factor_1", "bounded"), ("loading_1f", "bounded"), ("eta_sq", "bounded"),
    ("n", "count"), ("n_obs", "count"), ("n_items", "count"), ("df", "count"), ("df1", "count"),
    ("mean", "number"), ("sd", "number"), ("statistic", "number"), ("g", "number"), ("chisq", "number"),
])
def test_column_kinds(name, kind):
    assert column_kind(name) == kind


def test_bounded_name_with_large_values_keeps_zero():
    # a column named like a bounded statistic but holding values > 1 is not stripped
    assert column_kind("r", pd.Series([0.5, 1.5])) == "number"


def test_apa_frame_merges_ci_and_compacts():
    df = pd.DataFrame({"score": ["a", "b"], "n_obs": [136.0, 97.0], "n_items": [10, 5],
                       "alpha": [0.8953, 0.7012], "ci_low": [0.87, 0.61], "ci_high": [0.912, 0.77],
                       "seed": [1, 1], "ase": [0.01, 0.02], "omega_total": [0.9, 0.72],
                       "omega_h": [float("nan")] * 2})
    out = apa_frame(df, table="ReliabilityResult", ci_label="95% CI")
    assert list(out.columns) == ["Score", "n", "k", "α", "95% CI", "ω"]
    assert out.iloc[0].tolist() == ["a", "136", "10", ".90", "[.87, .91]", ".90"]
    full = apa_frame(df, table="ReliabilityResult", columns="all")
    assert "seed" in full.columns and "ase" in full.columns


def test_ci_of_unbounded_estimate_keeps_leading_zero():
    df = pd.DataFrame({"score": ["a"], "g": [0.22], "g_ci_low": [-0.13], "g_ci_high": [0.58]})
    out = apa_frame(df, columns="all")
    assert out.iloc[0].tolist() == ["a", "0.22", "[-0.13, 0.58]"]


def test_long_fit_table_formats_by_measure():
    df = pd.DataFrame({"measure": ["n_obs", "chisq", "df", "p_val", "cfi", "rmsea"],
                       "value": [136.0, 695.2151, 662.0, 0.18, 0.9912, 0.0191]})
    out = apa_frame(df)
    assert out["Value"].tolist() == ["136", "695.22", "662", ".180", ".99", ".019"]


def test_sort_loadings_by_factor_and_cut():
    df = pd.DataFrame({"item": list("abcd"), "factor_1": [0.1, 0.8, 0.5, -0.6],
                       "factor_2": [0.7, 0.05, 0.2, 0.1]})
    out = sort_loadings(df, cut=0.3)
    assert out["item"].tolist() == ["b", "d", "c", "a"]
    assert apa_frame(out)["F2"].tolist() == ["", "", "", ".70"]


def test_renderers_latex_html_docx(tmp_path):
    t = make_table(pd.DataFrame({"score": ["a_b"], "alpha": [0.9], "p_val": [0.0001]}),
                   "Reliability", notes=["Feldt CI."])
    tex = tables_to_latex([t])
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"a\_b" in tex and r"$<$ .001" in tex
    assert r"$\alpha$" in tex
    html = tables_to_html([t])
    assert '<table class="apa">' in html and "&lt; .001" in html and "<em>Note.</em>" in html
    path = write_tables([t], tmp_path / "t.docx")
    import docx

    doc = docx.Document(str(path))
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert cells == ["Score", "α", "p", "a_b", ".90", "< .001"]
    assert any(p.text == "Table 1" for p in doc.paragraphs)


def test_cli_reliability_apa_default_and_plain(tmp_path):
    data = pd.DataFrame({"x1": [1, 2, 3, 4, 5, 2, 3, 4], "x2": [2, 2, 3, 5, 5, 1, 3, 4],
                         "x3": [1, 3, 3, 4, 4, 2, 2, 5]})
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    r = CliRunner().invoke(main, ["reliability", str(path), "--n-boot", "0"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    header = lines[lines.index("Reliability (internal consistency)") + 1]
    assert header.split() == ["Score", "n", "k", "α", "95%", "CI", "ω"]
    assert "0.000" not in r.output.split("\n\n")[0]
    r2 = CliRunner().invoke(main, ["reliability", str(path), "--n-boot", "0", "--style", "plain"])
    assert "signal_noise" in r2.output
    r3 = CliRunner().invoke(main, ["reliability", str(path), "--n-boot", "0", "--columns", "all"])
    assert "signal noise" in r3.output


@pytest.mark.parametrize("suffix", [".docx", ".tex", ".html", ".md"])
def test_cli_document_output_with_provenance(tmp_path, suffix):
    data = pd.DataFrame({"x1": [1, 2, 3, 4, 5, 2, 3, 4], "x2": [2, 2, 3, 5, 5, 1, 3, 4],
                         "x3": [1, 3, 3, 4, 4, 2, 2, 5]})
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    out = tmp_path / f"table{suffix}"
    r = CliRunner().invoke(main, ["reliability", str(path), "--n-boot", "0", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.exists() and out.with_name(out.name + ".provenance.json").exists()
    if suffix != ".docx":
        text = out.read_text()
        assert "Reliability" in text and "Items" in text
